using System.Text.Json.Serialization;
using MedVision.Core.Classification;
using MedVision.Core.Images;

namespace MedVision.Core.Pipeline;

// State machine payloads. They carry ids and small facts only: large results live in the object store,
// because Step Functions payloads are capped at 256 KB.

/// <summary>The execution input the upload stage starts the state machine with.</summary>
public sealed record PipelineInput
{
    public required string ImageId { get; init; }
    public required string UserId { get; init; }
    public required FileFormat FileFormat { get; init; }
}

public sealed record StageRequest
{
    public required string ImageId { get; init; }
}

/// <summary>The manual review task's payload: the task token the reviewer's answer must be sent with.</summary>
public sealed record ManualReviewRequest
{
    public required string ImageId { get; init; }
    public required string TaskToken { get; init; }
}

public sealed record AnalyzeRequest
{
    public required string ImageId { get; init; }
    public required Modality Modality { get; init; }
}

public sealed record HeatmapResult
{
    public required string ImageId { get; init; }
    public required string HeatmapKey { get; init; }
    public required string ThumbnailKey { get; init; }
    public required string SideBySideKey { get; init; }
    public required string PreviewKey { get; init; }
    public required int Regions { get; init; }
}

public sealed record ReportResult
{
    public required string ImageId { get; init; }
    public required string ReportId { get; init; }
    public required string ReportKey { get; init; }
    public required string FhirBundleKey { get; init; }
    public required string DiagnosticReportId { get; init; }
}

/// <summary>The {Error, Cause} object a Catch puts at its ResultPath.</summary>
public sealed record StateError
{
    [JsonPropertyName("Error")] public string? Error { get; init; }
    [JsonPropertyName("Cause")] public string? Cause { get; init; }
}

public sealed record FailureRequest
{
    public required string ImageId { get; init; }
    public PipelineStage? Stage { get; init; }
    public StateError? Error { get; init; }
}

public sealed record StatusResult
{
    public required string ImageId { get; init; }
    public required ImageStatus Status { get; init; }
    public string? ReportId { get; init; }
}

/// <summary>Lambda's error body for a .NET exception, as it appears in a Catch's Cause.</summary>
public sealed record LambdaErrorCause
{
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("errorType")] public string? ErrorType { get; init; }
}
