using System.Text.Json.Nodes;

namespace MedVision.Asl;

/// <summary>InputPath/OutputPath: absent means "$", JSON null means "use {}".</summary>
internal readonly record struct SelectPath(JsonPathExpression? Path, bool IsNull)
{
    public static SelectPath Default => new(null, false);

    public JsonNode? Apply(JsonNode? data, JsonNode? context, string stateName, string field)
    {
        if (IsNull)
        {
            return new JsonObject();
        }

        return Path is null ? data?.DeepClone() : Path.Select(data, context, stateName, field);
    }
}

/// <summary>ResultPath: absent means "$", JSON null means "discard the result and keep the input".</summary>
internal readonly record struct ResultPathSpec(JsonPathExpression? Path, bool Discard)
{
    public JsonNode? Apply(JsonNode? rawInput, JsonNode? result, string stateName, string field)
    {
        if (Discard)
        {
            return rawInput?.DeepClone();
        }

        return Path is null ? result?.DeepClone() : Path.Apply(rawInput, result, stateName, field);
    }
}

internal abstract class StateDef(string name, string type)
{
    public string Name { get; } = name;

    public string Type { get; } = type;

    public string? Next { get; set; }

    public bool End { get; set; }

    public SelectPath InputPath { get; set; } = SelectPath.Default;

    public SelectPath OutputPath { get; set; } = SelectPath.Default;
}

internal sealed class Retrier
{
    public required IReadOnlyList<string> ErrorEquals { get; init; }

    public double IntervalSeconds { get; init; } = 1;

    public int MaxAttempts { get; init; } = 3;

    public double BackoffRate { get; init; } = 2.0;

    public double? MaxDelaySeconds { get; init; }

    public bool FullJitter { get; init; }
}

internal sealed class Catcher
{
    public required IReadOnlyList<string> ErrorEquals { get; init; }

    public required string Next { get; init; }

    public ResultPathSpec ResultPath { get; init; }
}

/// <summary>How a Task's Resource is run: a plain function ARN, or one of the supported service integrations.</summary>
internal enum TaskIntegration
{
    Function,
    LambdaInvoke,
    LambdaInvokeWaitForTaskToken,
}

internal sealed class TaskStateDef(string name) : StateDef(name, "Task")
{
    public string Resource { get; set; } = string.Empty;

    public TaskIntegration Integration { get; set; }

    /// <summary>For lambda:invoke integrations whose Parameters name the function literally.</summary>
    public string? FunctionName { get; set; }

    public TemplateNode? Parameters { get; set; }

    public TemplateNode? ResultSelector { get; set; }

    public ResultPathSpec ResultPath { get; set; }

    public IReadOnlyList<Retrier> Retry { get; set; } = [];

    public IReadOnlyList<Catcher> Catch { get; set; } = [];

    public int? TimeoutSeconds { get; set; }
}

internal sealed class PassStateDef(string name) : StateDef(name, "Pass")
{
    public TemplateNode? Parameters { get; set; }

    public bool HasResult { get; set; }

    public JsonNode? Result { get; set; }

    public ResultPathSpec ResultPath { get; set; }
}

internal sealed class WaitStateDef(string name) : StateDef(name, "Wait")
{
    public long? Seconds { get; set; }

    public JsonPathExpression? SecondsPath { get; set; }

    public DateTimeOffset? Timestamp { get; set; }

    public JsonPathExpression? TimestampPath { get; set; }
}

internal sealed class ChoiceStateDef(string name) : StateDef(name, "Choice")
{
    public IReadOnlyList<(ChoiceRule Rule, string Next)> Choices { get; set; } = [];

    public string? Default { get; set; }
}

internal sealed class SucceedStateDef(string name) : StateDef(name, "Succeed");

internal sealed class FailStateDef(string name) : StateDef(name, "Fail")
{
    public string? Error { get; set; }

    public string? Cause { get; set; }
}
