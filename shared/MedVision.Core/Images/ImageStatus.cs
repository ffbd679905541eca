using System.Text.Json.Serialization;
using MedVision.Core.Json;

namespace MedVision.Core.Images;

/// <summary>Lifecycle of an uploaded image: uploaded → processing(stage) → completed | failed | manual_review.</summary>
[JsonConverter(typeof(ImageStatusJsonConverter))]
public enum ImageStatus
{
    Uploaded,
    Processing,
    Completed,
    Failed,
    ManualReview,
}

/// <summary>The pipeline stages, in the order the state machine runs them.</summary>
[JsonConverter(typeof(PipelineStageJsonConverter))]
public enum PipelineStage
{
    Upload,
    Classify,
    ManualReview,
    Analyze,
    Heatmap,
    Report,
    Finalize,
}

/// <summary>How a stage ended, as its timing on the record says.</summary>
[JsonConverter(typeof(StageOutcomeJsonConverter))]
public enum StageOutcome
{
    Succeeded,

    /// <summary>The manual review stage handed the image to a person; the execution waits on its task token.</summary>
    Parked,

    /// <summary>A stage the state machine tolerates failing (the heatmap): the run went on without it.</summary>
    Degraded,
    Failed,
}

[JsonConverter(typeof(FileFormatJsonConverter))]
public enum FileFormat
{
    Dicom,
    Png,
    Jpeg,
}

[JsonConverter(typeof(StorageTypeJsonConverter))]
public enum StorageType
{
    S3,
    HealthImaging,
}

/// <summary>The wire names of the record's enums: JSON, progress lines and summaries all use these.</summary>
public static class ImageWireNames
{
    public static WireEnum<ImageStatus> Statuses { get; } = new(
        (ImageStatus.Uploaded, "uploaded"),
        (ImageStatus.Processing, "processing"),
        (ImageStatus.Completed, "completed"),
        (ImageStatus.Failed, "failed"),
        (ImageStatus.ManualReview, "manual_review"));

    public static WireEnum<PipelineStage> Stages { get; } = new(
        (PipelineStage.Upload, "upload"),
        (PipelineStage.Classify, "classify"),
        (PipelineStage.ManualReview, "manual_review"),
        (PipelineStage.Analyze, "analyze"),
        (PipelineStage.Heatmap, "heatmap"),
        (PipelineStage.Report, "report"),
        (PipelineStage.Finalize, "finalize"));

    public static WireEnum<StageOutcome> Outcomes { get; } = new(
        (StageOutcome.Succeeded, "succeeded"),
        (StageOutcome.Parked, "parked"),
        (StageOutcome.Degraded, "degraded"),
        (StageOutcome.Failed, "failed"));

    public static WireEnum<FileFormat> FileFormats { get; } = new(
        (FileFormat.Dicom, "DICOM"),
        (FileFormat.Png, "PNG"),
        (FileFormat.Jpeg, "JPEG"));

    public static WireEnum<StorageType> StorageTypes { get; } = new(
        (StorageType.S3, "s3"),
        (StorageType.HealthImaging, "healthimaging"));

    public static string WireName(this ImageStatus status) => Statuses.Name(status);

    public static string WireName(this PipelineStage stage) => Stages.Name(stage);

    public static string WireName(this StageOutcome outcome) => Outcomes.Name(outcome);

    public static string WireName(this FileFormat format) => FileFormats.Name(format);

    public static string WireName(this StorageType type) => StorageTypes.Name(type);
}

public sealed class ImageStatusJsonConverter() : WireEnumConverter<ImageStatus>(ImageWireNames.Statuses);

public sealed class PipelineStageJsonConverter() : WireEnumConverter<PipelineStage>(ImageWireNames.Stages);

public sealed class StageOutcomeJsonConverter() : WireEnumConverter<StageOutcome>(ImageWireNames.Outcomes);

public sealed class FileFormatJsonConverter() : WireEnumConverter<FileFormat>(ImageWireNames.FileFormats);

public sealed class StorageTypeJsonConverter() : WireEnumConverter<StorageType>(ImageWireNames.StorageTypes);

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
