using System.Text.Json.Serialization;

namespace MedVision.Core.Images;

/// <summary>Lifecycle of an uploaded image: uploaded → processing(stage) → completed | failed | manual_review.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<ImageStatus>))]
public enum ImageStatus
{
    [JsonStringEnumMemberName("uploaded")] Uploaded,
    [JsonStringEnumMemberName("processing")] Processing,
    [JsonStringEnumMemberName("completed")] Completed,
    [JsonStringEnumMemberName("failed")] Failed,
    [JsonStringEnumMemberName("manual_review")] ManualReview,
}

/// <summary>The pipeline stages, in the order the state machine runs them.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PipelineStage>))]
public enum PipelineStage
{
    [JsonStringEnumMemberName("upload")] Upload,
    [JsonStringEnumMemberName("classify")] Classify,
    [JsonStringEnumMemberName("manual_review")] ManualReview,
    [JsonStringEnumMemberName("analyze")] Analyze,
    [JsonStringEnumMemberName("heatmap")] Heatmap,
    [JsonStringEnumMemberName("report")] Report,
    [JsonStringEnumMemberName("finalize")] Finalize,
}

[JsonConverter(typeof(JsonStringEnumConverter<FileFormat>))]
public enum FileFormat
{
    [JsonStringEnumMemberName("DICOM")] Dicom,
    [JsonStringEnumMemberName("PNG")] Png,
    [JsonStringEnumMemberName("JPEG")] Jpeg,
}

[JsonConverter(typeof(JsonStringEnumConverter<StorageType>))]
public enum StorageType
{
    [JsonStringEnumMemberName("s3")] S3,
    [JsonStringEnumMemberName("healthimaging")] HealthImaging,
}

public static class ImageStatusRules
{
    /// <summary>
    /// Allowed transitions. Processing → processing moves between stages; failed and manual_review can
    /// re-enter processing because the original upload is always kept for reprocessing.
    /// </summary>
    public static bool CanTransition(ImageStatus from, ImageStatus to) => (from, to) switch
    {
        (ImageStatus.Uploaded, ImageStatus.Processing) => true,
        (ImageStatus.Uploaded, ImageStatus.Failed) => true,
        (ImageStatus.Processing, ImageStatus.Processing) => true,
        (ImageStatus.Processing, ImageStatus.Completed) => true,
        (ImageStatus.Processing, ImageStatus.Failed) => true,
        (ImageStatus.Processing, ImageStatus.ManualReview) => true,
        (ImageStatus.ManualReview, ImageStatus.Processing) => true,
        (ImageStatus.ManualReview, ImageStatus.Failed) => true,
        (ImageStatus.Failed, ImageStatus.Processing) => true,
        _ => false,
    };

    public static bool IsTerminal(ImageStatus status) =>
        status is ImageStatus.Completed or ImageStatus.Failed or ImageStatus.ManualReview;
}
