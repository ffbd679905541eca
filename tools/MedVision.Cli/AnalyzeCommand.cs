using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Asl;
using MedVision.Aws;
using MedVision.Core;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Hosting;

namespace MedVision.Cli;

public sealed record AnalyzeOptions(
    IReadOnlyList<string> Inputs, string OutputDirectory, int Parallelism, string UserId, string? StateDirectory,
    Uri? ModelEndpoint = null, string? ModelRoutesFile = null, PlatformKind Platform = PlatformKind.Local)
{
    /// <summary>Where `--platform aws` reads its settings; the process environment (and the AWS profile's region) when null.</summary>
    public Func<string, string?>? Environment { get; init; }
}

/// <summary>Which adapters the pipeline's ports run on: the embedded twins, or AWS (or its local stand-ins).</summary>
public enum PlatformKind
{
    Local,
    Aws,
}

/// <summary>What `--platform` and `--model-endpoint` together ask of a command that builds the pipeline.</summary>
public static class PlatformChoice
{
    /// <summary>
    /// The AWS settings for `--platform aws` (null for local). `--model-endpoint` with aws is a usage error; a missing
    /// setting is written to <paramref name="error"/> (each one named) and answered false.
    /// </summary>
    public static bool TryAwsSettings(
        PlatformKind platform, Uri? modelEndpoint, Func<string, string?>? environment, TextWriter error, out AwsSettings? aws)
    {
        ArgumentNullException.ThrowIfNull(error);
        aws = null;
        if (platform != PlatformKind.Aws)
        {
            return true;
        }

        if (modelEndpoint is not null)
        {
            throw new UsageException(
                $"--model-endpoint is for --platform local; with --platform aws, {AwsService.SageMakerRuntime.EndpointVariable} points SageMaker Runtime elsewhere");
        }

        try
        {
            aws = environment is not null ? AwsSettings.FromEnvironment(environment) : AwsSettings.FromEnvironment();
            return true;
        }
        catch (ValidationException ex)
        {
            error.WriteLine($"error: {ex.Message}");
            return false;
        }
    }
}

/// <summary>Outcome of one input file: the image's status, or none when the upload rejected it.</summary>
public sealed record ImageOutcome(string Input, string Label, string? ImageId, ImageStatus? Status, string? Error, string? OutputDirectory)
{
    public const string Rejected = "rejected";

    /// <summary>The status's wire name, as summary.json and the summary line give it.</summary>
    public string StatusName => Status?.WireName() ?? Rejected;
}

/// <summary>
/// `medvision analyze`: uploads every input through the upload service, lets the local workflow run the
/// state machine for each, and exports each image's outputs. Images run concurrently, bounded.
/// </summary>
public sealed class AnalyzeCommand(TextWriter output, TextWriter error)
{
    public async Task<int> RunAsync(AnalyzeOptions options, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        var files = ExpandInputs(options.Inputs, out var missing);
        foreach (var m in missing)
        {
            error.WriteLine($"error: {m}: no such file or directory");
        }

        if (files.Count == 0 && missing.Count == 0)
        {
            error.WriteLine("error: no input files found");
            return 2;
        }

        ModelRoutingOptions routes;
        try
        {
            routes = options.ModelRoutesFile is { } routesFile
                ? ModelRoutingOptions.Parse(await File.ReadAllTextAsync(routesFile, ct))
                : ModelRoutingOptions.FromEnvironment(Environment.GetEnvironmentVariable(ModelRoutingOptions.EnvironmentVariable));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ValidationException)
        {
            error.WriteLine($"error: model routes: {ex.Message}");
            return 2;
        }

        if (!PlatformChoice.TryAwsSettings(options.Platform, options.ModelEndpoint, options.Environment, error, out var aws))
        {
            return 2;
        }

        Directory.CreateDirectory(options.OutputDirectory);
        var stateDir = options.StateDirectory ?? Path.Combine(options.OutputDirectory, ".state");
        using var platform = aws is null
            ? PipelineHost.Create(stateDir, modelEndpoint: options.ModelEndpoint, routes: routes)
            : PipelineHost.CreateAws(aws, stateDir, routes: routes);

        var printer = new ProgressPrinter(output);
        if (aws is not null)
        {
            printer.Line($"platform: aws in {aws.Region}: bucket {aws.Bucket}, table {aws.Table}, HealthImaging {aws.HealthImagingDatastoreId}, "
                + $"HealthLake {aws.HealthLakeDatastoreId}, event bus {aws.EventBus}{Overrides(aws)}");
        }

        if (options.ModelEndpoint is { } endpoint)
        {
            printer.Line($"models: over HTTP at {endpoint}");
        }
        using var subscription = platform.Events.Subscribe(printer.OnPipelineEvent);
        platform.Workflow.EventRecorded += printer.OnWorkflowEvent;

        var labels = UniqueLabels(files);
        printer.Line($"medvision analyze: {files.Count} image(s), {options.Parallelism} in parallel, outputs in {options.OutputDirectory}");
        var stopwatch = Stopwatch.StartNew();
        var outcomes = new ImageOutcome[files.Count];
        await Parallel.ForEachAsync(
            Enumerable.Range(0, files.Count),
            new ParallelOptions { MaxDegreeOfParallelism = options.Parallelism, CancellationToken = ct },
            async (i, token) => outcomes[i] = await ProcessAsync(platform, printer, files[i], labels[i], options, token));
        stopwatch.Stop();

        var all = outcomes.Concat(missing.Select(m => new ImageOutcome(m, Path.GetFileName(m), null, null, "no such file or directory", null))).ToList();
        WriteSummary(options.OutputDirectory, all, stopwatch.Elapsed, printer);
        return all.All(o => o.Status is ImageStatus.Completed or ImageStatus.ManualReview) ? 0 : 1;
    }

    private async Task<ImageOutcome> ProcessAsync(
        PipelineHost platform, ProgressPrinter printer, string file, string label, AnalyzeOptions options, CancellationToken ct)
    {
        byte[] content;
        try
        {
            content = await File.ReadAllBytesAsync(file, ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return Rejected(printer, file, label, $"cannot read file: {ex.Message}");
        }

        UploadResult upload;
        try
        {
            upload = await platform.Services.Uploads.UploadAsync(
                new UploadCommand { UserId = options.UserId, Content = content, FileName = Path.GetFileName(file) }, ct);
        }
        catch (MedVisionException ex)
        {
            return Rejected(printer, file, label, $"{ex.Message} [{ex.Code}]");
        }

        printer.Register(upload.ImageId, label);
        var execution = await platform.Workflow.WaitAsync(upload.ImageId, ct);
        var record = await platform.Platform.Records.GetAsync(upload.ImageId, ct)
            ?? throw new InvalidOperationException($"The record of image {upload.ImageId} vanished.");
        var outDir = Path.Combine(options.OutputDirectory, label);
        await ExportAsync(platform, record, outDir, ct);

        var problem = record.Status == ImageStatus.Failed
            ? $"{record.ErrorMessage} [{record.ErrorCode}]"
            : execution.Status is ExecutionStatus.Succeeded or ExecutionStatus.WaitingForCallback ? null : $"{execution.Error}: {execution.Cause}";
        if (record.Status == ImageStatus.Failed)
        {
            error.WriteLine($"error: {file}: analysis failed: {problem}");
        }
        else if (execution.Status == ExecutionStatus.WaitingForCallback && record.Status == ImageStatus.ManualReview)
        {
            // The execution waits (up to 7 days) on its task token; say exactly how to answer it.
            var guess = record.Classification?.Modality.WireName() ?? "xray";
            var command = $"medvision review modality {record.ImageId} {guess} --out {Quote(options.OutputDirectory)}"
                + (options.StateDirectory is { } state ? $" --state {Quote(state)}" : string.Empty);
            printer.Line($"[{label}] {"review",-13} set the modality (the classifier's best guess is {guess}): {command}");
        }

        return new ImageOutcome(file, label, upload.ImageId, record.Status, problem, outDir);
    }

    private ImageOutcome Rejected(ProgressPrinter printer, string file, string label, string message)
    {
        printer.Line($"[{label}] {"upload",-13} REJECTED: {message}");
        error.WriteLine($"error: {file}: {message}");
        return new ImageOutcome(file, label, null, null, message, null);
    }

    private static string Overrides(AwsSettings settings) =>
        settings.Endpoints.Count == 0
            ? ""
            : "; endpoints: " + string.Join(", ", AwsService.All.Where(s => settings.EndpointOf(s) is not null)
                .Select(s => $"{s.EndpointKey.ToLowerInvariant()} {settings.EndpointOf(s)!.AbsoluteUri.TrimEnd('/')}"));

    private static string Quote(string path) => path.Any(char.IsWhiteSpace) || path.Contains('\'', StringComparison.Ordinal)
        ? $"'{path.Replace("'", "'\\''", StringComparison.Ordinal)}'"
        : path;

    /// <summary>Copies an image's results out of the twins: analysis, heatmaps, report, FHIR bundle, record.</summary>
    public static async Task ExportAsync(PipelineHost platform, ImageRecord record, string outDir, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(platform);
        ArgumentNullException.ThrowIfNull(record);
        Directory.CreateDirectory(outDir);
        async Task Copy(string key, string name)
        {
            if (await platform.Platform.Objects.GetAsync(key, ct) is { } obj)
            {
                await File.WriteAllBytesAsync(Path.Combine(outDir, name), obj.Content, ct);
            }
        }

        await Copy(ObjectKeys.Analysis(record.ImageId), "analysis.json");
        await Copy(ObjectKeys.Heatmap(record.ImageId), "heatmap.png");
        await Copy(ObjectKeys.HeatmapThumbnail(record.ImageId), "heatmap-thumbnail.png");
        await Copy(ObjectKeys.HeatmapSideBySide(record.ImageId), "side-by-side.png");
        await Copy(ObjectKeys.HeatmapPreview(record.ImageId), "heatmap-preview.jpg");
        await Copy(ObjectKeys.Saliency(record.ImageId), "saliency.png");
        if (record.ReportId is { } reportId)
        {
            await Copy(ObjectKeys.ReportJson(reportId), "report.json");
            await Copy(ObjectKeys.FhirBundle(reportId), "fhir-bundle.json");
            await Copy(ObjectKeys.ReportPdf(reportId), "report.pdf");
            await Copy(ObjectKeys.ReportSignature(reportId), "report.sig.json");
        }

        // The review task token is a capability to resume the run: it stays in the record store.
        await File.WriteAllBytesAsync(
            Path.Combine(outDir, "record.json"),
            JsonSerializer.SerializeToUtf8Bytes(record with { ReviewTaskToken = null }, MedVisionJsonContext.Default.ImageRecord), ct);
    }

    private static void WriteSummary(string outDir, List<ImageOutcome> outcomes, TimeSpan elapsed, ProgressPrinter printer)
    {
        int Count(ImageStatus? status) => outcomes.Count(o => o.Status == status);
        var completed = Count(ImageStatus.Completed);
        var seconds = Math.Max(elapsed.TotalSeconds, 1e-6);
        var summary = new JsonObject
        {
            ["images"] = outcomes.Count,
            [ImageStatus.Completed.WireName()] = completed,
            [ImageStatus.ManualReview.WireName()] = Count(ImageStatus.ManualReview),
            [ImageStatus.Failed.WireName()] = Count(ImageStatus.Failed),
            [ImageOutcome.Rejected] = Count(null),
            ["elapsed_seconds"] = Math.Round(elapsed.TotalSeconds, 3),
            ["images_per_second"] = Math.Round(outcomes.Count(o => o.ImageId is not null) / seconds, 3),
            ["results"] = new JsonArray(outcomes.Select(o => (JsonNode)new JsonObject
            {
                ["input"] = o.Input,
                ["image_id"] = o.ImageId,
                ["status"] = o.StatusName,
                ["error"] = o.Error,
                ["output_directory"] = o.OutputDirectory,
            }).ToArray()),
        };
        File.WriteAllBytes(Path.Combine(outDir, "summary.json"), JsonNodes.ToUtf8(summary));
        printer.Line(string.Create(
            CultureInfo.InvariantCulture,
            $"summary: {outcomes.Count} image(s): {completed} completed, {Count(ImageStatus.ManualReview)} manual review, {Count(ImageStatus.Failed)} failed, " +
            $"{Count(null)} rejected in {elapsed.TotalSeconds:0.00} s ({summary["images_per_second"]} images/s); see {Path.Combine(outDir, "summary.json")}"));
    }

    /// <summary>Files as given, folders expanded recursively (hidden entries skipped), in a stable order.</summary>
    public static List<string> ExpandInputs(IEnumerable<string> inputs, out List<string> missing)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        var files = new List<string>();
        missing = [];
        foreach (var input in inputs)
        {
            if (File.Exists(input))
            {
                files.Add(input);
            }
            else if (Directory.Exists(input))
            {
                files.AddRange(Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories)
                    .Where(f => !Path.GetRelativePath(input, f).Split(Path.DirectorySeparatorChar).Any(p => p.StartsWith('.')))
                    .Order(StringComparer.Ordinal));
            }
            else
            {
                missing.Add(input);
            }
        }

        return files;
    }

    /// <summary>Output folder names from file names, made unique when two inputs share a name.</summary>
    public static List<string> UniqueLabels(IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var used = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var labels = new List<string>();
        foreach (var f in files)
        {
            var stem = Path.GetFileNameWithoutExtension(f);
            stem = string.IsNullOrEmpty(stem) ? "image" : stem;
            var label = stem;
            for (var n = 2; !used.Add(label); n++)
            {
                label = $"{stem}-{n}";
            }

            labels.Add(label);
        }

        return labels;
    }
}
