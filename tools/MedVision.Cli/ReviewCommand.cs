using System.Text.Json.Nodes;
using MedVision.Asl;
using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Pipeline;
using MedVision.Core.Reports;
using MedVision.Hosting;

namespace MedVision.Cli;

public sealed record ReportReviewOptions(
    string Id, ReportReviewStatus Status, string OutputDirectory, string? StateDirectory, string ReviewerId, string? Conclusion);

public sealed record ReviewOptions(
    string ImageId, string Modality, string OutputDirectory, string? StateDirectory, string ReviewerId, Uri? ModelEndpoint = null);

/// <summary>
/// `medvision review modality`: answers the manual review an `analyze` run left waiting. Opens the same local state,
/// sets the modality, lets the execution continue (in this process when the one that parked it has exited), and
/// exports the image's outputs where analyze put them.
/// </summary>
public sealed class ReviewCommand(TextWriter output, TextWriter error)
{
    public async Task<int> RunAsync(ReviewOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Modalities.TryParse(options.Modality, out var modality))
        {
            error.WriteLine($"error: unknown modality '{options.Modality}': use xray, mri, ct or ultrasound");
            return 2;
        }

        var stateDir = options.StateDirectory ?? Path.Combine(options.OutputDirectory, ".state");
        if (!File.Exists(Path.Combine(stateDir, "records.db")))
        {
            error.WriteLine($"error: no local state in {stateDir}: pass the --out (or --state) that analyze used");
            return 2;
        }

        using var platform = PipelineHost.Create(stateDir, modelEndpoint: options.ModelEndpoint);
        if (await platform.Platform.Records.GetAsync(options.ImageId, ct) is not { } record)
        {
            error.WriteLine($"error: no image {options.ImageId} in {stateDir}");
            return 2;
        }

        var label = LabelFor(options.OutputDirectory, record);
        var printer = new ProgressPrinter(output);
        using var subscription = platform.Events.Subscribe(printer.OnPipelineEvent);
        platform.Workflow.EventRecorded += printer.OnWorkflowEvent;
        printer.Register(record.ImageId, label);
        try
        {
            await platform.Services.Reviews.SetModalityAsync(record.ImageId, modality, options.ReviewerId, ct);
        }
        catch (Exception ex) when (ex is ConflictException or NotFoundException)
        {
            error.WriteLine($"error: {ex.Message} [{((MedVisionException)ex).Code}]");
            return 2;
        }

        var execution = await platform.Workflow.WaitAsync(record.ImageId, ct);
        record = await platform.Platform.Records.GetAsync(record.ImageId, ct)
            ?? throw new InvalidOperationException($"The record of image {options.ImageId} vanished.");
        var outDir = Path.Combine(options.OutputDirectory, label);
        await AnalyzeCommand.ExportAsync(platform, record, outDir, ct);
        UpdateSummary(options.OutputDirectory, record);
        printer.Line($"review: image {record.ImageId} is {record.Status.WireName()}; outputs in {outDir}");
        if (record.Status == ImageStatus.Failed || execution.Status is ExecutionStatus.Failed or ExecutionStatus.TimedOut)
        {
            error.WriteLine($"error: {record.ImageId}: analysis failed: {record.ErrorMessage ?? execution.Cause} [{record.ErrorCode ?? execution.Error}]");
            return 1;
        }

        return 0;
    }

    /// <summary>`medvision review report`: final/amended sign-off of a report in the local state, then re-export.</summary>
    public async Task<int> RunReportAsync(ReportReviewOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var stateDir = options.StateDirectory ?? Path.Combine(options.OutputDirectory, ".state");
        if (!File.Exists(Path.Combine(stateDir, "records.db")))
        {
            error.WriteLine($"error: no local state in {stateDir}: pass the --out (or --state) that analyze used");
            return 2;
        }

        using var platform = PipelineHost.Create(stateDir);
        ReportReviewResult result;
        try
        {
            result = await platform.Services.ReportReviews.ReviewAsync(options.Id, options.Status, options.ReviewerId, options.Conclusion, ct);
        }
        catch (MedVisionException ex)
        {
            error.WriteLine($"error: {ex.Message} [{ex.Code}]");
            return 2;
        }

        var record = await platform.Platform.Records.GetAsync(result.ImageId, ct)
            ?? throw new InvalidOperationException($"The record of image {result.ImageId} vanished.");
        var outDir = Path.Combine(options.OutputDirectory, LabelFor(options.OutputDirectory, record));
        await AnalyzeCommand.ExportAsync(platform, record, outDir, ct);
        output.WriteLine(
            $"review: report {result.ReportId} (image {result.ImageId}) {result.PreviousStatus} -> {result.Status} by {result.ReviewerId}; DiagnosticReport/{result.DiagnosticReportId}; outputs in {outDir}");
        return 0;
    }

    /// <summary>
    /// Brings analyze's summary.json up to date: this image's status and error, and the counts. A missing or damaged
    /// summary is left alone (the image's own folder is the record of truth).
    /// </summary>
    private static void UpdateSummary(string outDir, ImageRecord record)
    {
        var summaryPath = Path.Combine(outDir, "summary.json");
        if (!File.Exists(summaryPath))
        {
            return;
        }

        try
        {
            if (JsonNode.Parse(File.ReadAllText(summaryPath)) is not JsonObject summary || summary["results"] is not JsonArray results)
            {
                return;
            }

            var status = record.Status.WireName();
            foreach (var result in results.OfType<JsonObject>().Where(r => (string?)r["image_id"] == record.ImageId))
            {
                result["status"] = status;
                result["error"] = record.Status == ImageStatus.Failed ? record.ErrorMessage : null;
            }

            foreach (var key in new[] { ImageStatus.Completed, ImageStatus.ManualReview, ImageStatus.Failed }.Select(s => s.WireName()))
            {
                summary[key] = results.Count(r => (string?)r?["status"] == key);
            }

            File.WriteAllBytes(summaryPath, Core.Json.JsonNodes.ToUtf8(summary));
        }
        catch (System.Text.Json.JsonException)
        {
            // A damaged summary is not this command's to repair.
        }
    }

    /// <summary>The folder analyze exported this image to (from its summary.json), else one named after the file.</summary>
    private static string LabelFor(string outDir, ImageRecord record)
    {
        var summaryPath = Path.Combine(outDir, "summary.json");
        if (File.Exists(summaryPath))
        {
            try
            {
                var results = JsonNode.Parse(File.ReadAllText(summaryPath))?["results"]?.AsArray() ?? [];
                var match = results.FirstOrDefault(r => (string?)r?["image_id"] == record.ImageId);
                if ((string?)match?["output_directory"] is { Length: > 0 } dir)
                {
                    return Path.GetFileName(Path.TrimEndingDirectorySeparator(dir));
                }
            }
            catch (System.Text.Json.JsonException)
            {
                // A damaged summary only costs the folder name.
            }
        }

        var stem = Path.GetFileNameWithoutExtension(record.FileName);
        return string.IsNullOrEmpty(stem) ? record.ImageId : stem;
    }
}
