using System.Globalization;
using System.Text.RegularExpressions;

namespace SomaAgent.Capsules;

/// <summary>
/// A strict Semantic Versioning 2.0.0 version, ordered by its precedence rules: numbers numerically, a
/// pre-release before its release, pre-release identifiers numerically or by ASCII, build metadata ignored
/// (two versions differing only by it are ordered by their text, so the order is total).
/// </summary>
public sealed partial record SemanticVersion(int Major, int Minor, int Patch, IReadOnlyList<string> PreRelease, string Text)
    : IComparable<SemanticVersion>
{
    public bool IsPreRelease => PreRelease.Count > 0;

    public static bool TryParse(string? text, out SemanticVersion version)
    {
        version = null!;
        if (text is null || text.Length > 64 || Strict().Match(text) is not { Success: true } match
            || !int.TryParse(match.Groups["major"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var major)
            || !int.TryParse(match.Groups["minor"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var minor)
            || !int.TryParse(match.Groups["patch"].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var patch))
        {
            return false;
        }
        var pre = match.Groups["pre"].Success ? match.Groups["pre"].Value.Split('.') : [];
        version = new SemanticVersion(major, minor, patch, pre, text);
        return true;
    }

    public int CompareTo(SemanticVersion? other)
    {
        if (other is null)
        {
            return 1;
        }
        var order = (Major, Minor, Patch).CompareTo((other.Major, other.Minor, other.Patch));
        if (order != 0)
        {
            return order;
        }
        if (IsPreRelease != other.IsPreRelease)
        {
            return IsPreRelease ? -1 : 1;
        }
        for (var i = 0; i < Math.Min(PreRelease.Count, other.PreRelease.Count); i++)
        {
            order = CompareIdentifiers(PreRelease[i], other.PreRelease[i]);
            if (order != 0)
            {
                return order;
            }
        }
        order = PreRelease.Count.CompareTo(other.PreRelease.Count);
        return order != 0 ? order : string.CompareOrdinal(Text, other.Text);
    }

    /// <summary>
    /// What "latest" means for a capsule: the highest release that is not yanked, else the highest pre-release that
    /// is not yanked, else none.
    /// </summary>
    public static string? LatestOf(IEnumerable<(string Version, bool Yanked)> versions)
    {
        ArgumentNullException.ThrowIfNull(versions);
        var candidates = versions.Where(v => !v.Yanked).Select(v => TryParse(v.Version, out var parsed) ? parsed : null).OfType<SemanticVersion>().ToList();
        return (candidates.Where(v => !v.IsPreRelease).Max() ?? candidates.Max())?.Text;
    }

    public override string ToString() => Text;

    public static bool operator <(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) < 0;

    public static bool operator <=(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) <= 0;

    public static bool operator >(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) > 0;

    public static bool operator >=(SemanticVersion? left, SemanticVersion? right) => Compare(left, right) >= 0;

    private static int Compare(SemanticVersion? left, SemanticVersion? right) =>
        left is null ? (right is null ? 0 : -1) : left.CompareTo(right);

    private static int CompareIdentifiers(string left, string right)
    {
        var leftNumeric = long.TryParse(left, NumberStyles.None, CultureInfo.InvariantCulture, out var l);
        var rightNumeric = long.TryParse(right, NumberStyles.None, CultureInfo.InvariantCulture, out var r);
        return (leftNumeric, rightNumeric) switch
        {
            (true, true) => l.CompareTo(r),
            (true, false) => -1,
            (false, true) => 1,
            _ => string.CompareOrdinal(left, right),
        };
    }

    // semver.org's recommended expression, with named groups.
    [GeneratedRegex(@"^(?<major>0|[1-9]\d{0,8})\.(?<minor>0|[1-9]\d{0,8})\.(?<patch>0|[1-9]\d{0,8})(?:-(?<pre>(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+(?<build>[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex Strict();
}
