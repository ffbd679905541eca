using System.Diagnostics;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Twins;

namespace MedVision.Bench.Lambda;

/// <summary>
/// The Lambda bootstrap as Lambda runs it, against the loopback Runtime API twin with MEDVISION_PLATFORM=local: cold
/// start (process start → first response posted) of an API handler and a stage handler for the same project published
/// Native AOT, self-contained ReadyToRun and framework-dependent, runs interleaved; the warm per-invoke overhead outside
/// the handler and the peak RSS of the AOT process; the zipped size of each output. Writes the ## Lambda bootstrap section.
/// </summary>
internal static class LambdaBench
{
    public const string Heading = "## Lambda bootstrap";

    private const string MachineFloor = "aot-floor";

    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(double.Parse(Environment.GetEnvironmentVariable("BENCH_WAIT") ?? "60", CultureInfo.InvariantCulture));

    public static int Run(int runs, int warm, string outFile, string aot, string r2r, string fd, string floorProgram)
    {
        return RunAsync(runs, warm, outFile, [new("Native AOT", aot), new("ReadyToRun", r2r), new("framework-dependent", fd)], floorProgram)
            .GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int runs, int warm, string outFile, Variant[] variants, string floorProgram)
    {
        if (!File.Exists(floorProgram))
        {
            await Console.Error.WriteLineAsync($"lambda: no {floorProgram} (bench/MedVision.Bench.AotFloor published)");
            return 2;
        }

        foreach (var v in variants)
        {
            if (!File.Exists(v.Executable))
            {
                await Console.Error.WriteLineAsync($"lambda: no bootstrap in {v.Directory} ({v.Name})");
                return 2;
            }
        }

        var state = Directory.CreateTempSubdirectory("medvision-bench-lambda-").FullName;
        try
        {
            var bench = new Session(state);
            var loadBefore = LoadAverage();

            // Setup, once: a 512×512 CT slice uploaded through the upload handler into the state folder every run shares.
            var imageId = await bench.UploadAsync(variants[0], Path.Combine(RepoRoot(), "samples", "abdomen-ct-mass-301.png"));
            var getImage = Encoding.UTF8.GetBytes(GetImageEvent(imageId));
            var classify = Encoding.UTF8.GetBytes($$"""{"image_id":"{{imageId}}"}""");
            Console.WriteLine($"    uploaded the CT slice as {imageId}");

            var handlers = new (string Name, byte[] Event, Func<JsonNode, string?> Check)[]
            {
                ("get-image", getImage, CheckGetImage),
                ("classify", classify, CheckClassify),
            };

            // Cold starts: one warm-up of each, then runs interleaved variant by variant, so drift in the machine's load
            // falls on every variant alike.
            var cold = new Dictionary<(string Variant, string Handler), List<ColdSample>>();
            var floor = new Dictionary<string, List<double>>();
            for (var i = -1; i < runs; i++)
            {
                foreach (var v in variants)
                {
                    foreach (var (name, payload, check) in handlers)
                    {
                        var sample = await bench.ColdStartAsync(v, name, payload, check);
                        if (i >= 0)
                        {
                            Add(cold, (v.Name, name), sample);
                        }
                    }

                    var f = await Session.FloorAsync(v.Executable);
                    if (i >= 0)
                    {
                        Add(floor, v.Name, f);
                    }
                }

                var machine = await Session.FloorAsync(floorProgram);
                if (i >= 0)
                {
                    Add(floor, MachineFloor, machine);
                }

                if (i >= 0)
                {
                    Console.WriteLine(F($"    cold run {i + 1}/{runs}: ") + string.Join(" | ", variants.Select(v => F($"{v.Name} {cold[(v.Name, "get-image")][^1].FirstResponseMs:0.0}/{cold[(v.Name, "classify")][^1].FirstResponseMs:0.0} ms"))));
                }
            }

            // Warm: one AOT process per handler, many invocations after a warm-up; its peak RSS afterwards.
            var warmGet = await bench.WarmAsync(variants[0], "get-image", getImage, CheckGetImage, warm);
            Console.WriteLine(F($"    warm get-image: overhead median {Median(warmGet.OverheadMs):0.000} ms, VmHWM {warmGet.PeakRssKb / 1024.0:0.0} MB"));
            var warmClassify = await bench.WarmAsync(variants[0], "classify", classify, CheckClassify, Math.Max(10, warm / 10));
            Console.WriteLine(F($"    warm classify: overhead median {Median(warmClassify.OverheadMs):0.000} ms, VmHWM {warmClassify.PeakRssKb / 1024.0:0.0} MB"));
            var loadAfter = LoadAverage();

            var zips = variants.Select(v => (v.Name, Files: AssetFiles(v.Directory).Count(), Bytes: ZippedBytes(v.Directory))).ToList();
            var md = ToMarkdown(runs, warm, variants, cold, floor, warmGet, warmClassify, zips, loadBefore, loadAfter);
            File.WriteAllText(outFile, ReplaceSection(File.Exists(outFile) ? File.ReadAllText(outFile) : "# Benchmarks\n", md));
            Console.WriteLine(md);
            return 0;
        }
        finally
        {
            try
            {
                Directory.Delete(state, recursive: true);
            }
            catch (IOException)
            {
                // a killed process's SQLite files still closing; the temp folder is left to the OS
            }
        }
    }

    private sealed record Variant(string Name, string Directory)
    {
        public string Executable => Path.Combine(Directory, "bootstrap");
    }

    private sealed record ColdSample(double FirstResponseMs, double InitMs, double InvokeMs);

    private sealed record WarmResult(List<double> OverheadMs, List<double> RoundTripMs, List<double> HandlerMs, long PeakRssKb, long RssKb);

    /// <summary>
    /// The state folder and the processes of one benchmark run. Every process gets a Runtime API twin of its own: a
    /// killed process's long poll can stay parked in a shared twin until Kestrel notices the closed connection, and
    /// would take the next process's event.
    /// </summary>
    private sealed class Session(string state)
    {
        public async Task<string> UploadAsync(Variant v, string png)
        {
            // The upload starts the pipeline in process; a closed model port makes its stages fail at once instead of
            // running in the background, so the classify runs below are the only model work.
            await using var api = await LambdaRuntimeApiTwin.StartAsync();
            using var uploader = Start(api, v, "upload", new Dictionary<string, string?> { ["MEDVISION_MODEL_ENDPOINT"] = "http://127.0.0.1:9/" });
            var outcome = await Await(uploader, api.InvokeAsync(Encoding.UTF8.GetBytes(UploadEvent(await File.ReadAllBytesAsync(png))), Wait));
            var response = Body(outcome);
            var body = JsonNode.Parse((string?)response["body"] ?? "{}");
            return (int?)response["statusCode"] is 200 or 201 or 202 && (string?)body?["image_id"] is { Length: > 0 } id
                ? id
                : throw uploader.Failure($"answered the upload with {Encoding.UTF8.GetString(outcome.Body)}");
        }

        public async Task<ColdSample> ColdStartAsync(Variant v, string handler, byte[] payload, Func<JsonNode, string?> check)
        {
            await using var api = await LambdaRuntimeApiTwin.StartAsync();

            // The event is queued first, so the first next-invocation call is answered at once, as in a cold Lambda invoke.
            var invoked = api.InvokeAsync(payload, Wait);
            var start = Stopwatch.GetTimestamp();
            using var process = Start(api, v, handler);
            var outcome = await Await(process, invoked);
            var firstMs = Stopwatch.GetElapsedTime(start, outcome.PostedAtTimestamp).TotalMilliseconds;
            if (check(Body(outcome)) is { } wrong)
            {
                throw process.Failure($"({v.Name}, {handler}) answered {wrong}");
            }

            var ready = JsonNode.Parse(await process.WaitForLineAsync(l => l.Contains("\"RuntimeReady\"", StringComparison.Ordinal), Wait))!;
            var completed = JsonNode.Parse(await process.WaitForLineAsync(l => l.Contains("\"InvocationCompleted\"", StringComparison.Ordinal), Wait))!;
            return new ColdSample(firstMs, Number(ready, "initMs"), Number(completed, "durationMs"));
        }

        /// <summary>Start → exit of the bootstrap with no Runtime API variable: it prints one line and exits 2, the process floor.</summary>
        public static async Task<double> FloorAsync(string executable)
        {
            var start = Stopwatch.GetTimestamp();
            using var process = BootstrapProcess.Start(executable, new Dictionary<string, string?> { ["AWS_LAMBDA_RUNTIME_API"] = null });
            var exit = await process.WaitForExitAsync(Wait);
            var ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            return exit == 2 ? ms : throw process.Failure($"exited {exit} without a Runtime API, not 2");
        }

        public async Task<WarmResult> WarmAsync(Variant v, string handler, byte[] payload, Func<JsonNode, string?> check, int count)
        {
            await using var api = await LambdaRuntimeApiTwin.StartAsync();
            using var process = Start(api, v, handler);
            var warmUp = Math.Max(10, count / 10);
            var outcomes = new List<RuntimeOutcome>();
            for (var i = 0; i < warmUp + count; i++)
            {
                var outcome = await Await(process, api.InvokeAsync(payload, Wait));
                if (check(Body(outcome)) is { } wrong)
                {
                    throw process.Failure($"({v.Name}, {handler}) answered {wrong}");
                }

                if (i >= warmUp)
                {
                    outcomes.Add(outcome);
                }
            }

            var last = outcomes[^1].RequestId;
            await process.WaitForLineAsync(l => l.Contains(last, StringComparison.Ordinal) && l.Contains("\"InvocationCompleted\"", StringComparison.Ordinal), Wait);
            var handlerMs = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var line in process.Lines.Where(l => l.Contains("\"InvocationCompleted\"", StringComparison.Ordinal)))
            {
                var node = JsonNode.Parse(line)!;
                handlerMs[(string)node["requestId"]!] = Number(node, "durationMs");
            }

            var (peak, rss) = Memory(process.Id);
            var roundTrips = outcomes.Select(o => Stopwatch.GetElapsedTime(o.DispatchedAtTimestamp, o.PostedAtTimestamp).TotalMilliseconds).ToList();
            var inHandler = outcomes.Select(o => handlerMs[o.RequestId]).ToList();
            return new WarmResult([.. roundTrips.Zip(inHandler, (a, b) => a - b)], roundTrips, inHandler, peak, rss);
        }

        private BootstrapProcess Start(LambdaRuntimeApiTwin api, Variant v, string handler, IReadOnlyDictionary<string, string?>? extra = null)
        {
            var environment = new Dictionary<string, string?>
            {
                ["AWS_LAMBDA_RUNTIME_API"] = api.Address,
                ["_HANDLER"] = handler,
                ["MEDVISION_PLATFORM"] = "local",
                ["MEDVISION_STATE_DIR"] = state,
            };
            foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
            {
                environment[key] = value;
            }

            return BootstrapProcess.Start(v.Executable, environment);
        }

        /// <summary>The runtime's answer, or a failure with the process's output when it exits or takes over <see cref="Wait"/>.</summary>
        private static async Task<RuntimeOutcome> Await(BootstrapProcess process, Task<RuntimeOutcome> invoked)
        {
            var first = await Task.WhenAny(invoked, process.Exited, Task.Delay(Wait));
            if (first != invoked)
            {
                throw process.Failure(first == process.Exited ? "exited before answering" : $"did not answer within {Wait.TotalSeconds:0} s");
            }

            var outcome = await invoked;
            return outcome.IsError
                ? throw process.Failure($"posted an error ({outcome.ErrorTypeHeader}): {Encoding.UTF8.GetString(outcome.Body)}")
                : outcome;
        }
    }

    private static string? CheckGetImage(JsonNode response) =>
        (int?)response["statusCode"] == 200 ? null : $"status {(int?)response["statusCode"]} to get-image of the uploaded slice";

    /// <summary>The classify run must be a model classification (CT, no manual review), not a header shortcut or a no-op.</summary>
    private static string? CheckClassify(JsonNode response) =>
        (string?)response["modality"] == "ct" && response["requires_manual_review"]?.GetValue<bool>() == false
            && (string?)response["source"] != "dicom-header"
            ? null
            : $"a classification other than a model's CT one: {response.ToJsonString()}";

    private static JsonNode Body(RuntimeOutcome outcome) =>
        JsonNode.Parse(outcome.Body) ?? throw new InvalidOperationException("the runtime posted an empty response");

    private static double Number(JsonNode line, string name) =>
        line[name]?.GetValue<double>() ?? throw new InvalidOperationException($"log line without {name}: {line.ToJsonString()}");

    private static string GetImageEvent(string imageId)
    {
        var e = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "events", "api", "get-image.json")))!;
        e["rawPath"] = $"/api/v1/images/{imageId}";
        e["pathParameters"]!["image_id"] = imageId;
        e["requestContext"]!["http"]!["path"] = $"/api/v1/images/{imageId}";
        return e.ToJsonString();
    }

    private static string UploadEvent(byte[] png)
    {
        const string boundary = "medvision-bench-boundary";
        using var body = new MemoryStream();
        void Text(string s) => body.Write(Encoding.UTF8.GetBytes(s));
        Text($"--{boundary}\r\nContent-Disposition: form-data; name=\"patient_id\"\r\n\r\nanon-bench\r\n");
        Text($"--{boundary}\r\nContent-Disposition: form-data; name=\"acquisition_date\"\r\n\r\n2026-11-01\r\n");
        Text($"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"ct.png\"\r\nContent-Type: image/png\r\n\r\n");
        body.Write(png);
        Text($"\r\n--{boundary}--\r\n");
        var e = JsonNode.Parse(File.ReadAllText(Path.Combine(RepoRoot(), "events", "api", "upload.json")))!;
        e["headers"]!["content-type"] = $"multipart/form-data; boundary={boundary}";
        e["body"] = Convert.ToBase64String(body.ToArray());
        return e.ToJsonString();
    }

    private static void Add<TKey, TValue>(Dictionary<TKey, List<TValue>> map, TKey key, TValue value)
        where TKey : notnull
    {
        if (!map.TryGetValue(key, out var list))
        {
            map[key] = list = [];
        }

        list.Add(value);
    }

    private static (long PeakKb, long RssKb) Memory(int pid)
    {
        long Field(string name) => long.Parse(
            File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(name, StringComparison.Ordinal))[name.Length..].Trim().Split(' ')[0],
            CultureInfo.InvariantCulture);
        return (Field("VmHWM:"), Field("VmRSS:"));
    }

    /// <summary>What a deployment zips: every file of the output but debug symbols (publish-functions.sh leaves those out too).</summary>
    private static IEnumerable<string> AssetFiles(string dir) =>
        Directory.EnumerateFiles(dir, "*", SearchOption.AllDirectories).Where(f => !f.EndsWith(".pdb", StringComparison.Ordinal) && !f.EndsWith(".dbg", StringComparison.Ordinal)).Order(StringComparer.Ordinal);

    private static long ZippedBytes(string dir)
    {
        var zip = Path.Combine(Path.GetTempPath(), $"medvision-bench-lambda-{Guid.NewGuid():N}.zip");
        try
        {
            using (var archive = ZipFile.Open(zip, ZipArchiveMode.Create))
            {
                foreach (var file in AssetFiles(dir))
                {
                    archive.CreateEntryFromFile(file, Path.GetRelativePath(dir, file)); // default compression level
                }
            }

            return new FileInfo(zip).Length;
        }
        finally
        {
            File.Delete(zip);
        }
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "MedVision.slnx")))
            {
                return dir.FullName;
            }
        }

        var cwd = Directory.GetCurrentDirectory();
        return File.Exists(Path.Combine(cwd, "MedVision.slnx")) ? cwd : throw new InvalidOperationException("run from the repository (no MedVision.slnx found)");
    }

    private static double Median(IReadOnlyCollection<double> values) => Percentile(values, 0.5);

    /// <summary>The nearest-rank percentile (p = 0.5 is the median the other benchmarks report).</summary>
    private static double Percentile(IReadOnlyCollection<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
    }

    private static string ToMarkdown(
        int runs, int warm, Variant[] variants, Dictionary<(string, string), List<ColdSample>> cold, Dictionary<string, List<double>> floor,
        WarmResult warmGet, WarmResult warmClassify, List<(string Name, int Files, long Bytes)> zips, string loadBefore, string loadAfter)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var md = new StringBuilder();
        md.AppendLine(Heading);
        md.AppendLine();
        md.AppendLine(F($"Made by `bash scripts/bench.sh lambda {runs}` (it publishes functions/MedVision.Bootstrap three ways, then runs"));
        md.AppendLine(F($"`dotnet run -c Release --project bench/MedVision.Bench -- lambda --runs {runs} --warm {warm}`), {DateTime.UtcNow:yyyy-MM-dd}, on"));
        md.AppendLine(F($"{Environment.ProcessorCount} cores ({cpu}), .NET {Environment.Version}; load average (1, 5, 15 min) {loadBefore} at the start (just after the publishes), {loadAfter} at the end."));
        md.AppendLine("The three outputs are the same project: Native AOT as `scripts/publish-functions.sh` writes it (x86-64-v3);");
        md.AppendLine("`dotnet publish functions/MedVision.Bootstrap -c Release -r linux-x64 --self-contained -p:PublishAot=false");
        md.AppendLine("-p:PublishReadyToRun=true` (ReadyToRun); the same with `--no-self-contained` and no ReadyToRun (framework-dependent).");
        md.AppendLine("Each process is the bootstrap as Lambda starts it, with `MEDVISION_PLATFORM=local` (handlers on the embedded twins in");
        md.AppendLine("a state folder prepared once) and `AWS_LAMBDA_RUNTIME_API` pointing at `LambdaRuntimeApiTwin` in the benchmark's");
        md.AppendLine("process on 127.0.0.1. Setup uploads `samples/abdomen-ct-mass-301.png` (512×512 CT) once through the `upload` handler;");
        md.AppendLine("`get-image` answers 200 with that image's record, `classify` runs the reference classifier on it and answers");
        md.AppendLine("modality CT with no manual review (checked on every run).");
        md.AppendLine();
        md.AppendLine("### Cold start");
        md.AppendLine();
        md.AppendLine(F($"First response = `Process.Start` → the twin has read the posted response of the event queued before the start."));
        md.AppendLine(F($"One warm-up round, then {runs} rounds, each starting every variant and handler once in turn (interleaved)."));
        md.AppendLine("Init = the bootstrap's own `initMs` (`RuntimeReady`: `Main` → handler built); invoke = `durationMs` of the first");
        md.AppendLine("`InvocationCompleted` (event parse, handler, serialisation); the rest is runtime start before `Main`, the Runtime API");
        md.AppendLine("calls and process creation. Floor = start → exit of the same binary with no `AWS_LAMBDA_RUNTIME_API`");
        md.AppendLine("(it writes one line and exits 2): process creation and runtime start with no MedVision work.");
        md.AppendLine();
        md.AppendLine("| variant | handler | first response median ms | p90 ms | init ms | first invoke ms | rest ms | floor ms | × Native AOT |");
        md.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var handler in new[] { "get-image", "classify" })
        {
            var aot = Median(cold[(variants[0].Name, handler)].Select(s => s.FirstResponseMs).ToList());
            foreach (var v in variants)
            {
                var s = cold[(v.Name, handler)];
                var first = Median(s.Select(x => x.FirstResponseMs).ToList());
                var init = Median(s.Select(x => x.InitMs).ToList());
                var invoke = Median(s.Select(x => x.InvokeMs).ToList());
                md.AppendLine(F($"| {v.Name} | {handler} | {first:0.0} | {Percentile(s.Select(x => x.FirstResponseMs).ToList(), 0.9):0.0} | {init:0.0} | {invoke:0.0} | {first - init - invoke:0.0} | {Median(floor[v.Name]):0.0} | {first / aot:0.0}× |"));
            }
        }

        md.AppendLine();
        var machineFloor = Median(floor[MachineFloor]);
        md.AppendLine(F($"Machine floor: the smallest Native AOT program (`bench/MedVision.Bench.AotFloor`: one line to stderr, exit 2, published"));
        md.AppendLine(F($"with the bootstrap's settings) starts and exits in {machineFloor:0.0} ms (median, same rounds); the bootstrap's own floor is"));
        md.AppendLine(F($"{Median(floor[variants[0].Name]):0.0} ms: the start share below is at least the bootstrap's floor, of which the machine's is"));
        md.AppendLine("out of the project's hands. Where the Native AOT first response goes (medians):");
        md.AppendLine();
        foreach (var handler in new[] { "get-image", "classify" })
        {
            var s = cold[(variants[0].Name, handler)];
            var first = Median(s.Select(x => x.FirstResponseMs).ToList());
            var init = Median(s.Select(x => x.InitMs).ToList());
            var invoke = Median(s.Select(x => x.InvokeMs).ToList());
            var parts = new (string What, double Ms)[]
            {
                ("process start to `Main` and the Runtime API calls", first - init - invoke),
                ("init (composition root, handler)", init),
                ("the first invocation", invoke),
            };
            var top = parts.MaxBy(p => p.Ms);
            md.AppendLine(F($"- {handler}: {first:0.0} ms = {string.Join(" + ", parts.Select(p => F($"{p.Ms:0.0} {p.What}")))}; the largest share is {top.What}."));
        }

        md.AppendLine();
        md.AppendLine("A profile of the start (by hand) and the levers on it are in `docs/adr/0007-lambda-runtime.md`, Measurement.");
        md.AppendLine();
        md.AppendLine("### Warm invocations (Native AOT)");
        md.AppendLine();
        md.AppendLine("One process per handler; after a warm-up of a tenth of the count (at least 10), each invocation's overhead outside");
        md.AppendLine("the handler = (the twin hands out the event → the twin has read the posted response) − the `durationMs` the");
        md.AppendLine("runtime logs for it (event parse, handler, serialisation; taken before the response is posted). The overhead is");
        md.AppendLine("the Runtime API round trips over loopback HTTP and the runtime's per-invocation bookkeeping. Peak RSS = `VmHWM`");
        md.AppendLine("of `/proc/PID/status` after the warm invocations.");
        md.AppendLine();
        md.AppendLine("| handler | invocations | overhead median ms | p90 ms | p99 ms | handler median ms | peak RSS MB | RSS MB |");
        md.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, w) in new[] { ("get-image", warmGet), ("classify", warmClassify) })
        {
            md.AppendLine(F($"| {name} | {w.OverheadMs.Count} | {Median(w.OverheadMs):0.000} | {Percentile(w.OverheadMs, 0.9):0.000} | {Percentile(w.OverheadMs, 0.99):0.000} | {Median(w.HandlerMs):0.00} | {w.PeakRssKb / 1024.0:0.0} | {w.RssKb / 1024.0:0.0} |"));
        }

        md.AppendLine();
        md.AppendLine("### Deployment size");
        md.AppendLine();
        md.AppendLine("Every file of the output but debug symbols, zipped with `System.IO.Compression` at its default level (what a");
        md.AppendLine("Lambda function's code asset is).");
        md.AppendLine();
        md.AppendLine("| variant | files | zipped MB | × Native AOT |");
        md.AppendLine("|---|---:|---:|---:|");
        foreach (var z in zips)
        {
            md.AppendLine(F($"| {z.Name} | {z.Files} | {z.Bytes / 1048576.0:0.0} | {(double)z.Bytes / zips[0].Bytes:0.0}× |"));
        }

        md.AppendLine();
        md.AppendLine("### Targets (issue 13)");
        md.AppendLine();
        var api = Median(cold[(variants[0].Name, "get-image")].Select(s => s.FirstResponseMs).ToList());
        var stage = Median(cold[(variants[0].Name, "classify")].Select(s => s.FirstResponseMs).ToList());
        var r2rApi = Median(cold[(variants[1].Name, "get-image")].Select(s => s.FirstResponseMs).ToList());
        var r2rStage = Median(cold[(variants[1].Name, "classify")].Select(s => s.FirstResponseMs).ToList());
        var overhead = Median(warmGet.OverheadMs);
        var peak = Math.Max(warmGet.PeakRssKb, warmClassify.PeakRssKb) / 1024.0;
        var zipMb = zips[0].Bytes / 1048576.0;
        string Verdict(bool met) => met ? "met" : "**missed**";
        md.AppendLine("| target | measured | verdict |");
        md.AppendLine("|---|---:|---|");
        md.AppendLine(F($"| first response, API handler ≤ 20 ms | {api:0.0} ms | {Verdict(api <= 20)} |"));
        md.AppendLine(F($"| first response, stage handler ≤ 40 ms | {stage:0.0} ms | {Verdict(stage <= 40)} |"));
        md.AppendLine(F($"| ≥ 10× faster than ReadyToRun | {r2rApi / api:0.0}× (get-image), {r2rStage / stage:0.0}× (classify) | {Verdict(r2rApi / api >= 10 && r2rStage / stage >= 10)} |"));
        md.AppendLine(F($"| warm overhead ≤ 0.5 ms | {overhead:0.000} ms (get-image median) | {Verdict(overhead <= 0.5)} |"));
        md.AppendLine(F($"| peak RSS ≤ 64 MB | {peak:0.0} MB | {Verdict(peak <= 64)} |"));
        md.AppendLine(F($"| zip ≤ 10 MB | {zipMb:0.0} MB | {Verdict(zipMb <= 10)} |"));
        return md.ToString();
    }

    /// <summary>The file with its ## Lambda bootstrap section replaced (or appended), every other section untouched.</summary>
    public static string ReplaceSection(string text, string section)
    {
        var start = text.IndexOf("\n" + Heading + "\n", StringComparison.Ordinal);
        if (start < 0)
        {
            return text.TrimEnd() + "\n\n" + section;
        }

        var next = text.IndexOf("\n## ", start + Heading.Length + 1, StringComparison.Ordinal);
        return text[..(start + 1)] + section + (next < 0 ? "" : "\n" + text[(next + 1)..]);
    }

    /// <summary>The ## Lambda bootstrap section of the file at <paramref name="path"/>, appended to <paramref name="newContent"/> (codec mode rewrites the file).</summary>
    public static string KeepSection(string path, string newContent)
    {
        if (!File.Exists(path))
        {
            return newContent;
        }

        var text = File.ReadAllText(path);
        var start = text.IndexOf("\n" + Heading + "\n", StringComparison.Ordinal);
        if (start < 0)
        {
            return newContent;
        }

        var next = text.IndexOf("\n## ", start + Heading.Length + 1, StringComparison.Ordinal);
        return newContent.TrimEnd() + "\n\n" + (next < 0 ? text[(start + 1)..] : text[(start + 1)..(next + 1)]).TrimEnd() + "\n";
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
