using System.Text.Json.Nodes;
using MedVision.Core.Analysis;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Imaging;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests;

/// <summary>The Report stage writes its FHIR resources as one transaction Bundle: all or nothing, Type/id references, idempotent retries.</summary>
public class ReportStageTransactionTests
{
    private readonly FailingObjectStore objects = new();
    private readonly InMemoryArchive archive = new();
    private readonly InMemoryFhirStore fhir = new();
    private readonly InMemoryRecordStore records = new();
    private readonly FakeTimeProvider clock = new(TestClock.Start);
    private readonly SequentialIds ids = new();
    private readonly PipelineServices stages;
    private readonly UploadService uploads;

    public ReportStageTransactionTests()
    {
        stages = new TestPlatform
        {
            Objects = objects, Archive = archive, Fhir = fhir, Records = records, Inference = new ScriptedEndpoint(Answer), Time = clock, Ids = ids,
        }.Build();
        uploads = stages.Uploads;
    }

    private static EndpointResponse Answer(string endpointName, ModelRequest request) => endpointName == "medvision-modality-classifier"
        ? ModelAnswers.Scores(request, 0.9)
        : ModelAnswers.Findings(
            request, endpointName,
            ModelAnswers.Finding(AbnormalityType.Lesion, 0.91, Severity.High, 4, 4, 8, 8),
            ModelAnswers.Finding(AbnormalityType.Tumor, 0.8, Severity.Medium, 10, 10, 4, 4));

    /// <summary>An image taken through every stage before Report.</summary>
    private async Task<string> ReadyForReportAsync()
    {
        var raster = new Raster(24, 20, ColorModel.Gray, 8);
        for (var y = 0; y < 20; y++)
        {
            for (var x = 0; x < 24; x++)
            {
                raster.SetSample(x, y, 0, (x * 9 + y * 5) % 256);
            }
        }

        var id = (await uploads.UploadAsync(new UploadCommand { UserId = "u1", Content = PngEncoder.Encode(raster), FileName = "a.png", PatientId = "anon-7" })).ImageId;
        var classification = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        await stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = classification.Modality });
        await stages.Heatmap.RunAsync(new StageRequest { ImageId = id });
        return id;
    }

    private static IEnumerable<string> References(JsonNode? node) => node switch
    {
        JsonObject obj => (obj["reference"] is JsonValue v && v.TryGetValue<string>(out var r) ? [r] : Array.Empty<string>())
            .Concat(obj.SelectMany(p => References(p.Value))),
        JsonArray array => array.SelectMany(References),
        _ => [],
    };

    private Dictionary<string, string> Versions() =>
        fhir.Resources.ToDictionary(r => r.Key, r => (string)r.Value["meta"]!["versionId"]!, StringComparer.Ordinal);

    [Fact]
    public async Task RunAsync_WhenReportIsWritten_ShouldStoreEveryResourceInOneTransactionWithTypeIdReferences()
    {
        var id = await ReadyForReportAsync();

        var result = await stages.Report.RunAsync(new StageRequest { ImageId = id });

        Assert.Equal(1, fhir.Transactions);
        var exported = JsonNode.Parse(objects.Objects[result.FhirBundleKey].Content)!.AsObject();
        var entries = exported["entry"]!.AsArray();
        Assert.Equal(entries.Count, fhir.Resources.Count);
        Assert.All(entries, e => Assert.StartsWith("urn:uuid:", (string)e!["fullUrl"]!, StringComparison.Ordinal)); // the export keeps its urns
        foreach (var (key, resource) in fhir.Resources)
        {
            foreach (var reference in References(resource))
            {
                Assert.DoesNotContain("urn:", reference, StringComparison.Ordinal);
                Assert.True(fhir.Resources.ContainsKey(reference), $"{key} references {reference}, which is not stored");
            }
        }

        var report = fhir.Resources[$"DiagnosticReport/{result.DiagnosticReportId}"];
        Assert.Equal(2, report["result"]!.AsArray().Count);
        Assert.All(report["result"]!.AsArray(), r => Assert.StartsWith("Observation/", (string)r!["reference"]!, StringComparison.Ordinal));
    }

    [Fact]
    public async Task RunAsync_WhenOneEntryOfTheTransactionFails_ShouldLeaveNothingInTheFhirStore()
    {
        var id = await ReadyForReportAsync();
        // The last entry (Provenance) fails, after every other entry was staged: all of them must be rolled back.
        fhir.FailTransactionEntry = key => key.StartsWith("Provenance/", StringComparison.Ordinal)
            ? new ValidationException("fhir.invalid_transaction", "refused by the test")
            : null;

        await Assert.ThrowsAsync<ValidationException>(() => stages.Report.RunAsync(new StageRequest { ImageId = id }));

        Assert.Empty(fhir.Resources);
        Assert.Equal(0, fhir.Transactions);
        Assert.Null((await records.GetAsync(id))!.ReportId);
    }

    [Fact]
    public async Task RunAsync_WhenTheFhirStoreIsUnavailable_ShouldPropagateSoTheRetryWritesEachResourceOnce()
    {
        var id = await ReadyForReportAsync();
        fhir.FailTransactionEntry = _ => new StorageUnavailableException("FHIR store down (test)");

        // StorageUnavailable reaches the state machine unchanged: its Retry matches on the error name.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => stages.Report.RunAsync(new StageRequest { ImageId = id }));
        Assert.Empty(fhir.Resources);

        fhir.FailTransactionEntry = null;
        var result = await stages.Report.RunAsync(new StageRequest { ImageId = id });

        Assert.Equal(1, fhir.Transactions);
        Assert.All(Versions().Values, v => Assert.Equal("1", v));
        Assert.Single(fhir.Resources.Keys, k => k.StartsWith("DiagnosticReport/", StringComparison.Ordinal));
        Assert.Equal(result.DiagnosticReportId, (await records.GetAsync(id))!.DiagnosticReportId);
    }

    [Fact]
    public async Task RunAsync_WhenRunAgain_ShouldMakeNewVersionsOfTheSameResourcesWithoutDuplicates()
    {
        var id = await ReadyForReportAsync();
        var first = await stages.Report.RunAsync(new StageRequest { ImageId = id });
        var firstVersions = Versions();

        var second = await stages.Report.RunAsync(new StageRequest { ImageId = id });

        Assert.Equal(first.DiagnosticReportId, second.DiagnosticReportId);
        Assert.Equal(first.ReportId, second.ReportId);
        Assert.Equal(firstVersions.Keys.Order(StringComparer.Ordinal), Versions().Keys.Order(StringComparer.Ordinal));
        Assert.All(Versions().Values, v => Assert.Equal("2", v));
        Assert.Equal(2, fhir.Transactions);
    }

    [Fact]
    public async Task RunAsync_WhenTheRunFailsAfterTheTransactionCommitted_ShouldRetryOntoTheSameIds()
    {
        var id = await ReadyForReportAsync();
        objects.FailKeysContaining = "fhir-bundle";

        // The FHIR transaction committed, then the Bundle export failed: the retry must not leave a second report behind.
        await Assert.ThrowsAsync<StorageUnavailableException>(() => stages.Report.RunAsync(new StageRequest { ImageId = id }));
        var afterFailure = Versions();
        Assert.NotEmpty(afterFailure);

        objects.FailKeysContaining = null;
        var result = await stages.Report.RunAsync(new StageRequest { ImageId = id });

        Assert.Equal(afterFailure.Keys.Order(StringComparer.Ordinal), Versions().Keys.Order(StringComparer.Ordinal));
        Assert.All(Versions().Values, v => Assert.Equal("2", v));
        Assert.True(fhir.Resources.ContainsKey($"DiagnosticReport/{result.DiagnosticReportId}"));
        Assert.True(objects.Objects.ContainsKey(result.FhirBundleKey));
    }

    /// <summary>An object store whose puts to matching keys fail transiently, to fail the stage after its FHIR write.</summary>
    private sealed class FailingObjectStore : IObjectStore
    {
        private readonly InMemoryObjectStore inner = new();

        public string? FailKeysContaining { get; set; }

        public System.Collections.Concurrent.ConcurrentDictionary<string, StoredObject> Objects => inner.Objects;

        public Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default) =>
            FailKeysContaining is { } part && key.Contains(part, StringComparison.Ordinal)
                ? throw new StorageUnavailableException($"put {key} failed (test)")
                : inner.PutAsync(key, content, contentType, cancellationToken);

        public Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default) => inner.GetAsync(key, cancellationToken);

        public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default) => inner.DeleteAsync(key, cancellationToken);

        public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default) => inner.ListAsync(prefix, cancellationToken);

        public string UrlFor(string key) => inner.UrlFor(key);

        public string S3UriFor(string key) => inner.S3UriFor(key);
    }
}
