using SomaAgent.Web.Marketplace;

namespace SomaAgent.Tests.Web;

/// <summary>A capsule's readme is the publisher's markdown: shown formatted, never trusted.</summary>
public sealed class ReadmeTests
{
    [Fact]
    public void Markdown_is_shown_formatted()
    {
        var html = Readme.ToHtml("# Kitchen math\n\nAdds **cups** and `grams`.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n").Value;

        html.ShouldContain("<h1");
        html.ShouldContain("<strong>cups</strong>");
        html.ShouldContain("<code>grams</code>");
        html.ShouldContain("<table>");
    }

    [Fact]
    public void Raw_html_is_shown_as_text_not_run()
    {
        var html = Readme.ToHtml("Hello <script>alert('x')</script> <img src=x onerror=alert(1)>").Value;

        html.ShouldNotContain("<script");
        html.ShouldNotContain("<img");
        html.ShouldContain("&lt;script&gt;");
    }

    [Theory]
    [InlineData("[click](javascript:alert(1))")]
    [InlineData("[click](JavaScript:alert(1))")]
    [InlineData("[click](data:text/html;base64,PHNjcmlwdD4=)")]
    [InlineData("![pixel](vbscript:msgbox)")]
    public void A_link_to_a_script_goes_nowhere(string markdown)
    {
        var html = Readme.ToHtml(markdown).Value;

        html.ShouldContain("=\"#\"");
        html.ShouldNotContain("script:", Case.Insensitive);
        html.ShouldNotContain("data:");
    }

    [Theory]
    [InlineData("[docs](https://example.org/docs)", "https://example.org/docs")]
    [InlineData("[mail](mailto:team@example.org)", "mailto:team@example.org")]
    [InlineData("[changelog](CHANGELOG.md)", "CHANGELOG.md")]
    [InlineData("see https://example.org/x", "https://example.org/x")]
    public void Web_mail_and_relative_links_are_kept(string markdown, string href)
    {
        Readme.ToHtml(markdown).Value.ShouldContain($"href=\"{href}\"");
    }
}
