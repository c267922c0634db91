using SomaAgent.Runtime.Tools.BuiltIn;

namespace SomaAgent.Tests.Runtime.Tools.BuiltIn;

public sealed class ArithmeticExpressionTests
{
    [Theory]
    [InlineData("42", 42)]
    [InlineData("  4  ", 4)]
    [InlineData("1 + 2 * 3", 7)]
    [InlineData("(1 + 2) * 3", 9)]
    [InlineData("10 - 4 - 3", 3)]
    [InlineData("64 / 4 / 2", 8)]
    [InlineData("7 / 2", 3.5)]
    [InlineData("10 % 4", 2)]
    [InlineData("2 + 3 * 4 ^ 2", 50)]
    [InlineData("2 ^ 3 ^ 2", 512)]
    [InlineData("(2 ^ 3) ^ 2", 64)]
    [InlineData("2 ^ -1", 0.5)]
    [InlineData("-2 ^ 2", -4)]
    [InlineData("-3", -3)]
    [InlineData("--3", 3)]
    [InlineData("+3", 3)]
    [InlineData("2 * -3", -6)]
    [InlineData("-(1 + 2)", -3)]
    [InlineData("1_000 + 1", 1001)]
    [InlineData("1.5e3", 1500)]
    [InlineData("2.5E-1", 0.25)]
    [InlineData(".5 + .5", 1)]
    [InlineData("sqrt(16)", 4)]
    [InlineData("abs(-5)", 5)]
    [InlineData("round(2.5)", 3)]
    [InlineData("round(-2.5)", -3)]
    [InlineData("round(3.14159, 2)", 3.14)]
    [InlineData("floor(-1.5)", -2)]
    [InlineData("ceil(1.2)", 2)]
    [InlineData("ln(e)", 1)]
    [InlineData("log10(1000)", 3)]
    [InlineData("cos(0)", 1)]
    [InlineData("sin(0)", 0)]
    [InlineData("tan(0)", 0)]
    [InlineData("pow(2, 10)", 1024)]
    [InlineData("min(3, 1, 2)", 1)]
    [InlineData("max(3, 1, 2)", 3)]
    [InlineData("max(1, sqrt(min(16, 25)) * 2)", 8)]
    [InlineData("SQRT(4) + Abs(-1)", 3)]
    public void Evaluates_with_the_usual_precedence_and_associativity(string expression, double expected)
    {
        ArithmeticExpression.Evaluate(expression).ShouldBe(expected, tolerance: 1e-12);
    }

    [Theory]
    [InlineData("pi", Math.PI)]
    [InlineData("PI", Math.PI)]
    [InlineData("2 * pi", 2 * Math.PI)]
    [InlineData("e", Math.E)]
    [InlineData("e ^ 2", Math.E * Math.E)]
    public void Knows_the_constants_pi_and_e(string expression, double expected)
    {
        ArithmeticExpression.Evaluate(expression).ShouldBe(expected, tolerance: 1e-12);
    }

    [Theory]
    [InlineData("foo + 1", typeof(FormatException), "Unknown name 'foo' at position 1.")]
    [InlineData("2 * tau", typeof(FormatException), "Unknown name 'tau' at position 5.")]
    [InlineData("foo(1)", typeof(FormatException), "Unknown function foo with 1 argument(s).")]
    [InlineData("sqrt(1, 2)", typeof(FormatException), "Unknown function sqrt with 2 argument(s).")]
    [InlineData("max()", typeof(FormatException), "Unknown function max with 0 argument(s).")]
    [InlineData("1 / 0", typeof(ArithmeticException), "The result is not a finite number (division by zero or out of range).")]
    [InlineData("1 % 0", typeof(ArithmeticException), "The result is not a finite number (division by zero or out of range).")]
    [InlineData("sqrt(-1)", typeof(ArithmeticException), "The result is not a finite number (division by zero or out of range).")]
    [InlineData("1e999", typeof(ArithmeticException), "The result is not a finite number (division by zero or out of range).")]
    [InlineData("1 +", typeof(FormatException), "The expression ends where a number was expected.")]
    [InlineData("", typeof(FormatException), "The expression ends where a number was expected.")]
    [InlineData("(1 + 2", typeof(FormatException), "Missing ')' at position 7.")]
    [InlineData("max(1, 2", typeof(FormatException), "Missing ')' after the arguments of max.")]
    [InlineData("1 2", typeof(FormatException), "Unexpected '2' at position 3.")]
    [InlineData("1 + 2)", typeof(FormatException), "Unexpected ')' at position 6.")]
    [InlineData("1 $ 2", typeof(FormatException), "Unexpected '$' at position 3.")]
    [InlineData("1 + * 2", typeof(FormatException), "Unexpected '*' at position 5.")]
    [InlineData("1..2", typeof(FormatException), "'1..2' is not a number.")]
    public void Rejects_bad_input_with_a_message_that_says_what_is_wrong(string expression, Type exception, string message)
    {
        var thrown = Should.Throw(() => ArithmeticExpression.Evaluate(expression), exception);

        thrown.GetType().ShouldBe(exception);
        thrown.Message.ShouldBe(message);
    }

    [Fact]
    public void Rejects_an_expression_longer_than_the_limit()
    {
        var tooLong = string.Join('+', Enumerable.Repeat("1", ArithmeticExpression.MaxLength / 2 + 1));

        var thrown = Should.Throw<FormatException>(() => ArithmeticExpression.Evaluate(tooLong));

        thrown.Message.ShouldBe($"The expression is longer than {ArithmeticExpression.MaxLength} characters.");
    }

    [Fact]
    public void Accepts_an_expression_exactly_at_the_length_limit()
    {
        var atLimit = "1" + string.Concat(Enumerable.Repeat("+1", (ArithmeticExpression.MaxLength - 1) / 2)) + new string(' ', (ArithmeticExpression.MaxLength - 1) % 2);

        atLimit.Length.ShouldBe(ArithmeticExpression.MaxLength);
        ArithmeticExpression.Evaluate(atLimit).ShouldBe((ArithmeticExpression.MaxLength + 1) / 2);
    }

    [Theory]
    [InlineData("(", ")", 64)]
    [InlineData("sqrt(", ")", 64)]
    [InlineData("-", "", 64)]
    public void Nesting_up_to_the_limit_evaluates(string open, string close, int depth)
    {
        var expression = string.Concat(Enumerable.Repeat(open, depth)) + "4" + string.Concat(Enumerable.Repeat(close, depth));

        Should.NotThrow(() => ArithmeticExpression.Evaluate(expression));
    }

    [Theory]
    [InlineData("(", ")", 65)]
    [InlineData("sqrt(", ")", 65)]
    [InlineData("-", "", 65)]
    [InlineData("2^", "", 65)]
    [InlineData("(", ")", 500)]
    public void Nesting_deeper_than_the_limit_is_refused_before_the_stack_suffers(string open, string close, int depth)
    {
        var expression = string.Concat(Enumerable.Repeat(open, depth)) + "1" + string.Concat(Enumerable.Repeat(close, depth));

        var thrown = Should.Throw<FormatException>(() => ArithmeticExpression.Evaluate(expression));

        thrown.Message.ShouldBe("The expression nests deeper than 64 levels.");
    }
}
