using System.Globalization;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Fhir;
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

    private static Patient Patient(string? id, string? family = null) => new()
    {
        Id = id,
        Name = [new HumanName { Family = family ?? "Doe" }],
        Active = true,
        Identifier = [new Identifier("urn:medvision:patient", $"MRN-{id}"), new Identifier { Value = $"plain-{id}" }],
    };

    private static Observation Observation(string id, string patientId, string code) => new()
    {
        Id = id,
        Status = "final",
        Subject = Reference.To("Patient", patientId),
        Code = new CodeableConcept("http://loinc.org", code),
        DerivedFrom = [Reference.To("ImagingStudy", $"study-{patientId}")],
    };

    private static string[] Ids(IEnumerable<Resource> resources) => resources.Select(r => r.Id!).ToArray();

    private async Task<Patient> ReadPatientAsync(string id) => Assert.IsType<Patient>(await store.ReadAsync("Patient", id));

    [Fact]
    public async Task UpsertAsync_WhenNew_ShouldReturnVersion1AndStampMeta()
    {
        var version = await store.UpsertAsync(Patient("p1"));
        var read = await ReadPatientAsync("p1");

        Assert.Equal("1", version);
        Assert.Equal("1", read.Meta!.VersionId);
        Assert.Equal("2025-03-01T08:00:00.005Z", read.Meta.LastUpdated);
        Assert.Equal("Doe", read.Name![0].Family);
    }

    [Fact]
    public async Task UpsertAsync_WhenResourceExists_ShouldBumpVersionAndReadLatest()
    {
        await store.UpsertAsync(Patient("p1", "Before"));
        clock.Advance(TimeSpan.FromSeconds(90));

        var version = await store.UpsertAsync(Patient("p1", "After"));
        var read = await ReadPatientAsync("p1");

        Assert.Equal("2", version);
        Assert.Equal("After", read.Name![0].Family);
        Assert.Equal("2", read.Meta!.VersionId);
        Assert.Equal("2025-03-01T08:01:30.005Z", read.Meta.LastUpdated);
        Assert.Equal(["Before", "After"], (await store.HistoryAsync("Patient", "p1")).Select(r => (string?)r["name"]![0]!["family"]));
    }

    [Fact]
    public async Task UpsertAsync_WhenCallerObjectHasMeta_ShouldKeepOtherMetaAndNotMutateCaller()
    {
        var patient = Patient("p1");
        patient.Meta = new Meta { Profile = ["http://example.org/profile"], VersionId = "77" };
        var before = FhirJson.Serialize(patient);

        await store.UpsertAsync(patient);
        var read = await ReadPatientAsync("p1");

        Assert.Equal(before, FhirJson.Serialize(patient));
        Assert.Equal("1", read.Meta!.VersionId);
        Assert.Equal("http://example.org/profile", read.Meta.Profile![0]);
    }

    [Fact]
    public async Task ReadAsync_WhenResultMutated_ShouldNotChangeStoredResource()
    {
        await store.UpsertAsync(Patient("p1"));

        var read = await ReadPatientAsync("p1");
        read.Active = false;

        Assert.True((await ReadPatientAsync("p1")).Active);
    }

    [Fact]
    public async Task ReadAsync_WhenMissing_ShouldReturnNull()
    {
        await store.UpsertAsync(Patient("p1"));

        Assert.Null(await store.ReadAsync("Patient", "p2"));
        Assert.Null(await store.ReadAsync("Observation", "p1"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("a b")]
    [InlineData("a/b")]
    [InlineData("a_b")]
    public async Task UpsertAsync_WhenIdInvalid_ShouldThrowValidation(string? id)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => store.UpsertAsync(Patient(id)));

        Assert.Equal("fhir.invalid_resource", error.Code);
    }

    [Theory]
    [InlineData("patient", "x", """{"resourceType":"patient","id":"x"}""")]
    [InlineData("Pat1ent", "x", """{"resourceType":"Pat1ent","id":"x"}""")]
    [InlineData("", "x", """{"resourceType":"","id":"x"}""")]
    [InlineData("Condition", "x", """{"resourceType":"Condition","id":"x"}""")]
    [InlineData("Patient", "a b", """{"resourceType":"Patient","id":"a b"}""")]
    [InlineData("Patient", "x", """{"resourceType":"Patient","id":"x","meta":"v1"}""")]
    public async Task WriteAsync_WhenJsonResourceTypeIdOrMetaInvalid_ShouldThrowValidation(string resourceType, string id, string json)
    {
        await Assert.ThrowsAsync<ValidationException>(
            () => store.WriteAsync([new FhirWrite(resourceType, id, JsonNode.Parse(json)!.AsObject(), IfMatch: null)]));
    }

    [Fact]
    public async Task UpsertAsync_WhenIdIs64Or65Chars_ShouldAcceptOnly64()
    {
        var max = new string('a', 63) + ".";

        Assert.Equal("1", await store.UpsertAsync(new Patient { Id = max }));
        await Assert.ThrowsAsync<ValidationException>(() => store.UpsertAsync(new Patient { Id = max + "b" }));
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
        Assert.Equal($"{Workers * PerWorker}", (await ReadPatientAsync("p1")).Meta!.VersionId);
        Assert.Equal(Workers * PerWorker, (await store.HistoryAsync("Patient", "p1")).Count);
    }

    [Theory]
    [InlineData("patient", "p1")]
    [InlineData("Patient", "../p1")]
    [InlineData("Patient", "")]
    [InlineData("Condition", "c1")]
    public async Task ReadAndDeleteAsync_WhenAddressInvalid_ShouldThrowValidation(string resourceType, string id)
    {
        await Assert.ThrowsAsync<ValidationException>(() => store.ReadAsync(resourceType, id));
        await Assert.ThrowsAsync<ValidationException>(() => store.DeleteAsync(resourceType, id));
    }

    [Fact]
    public async Task SearchAsync_WhenTypeIsNotInTheModel_ShouldThrowValidation()
    {
        await Assert.ThrowsAsync<ValidationException>(() => store.SearchAsync("Condition", new Dictionary<string, string>()));
    }
}
