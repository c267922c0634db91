using SomaAgent.Security.Problems;

namespace SomaAgent.Tests.Runtime.Problems;

/// <summary>The problem types are a contract: clients branch on them, so the set only changes on purpose.</summary>
public sealed class ProblemCatalogTests
{
    [Fact]
    public void The_problem_types_are_the_published_ones()
    {
        ProblemCatalog.All.Select(k => k.Type).Distinct().Select(t => t[ProblemCatalog.TypePrefix.Length..]).ShouldBe(
        [
            "validation", "malformed-json", "bad-request", "unsupported-media-type", "payload-too-large", "route-not-found",
            "unsupported-api-version", "method-not-allowed", "not-found", "conflict", "turn-in-progress", "turn-not-running",
            "idempotency-key-reused", "unauthorized", "forbidden", "rate-limited", "internal", "policy-unavailable", "access-check-unavailable",
            "turn-limit", "capsule-yanked", "invalid-capsule", "signature-rejected", "artifact-store-unavailable", "registry-unavailable",
            "store-unavailable",
        ], ignoreOrder: true);
    }

    [Fact]
    public void Every_kind_has_its_own_title_under_the_platforms_prefix()
    {
        ProblemCatalog.All.ShouldAllBe(k => k.Type.StartsWith(ProblemCatalog.TypePrefix, StringComparison.Ordinal) && k.Title.Length > 0);
        ProblemCatalog.All.Select(k => k.Title).ShouldBeUnique();
    }

    [Fact]
    public void All_lists_every_kind_of_the_catalog()
    {
        var declared = typeof(ProblemCatalog).GetProperties().Where(p => p.PropertyType == typeof(ProblemKind)).Select(p => (ProblemKind)p.GetValue(null)!);
        ProblemCatalog.All.ShouldBe(declared, ignoreOrder: true);
    }

    [Fact]
    public void Kinds_that_share_a_type_share_its_status()
    {
        ProblemCatalog.All.GroupBy(k => k.Type).Where(g => g.Select(k => k.Status).Distinct().Count() > 1).Select(g => g.Key).ShouldBeEmpty();
    }
}
