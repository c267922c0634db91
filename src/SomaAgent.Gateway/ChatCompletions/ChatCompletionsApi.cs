using Microsoft.AspNetCore.Http.HttpResults;
using SomaAgent.Engine.Conversations;
using SomaAgent.Gateway.Sessions;
using SomaAgent.Gateway.Tenancy.RateLimiting;
using SomaAgent.Security;
using SomaAgent.Security.Identity;

namespace SomaAgent.Gateway.ChatCompletions;

/// <summary>
/// OpenAI's <c>POST /v1/chat/completions</c>, served through the session pipeline: each request opens a session
/// (metadata <c>source=chat.completions</c>) with the request's messages as its transcript, the conversation worker
/// runs its turn over the bus like any other, and the answer is built from the session's events, whole or
/// streamed. Errors on <c>/v1/chat/...</c> use OpenAI's <c>{"error": {...}}</c> shape.
/// </summary>
public static class ChatCompletionsApi
{
    public const string RoutePrefix = "/v1/chat";

    /// <summary>True for the paths whose errors use OpenAI's shape instead of problem details.</summary>
    public static bool IsOpenAIRoute(PathString path) => path.StartsWithSegments(RoutePrefix, StringComparison.OrdinalIgnoreCase);

    public static IEndpointRouteBuilder MapChatCompletionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup(RoutePrefix).WithTags("Chat Completions");

        api.MapPost("/completions", CreateChatCompletion)
            .WithName("CreateChatCompletion")
            .RequireAuthorization(ApiKeyScopes.SessionsWrite)
            .RequireSessionSlot()
            .WithSummary("Create a chat completion (OpenAI-compatible)")
            .WithDescription("OpenAI's chat completions API, so OpenAI SDKs work unmodified (point their base URL at `/v1`). The request runs as a session turn (`id` is `chatcmpl-<session id>`; `GET /v1/sessions/{id}` shows it). Tools in the request are the client's: when the model calls them the answer has `finish_reason: tool_calls`, and the client sends their results as `tool` messages in its next request. With `stream: true` the answer is Server-Sent Events of `chat.completion.chunk` objects ending with `data: [DONE]`. Errors use OpenAI's `{\"error\": {...}}` shape.")
            .Accepts<ChatCompletionRequest>("application/json")
            .Produces<ChatCompletion>(StatusCodes.Status200OK, "application/json", "text/event-stream")
            .Produces<OpenAIErrorResponse>(StatusCodes.Status400BadRequest)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status401Unauthorized)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status403Forbidden)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status404NotFound)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status409Conflict)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status413PayloadTooLarge)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status415UnsupportedMediaType)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status429TooManyRequests)
            .Produces<OpenAIErrorResponse>(StatusCodes.Status500InternalServerError);

        return app;
    }

    public static async Task<Results<Ok<ChatCompletion>, ChatCompletionStreamResult, OpenAIErrorResult>> CreateChatCompletion(
        ChatCompletionRequest request,
        ChatCompletionRequestValidator validator,
        SessionTurns turns,
        SessionSlot slot,
        SessionEventStream events,
        CallerAccessor caller,
        CancellationToken cancellationToken)
    {
        var (plan, error) = validator.Validate(request);
        if (plan is null)
        {
            return error!;
        }
        var outcome = await turns.CreateAsync(slot.SessionId, plan.Session.ToOpening(caller.Current), idempotencyKey: null, cancellationToken);
        var session = ((CreateOutcome.Created)outcome).Session;
        slot.TurnStarted = true;
        var turn = new ChatCompletionTurn(session, plan.PromptCharacters);
        // The turn's events after the ones the create stored (the transcript and "queued"), until the turn ends.
        var feed = events.ReadAsync(caller.Current, session.Id, session.LastSequence, (session.Status, session.Turn), cancellationToken);
        if (plan.Stream)
        {
            return new ChatCompletionStreamResult(feed, turn, plan.IncludeUsage);
        }
        await foreach (var envelope in feed)
        {
            if (envelope is not null)
            {
                turn.Apply(envelope);
            }
        }
        return turn.Failure() is { } failure ? failure : TypedResults.Ok(turn.ToCompletion());
    }
}
