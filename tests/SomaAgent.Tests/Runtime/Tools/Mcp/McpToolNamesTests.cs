using System.Text.RegularExpressions;
using SomaAgent.Engine.Tools.Mcp;

namespace SomaAgent.Tests.Runtime.Tools.Mcp;

public sealed partial class McpToolNamesTests
{
    [Theory]
    [InlineData("files", "read_file", "files__read_file")]
    [InlineData("files", "fs.read/file", "files__fs_read_file")]
    [InlineData("gh", "issues-list", "gh__issues-list")]
    public void Names_are_prefixed_by_the_server_and_keep_only_OpenAI_function_name_characters(string server, string tool, string expected)
    {
        McpToolNames.Prefixed(server, tool).ShouldBe(expected);
    }

    [Fact]
    public void Long_names_are_cut_to_64_characters_and_stay_distinct()
    {
        var first = McpToolNames.Prefixed("server", new string('a', 80) + "1");
        var second = McpToolNames.Prefixed("server", new string('a', 80) + "2");

        first.Length.ShouldBe(64);
        second.Length.ShouldBe(64);
        first.ShouldNotBe(second);
        OpenAIFunctionName().IsMatch(first).ShouldBeTrue();
    }

    [GeneratedRegex("^[a-zA-Z0-9_-]{1,64}$")]
    private static partial Regex OpenAIFunctionName();
}
