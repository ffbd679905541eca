using System.Text.Json.Serialization;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;

namespace MedVision.Core.Images;

/// <summary>Start and end of one pipeline stage for one image.</summary>
public sealed record StageTiming
{
    public required DateTimeOffset StartedAt { get; init; }
    public DateTimeOffset? CompletedAt { get; init; }
    public double? DurationMs { get; init; }
    public StageOutcome? Outcome { get; init; }

    /// <summary>Why a stage failed or degraded; absent when it succeeded.</summary>
    public string? Error { get; init; }
}

/// <summary>
/// The tracking record of one image (the MedVisionImages item). Timestamps are Unix seconds on the wire,
/// as the spec's data model says. <see cref="Version"/> guards concurrent updates.
/// </summary>
public sealed record ImageRecord
{
    public required string ImageId { get; init; }
    public required string UserId { get; init; }
    public required DateTimeOffset UploadTimestamp { get; init; }
    public required FileFormat FileFormat { get; init; }
    public required long FileSizeBytes { get; init; }
    public string? FileName { get; init; }
    public required StorageType StorageType { get; init; }
    /// <summary>Object key (S3) or image set id (HealthImaging).</summary>
    public required string StorageLocation { get; init; }
    public string? PatientId { get; init; }
    public string? AcquisitionDate { get; init; }
    /// <summary>Header facts of a DICOM upload; null for PNG/JPEG.</summary>
    public DicomInfo? Dicom { get; init; }
    /// <summary>Where the image is in its lifecycle; a new record starts <see cref="ImageStatus.Uploaded"/>.</summary>
    public ImageStatus Status { get; init; }
    public PipelineStage? Stage { get; init; }
    public string? ErrorMessage { get; init; }
    public string? ErrorCode { get; init; }
    public Modality? Modality { get; init; }
    public ModalityClassification? Classification { get; init; }
    /// <summary>
    /// The Step Functions task token of a pending manual review; null otherwise. A capability to resume the run,
    /// so it is never logged or exported.
    /// </summary>
    public string? ReviewTaskToken { get; init; }
    public AnalysisSummary? AnalysisSummary { get; init; }
    public string? HeatmapKey { get; init; }
    public string? ReportId { get; init; }
    [JsonPropertyName("healthlake_imagingstudy_id")] public string? ImagingStudyId { get; init; }
    [JsonPropertyName("healthlake_diagnosticreport_id")] public string? DiagnosticReportId { get; init; }
    public IReadOnlyDictionary<PipelineStage, StageTiming> StageTimings { get; init; } = new Dictionary<PipelineStage, StageTiming>();
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public long Version { get; init; }

    /// <summary>The ids reserved for this image's report before anything was written; null until then.</summary>
    [JsonIgnore]
    public ReportIds? ReservedReport => DiagnosticReportId is { } report && ImagingStudyId is { } study ? new ReportIds(report, study) : null;

    /// <summary>Keeps the report's ids on the record (first reservation wins), so a retried Report stage reuses them.</summary>
    public ImageRecord ReserveReport(ReportIds ids, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(ids);
        return ReservedReport is not null ? this : this with { DiagnosticReportId = ids.DiagnosticReportId, ImagingStudyId = ids.ImagingStudyId, UpdatedAt = now };
    }

    // The state changes. Each returns the next record or refuses an illegal move with a ConflictException; the
    // stage tracker is the only caller, so every path (mark-failed and record-degraded included) is checked here.

    /// <summary>A new upload, as of its <see cref="CreatedAt"/>: status uploaded, its upload stage already done.</summary>
    public static ImageRecord Uploaded(ImageRecord facts)
    {
        ArgumentNullException.ThrowIfNull(facts);
        var at = facts.CreatedAt;
        return facts with
        {
            Status = ImageStatus.Uploaded,
            Stage = PipelineStage.Upload,
            StageTimings = new Dictionary<PipelineStage, StageTiming>
            {
                [PipelineStage.Upload] = new() { StartedAt = at, CompletedAt = at, DurationMs = 0, Outcome = StageOutcome.Succeeded },
            },
            UpdatedAt = at,
        };
    }

    public ImageRecord BeginStage(PipelineStage stage, DateTimeOffset now) =>
        MoveTo(ImageStatus.Processing, $"cannot enter stage {stage.WireName()}") with
        {
            Stage = stage,
            StageTimings = WithTiming(stage, new StageTiming { StartedAt = now }),
            UpdatedAt = now,
        };

    /// <summary>Closes the stage's timing; <paramref name="durationMs"/> is how long it ran.</summary>
    public ImageRecord CompleteStage(PipelineStage stage, DateTimeOffset now, out double durationMs) =>
        CloseStage(stage, StageOutcome.Succeeded, null, now, out durationMs);

    /// <summary>The last stage is done: status completed, any earlier error cleared.</summary>
    public ImageRecord Finish(DateTimeOffset now, out double durationMs) =>
        MoveTo(ImageStatus.Completed, "cannot complete").CloseStage(PipelineStage.Finalize, StageOutcome.Succeeded, null, now, out durationMs)
            with { ErrorMessage = null, ErrorCode = null };

    /// <summary>Handed to a person: status manual_review, the execution's task token kept for the answer.</summary>
    public ImageRecord Park(string taskToken, DateTimeOffset now, out double durationMs)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskToken);
        return MoveTo(ImageStatus.ManualReview, "cannot wait for a manual review").CloseStage(PipelineStage.ManualReview, StageOutcome.Parked, null, now, out durationMs)
            with { ReviewTaskToken = taskToken };
    }

    /// <summary>A reviewer's modality: the pending review is taken (its token cleared) so no one else can answer it.</summary>
    public ImageRecord TakeReview(ModalityClassification classification, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(classification);
        if (Status != ImageStatus.ManualReview || ReviewTaskToken is null)
        {
            throw new ConflictException(
                "review.not_pending", $"Image {ImageId} is not waiting for a manual modality review (status {Status.WireName()}).");
        }

        return this with { Modality = classification.Modality, Classification = classification, ReviewTaskToken = null, UpdatedAt = now };
    }

    /// <summary>A tolerated failure (the heatmap): the stage closes as degraded with why, the run goes on.</summary>
    public ImageRecord Degrade(PipelineStage stage, string error, DateTimeOffset now, out double durationMs) =>
        MoveTo(Status, $"cannot degrade stage {stage.WireName()}").CloseStage(stage, StageOutcome.Degraded, error, now, out durationMs);

    /// <summary>The run failed: the open stage closes as failed; a pending review's token dies with the run.</summary>
    public ImageRecord Fail(string code, string message, DateTimeOffset now)
    {
        // Failed again is allowed: a retried mark-failed must not turn into a second failure.
        var next = Status == ImageStatus.Failed ? this : MoveTo(ImageStatus.Failed, "cannot fail");
        if (Stage is { } stage && StageTimings.TryGetValue(stage, out var open) && open.CompletedAt is null)
        {
            next = next with
            {
                StageTimings = WithTiming(stage, open with { CompletedAt = now, DurationMs = (now - open.StartedAt).TotalMilliseconds, Outcome = StageOutcome.Failed }),
            };
        }

        return next with { ErrorCode = code, ErrorMessage = message, ReviewTaskToken = null, UpdatedAt = now };
    }

    private ImageRecord MoveTo(ImageStatus next, string what) =>
        ImageStatusRules.CanTransition(Status, next)
            ? this with { Status = next }
            : throw new ConflictException("image.bad_state", $"Image {ImageId} is {Status.WireName()} and {what}.");

    private ImageRecord CloseStage(PipelineStage stage, StageOutcome outcome, string? error, DateTimeOffset now, out double durationMs)
    {
        var started = StageTimings.TryGetValue(stage, out var t) ? t.StartedAt : now;
        durationMs = (now - started).TotalMilliseconds;
        return this with
        {
            StageTimings = WithTiming(stage, new StageTiming { StartedAt = started, CompletedAt = now, DurationMs = durationMs, Outcome = outcome, Error = error }),
            UpdatedAt = now,
        };
    }

    private Dictionary<PipelineStage, StageTiming> WithTiming(PipelineStage stage, StageTiming timing) =>
        new(StageTimings) { [stage] = timing };
}

/// <summary>
/// The ids one report is written under: the report (also its FHIR DiagnosticReport's id, so the API's report id finds
/// the FHIR resource) and its ImagingStudy. Reserved once, before any write, so every retry PUTs to the same ids.
/// </summary>
public sealed record ReportIds(string ReportId, string ImagingStudyId)
{
    public string DiagnosticReportId => ReportId;
}

/// <summary>One audit trail entry: who did what to which resource, never patient data.</summary>
public sealed record AuditEntry
{
    public required string AuditId { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public required string Actor { get; init; }
    public required string Action { get; init; }
    public required string ResourceType { get; init; }
    public required string ResourceId { get; init; }
    public string? Detail { get; init; }
}
