using System.Text.Json;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Spec component 2 (Properties 6/7): a reviewer sets the modality of an image parked in manual review, and the
/// waiting execution continues with Analyze → Heatmap → Report → Finalize on that modality.
/// </summary>
public sealed class ManualReviewService(IRecordStore records, IWorkflow workflow, IEventPublisher events, TimeProvider time, IIdGenerator ids)
{
    public const string Source = ModalityClassification.ManualReviewSource;

    /// <summary>
    /// Records the reviewer's modality (confidence 1.0, source manual-review) and answers the execution's task token
    /// with it. Throws <see cref="NotFoundException"/> for an unknown image and <see cref="ConflictException"/>
    /// (<c>review.not_pending</c>) when the image is not waiting for a review.
    /// </summary>
    public async Task<ModalityClassification> SetModalityAsync(string imageId, Modality modality, string reviewerId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imageId);
        ArgumentException.ThrowIfNullOrWhiteSpace(reviewerId);
        var now = time.GetUtcNow();
        var classification = new ModalityClassification
        {
            ImageId = imageId,
            Modality = modality,
            Confidence = 1.0,
            RequiresManualReview = false,
            ClassificationTimestamp = now,
            ModelVersion = Source,
            Source = Source,
            ReviewedBy = reviewerId,
        };

        ImageRecord? before = null;
        // The update is the claim: of two reviewers racing, the optimistic write lets one take the token.
        var updated = await records.UpdateAsync(imageId, r =>
        {
            if (r.Status != ImageStatus.ManualReview || r.ReviewTaskToken is null)
            {
                throw NotPending(imageId, r.Status);
            }

            before = r;
            return r with { Modality = modality, Classification = classification, ReviewTaskToken = null, UpdatedAt = now };
        }, ct);

        var previous = before!;
        try
        {
            await workflow.SendTaskSuccessAsync(
                previous.ReviewTaskToken!, JsonSerializer.Serialize(classification, MedVisionJsonContext.Default.ModalityClassification), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The execution did not take the answer (its token timed out, say): leave the record as it was.
            await records.UpdateAsync(imageId, r => r.Version == updated.Version
                ? r with { Modality = previous.Modality, Classification = previous.Classification, ReviewTaskToken = previous.ReviewTaskToken, UpdatedAt = now }
                : r, CancellationToken.None);
            throw;
        }

        await records.AppendAuditAsync(new AuditEntry
        {
            AuditId = ids.NewId(),
            Timestamp = now,
            Actor = reviewerId,
            Action = "image.modality_reviewed",
            ResourceType = "image",
            ResourceId = imageId,
            Detail = $"modality={modality.WireName()}",
        }, ct);
        await events.PublishAsync(new PipelineEvent
        {
            Type = PipelineEvent.StageCompleted,
            ImageId = imageId,
            UserId = updated.UserId,
            Stage = PipelineStage.ManualReview,
            Status = updated.Status,
            Timestamp = now,
            // How long the image waited for its reviewer.
            DurationMs = previous.StageTimings.TryGetValue(StageTracker.StageName(PipelineStage.ManualReview), out var parked)
                ? (now - parked.StartedAt).TotalMilliseconds
                : null,
            Detail = $"modality={modality.WireName()} set by reviewer {reviewerId}",
        }, ct);
        return classification;
    }

    private static ConflictException NotPending(string imageId, ImageStatus status) =>
        new("review.not_pending", $"Image {imageId} is not waiting for a manual modality review (status {(status == ImageStatus.ManualReview ? "manual_review" : status.ToString().ToLowerInvariant())}).");
}
