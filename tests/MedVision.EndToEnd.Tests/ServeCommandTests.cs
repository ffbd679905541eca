using System.Net;
using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>`medvision serve` as a real process over the FHIR store `medvision analyze` wrote.</summary>
public sealed class ServeCommandTests : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string outDir = Path.Combine(Path.GetTempPath(), "medvision-serve-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(outDir))
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    private static string CliDll
    {
        get
        {
            var dll = Path.Combine(AppContext.BaseDirectory, "medvision.dll");
            Assert.True(File.Exists(Path.ChangeExtension(dll, ".runtimeconfig.json")), $"{dll} has no runtimeconfig next to it");
            return dll;
        }
    }

    [Fact]
    public async Task Serve_WhenAnalyzeRanBefore_ShouldServeADiagnosticReportForEveryAnalyzedImage()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["analyze", RepoPaths.Samples, "--out", outDir, "--parallel", "2"], stdout, stderr);
        Assert.True(code == 0, $"analyze exit {code}\n{stdout}\n{stderr}");
        var reportIds = Directory.GetDirectories(outDir)
            .Select(d => Path.Combine(d, "fhir-bundle.json"))
            .Where(File.Exists)
            .Select(f => JsonNode.Parse(File.ReadAllText(f))!["entry"]!.AsArray()
                .Select(e => e!["resource"]!)
                .Single(r => (string?)r["resourceType"] == "DiagnosticReport")["id"]!.GetValue<string>())
            .ToList();
        Assert.True(reportIds.Count >= 4, $"analyze wrote {reportIds.Count} FHIR bundles");

        using var server = BackgroundProcess.Start(
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet", [CliDll, "serve", "--out", outDir, "--port", "0"]);
        var line = await server.WaitForLineAsync(l => l.Contains("listening on http://127.0.0.1:", StringComparison.Ordinal), StartTimeout);
        var fhirBase = line.Split(' ').Single(w => w.StartsWith("http://127.0.0.1:", StringComparison.Ordinal));
        Assert.EndsWith("/fhir", fhirBase, StringComparison.Ordinal);

        using var http = new HttpClient();
        var search = JsonNode.Parse(await http.GetStringAsync(new Uri($"{fhirBase}/DiagnosticReport?_count=100&_include=DiagnosticReport:result")))!;
        Assert.Equal(reportIds.Count, (int?)search["total"]);
        var matched = search["entry"]!.AsArray().Where(e => (string?)e!["search"]!["mode"] == "match").Select(e => (string)e!["resource"]!["id"]!);
        Assert.Equal(reportIds.Order(StringComparer.Ordinal), matched.Order(StringComparer.Ordinal));
        foreach (var id in reportIds)
        {
            using var response = await http.GetAsync(new Uri($"{fhirBase}/DiagnosticReport/{id}"));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
            var report = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            var subject = (string)report["subject"]!["reference"]!;
            var byPatient = JsonNode.Parse(await http.GetStringAsync(new Uri($"{fhirBase}/DiagnosticReport?subject={subject}")))!;
            Assert.Contains(id, byPatient["entry"]!.AsArray().Select(e => (string)e!["resource"]!["id"]!));
        }

        Assert.Equal(0, await server.TerminateAsync(StartTimeout));
    }

    [Fact]
    public async Task Serve_WhenStateFolderIsMissing_ShouldExit2WithoutServing()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["serve", "--out", outDir, "--port", "0"], stdout, stderr);

        Assert.Equal(2, code);
        Assert.Contains("no state folder", stderr.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--port", "70000")]
    [InlineData("--port", "x")]
    [InlineData("--bogus")]
    public async Task Serve_WhenArgumentsAreBad_ShouldExit2(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        Assert.Equal(2, await CliApp.RunAsync(["serve", .. args], stdout, stderr));
    }
}
