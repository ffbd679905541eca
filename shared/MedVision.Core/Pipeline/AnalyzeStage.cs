using System.Text.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Spec components 3–5: preprocess the image to the modality's model input, route it to that modality's detector
/// (Property 8), scale the boxes back to the original image and post-process (clip, threshold 0.5, NMS, clinical
/// significance ranking), and store the analysis result with the model's saliency map.
/// </summary>
public sealed class AnalyzeStage(IObjectStore objects, ImageLoader loader, ModelClient models, StageTracker tracker, IIdGenerator ids)
{
    public async Task<AnalysisSummary> RunAsync(AnalyzeRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var time = tracker.Time;
        var record = await tracker.BeginAsync(request.ImageId, PipelineStage.Analyze, ct);
        var started = time.GetTimestamp();
        var image = await loader.LoadRenditionAsync(record, ct);
        var call = await models.DetectAsync(request.ImageId, request.Modality, image, record.Dicom?.PixelSpacing, ct);

        string? saliencyKey = null;
        if (call.Response.Saliency is { Data: { } saliency })
        {
            saliencyKey = ObjectKeys.Saliency(request.ImageId);
            await objects.PutAsync(saliencyKey, saliency, InferenceContract.ImageMediaType, ct);
        }

        var result = BuildResult(request.ImageId, request.Modality, call, time.GetElapsedTime(started).TotalMilliseconds, time.GetUtcNow(), ids.NewId)
            with { SaliencyKey = saliencyKey };
        var key = ObjectKeys.Analysis(request.ImageId);
        await objects.PutAsync(key, JsonSerializer.SerializeToUtf8Bytes(result, MedVisionJsonContext.Default.AnalysisResult), "application/json", ct);

        var summary = new AnalysisSummary
        {
            ImageId = request.ImageId,
            AnalysisKey = key,
            OverallAssessment = result.OverallAssessment,
            AbnormalityCount = result.Abnormalities.Count,
            MaxConfidence = result.Abnormalities.Count == 0 ? null : result.Abnormalities.Max(a => a.Confidence),
            ModelVersion = result.ModelVersion,
        };
        var via = call.UsedFallback ? $"{call.Target} (fallback)" : call.Target.ToString();
        await tracker.CompleteAsync(
            request.ImageId, PipelineStage.Analyze, r => r with { AnalysisSummary = summary },
            $"{summary.OverallAssessment.WireName()}, {summary.AbnormalityCount} finding(s) via {via}", ct);
        return summary;
    }

    /// <summary>
    /// A model box (model-input pixels, fractions allowed) in original-image pixels: edges scaled, then rounded
    /// outwards so the box never shrinks below what the model marked.
    /// </summary>
    public static BoundingBox ScaleToOriginal(ModelBox box, PreparedInput input)
    {
        ArgumentNullException.ThrowIfNull(box);
        ArgumentNullException.ThrowIfNull(input);
        // The tolerance absorbs floating-point error (358 / 33 × 33 is not exactly 358), so a box on a pixel edge
        // stays on it instead of growing by one.
        const double Tolerance = 1e-6;
        static int Floor(double v) => (int)Math.Clamp(Math.Floor(v + Tolerance), int.MinValue / 4, int.MaxValue / 4);
        static int Ceiling(double v) => (int)Math.Clamp(Math.Ceiling(v - Tolerance), int.MinValue / 4, int.MaxValue / 4);
        var x0 = Floor(box.X * input.ScaleX);
        var y0 = Floor(box.Y * input.ScaleY);
        var x1 = Ceiling((box.X + box.Width) * input.ScaleX);
        var y1 = Ceiling((box.Y + box.Height) * input.ScaleY);
        return new BoundingBox(x0, y0, Math.Max(0, x1 - x0), Math.Max(0, y1 - y0));
    }

    public static AnalysisResult BuildResult(
        string imageId, Modality modality, DetectionCall call, double elapsedMs, DateTimeOffset now, Func<string> newId)
    {
        ArgumentNullException.ThrowIfNull(call);
        var input = call.Input;
        var raw = call.Response.Findings!.Select(f =>
            new RawDetection(f.Type, f.Confidence, f.Severity, ScaleToOriginal(f.BoundingBox, input), f.Description));
        var findings = FindingPostProcessor.Process(raw, input.OriginalWidth, input.OriginalHeight, newId, modality.DisplayName());
        return new AnalysisResult
        {
            ImageId = imageId,
            Modality = modality.WireName(),
            OverallAssessment = findings.Count > 0 ? OverallAssessment.Abnormal : OverallAssessment.Normal,
            Abnormalities = findings,
            ProcessingTimeMs = Math.Round(elapsedMs, 1),
            ModelVersion = call.Response.Model.ToString(),
            AnalysisTimestamp = now,
            ImageWidth = input.OriginalWidth,
            ImageHeight = input.OriginalHeight,
            Endpoint = call.Target.ToString(),
            FallbackUsed = call.UsedFallback,
            ModelInputWidth = input.Width,
            ModelInputHeight = input.Height,
        };
    }
}
