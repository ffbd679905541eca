using Microsoft.Extensions.Logging;

namespace MedVision.Core.Observability;

/// <summary>
/// Event id ranges by area, so a log query can select an area by number: 1xxx the Lambda runtime, 2xxx the pipeline's
/// stages, 3xxx uploads, 4xxx reviews. Every message carries ids only (image, request, report), never patient data.
/// </summary>
public static class LogAreas
{
    public const int Runtime = 1000;
    public const int Pipeline = 2000;
    public const int Uploads = 3000;
    public const int Reviews = 4000;
}

/// <summary>The pipeline's log lines (2xxx), written by <see cref="Pipeline.StageTracker"/> as each stage moves.</summary>
public static partial class PipelineLog
{
    [LoggerMessage(EventId = LogAreas.Pipeline + 1, EventName = "StageStarted", Level = LogLevel.Information,
        Message = "Stage {Stage} started for image {ImageId}")]
    public static partial void StageStarted(this ILogger logger, string imageId, Images.PipelineStage stage);

    [LoggerMessage(EventId = LogAreas.Pipeline + 2, EventName = "StageCompleted", Level = LogLevel.Information,
        Message = "Stage {Stage} completed for image {ImageId}")]
    public static partial void StageCompleted(this ILogger logger, string imageId, Images.PipelineStage stage);

    [LoggerMessage(EventId = LogAreas.Pipeline + 3, EventName = "StageDegraded", Level = LogLevel.Warning,
        Message = "Stage {Stage} degraded for image {ImageId}: {Code}")]
    public static partial void StageDegraded(this ILogger logger, string imageId, Images.PipelineStage stage, string code);

    [LoggerMessage(EventId = LogAreas.Pipeline + 4, EventName = "PipelineFailed", Level = LogLevel.Error,
        Message = "Pipeline failed for image {ImageId}: {Code}")]
    public static partial void PipelineFailed(this ILogger logger, string imageId, string code);

    [LoggerMessage(EventId = LogAreas.Pipeline + 5, EventName = "PipelineFinished", Level = LogLevel.Information,
        Message = "Pipeline finished for image {ImageId}")]
    public static partial void PipelineFinished(this ILogger logger, string imageId);

    [LoggerMessage(EventId = LogAreas.Uploads + 1, EventName = "UploadRecorded", Level = LogLevel.Information,
        Message = "Upload recorded as image {ImageId}")]
    public static partial void UploadRecorded(this ILogger logger, string imageId);

    [LoggerMessage(EventId = LogAreas.Reviews + 1, EventName = "ManualReviewRequested", Level = LogLevel.Information,
        Message = "Image {ImageId} waits for manual review")]
    public static partial void ManualReviewRequested(this ILogger logger, string imageId);

    [LoggerMessage(EventId = LogAreas.Reviews + 2, EventName = "ManualReviewAnswered", Level = LogLevel.Information,
        Message = "Manual review answered for image {ImageId}")]
    public static partial void ManualReviewAnswered(this ILogger logger, string imageId);
}
