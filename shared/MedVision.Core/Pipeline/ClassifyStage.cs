using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;

namespace MedVision.Core.Pipeline;

/// <summary>Spec component 2: determine the modality; below 0.85 confidence the image goes to manual review.</summary>
public sealed class ClassifyStage(ImageLoader loader, ModelClient models, StageTracker tracker)
{
    public async Task<ModalityClassification> RunAsync(StageRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await tracker.BeginAsync(request.ImageId, PipelineStage.Classify, ct);
        ModalityClassification classification;
        if (FromDicomHeader(record, tracker.Time.GetUtcNow()) is { } fromHeader)
        {
            classification = fromHeader;
        }
        else
        {
            var image = await loader.LoadRenditionAsync(record, ct);
            var call = await models.ClassifyAsync(request.ImageId, image, record.Dicom?.PixelSpacing, ct);
            classification = Interpret(request.ImageId, call.Response, tracker.Time.GetUtcNow()) with { Endpoint = call.Target.ToString() };
        }

        await tracker.CompleteAsync(
            request.ImageId,
            PipelineStage.Classify,
            r => r with { Modality = classification.Modality, Classification = classification },
            $"modality={classification.Modality.WireName()} confidence={classification.Confidence:0.00}" +
            (classification.RequiresManualReview ? " (manual review)" : string.Empty),
            ct);
        return classification;
    }

    /// <summary>
    /// The DICOM Modality tag decides when it names one of the four modalities (architecture: "DICOM Modality tag
    /// first, model otherwise"); the acquisition device knows better than any image classifier.
    /// </summary>
    public static ModalityClassification? FromDicomHeader(ImageRecord record, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (record.Dicom is not { } dicom || !DicomInfo.TryMapModality(dicom.Modality, out var modality))
        {
            return null;
        }

        return new ModalityClassification
        {
            ImageId = record.ImageId,
            Modality = modality,
            Confidence = 1.0,
            RequiresManualReview = false,
            ClassificationTimestamp = now,
            ModelVersion = $"dicom-header:{dicom.Modality}",
            Source = ModalityClassification.DicomHeaderSource,
            Scores = Modalities.All.ToDictionary(m => m.WireName(), m => m == modality ? 1.0 : 0.0),
        };
    }

    /// <summary>Turns the classifier's scores into a decision; rejects answers outside the contract.</summary>
    public static ModalityClassification Interpret(string imageId, ModelResponse response, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(response);
        var scores = new Dictionary<string, double>();
        foreach (var modality in Modalities.All)
        {
            if (response.ModalityScores is not { } given || !given.TryGetValue(modality.WireName(), out var score) || double.IsNaN(score) || score < 0 || score > 1)
            {
                throw new ModelOutputInvalidException(
                    $"The classifier's scores must give every modality (xray, mri, ct, ultrasound) a value in [0, 1]; '{modality.WireName()}' is missing or out of range.");
            }

            scores[modality.WireName()] = score;
        }

        var best = Modalities.All.MaxBy(m => scores[m.WireName()]);
        var confidence = Math.Round(scores[best.WireName()], 4);
        return new ModalityClassification
        {
            ImageId = imageId,
            Modality = best,
            Confidence = confidence,
            RequiresManualReview = ModalityClassification.NeedsReview(confidence),
            ClassificationTimestamp = now,
            ModelVersion = response.Model.ToString(),
            Source = ModalityClassification.ModelSource,
            Scores = scores,
        };
    }
}
