namespace MedVision.Imaging;

/// <summary>Axis-aligned pixel rectangle; may extend past the image, renderers clamp it.</summary>
public readonly record struct Box(int X, int Y, int Width, int Height);

/// <summary>One model finding to visualise. <paramref name="Confidence"/> is expected in [0, 1] and is clamped.</summary>
public sealed record HeatmapFinding(Box Box, double Confidence, string Label);

/// <param name="Opacity">Alpha of the heat colour where the saliency field is 1; must be in [0, 1].</param>
/// <param name="Watermark">Optional text drawn along the bottom edge (e.g. "NOT FOR DIAGNOSTIC USE").</param>
/// <param name="ModelSaliency">
/// The model's own saliency map (any size, any colour model: its luminance is used), stretched over the image and
/// blended in at <paramref name="ModelSaliencyWeight"/>; it shows where the model looked, beneath the findings.
/// </param>
/// <param name="ModelSaliencyWeight">
/// Field value of the map's brightest pixel, in [0, 1]. At the default 0.5 it never outshines a reported finding,
/// whose peak is its confidence (≥ 0.5), so the strongest heat still marks the most confident finding.
/// </param>
public sealed record HeatmapOptions(double Opacity = 0.4, string? Watermark = null, Raster? ModelSaliency = null, double ModelSaliencyWeight = 0.5);
