using System.Text.Json.Serialization;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;

namespace MedVision.Core.Inference;

/// <summary>
/// The JSON contract every model endpoint speaks (docs/model-contract.md). Requests are the image as
/// PNG bytes (Content-Type image/png); responses are application/json.
/// </summary>
public static class InferenceContract
{
    public const string RequestContentType = "image/png";
    public const string ResponseContentType = "application/json";
}

/// <summary>Response of a modality classifier endpoint: a probability per modality.</summary>
public sealed record ClassifierResponse
{
    [JsonPropertyName("model_version")] public required string ModelVersion { get; init; }
    [JsonPropertyName("scores")] public required IReadOnlyDictionary<string, double> Scores { get; init; }
}

/// <summary>Response of a modality-specific detector endpoint.</summary>
public sealed record DetectorResponse
{
    [JsonPropertyName("model_version")] public required string ModelVersion { get; init; }
    [JsonPropertyName("image_width")] public required int ImageWidth { get; init; }
    [JsonPropertyName("image_height")] public required int ImageHeight { get; init; }
    [JsonPropertyName("detections")] public required IReadOnlyList<DetectorFinding> Detections { get; init; }
}

public sealed record DetectorFinding
{
    [JsonPropertyName("type")] public required AbnormalityType Type { get; init; }
    [JsonPropertyName("confidence")] public required double Confidence { get; init; }
    [JsonPropertyName("severity")] public required Severity Severity { get; init; }
    [JsonPropertyName("bounding_box")] public required BoundingBox BoundingBox { get; init; }
    [JsonPropertyName("description")] public string? Description { get; init; }
}

/// <summary>Which endpoint serves which job. Defaults match the names the local model host registers.</summary>
public sealed record ModelEndpoints
{
    public string Classifier { get; init; } = "medvision-modality-classifier";
    public string XRay { get; init; } = "medvision-xray-detector";
    public string Mri { get; init; } = "medvision-mri-detector";
    public string Ct { get; init; } = "medvision-ct-detector";
    public string Ultrasound { get; init; } = "medvision-ultrasound-detector";

    /// <summary>Property 8: each modality routes to its own specialised endpoint.</summary>
    public string DetectorFor(Modality modality) => modality switch
    {
        Modality.XRay => XRay,
        Modality.Mri => Mri,
        Modality.Ct => Ct,
        Modality.Ultrasound => Ultrasound,
        _ => throw new ArgumentOutOfRangeException(nameof(modality)),
    };
}
