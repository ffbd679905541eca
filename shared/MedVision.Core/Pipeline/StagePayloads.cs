using System.Text.Json.Serialization;
using MedVision.Core.Classification;
using MedVision.Core.Images;

namespace MedVision.Core.Pipeline;

// State machine payloads. They carry ids and small facts only: large results live in the object store,
// because Step Functions payloads are capped at 256 KB.

/// <summary>The execution input the upload stage starts the state machine with.</summary>
public sealed record PipelineInput
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("user_id")] public required string UserId { get; init; }
    [JsonPropertyName("file_format")] public required FileFormat FileFormat { get; init; }
}

public sealed record StageRequest
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
}

/// <summary>The manual review task's payload: the task token the reviewer's answer must be sent with.</summary>
public sealed record ManualReviewRequest
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("task_token")] public required string TaskToken { get; init; }
}

public sealed record AnalyzeRequest
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("modality")] public required Modality Modality { get; init; }
}

public sealed record HeatmapResult
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("heatmap_key")] public required string HeatmapKey { get; init; }
    [JsonPropertyName("thumbnail_key")] public required string ThumbnailKey { get; init; }
    [JsonPropertyName("side_by_side_key")] public required string SideBySideKey { get; init; }
    [JsonPropertyName("preview_key")] public required string PreviewKey { get; init; }
    [JsonPropertyName("regions")] public required int Regions { get; init; }
}

public sealed record ReportResult
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("report_id")] public required string ReportId { get; init; }
    [JsonPropertyName("report_key")] public required string ReportKey { get; init; }
    [JsonPropertyName("fhir_bundle_key")] public required string FhirBundleKey { get; init; }
    [JsonPropertyName("diagnostic_report_id")] public required string DiagnosticReportId { get; init; }
}

/// <summary>The {Error, Cause} object a Catch puts at its ResultPath.</summary>
public sealed record StateError
{
    [JsonPropertyName("Error")] public string? Error { get; init; }
    [JsonPropertyName("Cause")] public string? Cause { get; init; }
}

public sealed record FailureRequest
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("stage")] public PipelineStage? Stage { get; init; }
    [JsonPropertyName("error")] public StateError? Error { get; init; }
}

public sealed record StatusResult
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("status")] public required ImageStatus Status { get; init; }
    [JsonPropertyName("report_id")] public string? ReportId { get; init; }
}

/// <summary>Lambda's error body for a .NET exception, as it appears in a Catch's Cause.</summary>
public sealed record LambdaErrorCause
{
    [JsonPropertyName("errorMessage")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("errorType")] public string? ErrorType { get; init; }
}
