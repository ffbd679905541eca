using System.Diagnostics;
using System.Globalization;
using System.Text;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Imaging;
using MedVision.Local.Twins;
using MedVision.ModelServer;
using MedVision.Models;

namespace MedVision.Bench.Models;

/// <summary>
/// Per-image model work of the classify and analyze stages (preprocess, request, ModelClient round trip with contract
/// checks, post-processing), in-process and over loopback HTTP to the model server. Writes the ## Models section.
/// </summary>
internal static class ModelsBench
{
    public const string Heading = "## Models";

    public static int Run(int runs, string outFile)
    {
        return RunAsync(runs, outFile).GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int runs, string outFile)
    {
        var inputs = new (string Name, Raster Image, Modality Modality)[]
        {
            ("512x512 CT slice", SyntheticStudies.AbdomenCt(3, 512, 512), Modality.Ct),
            ("3000x3000 radiograph", SyntheticStudies.ChestXray(7, 3000, 3000), Modality.XRay),
        };
        var work = Directory.CreateTempSubdirectory("medvision-bench-models-").FullName;
        var objects = new DiskObjectStore(Path.Combine(work, "objects"));
        var routes = new ModelRoutingOptions();
        await using var server = ModelServerApp.Build(new ModelServerOptions { Port = 0, ObjectRoot = objects.Root }, TextWriter.Null);
        await server.StartAsync();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        var endpoints = new (string Name, IInferenceEndpoint Endpoint)[]
        {
            ("in-process", new InProcessModelHost(routes, new ReferenceModelHost(new ReferenceModalityClassifier(), new ReferenceAbnormalityDetector(), objects.ReadS3UriAsync))),
            ("loopback HTTP", new HttpInferenceEndpoint(http, ModelServerApp.ListeningUri(server))),
        };

        var rows = new List<(string Input, string Via, double Classify, double Detect, double Total)>();
        foreach (var (name, image, modality) in inputs)
        {
            foreach (var (via, endpoint) in endpoints)
            {
                var client = new ModelClient(new ModelRouter(endpoint, new CircuitBreaker(TimeProvider.System), TimeProvider.System), routes, objects);
                var n = 0;
                async Task<(double, double)> Once()
                {
                    var id = $"bench-{n++}";
                    var start = Stopwatch.GetTimestamp();
                    var classified = await client.ClassifyAsync(id, image, null, CancellationToken.None);
                    var classify = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                    start = Stopwatch.GetTimestamp();
                    var detected = await client.DetectAsync(id, modality, image, null, CancellationToken.None);
                    _ = AnalyzeStage.BuildResult(id, modality, detected, 0, DateTimeOffset.UnixEpoch, () => "f");
                    _ = classified.Response.ModalityScores;
                    return (classify, Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                }

                await Once();
                var samples = new List<(double Classify, double Detect)>();
                for (var i = 0; i < runs; i++)
                {
                    samples.Add(await Once());
                }

                double Median(IEnumerable<double> values) => values.Order().ElementAt(runs / 2);
                var row = (name, via, Median(samples.Select(s => s.Classify)), Median(samples.Select(s => s.Detect)), Median(samples.Select(s => s.Classify + s.Detect)));
                rows.Add(row);
                Console.WriteLine(F($"    {name} | {via} | classify {row.Item3:0.0} ms | analyze {row.Item4:0.0} ms | total {row.Item5:0.0} ms"));
            }
        }

        await server.StopAsync();
        Directory.Delete(work, recursive: true);
        var md = ToMarkdown(runs, rows);
        File.WriteAllText(outFile, ReplaceSection(File.Exists(outFile) ? File.ReadAllText(outFile) : "# Benchmarks\n", md));
        Console.WriteLine(md);
        return 0;
    }

    private static string ToMarkdown(int runs, List<(string Input, string Via, double Classify, double Detect, double Total)> rows)
    {
        var cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "unknown CPU";
        var md = new StringBuilder();
        md.AppendLine(Heading);
        md.AppendLine();
        md.AppendLine(F($"Made by `bash scripts/bench.sh models {runs}` (it runs `dotnet run -c Release --project bench/MedVision.Bench -- models`),"));
        md.AppendLine(F($"one run on {Environment.ProcessorCount} cores ({cpu}), .NET {Environment.Version}, {DateTime.UtcNow:yyyy-MM-dd}. Median of {runs} runs after a warm-up."));
        md.AppendLine("Each time is the model work of one stage for one image: `ModelClient.Prepare` (gray, area-average to the route's");
        md.AppendLine("input size, PNG), the request JSON, the round trip through `ModelRouter` and the endpoint (PNG decode, reference");
        md.AppendLine("analyzer, response JSON), the contract checks, and for analyze `AnalyzeStage.BuildResult` (box scaling, NMS,");
        md.AppendLine("threshold, ranking). Default routes: classify at 256 px, CT and X-ray detection at 512 px, so every request is");
        md.AppendLine("inline. \"loopback HTTP\" is `HttpInferenceEndpoint` to the model server (Kestrel) started in the same process on");
        md.AppendLine("127.0.0.1; the difference between the two rows is the HTTP and JSON transport. Timings move by ±20% between runs");
        md.AppendLine("on a shared 2-core machine.");
        md.AppendLine();
        md.AppendLine("| image | endpoint | classify ms | analyze ms | classify + analyze ms |");
        md.AppendLine("|---|---|---:|---:|---:|");
        foreach (var r in rows)
        {
            md.AppendLine(F($"| {r.Input} | {r.Via} | {r.Classify:0.0} | {r.Detect:0.0} | {r.Total:0.0} |"));
        }

        return md.ToString();
    }

    /// <summary>The file with its ## Models (or <paramref name="heading"/>) section replaced (or appended), every other section untouched.</summary>
    public static string ReplaceSection(string text, string section, string heading = Heading)
    {
        var start = text.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        if (start < 0)
        {
            return text.TrimEnd() + "\n\n" + section;
        }

        var next = text.IndexOf("\n## ", start + heading.Length + 1, StringComparison.Ordinal);
        return text[..(start + 1)] + section + (next < 0 ? "" : "\n" + text[(next + 1)..]);
    }

    /// <summary>The ## Models (or <paramref name="heading"/>) section of the file at <paramref name="path"/>, appended to <paramref name="newContent"/> (codec mode rewrites the file).</summary>
    public static string KeepSection(string path, string newContent, string heading = Heading)
    {
        if (!File.Exists(path))
        {
            return newContent;
        }

        var text = File.ReadAllText(path);
        var start = text.IndexOf("\n" + heading + "\n", StringComparison.Ordinal);
        if (start < 0)
        {
            return newContent;
        }

        var next = text.IndexOf("\n## ", start + heading.Length + 1, StringComparison.Ordinal);
        return newContent.TrimEnd() + "\n\n" + (next < 0 ? text[(start + 1)..] : text[(start + 1)..(next + 1)]).TrimEnd() + "\n";
    }

    private static string F(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
