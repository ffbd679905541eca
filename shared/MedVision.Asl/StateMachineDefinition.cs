using System.Text.Json.Nodes;

namespace MedVision.Asl;

/// <summary>A validated Amazon States Language definition restricted to what the local interpreter supports.</summary>
public sealed class StateMachineDefinition
{
    internal StateMachineDefinition(
        string startAt,
        IReadOnlyList<string> stateNames,
        IReadOnlyDictionary<string, StateDef> states,
        int? timeoutSeconds,
        string? comment)
    {
        StartAt = startAt;
        StateNames = stateNames;
        States = states;
        TimeoutSeconds = timeoutSeconds;
        Comment = comment;
        var tasks = stateNames.Select(n => states[n]).OfType<TaskStateDef>().ToList();
        TaskResources = [.. tasks.Select(t => t.FunctionName ?? t.Resource).Distinct(StringComparer.Ordinal)];
        UsesTaskTokens = tasks.Any(t => t.Integration == TaskIntegration.LambdaInvokeWaitForTaskToken);
    }

    public string StartAt { get; }

    /// <summary>State names in definition order.</summary>
    public IReadOnlyCollection<string> StateNames { get; }

    /// <summary>Distinct Task Resource strings (after substitution), so a host can check every one has a handler. For a
    /// lambda:invoke integration this is the function its Parameters name, when they name it literally.</summary>
    public IReadOnlyCollection<string> TaskResources { get; }

    /// <summary>True when a Task waits for a task token, so running it needs an <see cref="ITaskTokenBroker"/>.</summary>
    public bool UsesTaskTokens { get; }

    /// <summary>Top-level TimeoutSeconds for the whole execution, if set.</summary>
    public int? TimeoutSeconds { get; }

    public string? Comment { get; }

    internal IReadOnlyDictionary<string, StateDef> States { get; }

    /// <summary>Parses and validates <paramref name="json"/>, replacing <c>${Name}</c> tokens in string values first
    /// (like CDK DefinitionSubstitutions). Throws <see cref="AslDefinitionException"/> listing every problem found.</summary>
    public static StateMachineDefinition Parse(string json, IReadOnlyDictionary<string, string>? substitutions = null)
    {
        ArgumentNullException.ThrowIfNull(json);
        return new DefinitionLoader(substitutions).Load(json);
    }
}
