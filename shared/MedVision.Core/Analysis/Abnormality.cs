using System.Text.Json.Serialization;
using MedVision.Core.Json;

namespace MedVision.Core.Analysis;

[JsonConverter(typeof(AbnormalityTypeJsonConverter))]
public enum AbnormalityType
{
    Tumor,
    Lesion,
    Infection,
    Fracture,
    Other,
}

[JsonConverter(typeof(SeverityJsonConverter))]
public enum Severity
{
    Low,
    Medium,
    High,
}

[JsonConverter(typeof(OverallAssessmentJsonConverter))]
public enum OverallAssessment
{
    Normal,
    Abnormal,
}

/// <summary>The wire names of the analysis enums (JSON, reports, progress lines).</summary>
public static class AnalysisWireNames
{
    public static WireEnum<AbnormalityType> Types { get; } = new(
        (AbnormalityType.Tumor, "tumor"),
        (AbnormalityType.Lesion, "lesion"),
        (AbnormalityType.Infection, "infection"),
        (AbnormalityType.Fracture, "fracture"),
        (AbnormalityType.Other, "other"));

    public static WireEnum<Severity> Severities { get; } = new((Severity.Low, "low"), (Severity.Medium, "medium"), (Severity.High, "high"));

    public static WireEnum<OverallAssessment> Assessments { get; } = new((OverallAssessment.Normal, "normal"), (OverallAssessment.Abnormal, "abnormal"));

    public static string WireName(this AbnormalityType type) => Types.Name(type);

    public static string WireName(this Severity severity) => Severities.Name(severity);

    public static string WireName(this OverallAssessment assessment) => Assessments.Name(assessment);
}

public sealed class AbnormalityTypeJsonConverter() : WireEnumConverter<AbnormalityType>(AnalysisWireNames.Types);

public sealed class SeverityJsonConverter() : WireEnumConverter<Severity>(AnalysisWireNames.Severities);

public sealed class OverallAssessmentJsonConverter() : WireEnumConverter<OverallAssessment>(AnalysisWireNames.Assessments);

/// <summary>Axis-aligned box in image pixels; (X, Y) is the top-left corner.</summary>
public readonly record struct BoundingBox(
    int X,
    int Y,
    int Width,
    int Height)
{
    [JsonIgnore] public int Right => X + Width;
    [JsonIgnore] public int Bottom => Y + Height;
    [JsonIgnore] public long Area => (long)Math.Max(0, Width) * Math.Max(0, Height);

    /// <summary>Spec Property 12: inside the image with positive width and height.</summary>
    public bool IsValidWithin(int imageWidth, int imageHeight) =>
        Width > 0 && Height > 0 && X >= 0 && Y >= 0 && Right <= imageWidth && Bottom <= imageHeight;

    public double IntersectionOverUnion(BoundingBox other)
    {
        var ix = Math.Max(0, Math.Min(Right, other.Right) - Math.Max(X, other.X));
        var iy = Math.Max(0, Math.Min(Bottom, other.Bottom) - Math.Max(Y, other.Y));
        var inter = (double)ix * iy;
        var union = Area + other.Area - inter;
        return union <= 0 ? 0 : inter / union;
    }

    /// <summary>Clips the box to the image; null when nothing of it is inside.</summary>
    public BoundingBox? ClipTo(int imageWidth, int imageHeight)
    {
        var x0 = Math.Clamp(X, 0, imageWidth);
        var y0 = Math.Clamp(Y, 0, imageHeight);
        var x1 = Math.Clamp(Right, 0, imageWidth);
        var y1 = Math.Clamp(Bottom, 0, imageHeight);
        return x1 > x0 && y1 > y0 ? new BoundingBox(x0, y0, x1 - x0, y1 - y0) : null;
    }
}

/// <summary>One finding (spec: Abnormality).</summary>
public sealed record Abnormality
{
    public required string AbnormalityId { get; init; }
    public required AbnormalityType Type { get; init; }
    public required double Confidence { get; init; }
    public required Severity Severity { get; init; }
    public required BoundingBox BoundingBox { get; init; }
    public required string Description { get; init; }
    public required double ClinicalSignificanceScore { get; init; }
}

/// <summary>Output of the analysis stage (spec: AnalysisResult), findings ranked by clinical significance.</summary>
public sealed record AnalysisResult
{
    public required string ImageId { get; init; }
    public required string Modality { get; init; }
    public required OverallAssessment OverallAssessment { get; init; }
    public required IReadOnlyList<Abnormality> Abnormalities { get; init; }
    public required double ProcessingTimeMs { get; init; }
    public required string ModelVersion { get; init; }
    public required DateTimeOffset AnalysisTimestamp { get; init; }
    public required int ImageWidth { get; init; }
    public required int ImageHeight { get; init; }

    /// <summary>The endpoint (and variant) that answered.</summary>
    public string? Endpoint { get; init; }

    /// <summary>True when the route's first choice failed and another target answered.</summary>
    public bool FallbackUsed { get; init; }

    public int? ModelInputWidth { get; init; }

    public int? ModelInputHeight { get; init; }

    /// <summary>Object key of the model's saliency map (any size up to 512 px a side, covering the whole image), when it returned one.</summary>
    public string? SaliencyKey { get; init; }
}

/// <summary>The small part of an analysis that travels in state machine payloads and the image record.</summary>
public sealed record AnalysisSummary
{
    public required string ImageId { get; init; }
    public required string AnalysisKey { get; init; }
    public required OverallAssessment OverallAssessment { get; init; }
    public required int AbnormalityCount { get; init; }
    public double? MaxConfidence { get; init; }
    public required string ModelVersion { get; init; }
}
