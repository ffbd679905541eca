using System.Globalization;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Observability;
using MedVision.Core.Ports;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace MedVision.Core.Pipeline;

/// <summary>
/// The one writer of the image record's state. Each change goes through a method of <see cref="ImageRecord"/>
/// (which refuses illegal moves), and the tracker publishes the status event and writes the audit entry that go
/// with it, so no stage builds either by hand.
/// </summary>
public sealed class StageTracker(IRecordStore records, IEventPublisher events, TimeProvider time, AuditTrail audit, ILogger? logger = null)
{
    private readonly ILogger log = logger ?? NullLogger.Instance;

    /// <summary>Who the pipeline's own audit entries name as the actor.</summary>
    public const string PipelineActor = "pipeline";

    public TimeProvider Time => time;

    /// <summary>Stores a new upload's record, audits it as the uploader's, and announces it.</summary>
    public async Task<ImageRecord> RecordUploadAsync(ImageRecord facts, CancellationToken ct)
    {
        var record = ImageRecord.Uploaded(facts);
        await records.CreateAsync(record, ct);
        var detail = $"{record.FileFormat.WireName()} {record.FileSizeBytes} bytes";
        await audit.WriteAsync(record.UserId, "image.upload", "image", record.ImageId, detail, ct);
        log.UploadRecorded(record.ImageId);
        return record;
    }

    /// <summary>Announces an upload once its execution has started (the event's readers can then find the run).</summary>
    public Task AnnounceUploadAsync(ImageRecord record, CancellationToken ct) =>
        PublishAsync(record, PipelineEventType.ImageUploaded, record.Status, record.CreatedAt, null,
            $"{record.FileFormat.WireName()}, {record.FileSizeBytes} bytes", ct);

    public Task<ImageRecord> BeginAsync(string imageId, PipelineStage stage, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        log.StageStarted(imageId, stage);
        return records.UpdateAsync(imageId, r => r.BeginStage(stage, now), ct);
    }

    /// <summary>The report's ids, reserved on the record the first time (from <paramref name="fresh"/>) and reused after.</summary>
    public async Task<ReportIds> ReserveReportAsync(ImageRecord record, Func<ReportIds> fresh, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(fresh);
        if (record.ReservedReport is { } reserved)
        {
            return reserved;
        }

        var ids = fresh();
        var now = time.GetUtcNow();
        var updated = await records.UpdateAsync(record.ImageId, r => r.ReserveReport(ids, now), ct);
        return updated.ReservedReport!;
    }

    /// <summary>Closes the stage as succeeded with the stage's results applied, and publishes stage.completed.</summary>
    public async Task<ImageRecord> CompleteAsync(
        string imageId, PipelineStage stage, Func<ImageRecord, ImageRecord>? apply, string? detail, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        double duration = 0;
        var updated = await records.UpdateAsync(imageId, r =>
        {
            var next = r.CompleteStage(stage, now, out duration);
            return apply is null ? next : apply(next);
        }, ct);
        await PublishAsync(updated, PipelineEventType.StageCompleted, updated.Status, now, duration, detail, ct, stage);
        log.StageCompleted(imageId, stage);
        return updated;
    }

    /// <summary>The finalize stage: status completed, stage.completed and image.completed, audited.</summary>
    public async Task<ImageRecord> FinishAsync(string imageId, CancellationToken ct)
    {
        await BeginAsync(imageId, PipelineStage.Finalize, ct);
        var now = time.GetUtcNow();
        double duration = 0;
        var record = await records.UpdateAsync(imageId, r => r.Finish(now, out duration), ct);
        await PublishAsync(record, PipelineEventType.StageCompleted, record.Status, now, duration, "completed", ct);
        await PublishAsync(record, PipelineEventType.ImageCompleted, ImageStatus.Completed, time.GetUtcNow(), null, null, ct);
        await audit.WriteAsync(PipelineActor, "image.analysis_completed", "image", record.ImageId, record.ReportId, ct);
        log.PipelineFinished(record.ImageId);
        return record;
    }

    /// <summary>Parks the image for a person, keeping the execution's task token on the record.</summary>
    public async Task<ImageRecord> ParkAsync(string imageId, string taskToken, CancellationToken ct)
    {
        await BeginAsync(imageId, PipelineStage.ManualReview, ct);
        var now = time.GetUtcNow();
        double duration = 0;
        var record = await records.UpdateAsync(imageId, r => r.Park(taskToken, now, out duration), ct);
        await PublishAsync(
            record, PipelineEventType.StageCompleted, record.Status, now, duration, "confidence below threshold; awaiting manual modality review", ct);
        await PublishAsync(
            record, PipelineEventType.ImageManualReview, ImageStatus.ManualReview, time.GetUtcNow(), null,
            record.Classification?.Confidence.ToString("0.00", CultureInfo.InvariantCulture), ct);
        await audit.WriteAsync(PipelineActor, "image.manual_review_requested", "image", record.ImageId, null, ct);
        log.ManualReviewRequested(record.ImageId);
        return record;
    }

    /// <summary>
    /// A reviewer takes the pending review: the record gets the modality and loses the token in one optimistic write,
    /// so of two reviewers racing only one can answer. Returns the record before and after.
    /// </summary>
    public async Task<(ImageRecord Before, ImageRecord After)> TakeReviewAsync(string imageId, ModalityClassification classification, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        ImageRecord? before = null;
        var after = await records.UpdateAsync(imageId, r =>
        {
            var next = r.TakeReview(classification, now);
            before = r;
            return next;
        }, ct);
        return (before!, after);
    }

    /// <summary>The execution did not take the reviewer's answer: the review is pending again, as it was.</summary>
    public Task ReleaseReviewAsync(ImageRecord before, ImageRecord taken, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(taken);
        var now = time.GetUtcNow();
        return records.UpdateAsync(taken.ImageId, r => r.Version == taken.Version
            ? r with { Modality = before.Modality, Classification = before.Classification, ReviewTaskToken = before.ReviewTaskToken, UpdatedAt = now }
            : r, ct);
    }

    /// <summary>The execution took the reviewer's answer: audit it and say how long the image waited.</summary>
    public async Task ReviewAnsweredAsync(ImageRecord before, ImageRecord taken, string reviewerId, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(taken);
        var now = taken.UpdatedAt;
        var modality = taken.Modality?.WireName();
        await audit.WriteAsync(reviewerId, "image.modality_reviewed", "image", taken.ImageId, $"modality={modality}", ct);
        log.ManualReviewAnswered(taken.ImageId);
        await PublishAsync(
            taken, PipelineEventType.StageCompleted, taken.Status, now,
            before.StageTimings.TryGetValue(PipelineStage.ManualReview, out var parked) ? (now - parked.StartedAt).TotalMilliseconds : null,
            $"modality={modality} set by reviewer {reviewerId}", ct, PipelineStage.ManualReview);
    }

    /// <summary>A tolerated failure: the stage closes as degraded with why; the run goes on.</summary>
    public async Task<ImageRecord> DegradeAsync(string imageId, PipelineStage stage, string code, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var error = $"{code}: {message}";
        var record = await records.UpdateAsync(imageId, r => r.Degrade(stage, error, now, out _), ct);
        await PublishAsync(record, PipelineEventType.StageDegraded, record.Status, now, null, error, ct, stage);
        log.StageDegraded(imageId, stage, code);
        return record;
    }

    /// <summary>The run failed: status failed with its reason, image.failed, audited. The original upload is kept.</summary>
    public async Task<ImageRecord> FailAsync(string imageId, string code, string message, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var record = await records.UpdateAsync(imageId, r => r.Fail(code, message, now), ct);
        await PublishAsync(record, PipelineEventType.ImageFailed, ImageStatus.Failed, time.GetUtcNow(), null, $"{code}: {message}", ct);
        await audit.WriteAsync(PipelineActor, "image.analysis_failed", "image", record.ImageId, code, ct);
        log.PipelineFailed(record.ImageId, code);
        return record;
    }

    private Task PublishAsync(
        ImageRecord record, PipelineEventType type, ImageStatus status, DateTimeOffset at, double? durationMs, string? detail,
        CancellationToken ct, PipelineStage? stage = null) =>
        events.PublishAsync(
            new PipelineEvent
            {
                Type = type,
                ImageId = record.ImageId,
                UserId = record.UserId,
                Stage = stage ?? record.Stage,
                Status = status,
                Timestamp = at,
                DurationMs = durationMs,
                Detail = detail,
            },
            ct);
}
