using System.Text.Json.Serialization;
using MedVision.Core.Images;
using MedVision.Core.Json;

namespace MedVision.Core.Ports;

/// <summary>What happened to an image (the event's detail-type in EventBridge).</summary>
[JsonConverter(typeof(PipelineEventTypeJsonConverter))]
public enum PipelineEventType
{
    ImageUploaded,
    StageCompleted,
    StageDegraded,
    ImageCompleted,
    ImageFailed,
    ImageManualReview,
}

public static class PipelineEventTypes
{
    public static WireEnum<PipelineEventType> WireNames { get; } = new(
        (PipelineEventType.ImageUploaded, "image.uploaded"),
        (PipelineEventType.StageCompleted, "stage.completed"),
        (PipelineEventType.StageDegraded, "stage.degraded"),
        (PipelineEventType.ImageCompleted, "image.completed"),
        (PipelineEventType.ImageFailed, "image.failed"),
        (PipelineEventType.ImageManualReview, "image.manual_review"));

    public static string WireName(this PipelineEventType type) => WireNames.Name(type);
}

public sealed class PipelineEventTypeJsonConverter() : WireEnumConverter<PipelineEventType>(PipelineEventTypes.WireNames);

/// <summary>A status update for one image (Property 29/30). Carries ids and stage facts, never patient data.</summary>
public sealed record PipelineEvent
{
    public required PipelineEventType Type { get; init; }
    public required string ImageId { get; init; }
    public required string UserId { get; init; }
    public PipelineStage? Stage { get; init; }
    public required ImageStatus Status { get; init; }
    public required DateTimeOffset Timestamp { get; init; }
    public double? DurationMs { get; init; }
    public string? Detail { get; init; }
}
