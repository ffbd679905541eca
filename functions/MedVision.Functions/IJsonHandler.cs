using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization.Metadata;
using MedVision.Core;

namespace MedVision.Functions;

/// <summary>
/// A Lambda handler: JSON event in, JSON result out. The single bootstrap picks one by name
/// (the Lambda handler string); the local interpreter resolves state machine Task resources to them.
/// </summary>
public interface IJsonHandler
{
    string Name { get; }

    Task<JsonNode?> HandleAsync(JsonNode? input, CancellationToken cancellationToken);
}

public static class HandlerNames
{
    public const string Upload = "upload";
    public const string GetImage = "get-image";
    public const string GetAnalysis = "get-analysis";
    public const string History = "history";
    public const string Classify = "classify";
    public const string Analyze = "analyze";
    public const string Heatmap = "heatmap";
    public const string Report = "report";
    public const string Finalize = "finalize";
    public const string ManualReview = "manual-review";
    public const string MarkFailed = "mark-failed";
    public const string RecordDegraded = "record-degraded";

    /// <summary>Every handler name the catalog hosts.</summary>
    public static IReadOnlyList<string> All { get; } =
        [Upload, GetImage, GetAnalysis, History, Classify, Analyze, Heatmap, Report, Finalize, ManualReview, MarkFailed, RecordDegraded];

    /// <summary>State machine Task resources: the ASL file's ${...FunctionArn} placeholders and the handler each runs.</summary>
    public static IReadOnlyDictionary<string, string> StateMachineFunctions { get; } = new Dictionary<string, string>
    {
        ["ClassifyFunctionArn"] = Classify,
        ["AnalyzeFunctionArn"] = Analyze,
        ["HeatmapFunctionArn"] = Heatmap,
        ["ReportFunctionArn"] = Report,
        ["FinalizeFunctionArn"] = Finalize,
        ["ManualReviewFunctionArn"] = ManualReview,
        ["MarkFailedFunctionArn"] = MarkFailed,
        ["HeatmapDegradedFunctionArn"] = RecordDegraded,
    };
}

/// <summary>Typed decode/encode around a handler's stage call.</summary>
public static class HandlerJson
{
    public static T Decode<T>(JsonNode? input, JsonTypeInfo<T> typeInfo, string handler)
    {
        if (input is null)
        {
            throw new ValidationException("event.missing", $"The {handler} handler received no event.");
        }

        try
        {
            return input.Deserialize(typeInfo) ?? throw new ValidationException("event.invalid", $"The {handler} handler received a null event.");
        }
        catch (JsonException ex)
        {
            throw new ValidationException("event.invalid", $"The {handler} handler received an event it cannot read: {ex.Message}");
        }
    }

    public static JsonNode? Encode<T>(T value, JsonTypeInfo<T> typeInfo) => JsonSerializer.SerializeToNode(value, typeInfo);
}
