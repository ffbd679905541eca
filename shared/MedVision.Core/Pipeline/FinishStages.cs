using System.Text.Json;
using MedVision.Core.Json;

namespace MedVision.Core.Pipeline;

/// <summary>Terminal stages: finalize (completed), manual review (parked) and mark-failed (the Catch target).</summary>
public sealed class FinishStages(StageTracker tracker)
{
    public async Task<StatusResult> FinalizeAsync(StageRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var record = await tracker.FinishAsync(request.ImageId, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status, ReportId = record.ReportId };
    }

    /// <summary>
    /// Classification below the confidence threshold: park the image for a human to confirm the modality. The
    /// execution waits on <see cref="ManualReviewRequest.TaskToken"/>, kept on the record for <see cref="ManualReviewService"/>.
    /// </summary>
    public async Task<StatusResult> RequestManualReviewAsync(ManualReviewRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (string.IsNullOrWhiteSpace(request.TaskToken))
        {
            throw new ValidationException("event.invalid", "A manual review event must carry the task token.");
        }

        var record = await tracker.ParkAsync(request.ImageId, request.TaskToken, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status };
    }

    /// <summary>
    /// Records a failed run with its reason. The original upload is never touched, so the image can be
    /// reprocessed (Property 43).
    /// </summary>
    public async Task<StatusResult> MarkFailedAsync(FailureRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var (code, message) = Describe(request.Error);
        var record = await tracker.FailAsync(request.ImageId, code, message, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status };
    }

    /// <summary>
    /// A stage whose failure the state machine tolerates (the heatmap): close its timing as degraded with the
    /// reason, so the record says why the visualization is missing, and let the run go on.
    /// </summary>
    public async Task<StatusResult> RecordDegradedAsync(FailureRequest request, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var stage = request.Stage ?? throw new ValidationException("event.invalid", "A degraded-stage event must name its stage.");
        var (code, message) = Describe(request.Error);
        var record = await tracker.DegradeAsync(request.ImageId, stage, code, message, ct);
        return new StatusResult { ImageId = record.ImageId, Status = record.Status };
    }

    /// <summary>Extracts a readable reason from a Catch's {Error, Cause}; Lambda puts a JSON body in Cause.</summary>
    public static (string Code, string Message) Describe(StateError? error)
    {
        var code = error?.Error ?? "States.Unknown";
        var cause = error?.Cause;
        if (cause is not null && cause.TrimStart().StartsWith('{'))
        {
            try
            {
                var parsed = JsonSerializer.Deserialize(cause, MedVisionJsonContext.Default.LambdaErrorCause);
                if (parsed?.ErrorMessage is { } msg)
                {
                    return (code, msg);
                }
            }
            catch (JsonException)
            {
                // Not Lambda's shape: keep the raw cause below.
            }
        }

        return (code, string.IsNullOrWhiteSpace(cause) ? $"The pipeline failed with {code}." : cause);
    }
}
