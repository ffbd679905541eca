namespace MedVision.Imaging;

/// <summary>Axis-aligned pixel rectangle; may extend past the image, renderers clamp it.</summary>
public readonly record struct Box(int X, int Y, int Width, int Height);

/// <summary>One model finding to visualise. <paramref name="Confidence"/> is expected in [0, 1] and is clamped.</summary>
public sealed record HeatmapFinding(Box Box, double Confidence, string Label);

/// <param name="Opacity">Alpha of the heat colour where the saliency field is 1; must be in [0, 1].</param>
/// <param name="Watermark">Optional text drawn along the bottom edge (e.g. "NOT FOR DIAGNOSTIC USE").</param>
public sealed record HeatmapOptions(double Opacity = 0.4, string? Watermark = null);
