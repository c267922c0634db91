using System.Globalization;

namespace SomaAgent.Runtime.Tools.BuiltIn;

/// <summary>
/// Evaluates an arithmetic expression: numbers, <c>+ - * / % ^</c>, parentheses, unary signs, the constants
/// <c>pi</c> and <c>e</c> and the functions <c>sqrt abs round floor ceil ln log10 sin cos tan min max pow</c>.
/// A recursive-descent parser, so nothing but arithmetic can ever run.
/// </summary>
public static class ArithmeticExpression
{
    public const int MaxLength = 1024;
    private const int MaxDepth = 64;

    public static double Evaluate(string expression)
    {
        ArgumentNullException.ThrowIfNull(expression);
        if (expression.Length > MaxLength)
        {
            throw new FormatException($"The expression is longer than {MaxLength} characters.");
        }
        var parser = new Parser(expression);
        var value = parser.ParseExpression(0);
        parser.SkipSpaces();
        if (!parser.AtEnd)
        {
            throw new FormatException($"Unexpected '{parser.Current}' at position {parser.Position + 1}.");
        }
        if (double.IsNaN(value) || double.IsInfinity(value))
        {
            throw new ArithmeticException("The result is not a finite number (division by zero or out of range).");
        }
        return value;
    }

    private ref struct Parser(string text)
    {
        private readonly string _text = text;
        public int Position { get; private set; }
        public readonly bool AtEnd => Position >= _text.Length;
        public readonly char Current => _text[Position];

        public void SkipSpaces()
        {
            while (!AtEnd && char.IsWhiteSpace(Current))
            {
                Position++;
            }
        }

        private bool Take(char c)
        {
            SkipSpaces();
            if (!AtEnd && Current == c)
            {
                Position++;
                return true;
            }
            return false;
        }

        public double ParseExpression(int depth)
        {
            Guard(depth);
            var value = ParseTerm(depth);
            while (true)
            {
                if (Take('+')) { value += ParseTerm(depth); }
                else if (Take('-')) { value -= ParseTerm(depth); }
                else { return value; }
            }
        }

        private double ParseTerm(int depth)
        {
            var value = ParseUnary(depth);
            while (true)
            {
                if (Take('*')) { value *= ParseUnary(depth); }
                else if (Take('/')) { value /= ParseUnary(depth); }
                else if (Take('%')) { value %= ParseUnary(depth); }
                else { return value; }
            }
        }

        private double ParseUnary(int depth)
        {
            Guard(depth);
            if (Take('-')) { return -ParseUnary(depth + 1); }
            if (Take('+')) { return ParseUnary(depth + 1); }
            return ParsePower(depth);
        }

        private double ParsePower(int depth)
        {
            var value = ParsePrimary(depth);
            // Right-associative: 2^3^2 = 2^9.
            return Take('^') ? Math.Pow(value, ParseUnary(depth + 1)) : value;
        }

        private double ParsePrimary(int depth)
        {
            SkipSpaces();
            if (AtEnd)
            {
                throw new FormatException("The expression ends where a number was expected.");
            }
            if (Take('('))
            {
                var inner = ParseExpression(depth + 1);
                if (!Take(')'))
                {
                    throw new FormatException($"Missing ')' at position {Position + 1}.");
                }
                return inner;
            }
            if (char.IsDigit(Current) || Current == '.')
            {
                return ParseNumber();
            }
            if (char.IsLetter(Current))
            {
                return ParseNameOrCall(depth);
            }
            throw new FormatException($"Unexpected '{Current}' at position {Position + 1}.");
        }

        private double ParseNumber()
        {
            var start = Position;
            while (!AtEnd && (char.IsDigit(Current) || Current == '.' || Current == '_'))
            {
                Position++;
            }
            if (!AtEnd && (Current == 'e' || Current == 'E') && Position + 1 < _text.Length
                && (char.IsDigit(_text[Position + 1]) || _text[Position + 1] is '+' or '-'))
            {
                Position += 2;
                while (!AtEnd && char.IsDigit(Current))
                {
                    Position++;
                }
            }
            var token = _text[start..Position].Replace("_", "", StringComparison.Ordinal);
            if (!double.TryParse(token, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
            {
                throw new FormatException($"'{token}' is not a number.");
            }
            return number;
        }

        private double ParseNameOrCall(int depth)
        {
            var start = Position;
            while (!AtEnd && (char.IsLetterOrDigit(Current)))
            {
                Position++;
            }
            var name = _text[start..Position].ToLowerInvariant();
            switch (name)
            {
                case "pi": return Math.PI;
                case "e": return Math.E;
            }
            if (!Take('('))
            {
                throw new FormatException($"Unknown name '{name}' at position {start + 1}.");
            }
            var arguments = new List<double>();
            if (!Take(')'))
            {
                do
                {
                    arguments.Add(ParseExpression(depth + 1));
                }
                while (Take(','));
                if (!Take(')'))
                {
                    throw new FormatException($"Missing ')' after the arguments of {name}.");
                }
            }
            return Call(name, arguments);
        }

        private static double Call(string name, List<double> args) => (name, args.Count) switch
        {
            ("sqrt", 1) => Math.Sqrt(args[0]),
            ("abs", 1) => Math.Abs(args[0]),
            ("round", 1) => Math.Round(args[0], MidpointRounding.AwayFromZero),
            ("round", 2) when double.IsFinite(args[1]) => Math.Round(args[0], (int)Math.Clamp(args[1], 0, 15), MidpointRounding.AwayFromZero),
            ("round", 2) => throw new FormatException("round(x, digits) needs a finite number of digits."),
            ("floor", 1) => Math.Floor(args[0]),
            ("ceil", 1) => Math.Ceiling(args[0]),
            ("ln", 1) => Math.Log(args[0]),
            ("log10", 1) => Math.Log10(args[0]),
            ("sin", 1) => Math.Sin(args[0]),
            ("cos", 1) => Math.Cos(args[0]),
            ("tan", 1) => Math.Tan(args[0]),
            ("pow", 2) => Math.Pow(args[0], args[1]),
            ("min", > 0) => args.Min(),
            ("max", > 0) => args.Max(),
            _ => throw new FormatException($"Unknown function {name} with {args.Count} argument(s)."),
        };

        private static void Guard(int depth)
        {
            if (depth > MaxDepth)
            {
                throw new FormatException($"The expression nests deeper than {MaxDepth} levels.");
            }
        }
    }
}
