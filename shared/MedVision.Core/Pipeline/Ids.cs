namespace MedVision.Core.Pipeline;

/// <summary>Id generation is injected so tests are deterministic.</summary>
public interface IIdGenerator
{
    string NewId();
}

/// <summary>UUIDv7: time-ordered, so ids sort by creation and index well.</summary>
public sealed class UuidV7IdGenerator(TimeProvider timeProvider) : IIdGenerator
{
    public string NewId() => Guid.CreateVersion7(timeProvider.GetUtcNow()).ToString();
}

/// <summary>Limits and settings of the pipeline; every limit is a named constant.</summary>
public sealed record PipelineOptions
{
    /// <summary>Spec: max 50 MB per image.</summary>
    public const long MaxUploadBytes = 50L * 1024 * 1024;

    public const int ThumbnailMaxSide = 256;

    /// <summary>
    /// Longer side of each half of the side-by-side image, a display copy: the full-resolution overlay is stored on its
    /// own, and re-encoding both halves at full size cost more than the rest of the heatmap stage.
    /// </summary>
    public const int DisplayMaxSide = 1024;

    /// <summary>JPEG quality of the preview: small files, findings still legible.</summary>
    public const int PreviewJpegQuality = 80;

    /// <summary>Which model endpoint serves which job (MEDVISION_MODEL_ROUTES).</summary>
    public Inference.ModelRoutingOptions Routes { get; init; } = new();
}

/// <summary>The object key layout (spec: S3 bucket structure).</summary>
public static class ObjectKeys
{
    public static string Raw(string imageId, string extension) => $"raw/{imageId}.{extension}";

    public static string Preprocessed(string imageId) => $"preprocessed/{imageId}.png";

    public static string Analysis(string imageId) => $"analysis/{imageId}.json";

    /// <summary>The detector's saliency map as it returned it (covers the whole image at the model's chosen resolution).</summary>
    public static string Saliency(string imageId) => $"analysis/{imageId}/saliency.png";

    /// <summary>A model input too large to send inline; the request carries this object's S3 URI.</summary>
    public static string ModelInput(string imageId, Inference.InferenceTask task, int width, int height) =>
        $"preprocessed/{imageId}/{Inference.InferenceTasks.WireName(task)}-{width}x{height}.png";

    public static string Heatmap(string imageId) => $"heatmaps/{imageId}/overlay.png";

    public static string HeatmapThumbnail(string imageId) => $"heatmaps/{imageId}/thumbnail.png";

    public static string HeatmapSideBySide(string imageId) => $"heatmaps/{imageId}/side-by-side.png";

    /// <summary>A small JPEG of the overlay for slow links (mobile clients, previews).</summary>
    public static string HeatmapPreview(string imageId) => $"heatmaps/{imageId}/preview.jpg";

    public static string ReportJson(string reportId) => $"reports/{reportId}/report.json";

    public static string FhirBundle(string reportId) => $"reports/{reportId}/fhir-bundle.json";

    public static string ReportPdf(string reportId) => $"reports/{reportId}/report.pdf";

    /// <summary>Detached signature over report.pdf and report.json (see ReportSignatures).</summary>
    public static string ReportSignature(string reportId) => $"reports/{reportId}/report.sig.json";
}
