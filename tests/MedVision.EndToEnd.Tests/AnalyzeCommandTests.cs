using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Core.Images;
using MedVision.Imaging;
using MedVision.Local.Twins;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>`medvision analyze` on the committed samples, through the twins, the models and the ASL interpreter.</summary>
public sealed class AnalyzeCommandTests : IDisposable
{
    private readonly string outDir = Path.Combine(Path.GetTempPath(), "medvision-e2e-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(outDir))
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static readonly string[] ReportSections =
        ["report_id", "image_id", "imaging_modality", "analysis_date", "summary", "detailed_findings", "visualizations", "recommendations", "metadata", "disclaimer", "report_urls"];

    // Feature: medvision-ai-platform, Property 4: N sample images in, N completed image records out.
    // Feature: medvision-ai-platform, Property 14: every analysed sample gets a heatmap of its own size.
    // Feature: medvision-ai-platform, Property 19: every completed analysis has a report.json.
    // Feature: medvision-ai-platform, Property 20: every report.json has every section of the spec.
    // Feature: medvision-ai-platform, Property 21: every report.json carries the disclaimer.
    // Feature: medvision-ai-platform, Property 29: every image shows a progress line for every stage.
    [Fact]
    public async Task Analyze_WhenRunOnTheSamples_ShouldCompleteEveryImageAndWriteEveryOutput()
    {
        var samples = Directory.GetFiles(RepoPaths.Samples, "*.png").Order(StringComparer.Ordinal).ToList();
        Assert.True(samples.Count >= 4, "samples/ should hold the synthetic studies (medvision make-samples)");

        var (code, output, error) = await RunCliAsync("analyze", RepoPaths.Samples, "--out", outDir, "--parallel", "2");

        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        using var records = new SqliteRecordStore(Path.Combine(outDir, ".state", "records.db"));
        foreach (var sample in samples)
        {
            var label = Path.GetFileNameWithoutExtension(sample);
            var dir = Path.Combine(outDir, label);

            // One progress line per stage per image.
            foreach (var stage in new[] { "upload", "classify", "analyze", "heatmap", "report", "finalize" })
            {
                Assert.Contains($"[{label}] {stage}", output, StringComparison.Ordinal);
            }

            // The heatmap is a valid PNG of the source image's size.
            var source = PngDecoder.Decode(File.ReadAllBytes(sample));
            var heatmap = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, "heatmap.png")));
            Assert.Equal((source.Width, source.Height), (heatmap.Width, heatmap.Height));

            // The detector's saliency map came back through the contract and was exported.
            var saliency = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(dir, "saliency.png")));
            Assert.InRange(Math.Max(saliency.Width, saliency.Height), 1, Core.Inference.InferenceContract.MaxSaliencySide);

            // The analysis JSON has findings inside the image.
            var analysis = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "analysis.json")))!;
            Assert.Equal(source.Width, (int)analysis["image_width"]!);
            foreach (var finding in analysis["abnormalities"]!.AsArray())
            {
                var box = finding!["bounding_box"]!;
                Assert.InRange((int)box["x"]! + (int)box["width"]!, 1, source.Width);
                Assert.InRange((double)finding["confidence"]!, 0.5, 1.0);
            }

            // The report JSON has every section of the spec.
            var report = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "report.json")))!.AsObject();
            foreach (var section in ReportSections)
            {
                Assert.True(report.ContainsKey(section), $"{label}: report.json lacks '{section}'");
            }

            Assert.Contains("Requires validation", (string)report["disclaimer"]!, StringComparison.Ordinal);

            // The FHIR bundle parses and its DiagnosticReport links to Observations present in the bundle.
            var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "fhir-bundle.json")))!;
            Assert.Equal("Bundle", (string)bundle["resourceType"]!);
            var entries = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();
            // A transaction: entries link by their urn:uuid fullUrls.
            var byRef = bundle["entry"]!.AsArray().ToDictionary(e => (string)e!["fullUrl"]!, e => e!["resource"]!);
            var diagnostic = entries.Single(r => (string)r["resourceType"]! == "DiagnosticReport");
            // R4 has no empty arrays: a report without findings has no result element.
            var results = (diagnostic["result"]?.AsArray() ?? []).Select(r => (string)r!["reference"]!).ToList();
            Assert.Equal(analysis["abnormalities"]!.AsArray().Count, results.Count);
            Assert.All(results, r => Assert.Equal("Observation", (string)byRef[r]["resourceType"]!));
            Assert.True(byRef.ContainsKey((string)diagnostic["imagingStudy"]![0]!["reference"]!));

            // The record store shows the image completed with a timestamp for each stage.
            var imageId = (string)analysis["image_id"]!;
            var record = await records.GetAsync(imageId);
            Assert.NotNull(record);
            Assert.Equal(ImageStatus.Completed, record.Status);
            foreach (var stage in new[] { PipelineStage.Upload, PipelineStage.Classify, PipelineStage.Analyze, PipelineStage.Heatmap, PipelineStage.Report, PipelineStage.Finalize })
            {
                Assert.True(record.StageTimings.TryGetValue(stage, out var timing) && timing.CompletedAt is not null, $"{label}: no completed timing for {stage}");
            }
        }

        // The DICOM copy of the CT study takes its modality from the header, and the planted mass is still found.
        var dicomDir = Path.Combine(outDir, "abdomen-ct-mass-301-dicom");
        var dicomRecord = JsonNode.Parse(File.ReadAllText(Path.Combine(dicomDir, "record.json")))!;
        Assert.Equal("completed", (string)dicomRecord["status"]!);
        Assert.Equal("dicom-header", (string)dicomRecord["classification"]!["source"]!);
        Assert.Equal("ct", (string)dicomRecord["classification"]!["modality"]!);
        Assert.NotEmpty(JsonNode.Parse(File.ReadAllText(Path.Combine(dicomDir, "analysis.json")))!["abnormalities"]!.AsArray());

        // The JPEG copy of the ultrasound study is classified by the model and its cyst is found, with a saliency map.
        var jpegDir = Path.Combine(outDir, "ultrasound-cyst-401-jpeg");
        var jpegRecord = JsonNode.Parse(File.ReadAllText(Path.Combine(jpegDir, "record.json")))!;
        Assert.Equal(("completed", "ultrasound", "model"), ((string)jpegRecord["status"]!, (string)jpegRecord["classification"]!["modality"]!, (string)jpegRecord["classification"]!["source"]!));
        Assert.NotEmpty(JsonNode.Parse(File.ReadAllText(Path.Combine(jpegDir, "analysis.json")))!["abnormalities"]!.AsArray());
        Assert.True(File.Exists(Path.Combine(jpegDir, "saliency.png")));

        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "summary.json")))!;
        Assert.Equal(samples.Count + 2, (int)summary["completed"]!);
        Assert.Contains("images/s", output, StringComparison.Ordinal);
    }

    // Feature: medvision-ai-platform, Property 2: each bad input is refused with a line naming the problem.
    // Feature: medvision-ai-platform, Property 41: the user is told, one clear line per failed input.
    [Fact]
    public async Task Analyze_WhenSomeInputsAreBad_ShouldExplainEachAndExitNonZeroWhileProcessingTheRest()
    {
        Directory.CreateDirectory(outDir);
        var good = Directory.GetFiles(RepoPaths.Samples, "*.png").Order(StringComparer.Ordinal).First();
        var text = Path.Combine(outDir, "notes.txt");
        File.WriteAllText(text, "not an image");
        var truncated = Path.Combine(outDir, "truncated.png");
        var bytes = File.ReadAllBytes(good);
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 2)]);
        var missing = Path.Combine(outDir, "missing.png");

        var (code, output, error) = await RunCliAsync("analyze", good, text, truncated, missing, "--out", Path.Combine(outDir, "out"));

        Assert.Equal(1, code);
        Assert.Contains($"{missing}: no such file or directory", error, StringComparison.Ordinal);
        Assert.Contains($"{text}: The file is not DICOM, PNG or JPEG", error, StringComparison.Ordinal);
        Assert.Contains($"{truncated}: The PNG file is corrupt", error, StringComparison.Ordinal);
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "out", "summary.json")))!;
        Assert.Equal(1, (int)summary["completed"]!);
        Assert.Equal(3, (int)summary["rejected"]!);
        Assert.Contains("COMPLETED", output, StringComparison.Ordinal);
    }

    /// <summary>A flat grey image: the reference classifier cannot tell the modality (confidence 0.60 &lt; 0.85).</summary>
    private string FlatImage()
    {
        Directory.CreateDirectory(outDir);
        var raster = new Raster(64, 64, ColorModel.Gray, 8);
        Array.Fill(raster.Data, (byte)128);
        var path = Path.Combine(outDir, "flat.png");
        File.WriteAllBytes(path, PngEncoder.Encode(raster));
        return path;
    }

    // Feature: medvision-ai-platform, Property 8: after a manual review (across processes) the reviewed modality's detector analyzes the image.
    [Fact]
    public async Task ReviewModality_WhenAnalyzeLeftAnImageInManualReview_ShouldContinueItInANewPlatformWithTheReviewedModality()
    {
        var input = FlatImage();
        var results = Path.Combine(outDir, "out");

        var (code, output, error) = await RunCliAsync("analyze", input, "--out", results);

        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        var summary = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "summary.json")))!;
        Assert.Equal(1, (int)summary["manual_review"]!);
        var imageId = (string)summary["results"]![0]!["image_id"]!;
        Assert.Contains($"medvision review modality {imageId} ", output, StringComparison.Ordinal);
        Assert.Contains($" --out {results}", output, StringComparison.Ordinal);
        Assert.Equal("manual_review", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(results, "flat", "record.json")))!["status"]!);
        Assert.False(File.Exists(Path.Combine(results, "flat", "analysis.json")));

        // A new CliApp run opens a new platform on the same state directory: the execution resumes from SQLite.
        (code, output, error) = await RunCliAsync("review", "modality", imageId, "ct", "--out", results, "--reviewer", "dr-e2e");

        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        Assert.Contains("via medvision-ct-detector", output, StringComparison.Ordinal); // Property 8: the reviewed modality's endpoint
        Assert.Contains("[flat] finalize", output, StringComparison.Ordinal);
        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "flat", "record.json")))!;
        Assert.Equal("completed", (string)record["status"]!);
        Assert.Equal(("ct", "manual-review", "dr-e2e", 1.0), ((string)record["classification"]!["modality"]!, (string)record["classification"]!["source"]!,
            (string)record["classification"]!["reviewed_by"]!, (double)record["classification"]!["confidence"]!));
        Assert.Null(record["review_task_token"]);
        Assert.Equal("ct", (string)JsonNode.Parse(File.ReadAllText(Path.Combine(results, "flat", "analysis.json")))!["modality"]!);
        Assert.True(File.Exists(Path.Combine(results, "flat", "report.json")));
        summary = JsonNode.Parse(File.ReadAllText(Path.Combine(results, "summary.json")))!;
        Assert.Equal((1, 0, "completed"), ((int)summary["completed"]!, (int)summary["manual_review"]!, (string)summary["results"]![0]!["status"]!));
        using var records = new SqliteRecordStore(Path.Combine(results, ".state", "records.db"));
        Assert.Contains(await records.ReadAuditAsync(imageId), a => a.Action == "image.modality_reviewed" && a.Actor == "dr-e2e" && a.Detail == "modality=ct");

        // Reviewing again is refused: the image no longer waits for a review.
        (code, _, error) = await RunCliAsync("review", "modality", imageId, "mri", "--out", results);
        Assert.Equal(2, code);
        Assert.Contains("is not waiting for a manual modality review", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("no-such-image", "ct", "no image no-such-image")]
    [InlineData("no-such-image", "bone", "unknown modality 'bone'")]
    public async Task ReviewModality_WhenTheInputIsBad_ShouldExitTwoWithOneClearLine(string imageId, string modality, string expected)
    {
        var results = Path.Combine(outDir, "out");
        var (code, _, _) = await RunCliAsync("analyze", FlatImage(), "--out", results);
        Assert.Equal(0, code);

        var (reviewCode, _, error) = await RunCliAsync("review", "modality", imageId, modality, "--out", results);

        Assert.Equal(2, reviewCode);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Theory]
    [InlineData(new[] { "analyze" }, "at least one file")]
    [InlineData(new[] { "review", "modality", "only-an-id" }, "exactly <image-id>")]
    [InlineData(new[] { "review", "approve" }, "review needs a subcommand")]
    [InlineData(new[] { "analyze", "x.png", "--parallel", "0" }, "--parallel")]
    [InlineData(new[] { "analyze", "x.png", "--bogus" }, "unknown option")]
    [InlineData(new[] { "frobnicate" }, "unknown command")]
    public async Task Cli_WhenUsageIsWrong_ShouldExitTwoWithAClearMessage(string[] args, string expected)
    {
        var (code, _, error) = await RunCliAsync(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MakeSamples_WhenRun_ShouldReproduceTheCommittedSamplesByteForByte()
    {
        var (code, _, _) = await RunCliAsync("make-samples", outDir);
        Assert.Equal(0, code);
        var committed = Directory.GetFiles(RepoPaths.Samples).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList();
        Assert.Contains("abdomen-ct-mass-301-dicom.dcm", committed);
        Assert.Equal(committed, Directory.GetFiles(outDir).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToList());
        foreach (var name in committed)
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(RepoPaths.Samples, name!)), File.ReadAllBytes(Path.Combine(outDir, name!)));
        }
    }
}
