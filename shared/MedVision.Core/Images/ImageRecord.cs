using System.Text.Json.Serialization;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;

namespace MedVision.Core.Images;

/// <summary>Start and end of one pipeline stage for one image.</summary>
public sealed record StageTiming
{
    [JsonPropertyName("started_at")] public required DateTimeOffset StartedAt { get; init; }
    [JsonPropertyName("completed_at")] public DateTimeOffset? CompletedAt { get; init; }
    [JsonPropertyName("duration_ms")] public double? DurationMs { get; init; }
    [JsonPropertyName("outcome")] public string? Outcome { get; init; }

    /// <summary>Why a stage failed or degraded; absent when it succeeded.</summary>
    [JsonPropertyName("error")] public string? Error { get; init; }
}

/// <summary>
/// The tracking record of one image (the MedVisionImages item). Timestamps are Unix seconds on the wire,
/// as the spec's data model says. <see cref="Version"/> guards concurrent updates.
/// </summary>
public sealed record ImageRecord
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("user_id")] public required string UserId { get; init; }
    [JsonPropertyName("upload_timestamp")] public required DateTimeOffset UploadTimestamp { get; init; }
    [JsonPropertyName("file_format")] public required FileFormat FileFormat { get; init; }
    [JsonPropertyName("file_size_bytes")] public required long FileSizeBytes { get; init; }
    [JsonPropertyName("file_name")] public string? FileName { get; init; }
    [JsonPropertyName("storage_type")] public required StorageType StorageType { get; init; }
    /// <summary>Object key (S3) or image set id (HealthImaging).</summary>
    [JsonPropertyName("storage_location")] public required string StorageLocation { get; init; }
    [JsonPropertyName("patient_id")] public string? PatientId { get; init; }
    [JsonPropertyName("acquisition_date")] public string? AcquisitionDate { get; init; }
    /// <summary>Header facts of a DICOM upload; null for PNG/JPEG.</summary>
    [JsonPropertyName("dicom")] public DicomInfo? Dicom { get; init; }
    [JsonPropertyName("status")] public required ImageStatus Status { get; init; }
    [JsonPropertyName("stage")] public PipelineStage? Stage { get; init; }
    [JsonPropertyName("error_message")] public string? ErrorMessage { get; init; }
    [JsonPropertyName("error_code")] public string? ErrorCode { get; init; }
    [JsonPropertyName("modality")] public Modality? Modality { get; init; }
    [JsonPropertyName("classification")] public ModalityClassification? Classification { get; init; }
    /// <summary>
    /// The Step Functions task token of a pending manual review; null otherwise. A capability to resume the run,
    /// so it is never logged or exported.
    /// </summary>
    [JsonPropertyName("review_task_token")] public string? ReviewTaskToken { get; init; }
    [JsonPropertyName("analysis_summary")] public AnalysisSummary? AnalysisSummary { get; init; }
    [JsonPropertyName("heatmap_key")] public string? HeatmapKey { get; init; }
    [JsonPropertyName("report_id")] public string? ReportId { get; init; }
    [JsonPropertyName("healthlake_imagingstudy_id")] public string? ImagingStudyId { get; init; }
    [JsonPropertyName("healthlake_diagnosticreport_id")] public string? DiagnosticReportId { get; init; }
    [JsonPropertyName("stage_timings")] public IReadOnlyDictionary<string, StageTiming> StageTimings { get; init; } = new Dictionary<string, StageTiming>();
    [JsonPropertyName("created_at")] public required DateTimeOffset CreatedAt { get; init; }
    [JsonPropertyName("updated_at")] public required DateTimeOffset UpdatedAt { get; init; }
    [JsonPropertyName("version")] public long Version { get; init; }
}

/// <summary>One audit trail entry: who did what to which resource, never patient data.</summary>
public sealed record AuditEntry
{
    [JsonPropertyName("audit_id")] public required string AuditId { get; init; }
    [JsonPropertyName("timestamp")] public required DateTimeOffset Timestamp { get; init; }
    [JsonPropertyName("actor")] public required string Actor { get; init; }
    [JsonPropertyName("action")] public required string Action { get; init; }
    [JsonPropertyName("resource_type")] public required string ResourceType { get; init; }
    [JsonPropertyName("resource_id")] public required string ResourceId { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }
}
