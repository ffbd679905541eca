using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Asl;

/// <summary>
/// Where a <c>.waitForTaskToken</c> task waits for its callback (Step Functions' SendTaskSuccess / SendTaskFailure).
/// The interpreter holds no storage: a host decides whether a parked task survives the process.
/// </summary>
/// <remarks>Call order for one token: <see cref="RegisterAsync"/> (before the task's function runs, so a callback that
/// arrives before the function returns is not lost), then <see cref="WaitAsync"/>, and <see cref="CloseAsync"/> when
/// the task gives up on the token (timeout, its function failed).</remarks>
public interface ITaskTokenBroker
{
    /// <summary>Records the checkpoint a resumed execution needs; a durable host persists it here.</summary>
    Task RegisterAsync(TaskTokenCheckpoint checkpoint, CancellationToken cancellationToken);

    /// <summary>Completes when the token's callback arrives. The task is parked from this call on.</summary>
    Task<TaskCallback> WaitAsync(string token, CancellationToken cancellationToken);

    /// <summary>Invalidates the token. Returns false when a callback claimed it first: the interpreter then takes
    /// that callback from <see cref="WaitAsync"/>, as Step Functions would have.</summary>
    Task<bool> CloseAsync(string token, string reason, CancellationToken cancellationToken);
}

/// <summary>The answer to a task token: SendTaskSuccess's output or SendTaskFailure's error and cause.</summary>
public sealed record TaskCallback
{
    private TaskCallback(bool succeeded, JsonNode? output, string? error, string? cause)
    {
        Succeeded = succeeded;
        Output = output;
        Error = error;
        Cause = cause;
    }

    public bool Succeeded { get; }

    public JsonNode? Output { get; }

    public string? Error { get; }

    public string? Cause { get; }

    public static TaskCallback Success(JsonNode? output) => new(true, output?.DeepClone(), null, null);

    /// <summary>SendTaskFailure: an empty error becomes States.TaskFailed, which is what Step Functions reports.</summary>
    public static TaskCallback Failure(string? error, string? cause) =>
        new(false, null, string.IsNullOrEmpty(error) ? ErrorNames.TaskFailed : error, cause);
}

/// <summary>
/// Everything needed to continue an execution parked on a task token in another process: the state, its raw input,
/// the context object's values and the retry bookkeeping, so Retry/Catch/timeouts apply as in an uninterrupted run.
/// </summary>
public sealed record TaskTokenCheckpoint
{
    public required string Token { get; init; }

    public required string ExecutionName { get; init; }

    public JsonNode? ExecutionInput { get; init; }

    public required DateTimeOffset ExecutionStartTime { get; init; }

    public required string StateName { get; init; }

    /// <summary>The state's raw input (before InputPath), which ResultPath merges into.</summary>
    public JsonNode? StateInput { get; init; }

    public required DateTimeOffset EnteredTime { get; init; }

    /// <summary>When this attempt was scheduled: the task's TimeoutSeconds counts from here.</summary>
    public required DateTimeOffset ScheduledTime { get; init; }

    public int RetryCount { get; init; }

    /// <summary>Attempts used per retrier, in Retry order.</summary>
    public IReadOnlyList<int> RetryAttempts { get; init; } = [];

    /// <summary>Transitions so far, so the runaway-loop guard counts across a resume.</summary>
    public int Transitions { get; init; }

    /// <summary>Round-trip format: the context object's millisecond timestamps would lose precision.</summary>
    private static string Exact(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    public string ToJson()
    {
        var attempts = new JsonArray();
        foreach (var a in RetryAttempts)
        {
            attempts.Add((JsonNode)a);
        }

        return new JsonObject
        {
            ["token"] = Token,
            ["execution_name"] = ExecutionName,
            ["execution_input"] = ExecutionInput?.DeepClone(),
            ["execution_start_time"] = Exact(ExecutionStartTime),
            ["state_name"] = StateName,
            ["state_input"] = StateInput?.DeepClone(),
            ["entered_time"] = Exact(EnteredTime),
            ["scheduled_time"] = Exact(ScheduledTime),
            ["retry_count"] = RetryCount,
            ["retry_attempts"] = attempts,
            ["transitions"] = Transitions,
        }.ToJsonString();
    }

    /// <summary>Reads what <see cref="ToJson"/> wrote; throws <see cref="FormatException"/> on anything else.</summary>
    public static TaskTokenCheckpoint FromJson(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        try
        {
            var o = JsonNode.Parse(json)?.AsObject() ?? throw new FormatException("A task token checkpoint must be a JSON object.");
            return new TaskTokenCheckpoint
            {
                Token = Text(o, "token"),
                ExecutionName = Text(o, "execution_name"),
                ExecutionInput = o["execution_input"]?.DeepClone(),
                ExecutionStartTime = Time(o, "execution_start_time"),
                StateName = Text(o, "state_name"),
                StateInput = o["state_input"]?.DeepClone(),
                EnteredTime = Time(o, "entered_time"),
                ScheduledTime = Time(o, "scheduled_time"),
                RetryCount = o["retry_count"]!.GetValue<int>(),
                RetryAttempts = [.. o["retry_attempts"]!.AsArray().Select(n => n!.GetValue<int>())],
                Transitions = o["transitions"]!.GetValue<int>(),
            };
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or NullReferenceException)
        {
            throw new FormatException($"Not a task token checkpoint: {ex.Message}", ex);
        }

        static string Text(JsonObject o, string key) => o[key]?.GetValue<string>() ?? throw new FormatException($"The checkpoint lacks \"{key}\".");

        static DateTimeOffset Time(JsonObject o, string key) =>
            DateTimeOffset.Parse(Text(o, key), CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind);
    }
}

public static class TaskTokens
{
    /// <summary>Opaque, unguessable tokens: a token is a capability to complete someone else's task.</summary>
    public static string NewToken() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));
}
