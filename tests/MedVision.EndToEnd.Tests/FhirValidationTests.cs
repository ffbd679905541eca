using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Fhir;
using MedVision.Local.Twins;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// Every FHIR resource and Bundle `medvision analyze` writes for the samples (PNG, JPEG and DICOM), checked by
/// two independent R4 validators (FHIR.js and Firely) and by the R4 invariants FHIR.js does not evaluate.
/// </summary>
public sealed class FhirValidationTests(ITestOutputHelper output) : IDisposable
{
    private readonly string outDir = Path.Combine(Path.GetTempPath(), "medvision-fhir-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(outDir))
        {
            Directory.Delete(outDir, recursive: true);
        }
    }

    [Fact]
    public async Task Analyze_WhenRunOnTheSamples_ShouldWriteOnlyResourcesAndBundlesTheR4ValidatorAccepts()
    {
        if (!FhirValidator.Require(output.WriteLine))
        {
            return;
        }

        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(["analyze", RepoPaths.Samples, "--out", outDir, "--parallel", "2"], stdout, stderr);
        Assert.True(code == 0, $"exit {code}\n{stdout}\n{stderr}");

        // One exported bundle per image folder (the object store under .state holds the same files again).
        var bundles = Directory.GetDirectories(outDir).Select(d => Path.Combine(d, "fhir-bundle.json")).Where(File.Exists).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(Directory.GetFiles(RepoPaths.Samples).Count(f => f.EndsWith(".png", StringComparison.Ordinal) || f.EndsWith(".jpg", StringComparison.Ordinal) || f.EndsWith(".dcm", StringComparison.Ordinal)), bundles.Count);
        var documents = new List<(string Name, JsonObject Json)>();
        foreach (var path in bundles)
        {
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            documents.Add((path, json));
            var bundle = FhirJson.Parse<Bundle>(json);
            Assert.Equal("transaction", bundle.Type);
            Assert.Empty(FhirInvariants.Check(bundle));
            Assert.All(bundle.Entry!, e => Assert.StartsWith("urn:uuid:", e.FullUrl, StringComparison.Ordinal));
            var types = bundle.Entry!.Select(e => e.Resource!.ResourceType).ToList();
            Assert.Equal(1, types.Count(t => t == "DiagnosticReport"));
            Assert.Contains("Device", types);
            Assert.Contains("Provenance", types);
            Assert.Contains("ImagingStudy", types);
        }

        // The same resources as the FHIR store holds them (relative references, meta from the store).
        using (var store = new SqliteFhirStore(Path.Combine(outDir, ".state", "fhir.db"), TimeProvider.System))
        {
            foreach (var type in new[] { "Patient", "Device", "ImagingStudy", "Observation", "DiagnosticReport", "Provenance" })
            {
                var stored = await store.SearchJsonAsync(type, new Dictionary<string, string>());
                Assert.NotEmpty(stored);
                foreach (var resource in stored)
                {
                    documents.Add(($"{type}/{resource["id"]}", resource));
                    Assert.Empty(FhirInvariants.Check(FhirJson.Parse(resource)));
                }
            }
        }

        // One node start for everything; the last document is deliberately broken, to show the oracle can say no.
        var broken = (JsonObject)documents.First(d => (string?)d.Json["resourceType"] == "DiagnosticReport").Json.DeepClone();
        broken["status"] = "approved";
        broken["performer"] = new JsonArray(new JsonObject { ["reference"] = "Device/x" });
        documents.Add(("broken DiagnosticReport", broken));

        var results = FhirValidator.Validate(documents.Select(d => d.Json).ToList());
        var firely = FirelyValidator.Validate(documents.Select(d => d.Json).ToList());

        for (var i = 0; i < documents.Count - 1; i++)
        {
            Assert.True(results[i].Errors.Count == 0, $"FHIR.js, {documents[i].Name}:\n{string.Join("\n", results[i].Errors)}");
            Assert.True(firely[i].Valid, $"Firely, {documents[i].Name}:\n{string.Join("\n", firely[i].Errors)}");
        }

        Assert.Contains(firely[^1].Errors, e => e.Contains("DiagnosticReport.status", StringComparison.Ordinal));

        var verdict = results[^1];
        Assert.False(verdict.Valid);
        Assert.Contains(verdict.Errors, e => e.Contains("DiagnosticReport.status", StringComparison.Ordinal));
        Assert.Contains(verdict.Errors, e => e.Contains("DiagnosticReport.performer", StringComparison.Ordinal));
        output.WriteLine($"{documents.Count - 1} documents valid; warnings: {string.Join("; ", results.SelectMany(r => r.Warnings).Distinct())}");
    }
}
