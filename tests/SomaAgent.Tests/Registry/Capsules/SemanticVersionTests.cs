using SomaAgent.Capsules;

namespace SomaAgent.Tests.Registry.Capsules;

/// <summary>Versions order by semver precedence, and "latest" is the highest release not yanked.</summary>
public sealed class SemanticVersionTests
{
    [Fact]
    public void Versions_order_as_semver_2_says()
    {
        string[] ordered = ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "1.2.0", "1.10.0", "2.0.0"];

        ordered.Reverse().Select(Parse).Order().Select(v => v.Text).ShouldBe(ordered);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("01.0.0")]
    [InlineData("1.0.0-")]
    [InlineData("1.0.0-01")]
    [InlineData("v1.0.0")]
    [InlineData("1234567890.0.0")]
    public void Anything_but_a_strict_semver_is_not_a_version(string text)
    {
        SemanticVersion.TryParse(text, out _).ShouldBeFalse();
    }

    [Fact]
    public void Build_metadata_does_not_change_precedence_but_keeps_the_order_total()
    {
        (Parse("1.0.0+b") > Parse("1.0.0+a")).ShouldBeTrue();
        (Parse("1.0.0+b") < Parse("1.0.1")).ShouldBeTrue();
    }

    [Fact]
    public void Latest_is_the_highest_release_not_yanked_then_the_highest_pre_release()
    {
        SemanticVersion.LatestOf([("1.0.0", false), ("1.2.0", true), ("1.1.0", false), ("2.0.0-rc.1", false)]).ShouldBe("1.1.0");
        SemanticVersion.LatestOf([("1.0.0", true), ("2.0.0-rc.1", false), ("2.0.0-beta", false)]).ShouldBe("2.0.0-rc.1");
        SemanticVersion.LatestOf([("1.0.0", true)]).ShouldBeNull();
    }

    private static SemanticVersion Parse(string text) => SemanticVersion.TryParse(text, out var version) ? version : throw new ArgumentException(text);
}
