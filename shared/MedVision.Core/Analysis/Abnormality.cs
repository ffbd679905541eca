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
    [property: JsonPropertyName("x")] int X,
    [property: JsonPropertyName("y")] int Y,
    [property: JsonPropertyName("width")] int Width,
    [property: JsonPropertyName("height")] int Height)
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
    [JsonPropertyName("abnormality_id")] public required string AbnormalityId { get; init; }
    [JsonPropertyName("type")] public required AbnormalityType Type { get; init; }
    [JsonPropertyName("confidence")] public required double Confidence { get; init; }
    [JsonPropertyName("severity")] public required Severity Severity { get; init; }
    [JsonPropertyName("bounding_box")] public required BoundingBox BoundingBox { get; init; }
    [JsonPropertyName("description")] public required string Description { get; init; }
    [JsonPropertyName("clinical_significance_score")] public required double ClinicalSignificanceScore { get; init; }
}

/// <summary>Output of the analysis stage (spec: AnalysisResult), findings ranked by clinical significance.</summary>
public sealed record AnalysisResult
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("modality")] public required string Modality { get; init; }
    [JsonPropertyName("overall_assessment")] public required OverallAssessment OverallAssessment { get; init; }
    [JsonPropertyName("abnormalities")] public required IReadOnlyList<Abnormality> Abnormalities { get; init; }
    [JsonPropertyName("processing_time_ms")] public required double ProcessingTimeMs { get; init; }
    [JsonPropertyName("model_version")] public required string ModelVersion { get; init; }
    [JsonPropertyName("analysis_timestamp")] public required DateTimeOffset AnalysisTimestamp { get; init; }
    [JsonPropertyName("image_width")] public required int ImageWidth { get; init; }
    [JsonPropertyName("image_height")] public required int ImageHeight { get; init; }

    /// <summary>The endpoint (and variant) that answered.</summary>
    [JsonPropertyName("endpoint")] public string? Endpoint { get; init; }

    /// <summary>True when the route's first choice failed and another target answered.</summary>
    [JsonPropertyName("fallback_used")] public bool FallbackUsed { get; init; }

    [JsonPropertyName("model_input_width")] public int? ModelInputWidth { get; init; }

    [JsonPropertyName("model_input_height")] public int? ModelInputHeight { get; init; }

    /// <summary>Object key of the model's saliency map (any size up to 512 px a side, covering the whole image), when it returned one.</summary>
    [JsonPropertyName("saliency_key")] public string? SaliencyKey { get; init; }
}

/// <summary>The small part of an analysis that travels in state machine payloads and the image record.</summary>
public sealed record AnalysisSummary
{
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("analysis_key")] public required string AnalysisKey { get; init; }
    [JsonPropertyName("overall_assessment")] public required OverallAssessment OverallAssessment { get; init; }
    [JsonPropertyName("abnormality_count")] public required int AbnormalityCount { get; init; }
    [JsonPropertyName("max_confidence")] public double? MaxConfidence { get; init; }
    [JsonPropertyName("model_version")] public required string ModelVersion { get; init; }
}
