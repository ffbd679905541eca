using System.Text.Json.Serialization;
using MedVision.Core.Images;

namespace MedVision.Core.Ports;

/// <summary>A status update for one image (Property 29/30). Carries ids and stage facts, never patient data.</summary>
public sealed record PipelineEvent
{
    public const string StageCompleted = "stage.completed";
    public const string StageDegraded = "stage.degraded";
    public const string ImageUploaded = "image.uploaded";
    public const string ImageCompleted = "image.completed";
    public const string ImageFailed = "image.failed";
    public const string ImageManualReview = "image.manual_review";

    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("image_id")] public required string ImageId { get; init; }
    [JsonPropertyName("user_id")] public required string UserId { get; init; }
    [JsonPropertyName("stage")] public PipelineStage? Stage { get; init; }
    [JsonPropertyName("status")] public required ImageStatus Status { get; init; }
    [JsonPropertyName("timestamp")] public required DateTimeOffset Timestamp { get; init; }
    [JsonPropertyName("duration_ms")] public double? DurationMs { get; init; }
    [JsonPropertyName("detail")] public string? Detail { get; init; }
}
