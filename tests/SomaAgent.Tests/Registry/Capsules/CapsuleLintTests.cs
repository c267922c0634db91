using System.Text.Json;
using SomaAgent.Capsules;
using SomaAgent.Runtime.Tools.BuiltIn;

namespace SomaAgent.Tests.Registry.Capsules;

/// <summary>A capsule.yaml is checked against the one schema, and every problem is reported at once with its path and line.</summary>
public sealed class CapsuleLintTests
{
    private const string Complete = """
        name: weather-bot
        version: 1.4.0-rc.1+build.7
        description: Answers questions about the weather.
        publisher: Acme Weather
        tags: [weather, demo]
        system_prompt: |
          You are a careful weather assistant.
        tools:
          builtin: [calculator, clock]
          mcp:
            - name: forecasts
              url: https://mcp.example.com/mcp
              tools: [forecast]
        permissions: [network:mcp]
        limits:
          max_turns: 20
          max_tool_calls: 40
        models:
          preferred: [soma-simulated-1]
        readme: docs/README.md
        """;

    [Fact]
    public void Declared_tests_read_back_and_a_test_without_an_expectation_is_a_problem_on_its_line()
    {
        var valid = CapsuleLint.Check(Complete + "\ntests:\n  - prompt: What is 12*7?\n    expect:\n      contains: [\"84\"]\n      tools: [calculator]\n");
        var empty = CapsuleLint.Check(Complete + "\ntests:\n  - prompt: What is 12*7?\n    expect: {}\n");

        var test = valid.Manifest.ShouldNotBeNull().Tests.ShouldNotBeNull().ShouldHaveSingleItem();
        (test.Title, test.Expect.Contains!.Single(), test.Expect.Tools!.Single()).ShouldBe(("What is 12*7?", "84", "calculator"));
        var problem = empty.Problems.ShouldHaveSingleItem();
        (problem.Path, problem.Line).ShouldBe(("tests[0].expect", 23));
    }

    [Fact]
    public void A_complete_manifest_passes_and_reads_back_field_by_field()
    {
        var result = CapsuleLint.Check(Complete);

        result.Problems.ShouldBeEmpty();
        var manifest = result.Manifest.ShouldNotBeNull();
        manifest.Name.ShouldBe("weather-bot");
        manifest.Version.ShouldBe("1.4.0-rc.1+build.7");
        manifest.SystemPrompt.ShouldBe("You are a careful weather assistant.\n");
        manifest.Tools!.Builtin.ShouldBe(["calculator", "clock"]);
        manifest.Tools.Mcp!.ShouldHaveSingleItem().ShouldBe(new CapsuleMcpServer("forecasts", "https://mcp.example.com/mcp", ["forecast"]), new McpServerComparer());
        manifest.Limits.ShouldBe(new CapsuleLimits(MaxTurns: 20, MaxToolCalls: 40));
        manifest.Models!.Preferred.ShouldBe(["soma-simulated-1"]);
        manifest.Readme.ShouldBe("docs/README.md");
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_field_path_and_line()
    {
        var result = CapsuleLint.Check("""
            name: Weather_Bot
            version: "1.0"
            description: Answers questions about the weather.
            publisher: Acme
            colour: blue
            tools:
              mcp:
                - name: forecasts
                  url: ftp://mcp.example.com
            limits:
              max_turns: 0
            """);

        result.IsValid.ShouldBeFalse();
        result.Problems.Select(p => (p.Path, p.Line)).ShouldBe(
            [("name", 1), ("version", 2), ("colour", 5), ("tools.mcp[0].url", 9), ("limits.max_turns", 11)]);
        result.Problems.Single(p => p.Path == "colour").Message.ShouldContain("Unknown field");
        result.Problems.Single(p => p.Path == "name").Message.ShouldContain("Lowercase letters, digits and hyphens");
        result.Problems.Single(p => p.Path == "version").Message.ShouldContain("Semantic Versioning");
    }

    [Fact]
    public void Missing_required_fields_are_named()
    {
        var result = CapsuleLint.Check("name: weather-bot\n");

        var problem = result.Problems.ShouldHaveSingleItem();
        problem.Line.ShouldBe(1);
        problem.Message.ShouldContain("version");
        problem.Message.ShouldContain("description");
        problem.Message.ShouldContain("publisher");
    }

    [Theory]
    [InlineData("1.0.0", true)]
    [InlineData("0.0.1", true)]
    [InlineData("10.20.30-alpha.1+sha.5114f85", true)]
    [InlineData("1.0", false)]
    [InlineData("01.0.0", false)]
    [InlineData("1.0.0-", false)]
    [InlineData("v1.0.0", false)]
    [InlineData("1.0.0-01", false)]
    public void Versions_are_strict_semantic_versions(string version, bool valid)
    {
        CapsuleLint.Check(Manifest(version: $"\"{version}\"")).IsValid.ShouldBe(valid);
    }

    [Theory]
    [InlineData("a", true)]
    [InlineData("weather-bot-2", true)]
    [InlineData("Weather", false)]
    [InlineData("-weather", false)]
    [InlineData("weather-", false)]
    [InlineData("weather_bot", false)]
    [InlineData("wéather", false)]
    public void Names_are_lowercase_letters_digits_and_inner_hyphens(string name, bool valid)
    {
        CapsuleLint.Check(Manifest(name: $"\"{name}\"")).IsValid.ShouldBe(valid);
    }

    [Fact]
    public void A_bare_decimal_version_is_reported_as_not_text()
    {
        var problem = CapsuleLint.Check(Manifest(version: "1.10")).Problems.ShouldHaveSingleItem();

        problem.Path.ShouldBe("version");
        problem.Message.ShouldContain("string", Case.Insensitive);
    }

    [Fact]
    public void Yaml_that_does_not_parse_is_reported_with_its_line()
    {
        var problem = CapsuleLint.Check("name: weather-bot\ndescription: \"unterminated\npublisher: Acme\n").Problems.ShouldHaveSingleItem();

        problem.Message.ShouldStartWith("capsule.yaml is not valid YAML");
        problem.Line.ShouldNotBeNull().ShouldBeGreaterThanOrEqualTo(2);
    }

    [Fact]
    public void A_field_given_twice_is_reported_where_it_repeats()
    {
        var problem = CapsuleLint.Check(Manifest() + "name: other\n").Problems.ShouldHaveSingleItem();

        problem.Line.ShouldBe(5);
        problem.Message.ShouldContain("Duplicate key", Case.Insensitive);
    }

    [Theory]
    [InlineData("../secrets.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("docs/../../x.md")]
    public void The_readme_is_a_path_inside_the_package(string readme)
    {
        CapsuleLint.Check(Manifest() + $"readme: \"{readme}\"\n").Problems.ShouldHaveSingleItem().Path.ShouldBe("readme");
    }

    [Fact]
    public void The_schema_names_exactly_the_platforms_built_in_tools()
    {
        using var schema = JsonDocument.Parse(CapsuleSchema.Text);
        var names = schema.RootElement.GetProperty("properties").GetProperty("tools").GetProperty("properties")
            .GetProperty("builtin").GetProperty("items").GetProperty("enum").EnumerateArray().Select(e => e.GetString());

        names.ShouldBe(BuiltInTools.Create().Select(t => t.Name), ignoreOrder: true);
    }

    private static string Manifest(string name = "weather-bot", string version = "1.0.0") => $"""
        name: {name}
        version: {version}
        description: Answers questions about the weather.
        publisher: Acme

        """;

    private sealed class McpServerComparer : IEqualityComparer<CapsuleMcpServer>
    {
        public bool Equals(CapsuleMcpServer? x, CapsuleMcpServer? y) =>
            x is not null && y is not null && x.Name == y.Name && x.Url == y.Url && (x.Tools ?? []).SequenceEqual(y.Tools ?? []);

        public int GetHashCode(CapsuleMcpServer obj) => obj.Name.GetHashCode(StringComparison.Ordinal);
    }
}
