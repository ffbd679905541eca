using System.Text.Json;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>Terminal stages: finalize (completed), manual review (parked) and mark-failed (the Catch target).</summary>
public sealed class FinishStages(IRecordStore records, IEventPublisher events, StageTracker tracker, IIdGenerator ids)
{
    public async Task<StatusResult> FinalizeAsync(StageRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        await tracker.BeginAsync(request.ImageId, PipelineStage.Finalize, ct);
        var record = await tracker.CompleteAsync(
            request.ImageId, PipelineStage.Finalize,
            r => r with { Status = ImageStatus.Completed, ErrorMessage = null, ErrorCode = null },
            "completed", ct);
        await PublishAsync(record, PipelineEvent.ImageCompleted, ImageStatus.Completed, null, ct);
        await AuditAsync(record, "image.analysis_completed", record.ReportId, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status, ReportId = record.ReportId };
    }

    /// <summary>
    /// Classification below the confidence threshold: park the image for a human to confirm the modality. The
    /// execution waits on <see cref="ManualReviewRequest.TaskToken"/>, kept on the record for <see cref="ManualReviewService"/>.
    /// </summary>
    public async Task<StatusResult> RequestManualReviewAsync(ManualReviewRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.TaskToken))
        {
            throw new ValidationException("event.invalid", "A manual review event must carry the task token.");
        }

        await tracker.BeginAsync(request.ImageId, PipelineStage.ManualReview, ct);
        var record = await tracker.CompleteAsync(
            request.ImageId, PipelineStage.ManualReview, r => r with { Status = ImageStatus.ManualReview, ReviewTaskToken = request.TaskToken },
            "confidence below threshold; awaiting manual modality review", ct, outcome: "parked");
        await PublishAsync(record, PipelineEvent.ImageManualReview, ImageStatus.ManualReview, record.Classification?.Confidence.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture), ct);
        await AuditAsync(record, "image.manual_review_requested", null, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status };
    }

    /// <summary>
    /// Records a failed run with its reason. The original upload is never touched, so the image can be
    /// reprocessed (Property 43).
    /// </summary>
    public async Task<StatusResult> MarkFailedAsync(FailureRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (code, message) = Describe(request.Error);
        var now = tracker.Time.GetUtcNow();
        var record = await records.UpdateAsync(request.ImageId, r =>
        {
            var timings = new Dictionary<string, StageTiming>(r.StageTimings);
            if (r.Stage is { } stage && timings.TryGetValue(StageTracker.StageName(stage), out var t) && t.CompletedAt is null)
            {
                timings[StageTracker.StageName(stage)] = t with { CompletedAt = now, DurationMs = (now - t.StartedAt).TotalMilliseconds, Outcome = "failed" };
            }

            // A review that timed out ends here: its token is dead, so it must not look answerable.
            return r with { Status = ImageStatus.Failed, ErrorCode = code, ErrorMessage = message, StageTimings = timings, UpdatedAt = now, ReviewTaskToken = null };
        }, ct);
        await PublishAsync(record, PipelineEvent.ImageFailed, ImageStatus.Failed, $"{code}: {message}", ct);
        await AuditAsync(record, "image.analysis_failed", code, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status };
    }

    /// <summary>
    /// A stage whose failure the state machine tolerates (the heatmap): close its timing as degraded with the
    /// reason, so the record says why the visualization is missing, and let the run go on.
    /// </summary>
    public async Task<StatusResult> RecordDegradedAsync(FailureRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stage = request.Stage ?? throw new ValidationException("event.invalid", "A degraded-stage event must name its stage.");
        var (code, message) = Describe(request.Error);
        var now = tracker.Time.GetUtcNow();
        var key = StageTracker.StageName(stage);
        var record = await records.UpdateAsync(request.ImageId, r =>
        {
            var timings = new Dictionary<string, StageTiming>(r.StageTimings);
            var started = timings.TryGetValue(key, out var t) ? t.StartedAt : now;
            timings[key] = new StageTiming
            {
                StartedAt = started,
                CompletedAt = now,
                DurationMs = (now - started).TotalMilliseconds,
                Outcome = "degraded",
                Error = $"{code}: {message}",
            };
            return r with { StageTimings = timings, UpdatedAt = now };
        }, ct);
        await events.PublishAsync(new PipelineEvent
        {
            Type = PipelineEvent.StageDegraded,
            ImageId = record.ImageId,
            UserId = record.UserId,
            Stage = stage,
            Status = record.Status,
            Timestamp = now,
            Detail = $"{code}: {message}",
        }, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status };
    }

    /// <summary>Extracts a readable reason from a Catch's {Error, Cause}; Lambda puts a JSON body in Cause.</summary>
    public static (string Code, string Message) Describe(StateError? error)
    {
        var code = error?.Error ?? "States.Unknown";
        var cause = error?.Cause;
        if (cause is not null && cause.TrimStart().StartsWith('{'))
        {
            try
            {
                var parsed = JsonSerializer.Deserialize(cause, MedVisionJsonContext.Default.LambdaErrorCause);
                if (parsed?.ErrorMessage is { } msg)
                {
                    return (code, msg);
                }
            }
            catch (JsonException)
            {
                // Not Lambda's shape: keep the raw cause below.
            }
        }

        return (code, string.IsNullOrWhiteSpace(cause) ? $"The pipeline failed with {code}." : cause);
    }

    private Task PublishAsync(ImageRecord record, string type, ImageStatus status, string? detail, CancellationToken ct) =>
        events.PublishAsync(new PipelineEvent
        {
            Type = type,
            ImageId = record.ImageId,
            UserId = record.UserId,
            Stage = record.Stage,
            Status = status,
            Timestamp = tracker.Time.GetUtcNow(),
            Detail = detail,
        }, ct);

    private Task AuditAsync(ImageRecord record, string action, string? detail, CancellationToken ct) =>
        records.AppendAuditAsync(new AuditEntry
        {
            AuditId = ids.NewId(),
            Timestamp = tracker.Time.GetUtcNow(),
            Actor = "pipeline",
            Action = action,
            ResourceType = "image",
            ResourceId = record.ImageId,
            Detail = detail,
        }, ct);
}
