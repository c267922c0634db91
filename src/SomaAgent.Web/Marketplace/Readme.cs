using Markdig;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;
using Microsoft.AspNetCore.Components;

namespace SomaAgent.Web.Marketplace;

/// <summary>
/// A capsule's readme as HTML. Publishers write it, so it is untrusted: raw HTML in it is shown as text, and a link or
/// image to anything but http(s), mailto or a relative path (javascript:, data:) goes nowhere.
/// </summary>
public static class Readme
{
    private static readonly MarkdownPipeline Pipeline = new MarkdownPipelineBuilder()
        .DisableHtml()
        .UseAutoLinks()
        .UsePipeTables()
        .UseEmphasisExtras()
        .Build();

    public static MarkupString ToHtml(string markdown)
    {
        ArgumentNullException.ThrowIfNull(markdown);
        var document = Markdown.Parse(markdown, Pipeline);
        foreach (var link in document.Descendants<LinkInline>().Where(l => !IsSafe(l.Url)))
        {
            link.Url = "#";
        }
        foreach (var link in document.Descendants<AutolinkInline>().Where(l => !IsSafe(l.Url)))
        {
            link.Url = "#";
        }
        return new MarkupString(document.ToHtml(Pipeline));
    }

    private static bool IsSafe(string? url)
    {
        if (string.IsNullOrWhiteSpace(url))
        {
            return true;
        }
        var trimmed = url.Trim();
        return Uri.TryCreate(trimmed, UriKind.Absolute, out var absolute)
            ? absolute.Scheme is "http" or "https" or "mailto"
            : !trimmed.Contains(':', StringComparison.Ordinal);
    }
}
