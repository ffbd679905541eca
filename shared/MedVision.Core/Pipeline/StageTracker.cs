using MedVision.Core.Images;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>Records stage start/end on the image record and publishes the stage's status update.</summary>
public sealed class StageTracker(IRecordStore records, IEventPublisher events, TimeProvider time)
{
    public TimeProvider Time => time;

    public Task<ImageRecord> BeginAsync(string imageId, PipelineStage stage, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        return records.UpdateAsync(imageId, r =>
        {
            if (!ImageStatusRules.CanTransition(r.Status, ImageStatus.Processing))
            {
                throw new ConflictException("image.bad_state", $"Image {imageId} is {r.Status} and cannot enter stage {stage}.");
            }

            var timings = new Dictionary<string, StageTiming>(r.StageTimings)
            {
                [StageName(stage)] = new StageTiming { StartedAt = now },
            };
            return r with { Status = ImageStatus.Processing, Stage = stage, StageTimings = timings, UpdatedAt = now };
        }, ct);
    }

    /// <summary>A stage's own change to the record mid-stage (no event): e.g. ids reserved before external writes.</summary>
    public Task<ImageRecord> RecordAsync(string imageId, Func<ImageRecord, ImageRecord> apply, CancellationToken ct) =>
        records.UpdateAsync(imageId, apply, ct);

    /// <summary>Marks the stage done, applies the stage's own changes, and publishes stage.completed.</summary>
    public async Task<ImageRecord> CompleteAsync(
        string imageId, PipelineStage stage, Func<ImageRecord, ImageRecord>? apply, string? detail, CancellationToken ct,
        string outcome = "succeeded")
    {
        var now = time.GetUtcNow();
        double? duration = null;
        var updated = await records.UpdateAsync(imageId, r =>
        {
            var timings = new Dictionary<string, StageTiming>(r.StageTimings);
            var key = StageName(stage);
            var started = timings.TryGetValue(key, out var t) ? t.StartedAt : now;
            duration = (now - started).TotalMilliseconds;
            timings[key] = new StageTiming { StartedAt = started, CompletedAt = now, DurationMs = duration, Outcome = outcome };
            var next = r with { StageTimings = timings, UpdatedAt = now };
            return apply is null ? next : apply(next);
        }, ct);

        await events.PublishAsync(new PipelineEvent
        {
            Type = PipelineEvent.StageCompleted,
            ImageId = imageId,
            UserId = updated.UserId,
            Stage = stage,
            Status = updated.Status,
            Timestamp = now,
            DurationMs = duration,
            Detail = detail,
        }, ct);
        return updated;
    }

    public static string StageName(PipelineStage stage) => stage switch
    {
        PipelineStage.Upload => "upload",
        PipelineStage.Classify => "classify",
        PipelineStage.ManualReview => "manual_review",
        PipelineStage.Analyze => "analyze",
        PipelineStage.Heatmap => "heatmap",
        PipelineStage.Report => "report",
        PipelineStage.Finalize => "finalize",
        _ => throw new ArgumentOutOfRangeException(nameof(stage)),
    };
}
