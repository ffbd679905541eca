using System.Text.Json.Nodes;

namespace MedVision.Asl;

/// <summary>Resolves a Task state's Resource to code. Failures are reported by throwing
/// (<see cref="TaskFailedException"/> for an explicit error name).</summary>
public interface ITaskInvoker
{
    Task<JsonNode?> InvokeAsync(string resource, JsonNode? input, CancellationToken cancellationToken);
}

public enum ExecutionStatus
{
    Succeeded,
    Failed,
    TimedOut,

    /// <summary>Not an end state: a host reports it for an execution parked on a task token (the interpreter's own
    /// RunAsync/ResumeAsync only return when the execution has finished).</summary>
    WaitingForCallback,
}

/// <summary>One history entry. Type is e.g. ExecutionStarted, ExecutionResumed, StateEntered, StateExited, TaskScheduled,
/// TaskSubmitted (a task-token task is waiting for its callback), TaskSucceeded, TaskFailed, RetryScheduled, CatchTaken, ExecutionSucceeded, ExecutionFailed, ExecutionTimedOut.</summary>
public sealed record ExecutionEvent(DateTimeOffset Timestamp, string Type, string? StateName, string? Detail);

public sealed record ExecutionResult(
    ExecutionStatus Status,
    JsonNode? Output,
    string? Error,
    string? Cause,
    IReadOnlyList<ExecutionEvent> History);

/// <summary>Thrown by a task handler to report a named ASL error (matched by Retry/Catch ErrorEquals).</summary>
public class TaskFailedException : Exception
{
    public TaskFailedException()
        : this(ErrorNames.TaskFailed, (string?)null)
    {
    }

    public TaskFailedException(string message)
        : this(ErrorNames.TaskFailed, message)
    {
    }

    public TaskFailedException(string error, string? cause)
        : base(cause is null ? error : $"{error}: {cause}")
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        Error = error;
        Cause = cause;
    }

    public TaskFailedException(string error, string? cause, Exception? innerException)
        : base(cause is null ? error : $"{error}: {cause}", innerException)
    {
        ArgumentException.ThrowIfNullOrEmpty(error);
        Error = error;
        Cause = cause;
    }

    public string Error { get; }

    public string? Cause { get; }
}

/// <summary>The definition is invalid or uses something the local interpreter does not support.</summary>
public class AslDefinitionException : Exception
{
    public AslDefinitionException()
        : this(["Invalid state machine definition."])
    {
    }

    public AslDefinitionException(string message)
        : this([message])
    {
    }

    public AslDefinitionException(string message, Exception innerException)
        : base(message, innerException)
    {
        Problems = [message];
    }

    public AslDefinitionException(IReadOnlyList<string> problems)
        : base(FormatMessage(problems))
    {
        Problems = problems;
    }

    /// <summary>Every problem found, so a definition can be fixed in one pass.</summary>
    public IReadOnlyList<string> Problems { get; }

    private static string FormatMessage(IReadOnlyList<string> problems)
    {
        ArgumentNullException.ThrowIfNull(problems);
        return problems.Count == 1
            ? problems[0]
            : $"The state machine definition has {problems.Count} problems:{Environment.NewLine}  - "
              + string.Join($"{Environment.NewLine}  - ", problems);
    }
}

public static class ErrorNames
{
    public const string All = "States.ALL";
    public const string TaskFailed = "States.TaskFailed";
    public const string Timeout = "States.Timeout";
    public const string Runtime = "States.Runtime";
    public const string NoChoiceMatched = "States.NoChoiceMatched";
}
