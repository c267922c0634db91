using Microsoft.Extensions.AI;
using SomaAgent.Runtime.Tools;

namespace SomaAgent.Tests.Runtime.Tools;

public sealed class ToolCatalogTests
{
    [Fact]
    public void Tools_set_for_a_source_are_listed_in_name_order_and_replaced_by_the_next_set()
    {
        var catalog = new ToolCatalog([Tool("calculator", "builtin")]);

        catalog.SetSourceTools("mcp:a", [Tool("a__zeta", "mcp:a"), Tool("a__alpha", "mcp:a")]);
        catalog.All.Select(t => t.Name).ShouldBe(["a__alpha", "a__zeta", "calculator"]);

        catalog.SetSourceTools("mcp:a", [Tool("a__beta", "mcp:a")]);
        catalog.All.Select(t => t.Name).ShouldBe(["a__beta", "calculator"]);
        catalog.TryGet("a__zeta", out _).ShouldBeFalse();
    }

    [Fact]
    public void A_name_another_source_already_has_keeps_its_first_owner_and_is_reported()
    {
        var catalog = new ToolCatalog([Tool("calculator", "builtin")]);

        var skipped = catalog.SetSourceTools("mcp:a", [Tool("calculator", "mcp:a"), Tool("a__x", "mcp:a")]);

        skipped.ShouldBe(["calculator"]);
        catalog.TryGet("calculator", out var owner).ShouldBeTrue();
        owner.Source.ShouldBe("builtin");
        catalog.TryGet("a__x", out _).ShouldBeTrue();
    }

    [Fact]
    public void Changing_a_source_raises_Changed()
    {
        var catalog = new ToolCatalog([]);
        var raised = 0;
        catalog.Changed += (_, _) => raised++;

        catalog.SetSourceTools("mcp:a", [Tool("a__x", "mcp:a")]);
        catalog.SetSourceTools("mcp:a", []);

        raised.ShouldBe(2);
        catalog.All.ShouldBeEmpty();
    }

    private static AgentTool Tool(string name, string source) =>
        new(AIFunctionFactory.Create(() => name, name), source, TimeSpan.FromSeconds(1));
}
