using System.Collections.Concurrent;
using System.Globalization;
using MedVision.Asl;
using MedVision.Core.Images;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;

namespace MedVision.Cli;

/// <summary>
/// One line per stage per image. Events can arrive before the upload call has returned the image id
/// (the execution starts at once), so lines for unknown ids wait until the id's label is registered.
/// </summary>
public sealed class ProgressPrinter(TextWriter output)
{
    private readonly Lock gate = new();
    private readonly Dictionary<string, string> labels = new(StringComparer.Ordinal);
    private readonly Dictionary<string, List<string>> pending = new(StringComparer.Ordinal);

    public void Register(string imageId, string label)
    {
        lock (gate)
        {
            labels[imageId] = label;
            if (pending.Remove(imageId, out var lines))
            {
                foreach (var line in lines)
                {
                    output.WriteLine(Format(label, line));
                }
            }
        }
    }

    public void OnPipelineEvent(PipelineEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        var stage = e.Stage?.WireName() ?? "-";
        var text = e.Type switch
        {
            PipelineEventType.ImageUploaded => $"{PipelineStage.Upload.WireName(),-13} ok            {e.Detail}",
            PipelineEventType.StageCompleted => string.Create(
                CultureInfo.InvariantCulture, $"{stage,-13} ok {e.DurationMs,8:0.0} ms  {e.Detail}"),
            PipelineEventType.StageDegraded => $"{stage,-13} DEGRADED (continuing without it): {e.Detail}",
            PipelineEventType.ImageCompleted => $"{"pipeline",-13} COMPLETED",
            PipelineEventType.ImageManualReview => $"{"pipeline",-13} MANUAL REVIEW (modality confidence {e.Detail} < {Core.Classification.ModalityClassification.ManualReviewThreshold:0.00})",
            PipelineEventType.ImageFailed => $"{"pipeline",-13} FAILED in {stage}: {e.Detail}",
            _ => null,
        };
        if (text is not null)
        {
            Emit(e.ImageId, text);
        }
    }

    /// <summary>Retries and caught errors come from the interpreter's history, not from the stages.</summary>
    public void OnWorkflowEvent(string executionName, ExecutionEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (e.Type is "RetryScheduled" or "CatchTaken")
        {
            Emit(executionName, $"{e.StateName,-13} {(e.Type == "RetryScheduled" ? "retry" : "caught")}  {e.Detail}");
        }
    }

    public void Line(string text)
    {
        lock (gate)
        {
            output.WriteLine(text);
        }
    }

    private void Emit(string imageId, string text)
    {
        lock (gate)
        {
            if (labels.TryGetValue(imageId, out var label))
            {
                output.WriteLine(Format(label, text));
            }
            else
            {
                (pending.TryGetValue(imageId, out var list) ? list : pending[imageId] = []).Add(text);
            }
        }
    }

    private static string Format(string label, string text) => $"[{label}] {text}";
}
