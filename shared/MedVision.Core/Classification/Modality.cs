using System.Text.Json.Serialization;
using MedVision.Core.Json;

namespace MedVision.Core.Classification;

[JsonConverter(typeof(ModalityJsonConverter))]
public enum Modality
{
    XRay,
    Mri,
    Ct,
    Ultrasound,
}

public sealed class ModalityJsonConverter() : WireEnumConverter<Modality>(Modalities.WireNames);

public static class Modalities
{
    /// <summary>The wire names used in JSON, endpoint names and reports.</summary>
    public static WireEnum<Modality> WireNames { get; } = new(
        (Modality.XRay, "xray"), (Modality.Mri, "mri"), (Modality.Ct, "ct"), (Modality.Ultrasound, "ultrasound"));

    public static IReadOnlyList<Modality> All { get; } = WireNames.All;

    public static string WireName(this Modality modality) => WireNames.Name(modality);

    public static bool TryParse(string? value, out Modality modality) => WireNames.TryParse(value, out modality, ignoreCase: true);

    /// <summary>Human-readable name for reports.</summary>
    public static string DisplayName(this Modality modality) => modality switch
    {
        Modality.XRay => "X-ray",
        Modality.Mri => "MRI",
        Modality.Ct => "CT",
        Modality.Ultrasound => "Ultrasound",
        _ => throw new ArgumentOutOfRangeException(nameof(modality)),
    };
}

/// <summary>Result of the modality classification stage (spec: ModalityClassification).</summary>
public sealed record ModalityClassification
{
    /// <summary>Below this confidence an image is routed to manual review instead of analysis.</summary>
    public const double ManualReviewThreshold = 0.85;

    public required string ImageId { get; init; }
    public required Modality Modality { get; init; }
    public required double Confidence { get; init; }
    public required bool RequiresManualReview { get; init; }
    public required DateTimeOffset ClassificationTimestamp { get; init; }
    public required string ModelVersion { get; init; }
    /// <summary>The DICOM Modality tag decided (confidence 1.0).</summary>
    public const string DicomHeaderSource = "dicom-header";

    /// <summary>The classifier model decided.</summary>
    public const string ModelSource = "model";

    /// <summary>A reviewer set the modality after a low-confidence classification.</summary>
    public const string ManualReviewSource = "manual-review";

    /// <summary>Who decided: <see cref="DicomHeaderSource"/>, <see cref="ModelSource"/> or <see cref="ManualReviewSource"/>.</summary>
    public string Source { get; init; } = ModelSource;
    /// <summary>The reviewer's id when <see cref="Source"/> is <see cref="ManualReviewSource"/>.</summary>
    public string? ReviewedBy { get; init; }
    public IReadOnlyDictionary<string, double>? Scores { get; init; }

    /// <summary>The endpoint (and variant) that answered, when a model decided.</summary>
    public string? Endpoint { get; init; }

    public static bool NeedsReview(double confidence) => confidence < ManualReviewThreshold;
}
