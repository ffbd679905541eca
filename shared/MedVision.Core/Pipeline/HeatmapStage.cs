using System.Globalization;
using System.Text.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Imaging;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Spec component 6: overlay, thumbnail and side-by-side images of the findings. The state machine catches
/// this stage's failures and carries on without visualization (graceful degradation).
/// </summary>
public sealed class HeatmapStage(IObjectStore objects, ImageLoader loader, StageTracker tracker)
{
    private static readonly PngEncodeOptions FastPng = new(System.IO.Compression.CompressionLevel.Fastest);

    public async Task<HeatmapResult> RunAsync(StageRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await tracker.BeginAsync(request.ImageId, PipelineStage.Heatmap, ct);
        var analysis = await AnalysisStore.LoadAsync(objects, request.ImageId, ct);
        // The working copy is the original in 8 bits, gray or RGB: the renderer's ToRgb8 of it gives the same pixels as of a
        // fresh decode of the original, and a gray copy is a third of the memory to carry until then.
        var source = await loader.LoadWorkingCopyAsync(record, ct);

        var findings = analysis.Abnormalities
            .Select(a => new HeatmapFinding(
                new Box(a.BoundingBox.X, a.BoundingBox.Y, a.BoundingBox.Width, a.BoundingBox.Height),
                a.Confidence,
                a.Type.ToString().ToUpperInvariant()))
            .ToList();
        var watermark = string.Create(
            CultureInfo.InvariantCulture,
            $"{analysis.ModelVersion} {analysis.AnalysisTimestamp:yyyy-MM-dd HH:mm}Z");
        var overlay = HeatmapRenderer.RenderOverlay(
            source, findings, new HeatmapOptions(Watermark: watermark, ModelSaliency: await LoadSaliencyAsync(analysis, ct)));

        var result = new HeatmapResult
        {
            ImageId = request.ImageId,
            HeatmapKey = ObjectKeys.Heatmap(request.ImageId),
            ThumbnailKey = ObjectKeys.HeatmapThumbnail(request.ImageId),
            SideBySideKey = ObjectKeys.HeatmapSideBySide(request.ImageId),
            PreviewKey = ObjectKeys.HeatmapPreview(request.ImageId),
            Regions = findings.Count,
        };
        // Lossless at full resolution (Property 17); zlib's fastest level, since the level only trades file size for time.
        await objects.PutAsync(result.HeatmapKey, PngEncoder.Encode(overlay, FastPng), "image/png", ct);
        // Display copies come from one reduced overlay, not each from the full-size one.
        var displayOverlay = HeatmapRenderer.Thumbnail(overlay, PipelineOptions.DisplayMaxSide);
        var thumbnail = HeatmapRenderer.Thumbnail(displayOverlay, PipelineOptions.ThumbnailMaxSide);
        await objects.PutAsync(result.ThumbnailKey, PngEncoder.Encode(thumbnail), "image/png", ct);
        await objects.PutAsync(
            result.PreviewKey, JpegEncoder.Encode(thumbnail, new JpegEncodeOptions(PipelineOptions.PreviewJpegQuality)), "image/jpeg", ct);
        var sideBySide = HeatmapRenderer.SideBySide(HeatmapRenderer.Thumbnail(source, PipelineOptions.DisplayMaxSide), displayOverlay);
        await objects.PutAsync(result.SideBySideKey, PngEncoder.Encode(sideBySide, FastPng), "image/png", ct);

        await tracker.CompleteAsync(
            request.ImageId, PipelineStage.Heatmap, r => r with { HeatmapKey = result.HeatmapKey },
            $"{findings.Count} region(s) highlighted" + (analysis.SaliencyKey is null ? string.Empty : " over the model's saliency map"), ct);
        return result;
    }

    /// <summary>The detector's saliency map, when it returned one (the contract makes it optional).</summary>
    private async Task<Raster?> LoadSaliencyAsync(AnalysisResult analysis, CancellationToken ct)
    {
        if (analysis.SaliencyKey is not { } key)
        {
            return null;
        }

        var stored = await objects.GetAsync(key, ct)
            ?? throw new NotFoundException("analysis.saliency_missing", $"Image {analysis.ImageId}'s saliency map {key} is missing.");
        return PngDecoder.Decode(stored.Content);
    }
}

internal static class AnalysisStore
{
    public static async Task<AnalysisResult> LoadAsync(IObjectStore objects, string imageId, CancellationToken ct)
    {
        var stored = await objects.GetAsync(ObjectKeys.Analysis(imageId), ct)
            ?? throw new NotFoundException("analysis.missing", $"Image {imageId} has no analysis result yet.");
        return JsonSerializer.Deserialize(stored.Content, MedVisionJsonContext.Default.AnalysisResult)
            ?? throw new NotFoundException("analysis.missing", $"Image {imageId} has an empty analysis result.");
    }
}
