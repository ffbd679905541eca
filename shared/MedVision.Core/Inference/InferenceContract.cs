using System.Text.Json.Serialization;
using MedVision.Core.Json;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;

namespace MedVision.Core.Inference;

/// <summary>
/// The one JSON contract every model endpoint speaks (docs/model-contract.md, contracts/inference.schema.json): a
/// <see cref="ModelRequest"/> goes in as the body of SageMaker InvokeEndpoint, a <see cref="ModelResponse"/> comes out.
/// </summary>
public static class InferenceContract
{
    /// <summary>Major.minor; a response whose major differs is rejected.</summary>
    public const string Version = "1.0";

    public const string ContentType = "application/json";

    public const string ImageMediaType = "image/png";

    /// <summary>SageMaker real-time InvokeEndpoint caps the request body at 6 MB.</summary>
    public const long RealTimeMaxPayloadBytes = 6_000_000;

    /// <summary>SageMaker serverless endpoints cap request and response at 4 MB.</summary>
    public const long ServerlessMaxPayloadBytes = 4_000_000;

    /// <summary>The default request budget fits both endpoint kinds; larger inputs go by S3 URI instead.</summary>
    public const long DefaultMaxPayloadBytes = ServerlessMaxPayloadBytes;

    /// <summary>
    /// Largest model input side. An 8-bit gray PNG of 1024² is at most ~1.05 MB, ~1.4 MB in base64: every inline
    /// request at or under this size fits the 4 MB limit, so only larger configured inputs ever need an S3 URI.
    /// </summary>
    public const int MaxInlineInputSide = 1024;

    /// <summary>Largest input side a route may configure (then always sent by S3 URI).</summary>
    public const int MaxInputSide = 4096;

    public const int MinInputSide = 32;

    /// <summary>Responses carry at most this many findings, which with the saliency cap keeps them far below 4 MB.</summary>
    public const int MaxFindings = 100;

    /// <summary>Largest saliency map side; an 8-bit PNG of 512² is ≤ ~350 KB in base64.</summary>
    public const int MaxSaliencySide = 512;

    /// <summary>Spec error category 3: an inference that takes longer than this has failed (and is retried).</summary>
    public static readonly TimeSpan InvocationBudget = TimeSpan.FromSeconds(30);

    /// <summary>Whether a Content-Type names <see cref="ContentType"/>, in any case, with or without parameters.</summary>
    public static bool IsJsonMediaType(string? contentType)
    {
        if (contentType is null)
        {
            return false;
        }

        // Media type parameters (e.g. "; charset=utf-8") do not change what the body is.
        var semicolon = contentType.IndexOf(';', StringComparison.Ordinal);
        var mediaType = (semicolon < 0 ? contentType : contentType[..semicolon]).Trim();
        return string.Equals(mediaType, ContentType, StringComparison.OrdinalIgnoreCase);
    }
}

[JsonConverter(typeof(InferenceTaskJsonConverter))]
public enum InferenceTask
{
    /// <summary>Score the four modalities.</summary>
    Classify,

    /// <summary>Find abnormalities in an image of a known modality.</summary>
    Detect,
}

public static class InferenceTasks
{
    public static WireEnum<InferenceTask> WireNames { get; } = new((InferenceTask.Classify, "classify"), (InferenceTask.Detect, "detect"));

    public static string WireName(this InferenceTask task) => WireNames.Name(task);
}

public sealed class InferenceTaskJsonConverter() : WireEnumConverter<InferenceTask>(InferenceTasks.WireNames);

/// <summary>What the pipeline sends a model endpoint.</summary>
public sealed record ModelRequest
{
    // `set`, not `init`: System.Text.Json's source generator assigns every init-only property in the object
    // initializer, so a member missing from the JSON would overwrite this default with null.
    public string ContractVersion { get; set; } = InferenceContract.Version;

    /// <summary>The image id: logs correlate on it, and the A/B split is keyed on it.</summary>
    public required string RequestId { get; init; }

    public required InferenceTask Task { get; init; }

    /// <summary>Required for <see cref="InferenceTask.Detect"/>: the modality the image was classified as.</summary>
    public Modality? Modality { get; init; }

    /// <summary>The preprocessed image: 8-bit grayscale PNG, long side scaled to the route's input size.</summary>
    public required ModelImage Image { get; init; }

    /// <summary>The original image's size, so a model may reason about the true scale.</summary>
    public required int OriginalWidth { get; init; }

    public required int OriginalHeight { get; init; }

    /// <summary>Millimetres per pixel of <see cref="Image"/> (DICOM Pixel Spacing rescaled), when known.</summary>
    public PixelSpacing? PixelSpacingMm { get; init; }
}

/// <summary>An image inline (base64 PNG bytes) or by reference (an S3 URI, for inputs over the payload limit).</summary>
public sealed record ModelImage
{
    // `set`, not `init`, so an omitted media_type keeps this default (see ModelRequest.ContractVersion).
    public string MediaType { get; set; } = InferenceContract.ImageMediaType;

    public required int Width { get; init; }

    public required int Height { get; init; }

    /// <summary>The PNG bytes; System.Text.Json writes byte[] as base64.</summary>
    public byte[]? Data { get; init; }

    public string? S3Uri { get; init; }
}

public sealed record PixelSpacing(
    double Row,
    double Column);

/// <summary>What a model endpoint answers.</summary>
public sealed record ModelResponse
{
    public required string ContractVersion { get; init; }

    public required ModelIdentity Model { get; init; }

    public required InferenceTask Task { get; init; }

    /// <summary>The size of the image the model saw; boxes are in these pixels.</summary>
    public required int InputWidth { get; init; }

    public required int InputHeight { get; init; }

    /// <summary>Classification: a probability per modality (xray, mri, ct, ultrasound).</summary>
    public IReadOnlyDictionary<string, double>? ModalityScores { get; init; }

    /// <summary>Detection: candidate findings, before the pipeline's post-processing.</summary>
    public IReadOnlyList<ModelFinding>? Findings { get; init; }

    /// <summary>Optional explanation: 8-bit gray PNG, brighter where the model looked; covers the whole input.</summary>
    public ModelImage? Saliency { get; init; }
}

public sealed record ModelIdentity(
    string Name,
    string Version)
{
    public override string ToString() => $"{Name}-{Version}";
}

public sealed record ModelFinding
{
    public required AbnormalityType Type { get; init; }

    public required double Confidence { get; init; }

    public required Severity Severity { get; init; }

    /// <summary>In model-input pixels; fractions allowed, the pipeline scales and rounds.</summary>
    public required ModelBox BoundingBox { get; init; }

    public string? Description { get; init; }
}

public sealed record ModelBox(
    double X,
    double Y,
    double Width,
    double Height);
