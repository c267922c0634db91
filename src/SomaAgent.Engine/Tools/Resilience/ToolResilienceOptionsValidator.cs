using Microsoft.Extensions.Options;
using SomaAgent.Engine.Conversations;

namespace SomaAgent.Engine.Tools.Resilience;

/// <summary>Checks the tool budget against how long a turn waits for a tool result.</summary>
internal sealed class ToolResilienceOptionsValidator(IOptions<ConversationOptions> conversations) : IValidateOptions<ToolResilienceOptions>
{
    public ValidateOptionsResult Validate(string? name, ToolResilienceOptions options)
    {
        var wait = conversations.Value.ToolResultTimeoutSeconds;
        return options.TotalTimeoutSeconds < wait
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"{ToolResilienceOptions.SectionName}:TotalTimeoutSeconds is {options.TotalTimeoutSeconds}, but a turn waits only " +
                $"{ConversationOptions.SectionName}:ToolResultTimeoutSeconds = {wait} s for a tool result; lower the first or raise the second.");
    }
}
