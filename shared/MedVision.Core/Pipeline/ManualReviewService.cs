using System.Text.Json;
using MedVision.Core.Classification;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Spec component 2 (Properties 6/7): a reviewer sets the modality of an image parked in manual review, and the
/// waiting execution continues with Analyze → Heatmap → Report → Finalize on that modality.
/// </summary>
public sealed class ManualReviewService(StageTracker tracker, IWorkflow workflow)
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
        var classification = new ModalityClassification
        {
            ImageId = imageId,
            Modality = modality,
            Confidence = 1.0,
            RequiresManualReview = false,
            ClassificationTimestamp = tracker.Time.GetUtcNow(),
            ModelVersion = Source,
            Source = Source,
            ReviewedBy = reviewerId,
        };

        var (before, taken) = await tracker.TakeReviewAsync(imageId, classification, ct);
        try
        {
            await workflow.SendTaskSuccessAsync(
                before.ReviewTaskToken!, JsonSerializer.Serialize(classification, MedVisionJsonContext.Default.ModalityClassification), ct);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The execution did not take the answer (its token timed out, say): leave the record as it was.
            await tracker.ReleaseReviewAsync(before, taken, CancellationToken.None);
            throw;
        }

        await tracker.ReviewAnsweredAsync(before, taken, reviewerId, ct);
        return classification;
    }
}
