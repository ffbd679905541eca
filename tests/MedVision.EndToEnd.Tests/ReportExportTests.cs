using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Core.Reports;
using MedVision.Imaging;
using MedVision.Local.Twins;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// `medvision analyze` writes report.pdf and report.sig.json next to report.json for every image (every modality of
/// the samples), read back by poppler and checked by `medvision verify-report`.
/// </summary>
public sealed class ReportExportTests(ITestOutputHelper log) : IDisposable
{
    private readonly string outDir = Path.Combine(Path.GetTempPath(), "medvision-e2e-pdf-" + Guid.NewGuid().ToString("N"));

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

    // Feature: medvision-ai-platform, Property 21: every exported PDF carries the disclaimer.
    // Feature: medvision-ai-platform, Property 22: every exported PDF has the eight sections in order.
    // Feature: medvision-ai-platform, Property 23: every report is exported as both report.pdf and report.json.
    [Fact]
    public async Task Analyze_WhenRunOnTheSamples_ShouldWriteAReadableSignedPdfForEveryImage()
    {
        if (!ExternalTools.Require(log.WriteLine, "pdftotext", "pdftoppm"))
        {
            return;
        }

        var (code, output, error) = await RunCliAsync("analyze", RepoPaths.Samples, "--out", outDir, "--parallel", "2");
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");

        var folders = Directory.GetDirectories(outDir).Where(d => !Path.GetFileName(d).StartsWith('.')).ToList();
        var modalities = new HashSet<string>();
        foreach (var dir in folders)
        {
            var label = Path.GetFileName(dir);
            var pdfPath = Path.Combine(dir, "report.pdf");
            Assert.True(File.Exists(pdfPath) && File.Exists(Path.Combine(dir, "report.json")), $"{label}: report.pdf and report.json both exported (Property 23)");

            var text = Encoding.UTF8.GetString(ExternalTools.RunOk("pdftotext", "-raw", "-enc", "UTF-8", pdfPath, "-"));
            var from = 0;
            foreach (var heading in ReportPdf.SectionHeadings)
            {
                var at = text.IndexOf(heading, from, StringComparison.Ordinal);
                Assert.True(at >= 0, $"{label}: '{heading}' missing or out of order");
                from = at + heading.Length;
            }

            Assert.Contains(AnalysisReport.Disclaimer, text.ReplaceLineEndings(" "), StringComparison.Ordinal);
            var analysis = JsonNode.Parse(File.ReadAllText(Path.Combine(dir, "analysis.json")))!;
            modalities.Add((string)analysis["modality"]!);
            var findings = analysis["abnormalities"]!.AsArray();
            for (var i = 0; i < findings.Count; i++)
            {
                var confidence = ((double)findings[i]!["confidence"]! * 100).ToString("0.0", CultureInfo.InvariantCulture);
                Assert.Contains($"Finding {i + 1}: {(string)findings[i]!["type"]!}, severity {(string)findings[i]!["severity"]!}, confidence {confidence}%", text, StringComparison.Ordinal);
            }

            if (findings.Count == 0)
            {
                Assert.Contains(ReportPdf.NoFindings, text, StringComparison.Ordinal);
            }

            var pages = Path.Combine(dir, "pages");
            Directory.CreateDirectory(pages);
            var (exit, _, stderr) = ExternalTools.Run("pdftoppm", ["-png", "-r", "30", pdfPath, Path.Combine(pages, "p")]);
            Assert.True(exit == 0 && stderr.Length == 0, $"{label}: pdftoppm exit {exit}: {stderr}");
            var rendered = Directory.GetFiles(pages, "*.png");
            Assert.NotEmpty(rendered);
            Assert.All(rendered, p => Assert.True(PngDecoder.Decode(File.ReadAllBytes(p)).Width > 0));

            var verify = await RunCliAsync("verify-report", dir);
            Assert.True(verify.Code == 0, $"{label}: {verify.Err}");
            Assert.StartsWith("valid", verify.Out, StringComparison.Ordinal);
        }

        Assert.Superset(new HashSet<string> { "xray", "mri", "ct", "ultrasound" }, modalities);

        var keyPath = Path.Combine(outDir, ".state", "keys", LocalReportKey.PrivateKeyFile);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyPath));
        }
    }

    [Fact]
    public async Task VerifyReport_WhenOneByteChanges_ShouldExitOneNamingTheFileAndTwoOnBadInput()
    {
        var dir = Path.Combine(outDir, "report");
        Directory.CreateDirectory(dir);
        var signer = LocalReportKey.OpenOrCreate(Path.Combine(outDir, ".state"));
        var pdf = ReportPdf.Render(SampleReport(), original: null, heatmap: null);
        var json = "{\"report_id\":\"rep-1\"}"u8.ToArray();
        var signature = await ReportSignatures.SignAsync(signer, "rep-1", pdf, json, new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero));
        void Write(byte[] p, byte[] j, byte[] s)
        {
            File.WriteAllBytes(Path.Combine(dir, "report.pdf"), p);
            File.WriteAllBytes(Path.Combine(dir, "report.json"), j);
            File.WriteAllBytes(Path.Combine(dir, "report.sig.json"), s);
        }

        var sig = ReportSignatures.Serialize(signature);
        var publicKey = Path.Combine(outDir, ".state", "keys", LocalReportKey.PublicKeyFile);
        Write(pdf, json, sig);
        var ok = await RunCliAsync("verify-report", Path.Combine(dir, "report.sig.json"), "--public-key", publicKey);
        Assert.True(ok.Code == 0, ok.Err);
        Assert.Contains(signer.KeyId, ok.Out, StringComparison.Ordinal);

        var badPdf = (byte[])pdf.Clone();
        badPdf[badPdf.Length / 2] ^= 0x01;
        Write(badPdf, json, sig);
        var r = await RunCliAsync("verify-report", dir);
        Assert.Equal(1, r.Code);
        Assert.Contains("report.pdf", r.Err, StringComparison.Ordinal);
        Assert.DoesNotContain("report.json", r.Err, StringComparison.Ordinal);

        var badJson = (byte[])json.Clone();
        badJson[3] ^= 0x01;
        Write(pdf, badJson, sig);
        r = await RunCliAsync("verify-report", dir);
        Assert.Equal(1, r.Code);
        Assert.Contains("report.json", r.Err, StringComparison.Ordinal);

        var raw = Convert.FromBase64String(signature.Signature);
        raw[^1] ^= 0x01;
        Write(pdf, json, ReportSignatures.Serialize(signature with { Signature = Convert.ToBase64String(raw) }));
        r = await RunCliAsync("verify-report", dir);
        Assert.Equal(1, r.Code);

        // Signed by someone else: valid with the key in the file, rejected against the trusted key.
        using var other = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var forged = await ReportSignatures.SignAsync(new EcdsaReportSigner(other), "rep-1", pdf, json, signature.SignedAt);
        Write(pdf, json, ReportSignatures.Serialize(forged));
        Assert.Equal(0, (await RunCliAsync("verify-report", dir)).Code);
        Assert.Equal(1, (await RunCliAsync("verify-report", dir, "--public-key", publicKey)).Code);

        Write(pdf, json, "not json"u8.ToArray());
        Assert.Equal(2, (await RunCliAsync("verify-report", dir)).Code);
        Assert.Equal(2, (await RunCliAsync("verify-report", Path.Combine(outDir, "missing"))).Code);
        Assert.Equal(2, (await RunCliAsync("verify-report")).Code);
    }

    private static AnalysisReport SampleReport() => new()
    {
        ReportId = "rep-1",
        ImageId = "img-1",
        UserId = "u1",
        ImagingModality = "xray",
        AnalysisDate = new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero),
        Summary = new ReportSummary { OverallAssessment = Core.Analysis.OverallAssessment.Normal, KeyFindings = ["none"] },
        DetailedFindings = [],
        Visualizations = new ReportVisualizations { OriginalImageUrl = "file:///o.png" },
        Recommendations = ["Validate all AI findings before any clinical decision."],
        Metadata = new ReportMetadata
        {
            ModelVersions = new ModelVersions { ModalityClassifier = "c-1", SpecializedModel = "d-1" },
            ConfidenceMetrics = new ConfidenceMetrics { ModalityConfidence = 0.9 },
            ProcessingTimestamp = new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero),
        },
        DisclaimerText = AnalysisReport.Disclaimer,
        ReportUrls = new ReportUrls { Json = "file:///r.json", FhirBundle = "file:///b.json" },
        Fhir = new ReportFhirLinks { DiagnosticReportId = "rep-1", ImagingStudyId = "st-1", ObservationIds = [] },
    };
}
