namespace MedVision.Core.Analysis;

/// <summary>A raw detection as a model endpoint returns it, before post-processing.</summary>
public sealed record RawDetection(AbnormalityType Type, double Confidence, Severity Severity, BoundingBox Box, string? Description = null);

/// <summary>
/// Spec component 5 (abnormality detector): clip to the image, drop low confidence, suppress duplicates
/// (NMS), score clinical significance and rank.
/// </summary>
public static class FindingPostProcessor
{
    /// <summary>Detections below this confidence are not reported.</summary>
    public const double ConfidenceThreshold = 0.5;

    /// <summary>Two detections of the same type overlapping more than this are one finding.</summary>
    public const double NmsIouThreshold = 0.5;

    public static double SeverityWeight(Severity severity) => severity switch
    {
        Severity.High => 1.0,
        Severity.Medium => 0.6,
        Severity.Low => 0.3,
        _ => throw new ArgumentOutOfRangeException(nameof(severity)),
    };

    /// <summary>
    /// Size factor in [0.5, 1]: larger findings matter more, but a tiny one never counts for less than half.
    /// Uses the square root of the area fraction so a 1% finding already weighs noticeably.
    /// </summary>
    public static double SizeFactor(BoundingBox box, int imageWidth, int imageHeight)
    {
        var fraction = (double)box.Area / Math.Max(1L, (long)imageWidth * imageHeight);
        return 0.5 + (0.5 * Math.Min(1.0, Math.Sqrt(fraction) * 2));
    }

    /// <summary>Clinical significance = confidence × severity weight × size factor.</summary>
    public static double ClinicalSignificance(double confidence, Severity severity, BoundingBox box, int imageWidth, int imageHeight) =>
        confidence * SeverityWeight(severity) * SizeFactor(box, imageWidth, imageHeight);

    public static IReadOnlyList<Abnormality> Process(
        IEnumerable<RawDetection> detections, int imageWidth, int imageHeight, Func<string> newId, string modalityName)
    {
        ArgumentNullException.ThrowIfNull(detections);
        ArgumentNullException.ThrowIfNull(newId);

        var candidates = new List<RawDetection>();
        foreach (var d in detections)
        {
            if (double.IsNaN(d.Confidence) || d.Confidence < ConfidenceThreshold || d.Confidence > 1.0)
            {
                continue;
            }

            if (d.Box.ClipTo(imageWidth, imageHeight) is { } clipped)
            {
                candidates.Add(d with { Box = clipped });
            }
        }

        // Greedy NMS per type, highest confidence first.
        candidates.Sort((a, b) => b.Confidence.CompareTo(a.Confidence));
        var kept = new List<RawDetection>();
        foreach (var c in candidates)
        {
            if (!kept.Exists(k => k.Type == c.Type && k.Box.IntersectionOverUnion(c.Box) > NmsIouThreshold))
            {
                kept.Add(c);
            }
        }

        return kept
            .Select(k => new Abnormality
            {
                AbnormalityId = newId(),
                Type = k.Type,
                Confidence = Math.Round(k.Confidence, 4),
                Severity = k.Severity,
                BoundingBox = k.Box,
                Description = k.Description ?? Describe(k, modalityName, imageWidth, imageHeight),
                ClinicalSignificanceScore = Math.Round(ClinicalSignificance(k.Confidence, k.Severity, k.Box, imageWidth, imageHeight), 4),
            })
            .OrderByDescending(a => a.ClinicalSignificanceScore)
            .ThenByDescending(a => a.Confidence)
            .ToList();
    }

    private static string Describe(RawDetection d, string modalityName, int imageWidth, int imageHeight)
    {
        var cx = d.Box.X + (d.Box.Width / 2.0);
        var cy = d.Box.Y + (d.Box.Height / 2.0);
        var horizontal = cx < imageWidth / 3.0 ? "left" : cx > imageWidth * 2 / 3.0 ? "right" : "central";
        var vertical = cy < imageHeight / 3.0 ? "upper" : cy > imageHeight * 2 / 3.0 ? "lower" : "middle";
        var type = d.Type.WireName();
        return $"{Capitalize(SeverityWord(d.Severity))}-severity {type} candidate in the {vertical} {horizontal} region of the {modalityName} image, " +
               $"{d.Box.Width}×{d.Box.Height} px, confidence {d.Confidence:0.00}.";
    }

    private static string SeverityWord(Severity s) => s.WireName();

    private static string Capitalize(string s) => s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..];
}
