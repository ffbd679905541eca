using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Functions;
using MedVision.Imaging;
using MedVision.Local.Events;
using MedVision.Local.Twins;
using MedVision.Models;

namespace MedVision.Bench.Stages;

/// <summary>
/// Per-image cost of the pipeline's stage handlers (classify, analyze, heatmap, report) on the local platform's real
/// composition: twins for storage, FHIR and records, the reference models in process, the handler catalog the Lambda
/// bootstrap hosts. Each run uploads a fresh image, then calls the stage handlers in the state machine's
/// happy-path order and times each call. Writes the ## Stage costs section.
/// </summary>
internal static class StageCostBench
{
    public const string Heading = "## Stage costs";

    /// <summary>The stages the issue's targets sum; the upload API and finalize are timed and counted too, for the cost model, outside the sum.</summary>
    private static readonly string[] Stages = [HandlerNames.Classify, HandlerNames.Analyze, HandlerNames.Heatmap, HandlerNames.Report];

    private static readonly string[] TimedStages = ["upload", .. Stages, HandlerNames.Finalize];

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private static readonly (string Input, double TargetMs)[] Targets =
    [
        ("3056x2544 16-bit radiograph (7.8 MP)", 600),
        ("512x512 8-bit CT slice", 40),
    ];

    public static int Run(int runs, string outFile, string? baselinePath, string? saveJson)
    {
        return RunAsync(runs, outFile, baselinePath, saveJson).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int runs, string outFile, string? baselinePath, string? saveJson)
    {
        var radiograph = SyntheticStudies.ChestXray(7, 3056, 2544);
        var radiograph16 = new Raster(radiograph.Width, radiograph.Height, ColorModel.Gray, 16);
        var samples16 = radiograph16.Samples16;
        for (var i = 0; i < radiograph.Data.Length; i++)
        {
            samples16[i] = (ushort)((radiograph.Data[i] << 8) | ((i * 37) & 0xFF)); // full 16-bit range, noisy low byte like a detector
        }

        var inputs = new (string Name, byte[] Png)[]
        {
            (Targets[0].Input, PngEncoder.Encode(radiograph16)),
            (Targets[1].Input, PngEncoder.Encode(SyntheticStudies.AbdomenCt(3, 512, 512))),
        };

        var work = Directory.CreateTempSubdirectory("medvision-bench-stages-").FullName;
        var results = new Dictionary<string, Dictionary<string, double>>();
        var calls = new Dictionary<string, Dictionary<string, long>>();
        try
        {
            using var platform = LocalPlatform.Create(work);
            foreach (var (name, png) in inputs)
            {
                Console.WriteLine($"==> {name} ({png.Length} B PNG), {runs} runs after a warm-up");
                var samples = TimedStages.ToDictionary(s => s, _ => new List<double>());
                for (var run = -1; run < runs; run++)
                {
                    var times = await OneImageAsync(platform, png);
                    if (run < 0)
                    {
                        continue; // warm-up: JIT, first SQLite pages, first model calls
                    }

                    foreach (var (stage, ms) in times)
                    {
                        samples[stage].Add(ms);
                    }
                }

                calls[name] = platform.Counter.Counts.ToDictionary(kv => $"{kv.Key.Stage}: {kv.Key.Call}", kv => kv.Value);
                var medians = TimedStages.ToDictionary(s => s, s => Median(samples[s]));
                // The sum is of the per-run totals' median, so one slow stage in one run does not count twice.
                var perRunSums = Enumerable.Range(0, runs).Select(i => Stages.Sum(s => samples[s][i])).ToList();
                medians["sum"] = Median(perRunSums);
                results[name] = medians;
                Console.WriteLine("    " + string.Join(" | ", medians.Select(kv => F($"{kv.Key} {kv.Value:0.0} ms"))));
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }

        var baseline = baselinePath is not null && File.Exists(baselinePath)
            ? JsonSerializer.Deserialize<Dictionary<string, Dictionary<string, double>>>(File.ReadAllText(baselinePath))
            : null;
        if (saveJson is not null)
        {
            File.WriteAllText(saveJson, JsonSerializer.Serialize(results, Indented) + "\n");
        }

        var md = ToMarkdown(runs, results, baseline, baselinePath, calls);
        File.WriteAllText(outFile, Models.ModelsBench.ReplaceSection(File.Exists(outFile) ? File.ReadAllText(outFile) : "# Benchmarks\n", md, Heading));
        Console.WriteLine(md);
        return 0;
    }

    /// <summary>Uploads one image (untimed) and times each stage handler on it, in the state machine's order.</summary>
    private static async Task<List<(string Stage, double Ms)>> OneImageAsync(LocalPlatform platform, byte[] png)
    {
        platform.Counter.Clear();
        platform.Counter.Stage = "upload";
        var times = new List<(string, double)>();
        var uploadStart = Stopwatch.GetTimestamp();
        var upload = await platform.Services.Uploads.UploadAsync(new UploadCommand { UserId = "bench", Content = png, FileName = "bench.png" });
        times.Add(("upload", Stopwatch.GetElapsedTime(uploadStart).TotalMilliseconds));
        var json = MedVisionJsonContext.Default;
        var stageRequest = JsonSerializer.SerializeToNode(new StageRequest { ImageId = upload.ImageId }, json.StageRequest)!;

        async Task<JsonNode?> Timed(string stage, JsonNode? input)
        {
            platform.Counter.Stage = stage;
            var start = Stopwatch.GetTimestamp();
            var output = await platform.Handlers.Get(stage).HandleAsync(input, CancellationToken.None);
            times.Add((stage, Stopwatch.GetElapsedTime(start).TotalMilliseconds));
            return output;
        }

        var classified = (await Timed(HandlerNames.Classify, stageRequest.DeepClone()))!.Deserialize(json.ModalityClassification)!;
        if (classified.RequiresManualReview)
        {
            throw new InvalidOperationException($"The bench image went to manual review ({classified.Confidence:0.00}); its timings would not be the happy path.");
        }

        await Timed(HandlerNames.Analyze, JsonSerializer.SerializeToNode(new AnalyzeRequest { ImageId = upload.ImageId, Modality = classified.Modality }, json.AnalyzeRequest));
        await Timed(HandlerNames.Heatmap, stageRequest.DeepClone());
        await Timed(HandlerNames.Report, stageRequest.DeepClone());
        await Timed(HandlerNames.Finalize, stageRequest.DeepClone());
        // The finished record's size decides DynamoDB's write units per put (1 KB each) and read units (4 KB each).
        platform.Counter.Stage = "record";
        var record = await platform.Services.Platform.Records.GetAsync(upload.ImageId);
        platform.Counter.Add("item JSON bytes (finished)", JsonSerializer.SerializeToUtf8Bytes(record!, json.ImageRecord).Length);
        return times;
    }

    private static string ToMarkdown(
        int runs, Dictionary<string, Dictionary<string, double>> results, Dictionary<string, Dictionary<string, double>>? baseline, string? baselinePath,
        Dictionary<string, Dictionary<string, long>> calls)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var load = File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";
        var md = new StringBuilder();
        md.AppendLine(Heading);
        md.AppendLine();
        md.AppendLine(F($"Made by `bash scripts/bench.sh stages {runs}` (it runs `dotnet run -c Release --project bench/MedVision.Bench -- stages"));
        md.AppendLine(F($"--baseline bench/MedVision.Bench/Stages/baseline.json`), one run on {Environment.ProcessorCount} cores ({cpu}), .NET {Environment.Version},"));
        md.AppendLine(F($"{DateTime.UtcNow:yyyy-MM-dd}, load average {load} at the end. Median of {runs} runs after a warm-up, JIT with"));
        md.AppendLine("tiered compilation off (`DOTNET_TieredCompilation=0`, set by scripts/bench.sh) as the nearest stand-in for the Native AOT bootstrap.");
        md.AppendLine("Each time is one stage handler's `HandleAsync` (state JSON in, stage, state JSON out) as the Lambda bootstrap calls it,");
        md.AppendLine("on the local platform's real composition (`PipelineServices` over the disk object store, SQLite records and FHIR");
        md.AppendLine("store, the reference models in process, the report signer). Each run uploads a fresh PNG through the upload service (timed as");
        md.AppendLine("\"upload\": it decodes the file and stores the 8-bit working copy under `preprocessed/`), then calls classify, analyze, heatmap, report and");
        md.AppendLine("finalize in the state machine's order (upload and finalize are outside the sum the targets judge). Nothing is kept in memory between stages: each reads what it needs from the stores,");
        md.AppendLine("as a separate Lambda process would. The sum is the median of the per-run sums. Inputs are synthetic (`SyntheticStudies`):");
        md.AppendLine("a chest radiograph using the full range of a 16-bit PNG (noisy low byte), and an abdomen CT slice as an 8-bit PNG.");
        md.AppendLine("Classify and analyze include the reference models running in process (## Models: about 45 ms of a 512×512 slice's");
        md.AppendLine("time); on AWS that work runs on the model endpoint while the handler waits for it. Timings of one run on this shared");
        md.AppendLine("2-core machine move by ±30%; the 512×512 rows are within that noise of each other before and after.");
        md.AppendLine();
        md.AppendLine("| image | stage | ms | before ms | gain |");
        md.AppendLine("|---|---|---:|---:|---:|");
        foreach (var (input, stages) in results)
        {
            foreach (var (stage, ms) in stages)
            {
                double? before = baseline?.GetValueOrDefault(input)?.TryGetValue(stage, out var b0) == true ? b0 : null;
                var label = stage == "sum" ? "**sum** (classify … report)" : stage;
                md.AppendLine(before is { } b
                    ? F($"| {input} | {label} | {ms:0.0} | {b:0.0} | {b / ms:0.0}× |")
                    : F($"| {input} | {label} | {ms:0.0} | — | — |"));
            }
        }

        md.AppendLine();
        md.AppendLine(baseline is null
            ? "No baseline file was given, so there is no before column."
            : F($"\"before\" is `{baselinePath}`, the medians of the same harness (`--save-json`) on the code before the stage-cost work (commit 641b500), run on the same machine just before this run."));
        md.AppendLine();
        md.AppendLine("### Port calls per image");
        md.AppendLine();
        md.AppendLine("Counted on the last run of each image by wrapping the ports (docs/cost-model.md prices them): object store PUT/GET");
        md.AppendLine("(S3), record store calls (DynamoDB), events (EventBridge), FHIR transactions (HealthLake), signatures (KMS).");
        md.AppendLine();
        md.AppendLine("| image | stage: call | count |");
        md.AppendLine("|---|---|---:|");
        foreach (var (input, counted) in calls)
        {
            foreach (var (call, n) in counted)
            {
                md.AppendLine(F($"| {input} | {call} | {n} |"));
            }
        }

        md.AppendLine();
        md.AppendLine("### Targets");
        md.AppendLine();
        foreach (var (input, target) in Targets)
        {
            if (results.TryGetValue(input, out var stages))
            {
                var met = stages["sum"] <= target;
                md.AppendLine(F($"- {input}: sum of stage handler times ≤ {target:0} ms: {(met ? "**met**" : "**missed**")} ({stages["sum"]:0.0} ms)."));
            }
        }

        return md.ToString();
    }

    /// <summary>The ## Stage costs section of the file at <paramref name="path"/>, appended to <paramref name="newContent"/> (codec mode rewrites the file).</summary>
    public static string KeepSection(string path, string newContent) => Models.ModelsBench.KeepSection(path, newContent, Heading);

    private static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// The local platform's ports (as `medvision` composes them) with a workflow that only records the executions the
    /// uploads start: this harness calls the handlers itself, so it can time each one.
    /// </summary>
    private sealed class LocalPlatform : IDisposable
    {
        private readonly List<IDisposable> owned = [];

        private LocalPlatform(string stateDirectory)
        {
            var time = TimeProvider.System;
            var objects = new DiskObjectStore(Path.Combine(stateDirectory, "objects"));
            var records = new SqliteRecordStore(Path.Combine(stateDirectory, "records.db"));
            owned.Add(records);
            var fhir = new SqliteFhirStore(Path.Combine(stateDirectory, "fhir.db"), time);
            owned.Add(fhir);
            var counted = new CountingObjectStore(objects, Counter);
            var routes = new ModelRoutingOptions();
            Services = new PipelineServices(new Platform
            {
                Objects = counted,
                Uploads = new DiskUploadSessions(objects),
                Archive = new DiskImageArchive(Path.Combine(stateDirectory, "healthimaging"), time),
                Fhir = new CountingFhirStore(fhir, Counter),
                Records = new CountingRecordStore(records, Counter),
                Inference = new InProcessModelHost(
                    routes, new ReferenceModelHost(new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector(), objects.ReadS3UriAsync)),
                Workflow = new RecordingWorkflow(),
                Events = new CountingEvents(new InProcessEventBus(), Counter),
                ReportSigner = new CountingSigner(LocalReportKey.OpenOrCreate(stateDirectory), Counter),
                Time = time,
                Ids = new UuidV7IdGenerator(time),
                Options = new PipelineOptions { Routes = routes },
            });
            Handlers = HandlerCatalog.Create(Services);
        }

        public PipelineServices Services { get; }

        public HandlerCatalog Handlers { get; }

        /// <summary>Port calls per stage of the image being run.</summary>
        public CallCounter Counter { get; } = new();

        public static LocalPlatform Create(string stateDirectory) => new(stateDirectory);

        public void Dispose()
        {
            foreach (var d in owned)
            {
                d.Dispose();
            }
        }
    }

    private sealed class RecordingWorkflow : IWorkflow
    {
        private readonly Dictionary<string, string> started = [];

        public Task<string> StartAsync(string executionName, string inputJson, CancellationToken cancellationToken = default)
        {
            started[executionName] = inputJson;
            return Task.FromResult("bench:" + executionName);
        }

        public Task SendTaskSuccessAsync(string taskToken, string outputJson, CancellationToken cancellationToken = default) =>
            throw new NotFoundException("bench.no_task", "The stage bench runs no task that waits for a token.");

        public Task SendTaskFailureAsync(string taskToken, string error, string? cause, CancellationToken cancellationToken = default) =>
            throw new NotFoundException("bench.no_task", "The stage bench runs no task that waits for a token.");
    }
}
