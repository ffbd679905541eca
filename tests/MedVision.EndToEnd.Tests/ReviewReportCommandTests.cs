using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Local.Twins;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>`medvision review report` on the output of a real `medvision analyze` run.</summary>
public sealed class ReviewReportCommandTests : IDisposable
{
    private readonly string outDir = Path.Combine(Path.GetTempPath(), "medvision-review-" + Guid.NewGuid().ToString("N"));

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

    [Fact]
    public async Task ReviewReport_WhenFinalThenAmended_ShouldUpdateFhirAndTheExportedReportAndRefuseASecondFinal()
    {
        var sample = Path.Combine(RepoPaths.Samples, "chest-xray-nodule-101.png");
        var analyzed = await RunCliAsync("analyze", sample, "--out", outDir);
        Assert.True(analyzed.Code == 0, analyzed.Err);
        var reportPath = Path.Combine(outDir, "chest-xray-nodule-101", "report.json");
        var report = JsonNode.Parse(File.ReadAllText(reportPath))!;
        var reportId = (string)report["report_id"]!;
        var imageId = (string)report["image_id"]!;

        var final = await RunCliAsync("review", "report", reportId, "--status", "final", "--reviewer", "rad-1", "--out", outDir);
        var again = await RunCliAsync("review", "report", imageId, "--status", "final", "--out", outDir);
        var amended = await RunCliAsync("review", "report", imageId, "--status", "amended", "--reviewer", "rad-2", "--conclusion", "Nodule confirmed.", "--out", outDir);
        var missing = await RunCliAsync("review", "report", "nope", "--status", "final", "--out", outDir);
        var usage = await RunCliAsync("review", "report", reportId, "--status", "approved", "--out", outDir);

        Assert.True(final.Code == 0, final.Err);
        Assert.Contains("preliminary -> final", final.Out, StringComparison.Ordinal);
        Assert.Equal(2, again.Code);
        Assert.Contains("review.invalid_transition", again.Err, StringComparison.Ordinal);
        Assert.True(amended.Code == 0, amended.Err);
        Assert.Equal(2, missing.Code);
        Assert.Equal(2, usage.Code);
        Assert.Contains("--status must be final or amended", usage.Err, StringComparison.Ordinal);

        var exported = JsonNode.Parse(File.ReadAllText(reportPath))!;
        Assert.Equal(("amended", "rad-2", "Nodule confirmed."), ((string)exported["review"]!["status"]!, (string)exported["review"]!["reviewer_id"]!, (string)exported["review"]!["conclusion"]!));
        using var fhir = new SqliteFhirStore(Path.Combine(outDir, ".state", "fhir.db"), TimeProvider.System);
        var dr = (await fhir.ReadJsonAsync("DiagnosticReport", (string)report["fhir"]!["diagnostic_report_id"]!))!;
        Assert.Equal("amended", (string)dr["status"]!);
        Assert.Equal("Practitioner/reviewer-rad-2", (string)dr["resultsInterpreter"]![0]!["reference"]!);
        using var records = new SqliteRecordStore(Path.Combine(outDir, ".state", "records.db"));
        var audit = await records.ReadAuditAsync((string)dr["id"]!);
        var practitioner = (await fhir.ReadJsonAsync("Practitioner", "reviewer-rad-2"))!;
        if (FhirValidator.Require(_ => { }))
        {
            Assert.All(FhirValidator.Validate([dr, practitioner]), v => Assert.True(v.Errors.Count == 0, string.Join("\n", v.Errors)));
        }

        Assert.All(FirelyValidator.Validate([dr, practitioner]), v => Assert.True(v.Valid, string.Join("\n", v.Errors)));

        Assert.Equal(["report.review.final", "report.review.amended"], audit.Where(a => a.Action.StartsWith("report.review.", StringComparison.Ordinal)).Select(a => a.Action).ToArray());
    }
}
