using System.Globalization;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Local.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Local.Tests.Twins;

public sealed class SqliteFhirStoreTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2025, 3, 1, 8, 0, 0, 5, TimeSpan.Zero));
    private readonly SqliteFhirStore store;

    public SqliteFhirStoreTests() => store = new SqliteFhirStore(temp.File("fhir.db"), clock);

    public void Dispose()
    {
        store.Dispose();
        temp.Dispose();
    }

    private static JsonObject Patient(string id, string? family = null) => new()
    {
        ["resourceType"] = "Patient",
        ["id"] = id,
        ["name"] = new JsonArray(new JsonObject { ["family"] = family ?? "Doe" }),
        ["active"] = true,
        ["identifier"] = new JsonArray(
            new JsonObject { ["system"] = "urn:medvision:patient", ["value"] = $"MRN-{id}" },
            new JsonObject { ["value"] = $"plain-{id}" }),
    };

    private static JsonObject Observation(string id, string patientId, string code) => new()
    {
        ["resourceType"] = "Observation",
        ["id"] = id,
        ["status"] = "final",
        ["subject"] = new JsonObject { ["reference"] = $"Patient/{patientId}" },
        ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = code }) },
        ["derivedFrom"] = new JsonArray(new JsonObject { ["reference"] = $"ImagingStudy/study-{patientId}" }),
    };

    private static string[] Ids(IEnumerable<JsonObject> resources) => resources.Select(r => (string)r["id"]!).ToArray();

    [Fact]
    public async Task UpsertAsync_WhenNew_ShouldReturnVersion1AndStampMeta()
    {
        var version = await store.UpsertAsync(Patient("p1"));
        var read = await store.ReadAsync("Patient", "p1");

        Assert.Equal("1", version);
        Assert.NotNull(read);
        Assert.Equal("1", (string?)read["meta"]!["versionId"]);
        Assert.Equal("2025-03-01T08:00:00.005Z", (string?)read["meta"]!["lastUpdated"]);
        Assert.Equal("Doe", (string?)read["name"]![0]!["family"]);
    }

    [Fact]
    public async Task UpsertAsync_WhenResourceExists_ShouldBumpVersionAndReadLatest()
    {
        await store.UpsertAsync(Patient("p1", "Before"));
        clock.Advance(TimeSpan.FromSeconds(90));

        var version = await store.UpsertAsync(Patient("p1", "After"));
        var read = await store.ReadAsync("Patient", "p1");

        Assert.Equal("2", version);
        Assert.NotNull(read);
        Assert.Equal("After", (string?)read["name"]![0]!["family"]);
        Assert.Equal("2", (string?)read["meta"]!["versionId"]);
        Assert.Equal("2025-03-01T08:01:30.005Z", (string?)read["meta"]!["lastUpdated"]);
        Assert.Equal(["Before", "After"], (await store.HistoryAsync("Patient", "p1")).Select(r => (string?)r["name"]![0]!["family"]));
    }

    [Fact]
    public async Task UpsertAsync_WhenCallerObjectHasMeta_ShouldKeepOtherMetaAndNotMutateCaller()
    {
        var patient = Patient("p1");
        patient["meta"] = new JsonObject { ["profile"] = new JsonArray("http://example.org/profile"), ["versionId"] = "77" };
        var before = patient.ToJsonString();

        await store.UpsertAsync(patient);
        var read = await store.ReadAsync("Patient", "p1");

        Assert.Equal(before, patient.ToJsonString());
        Assert.NotNull(read);
        Assert.Equal("1", (string?)read["meta"]!["versionId"]);
        Assert.Equal("http://example.org/profile", (string?)read["meta"]!["profile"]![0]);
    }

    [Fact]
    public async Task ReadAsync_WhenResultMutated_ShouldNotChangeStoredResource()
    {
        await store.UpsertAsync(Patient("p1"));

        var read = await store.ReadAsync("Patient", "p1");
        read!["active"] = false;

        Assert.True((bool?)(await store.ReadAsync("Patient", "p1"))!["active"]);
    }

    [Fact]
    public async Task ReadAsync_WhenMissing_ShouldReturnNull()
    {
        await store.UpsertAsync(Patient("p1"));

        Assert.Null(await store.ReadAsync("Patient", "p2"));
        Assert.Null(await store.ReadAsync("Observation", "p1"));
    }

    [Theory]
    [InlineData("""{"id":"x"}""")]
    [InlineData("""{"resourceType":"patient","id":"x"}""")]
    [InlineData("""{"resourceType":"Pat1ent","id":"x"}""")]
    [InlineData("""{"resourceType":"","id":"x"}""")]
    [InlineData("""{"resourceType":5,"id":"x"}""")]
    [InlineData("""{"resourceType":"Patient"}""")]
    [InlineData("""{"resourceType":"Patient","id":""}""")]
    [InlineData("""{"resourceType":"Patient","id":"a b"}""")]
    [InlineData("""{"resourceType":"Patient","id":"a/b"}""")]
    [InlineData("""{"resourceType":"Patient","id":"a_b"}""")]
    [InlineData("""{"resourceType":"Patient","id":12}""")]
    [InlineData("""{"resourceType":"Patient","id":"x","meta":"v1"}""")]
    public async Task UpsertAsync_WhenResourceTypeOrIdInvalid_ShouldThrowValidation(string json)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => store.UpsertAsync(JsonNode.Parse(json)!.AsObject()));

        Assert.Equal("fhir.invalid_resource", error.Code);
    }

    [Fact]
    public async Task UpsertAsync_WhenIdIs64Or65Chars_ShouldAcceptOnly64()
    {
        var max = new string('a', 63) + ".";

        Assert.Equal("1", await store.UpsertAsync(new JsonObject { ["resourceType"] = "Patient", ["id"] = max }));
        await Assert.ThrowsAsync<ValidationException>(() => store.UpsertAsync(new JsonObject { ["resourceType"] = "Patient", ["id"] = max + "b" }));
    }

    [Fact]
    public async Task SearchAsync_WhenBySubjectReference_ShouldReturnThatPatientsResources()
    {
        await store.UpsertAsync(Observation("o2", "p1", "1234-5"));
        await store.UpsertAsync(Observation("o1", "p1", "9999-9"));
        await store.UpsertAsync(Observation("o3", "p2", "1234-5"));
        await store.UpsertAsync(Patient("p1"));

        var full = await store.SearchAsync("Observation", new Dictionary<string, string> { ["subject"] = "Patient/p1" });
        var bare = await store.SearchAsync("Observation", new Dictionary<string, string> { ["subject"] = "p2" });

        Assert.Equal(["o1", "o2"], Ids(full));
        Assert.Equal(["o3"], Ids(bare));
        Assert.Equal(["o1", "o2"], Ids(await store.SearchAsync("Observation", new Dictionary<string, string> { ["derivedFrom"] = "ImagingStudy/study-p1" })));
    }

    [Fact]
    public async Task SearchAsync_WhenById_ShouldReturnOnlyThatResource()
    {
        await store.UpsertAsync(Patient("p1"));
        await store.UpsertAsync(Patient("p2"));

        Assert.Equal(["p2"], Ids(await store.SearchAsync("Patient", new Dictionary<string, string> { ["_id"] = "p2" })));
        Assert.Empty(await store.SearchAsync("Patient", new Dictionary<string, string> { ["_id"] = "p3" }));
        Assert.Equal(["p1", "p2"], Ids(await store.SearchAsync("Patient", new Dictionary<string, string>())));
    }

    [Theory]
    [InlineData("urn:medvision:patient|MRN-p2", "p2")]
    [InlineData("MRN-p1", "p1")]
    [InlineData("|plain-p2", "p2")]
    [InlineData("plain-p1", "p1")]
    [InlineData("urn:medvision:patient|", "p1,p2")]
    [InlineData("urn:other|MRN-p1", "")]
    [InlineData("|MRN-p1", "")]
    public async Task SearchAsync_WhenByIdentifierToken_ShouldMatchSystemAndValue(string token, string expected)
    {
        await store.UpsertAsync(Patient("p1"));
        await store.UpsertAsync(Patient("p2"));

        var found = await store.SearchAsync("Patient", new Dictionary<string, string> { ["identifier"] = token });

        Assert.Equal(expected.Split(',', StringSplitOptions.RemoveEmptyEntries), Ids(found));
    }

    [Fact]
    public async Task SearchAsync_WhenPrimitiveCodeableConceptOrUnknownElement_ShouldMatchAsDocumented()
    {
        await store.UpsertAsync(Observation("o1", "p1", "1234-5"));
        await store.UpsertAsync(Observation("o2", "p1", "9999-9"));
        await store.UpsertAsync(Patient("p1"));

        Assert.Equal(["o1", "o2"], Ids(await store.SearchAsync("Observation", new Dictionary<string, string> { ["status"] = "final" })));
        Assert.Equal(["o2"], Ids(await store.SearchAsync("Observation", new Dictionary<string, string> { ["code"] = "http://loinc.org|9999-9" })));
        Assert.Equal(["p1"], Ids(await store.SearchAsync("Patient", new Dictionary<string, string> { ["active"] = "true" })));
        Assert.Empty(await store.SearchAsync("Observation", new Dictionary<string, string> { ["nonexistent"] = "final" }));
        Assert.Empty(await store.SearchAsync("Observation", new Dictionary<string, string> { ["status"] = "FINAL" }));
    }

    [Fact]
    public async Task SearchAsync_WhenSeveralParameters_ShouldRequireAllToMatch()
    {
        await store.UpsertAsync(Observation("o1", "p1", "1234-5"));
        await store.UpsertAsync(Observation("o2", "p1", "9999-9"));
        await store.UpsertAsync(Observation("o3", "p2", "1234-5"));

        var found = await store.SearchAsync("Observation", new Dictionary<string, string> { ["subject"] = "Patient/p1", ["code"] = "1234-5" });

        Assert.Equal(["o1"], Ids(found));
        Assert.Empty(await store.SearchAsync("Observation", new Dictionary<string, string> { ["_id"] = "o3", ["subject"] = "Patient/p1" }));
    }

    [Fact]
    public async Task DeleteAsync_WhenResourceExists_ShouldRemoveItKeepHistoryAndContinueVersions()
    {
        await store.UpsertAsync(Patient("p1", "One"));
        await store.UpsertAsync(Patient("p1", "Two"));

        Assert.True(await store.DeleteAsync("Patient", "p1"));
        Assert.Null(await store.ReadAsync("Patient", "p1"));
        Assert.Empty(await store.SearchAsync("Patient", new Dictionary<string, string> { ["_id"] = "p1" }));
        Assert.False(await store.DeleteAsync("Patient", "p1"));
        Assert.Equal(2, (await store.HistoryAsync("Patient", "p1")).Count);

        // Version 3 was the delete, so re-creating continues at 4.
        Assert.Equal("4", await store.UpsertAsync(Patient("p1", "Three")));
    }

    [Fact]
    public async Task UpsertAsync_WhenManyParallelUpsertsOfOneResource_ShouldGiveEachADistinctVersion()
    {
        const int Workers = 10;
        const int PerWorker = 20;

        var versions = await Concurrently.RunAsync(Workers, async w =>
        {
            var mine = new List<string>();
            for (var n = 0; n < PerWorker; n++)
            {
                mine.Add(await store.UpsertAsync(Patient("p1", $"Name{w}-{n}")));
            }

            return mine;
        });

        Assert.Equal(Enumerable.Range(1, Workers * PerWorker), versions.SelectMany(v => v).Select(v => int.Parse(v, CultureInfo.InvariantCulture)).Order());
        Assert.Equal($"{Workers * PerWorker}", (string?)(await store.ReadAsync("Patient", "p1"))!["meta"]!["versionId"]);
        Assert.Equal(Workers * PerWorker, (await store.HistoryAsync("Patient", "p1")).Count);
    }

    [Theory]
    [InlineData("patient", "p1")]
    [InlineData("Patient", "../p1")]
    [InlineData("Patient", "")]
    public async Task ReadAndDeleteAsync_WhenAddressInvalid_ShouldThrowValidation(string resourceType, string id)
    {
        await Assert.ThrowsAsync<ValidationException>(() => store.ReadAsync(resourceType, id));
        await Assert.ThrowsAsync<ValidationException>(() => store.DeleteAsync(resourceType, id));
    }
}
