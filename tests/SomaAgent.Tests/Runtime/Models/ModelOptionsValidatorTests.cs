using SomaAgent.Runtime.Models;

namespace SomaAgent.Tests.Runtime.Models;

public sealed class ModelOptionsValidatorTests
{
    private readonly ModelOptionsValidator _validator = new();

    [Fact]
    public void The_defaults_are_valid()
    {
        _validator.Validate(null, new ModelOptions()).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public void A_default_served_by_the_configured_endpoint_is_valid()
    {
        var options = new ModelOptions { Default = "fake-gpt", OpenAI = { BaseUrl = "http://127.0.0.1:1/v1" } };
        options.OpenAI.Models.Add("fake-gpt");

        _validator.Validate(null, options).Succeeded.ShouldBeTrue();
    }

    [Fact]
    public void Every_problem_is_reported_at_once_naming_its_setting()
    {
        var options = new ModelOptions { Default = "gpt-nope", OpenAI = { BaseUrl = "not a url" } };

        var result = _validator.Validate(null, options);

        result.Failed.ShouldBeTrue();
        result.Failures.Count().ShouldBe(3);
        result.FailureMessage.ShouldContain("SomaAgent:Models:OpenAI:BaseUrl must be an absolute http(s) URL, got 'not a url'.");
        result.FailureMessage.ShouldContain("SomaAgent:Models:OpenAI:Models must list at least one model id when BaseUrl is set.");
        result.FailureMessage.ShouldContain("SomaAgent:Models:Default is 'gpt-nope', which no provider serves; use one of: soma-simulated-1.");
    }

    [Fact]
    public void Models_are_ignored_while_no_base_url_is_set()
    {
        var options = new ModelOptions { Default = "fake-gpt" };
        options.OpenAI.Models.Add("fake-gpt");

        _validator.Validate(null, options).FailureMessage!.ShouldContain("SomaAgent:Models:Default is 'fake-gpt', which no provider serves");
    }
}
