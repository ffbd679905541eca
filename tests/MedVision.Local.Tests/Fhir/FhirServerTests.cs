using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using MedVision.Fhir;
using MedVision.Local.Tests.Twins;
using MedVision.Local.Twins;
using MedVision.Twins.Fhir;
using MedVision.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Local.Tests.Fhir;

/// <summary>The local FHIR R4 server over real loopback HTTP (Kestrel on 127.0.0.1:0).</summary>
public sealed class FhirServerTests : IAsyncLifetime
{
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));
    private SqliteFhirStore store = null!;
    private WebApplication app = null!;
    private HttpClient http = null!;
    private string fhirBase = "";

    public async Task InitializeAsync()
    {
        store = new SqliteFhirStore(temp.File("fhir.db"), clock);
        app = FhirServerApp.Build(store, "127.0.0.1", 0, clock, new SequentialIds("res"));
        await app.StartAsync();
        fhirBase = FhirServerApp.BaseUri(app).ToString().TrimEnd('/');
        http = new HttpClient();
    }

    public async Task DisposeAsync()
    {
        http.Dispose();
        await app.DisposeAsync();
        store.Dispose();
        temp.Dispose();
    }

    private static StringContent Fhir(JsonNode body, string mediaType = FhirServer.MediaType) =>
        new(body.ToJsonString(), Encoding.UTF8, mediaType);

    private async Task<(HttpResponseMessage Response, JsonObject? Body)> SendAsync(HttpMethod method, string path, JsonNode? body = null, string? ifMatch = null)
    {
        using var request = new HttpRequestMessage(method, fhirBase + path);
        if (body is not null)
        {
            request.Content = Fhir(body);
        }

        if (ifMatch is not null)
        {
            request.Headers.TryAddWithoutValidation("If-Match", ifMatch);
        }

        var response = await http.SendAsync(request);
        var text = await response.Content.ReadAsStringAsync();
        return (response, text.Length == 0 ? null : JsonNode.Parse(text)!.AsObject());
    }

    private Task<(HttpResponseMessage Response, JsonObject? Body)> GetAsync(string path) => SendAsync(HttpMethod.Get, path);

    private static void AssertOutcome((HttpResponseMessage Response, JsonObject? Body) answer, HttpStatusCode status, string issueCode)
    {
        Assert.Equal(status, answer.Response.StatusCode);
        Assert.Equal(FhirServer.MediaType, answer.Response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("OperationOutcome", (string?)answer.Body?["resourceType"]);
        Assert.Equal(issueCode, (string?)answer.Body!["issue"]![0]!["code"]);
        Assert.False(string.IsNullOrEmpty((string?)answer.Body!["issue"]![0]!["diagnostics"]));
    }

    private static JsonObject Patient(string? id = null, string mrn = "MRN-1") => new()
    {
        ["resourceType"] = "Patient",
        ["id"] = id,
        ["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:medvision:patient", ["value"] = mrn }),
    };

    private static JsonObject Observation(string patientId, string code, string effective, string status = "preliminary") => new()
    {
        ["resourceType"] = "Observation",
        ["status"] = status,
        ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = code }) },
        ["subject"] = new JsonObject { ["reference"] = $"Patient/{patientId}" },
        ["effectiveDateTime"] = effective,
    };

    private async Task<string> CreateAsync(JsonObject resource)
    {
        var (response, body) = await SendAsync(HttpMethod.Post, "/" + (string)resource["resourceType"]!, resource);
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)body!["id"]!;
    }

    private static IEnumerable<string> Ids(JsonObject bundle, string mode = "match") =>
        bundle["entry"]!.AsArray().Where(e => (string?)e!["search"]?["mode"] == mode).Select(e => (string)e!["resource"]!["id"]!);

    [Fact]
    public async Task Create_WhenPosted_ShouldAssignIdAndAnswer201WithLocationETagAndMeta()
    {
        var (response, body) = await SendAsync(HttpMethod.Post, "/Patient", Patient(id: "client-chosen"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("res-0001", (string?)body!["id"]);
        Assert.Equal($"{fhirBase}/Patient/res-0001/_history/1", response.Headers.Location?.ToString());
        Assert.Equal("W/\"1\"", response.Headers.ETag?.ToString());
        Assert.Equal(("1", "2025-03-01T08:00:00.000Z"), ((string?)body["meta"]!["versionId"], (string?)body["meta"]!["lastUpdated"]));
        Assert.Equal(FhirServer.MediaType, response.Content.Headers.ContentType?.MediaType);
    }

    [Fact]
    public async Task ReadVReadUpdate_WhenResourceChanges_ShouldKeepEveryVersionAndHonourIfMatch()
    {
        var id = await CreateAsync(Patient());
        var changed = Patient(id, "MRN-2");
        clock.Advance(TimeSpan.FromMinutes(1));

        var stale = await SendAsync(HttpMethod.Put, $"/Patient/{id}", changed, ifMatch: "W/\"7\"");
        AssertOutcome(stale, HttpStatusCode.PreconditionFailed, "conflict");

        var (updated, updatedBody) = await SendAsync(HttpMethod.Put, $"/Patient/{id}", changed, ifMatch: "W/\"1\"");
        Assert.Equal(HttpStatusCode.OK, updated.StatusCode);
        Assert.Equal("W/\"2\"", updated.Headers.ETag?.ToString());
        Assert.Equal("2025-03-01T08:01:00.000Z", (string?)updatedBody!["meta"]!["lastUpdated"]);

        var (read, current) = await GetAsync($"/Patient/{id}");
        Assert.Equal(HttpStatusCode.OK, read.StatusCode);
        Assert.Equal("MRN-2", (string?)current!["identifier"]![0]!["value"]);
        var (_, first) = await GetAsync($"/Patient/{id}/_history/1");
        Assert.Equal(("MRN-1", "1"), ((string?)first!["identifier"]![0]!["value"], (string?)first["meta"]!["versionId"]));
        AssertOutcome(await GetAsync($"/Patient/{id}/_history/9"), HttpStatusCode.NotFound, "not-found");
    }

    [Fact]
    public async Task Update_WhenResourceIsNew_ShouldCreateItWith201()
    {
        var (response, body) = await SendAsync(HttpMethod.Put, "/Patient/chosen-1", Patient("chosen-1"));

        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        Assert.Equal("1", (string?)body!["meta"]!["versionId"]);
        Assert.Equal($"{fhirBase}/Patient/chosen-1/_history/1", response.Headers.Location?.ToString());
    }

    [Fact]
    public async Task Delete_WhenResourceExists_ShouldAnswer204ThenGoneWhileHistoryStays()
    {
        var id = await CreateAsync(Patient());
        AssertOutcome(await SendAsync(HttpMethod.Delete, $"/Patient/{id}", ifMatch: "W/\"5\""), HttpStatusCode.PreconditionFailed, "conflict");

        var (deleted, _) = await SendAsync(HttpMethod.Delete, $"/Patient/{id}");

        Assert.Equal(HttpStatusCode.NoContent, deleted.StatusCode);
        AssertOutcome(await GetAsync($"/Patient/{id}"), HttpStatusCode.Gone, "deleted");
        AssertOutcome(await GetAsync($"/Patient/{id}/_history/2"), HttpStatusCode.Gone, "deleted");
        Assert.Equal(HttpStatusCode.OK, (await GetAsync($"/Patient/{id}/_history/1")).Response.StatusCode);
        var (_, history) = await GetAsync($"/Patient/{id}/_history");
        Assert.Equal("history", (string?)history!["type"]);
        Assert.Equal(2, (int?)history["total"]);
        Assert.Equal(["DELETE", "POST"], history["entry"]!.AsArray().Select(e => (string)e!["request"]!["method"]!));
        Assert.Null(history["entry"]![0]!["resource"]);
        Assert.Equal(HttpStatusCode.NoContent, (await SendAsync(HttpMethod.Delete, "/Patient/never-there")).Response.StatusCode);
    }

    [Fact]
    public async Task TypeHistory_WhenSeveralResourcesChanged_ShouldListEveryVersionNewestFirst()
    {
        var a = await CreateAsync(Patient());
        clock.Advance(TimeSpan.FromSeconds(1));
        var b = await CreateAsync(Patient(mrn: "MRN-B"));
        clock.Advance(TimeSpan.FromSeconds(1));
        await SendAsync(HttpMethod.Put, $"/Patient/{a}", Patient(a, "MRN-A2"));

        var (_, history) = await GetAsync("/Patient/_history");

        Assert.Equal(3, (int?)history!["total"]);
        Assert.Equal(
            [$"{a}@2", $"{b}@1", $"{a}@1"],
            history["entry"]!.AsArray().Select(e => $"{e!["resource"]!["id"]}@{e["resource"]!["meta"]!["versionId"]}"));
        Assert.Equal("PUT", (string?)history["entry"]![0]!["request"]!["method"]);
    }

    private static JsonObject Entry(string fullUrl, JsonObject resource, string method = "POST", string? url = null) => new()
    {
        ["fullUrl"] = fullUrl,
        ["resource"] = resource,
        ["request"] = new JsonObject { ["method"] = method, ["url"] = url ?? (string)resource["resourceType"]! },
    };

    private static JsonObject Transaction(params JsonObject[] entries) => new()
    {
        ["resourceType"] = "Bundle",
        ["type"] = "transaction",
        ["entry"] = new JsonArray(entries),
    };

    private static JsonObject ReportBundle(string patientRef)
    {
        var subject = new JsonObject { ["reference"] = patientRef };
        return Transaction(
            Entry("urn:uuid:00000000-0000-4000-8000-000000000003", new JsonObject
            {
                ["resourceType"] = "DiagnosticReport",
                ["status"] = "preliminary",
                ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["system"] = "http://loinc.org", ["code"] = "18748-4" }) },
                ["subject"] = subject.DeepClone(),
                ["issued"] = "2025-03-01T09:00:00Z",
                ["imagingStudy"] = new JsonArray(new JsonObject { ["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000001" }),
                ["result"] = new JsonArray(new JsonObject { ["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000002" }),
            }),
            Entry("urn:uuid:00000000-0000-4000-8000-000000000001", new JsonObject
            {
                ["resourceType"] = "ImagingStudy",
                ["status"] = "available",
                ["subject"] = subject.DeepClone(),
                ["started"] = "2025-02-28T10:00:00Z",
            }),
            Entry("urn:uuid:00000000-0000-4000-8000-000000000002", new JsonObject
            {
                ["resourceType"] = "Observation",
                ["status"] = "preliminary",
                ["code"] = new JsonObject { ["text"] = "nodule" },
                ["subject"] = subject.DeepClone(),
                ["derivedFrom"] = new JsonArray(new JsonObject { ["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000001" }),
            }));
    }

    [Fact]
    public async Task Transaction_WhenEntriesReferenceEachOtherByUrnUuid_ShouldStoreThemWithResolvedReferences()
    {
        var patient = await CreateAsync(Patient());

        var (response, body) = await SendAsync(HttpMethod.Post, "", ReportBundle($"Patient/{patient}"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("transaction-response", (string?)body!["type"]);
        var locations = body["entry"]!.AsArray().Select(e => (string)e!["response"]!["location"]!).ToList();
        Assert.All(body["entry"]!.AsArray(), e => Assert.Equal("201 Created", (string?)e!["response"]!["status"]));
        Assert.Equal(["DiagnosticReport", "ImagingStudy", "Observation"], locations.Select(l => l.Split('/')[0]));
        var study = string.Join('/', locations[1].Split('/')[..2]);
        var observation = string.Join('/', locations[2].Split('/')[..2]);
        var (_, report) = await GetAsync("/" + string.Join('/', locations[0].Split('/')[..2]));
        Assert.Equal(study, (string?)report!["imagingStudy"]![0]!["reference"]);
        Assert.Equal(observation, (string?)report["result"]![0]!["reference"]);
        var (_, stored) = await GetAsync("/" + observation);
        Assert.Equal(study, (string?)stored!["derivedFrom"]![0]!["reference"]);
    }

    [Fact]
    public async Task Transaction_WhenAnyEntryFails_ShouldRollBackEveryEntry()
    {
        var patient = await CreateAsync(Patient());
        var bundle = ReportBundle($"Patient/{patient}");
        bundle["entry"]!.AsArray().Add(new JsonObject
        {
            ["fullUrl"] = $"{fhirBase}/Patient/{patient}",
            ["resource"] = Patient(patient, "MRN-9"),
            ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = $"Patient/{patient}", ["ifMatch"] = "W/\"3\"" },
        });

        AssertOutcome(await SendAsync(HttpMethod.Post, "", bundle), HttpStatusCode.PreconditionFailed, "conflict");

        foreach (var type in new[] { "DiagnosticReport", "ImagingStudy", "Observation" })
        {
            Assert.Equal(0, (int?)(await GetAsync($"/{type}")).Body!["total"]);
        }

        Assert.Equal("MRN-1", (string?)(await GetAsync($"/Patient/{patient}")).Body!["identifier"]![0]!["value"]);
    }

    [Fact]
    public async Task TransactionAsync_WhenTheSameBundleGoesToTheStoreAndToRest_ShouldGiveTheSameResult()
    {
        // A second store with its own id sequence: both sides assign the same ids to the Bundle's POST entries.
        using var direct = new SqliteFhirStore(temp.File("direct.db"), clock, new SequentialIds("res"));
        var bundle = ReportBundle("Patient/p1");
        bundle["entry"]!.AsArray().Add(Entry("urn:uuid:00000000-0000-4000-8000-000000000004", Patient("p1"), "PUT", "Patient/p1"));

        var typed = FhirJson.Parse<Bundle>(bundle);

        var (response, overHttp) = await SendAsync(HttpMethod.Post, "", bundle);
        var fromStore = await direct.TransactionAsync(typed);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        // The typed answer carries each entry's response only (no base URL, no resource body); those are the same.
        Assert.Equal("transaction-response", fromStore.Type);
        Assert.Equal(
            overHttp!["entry"]!.AsArray().Select(e => e!["response"]!.ToJsonString()),
            FhirJson.ToJsonObject(fromStore)["entry"]!.AsArray().Select(e => e!["response"]!.ToJsonString()));
        Assert.All(fromStore.Entry!, e => Assert.Null(e.Resource));
        foreach (var location in fromStore.Entry!.Select(e => e.Response!.Location!.Split('/')))
        {
            // The same content; the typed path writes elements in the model's order, so compare as trees.
            var stored = await direct.ReadJsonAsync(location[0], location[1]);
            Assert.True(JsonNode.DeepEquals(await store.ReadJsonAsync(location[0], location[1]), stored), stored!.ToJsonString());
            Assert.DoesNotContain("urn:uuid:", stored.ToJsonString(), StringComparison.Ordinal);
        }

        // The caller's Bundle is not rewritten.
        Assert.Contains("urn:uuid:", FhirJson.Serialize(typed), StringComparison.Ordinal);
    }

    [Fact]
    public async Task TransactionAsync_WhenTheStoreRefusesTheBundle_ShouldThrowThePortsExceptionsAndWriteNothing()
    {
        await store.UpsertAsync(FhirJson.Parse<Patient>(Patient("p1")));
        var stale = ReportBundle("Patient/p1");
        stale["entry"]!.AsArray().Add(new JsonObject
        {
            ["resource"] = Patient("p1", "MRN-9"),
            ["request"] = new JsonObject { ["method"] = "PUT", ["url"] = "Patient/p1", ["ifMatch"] = "W/\"7\"" },
        });
        var dangling = Transaction(Entry("urn:uuid:00000000-0000-4000-8000-00000000000a", new JsonObject
        {
            ["resourceType"] = "Observation",
            ["status"] = "final",
            ["code"] = new JsonObject { ["text"] = "x" },
            ["derivedFrom"] = new JsonArray(new JsonObject { ["reference"] = "urn:uuid:00000000-0000-4000-8000-0000000000ff" }),
        }));

        var conflict = await Assert.ThrowsAsync<MedVision.Core.ConflictException>(() => store.TransactionAsync(FhirJson.Parse<Bundle>(stale)));
        var invalid = await Assert.ThrowsAsync<MedVision.Core.ValidationException>(() => store.TransactionAsync(FhirJson.Parse<Bundle>(dangling)));
        await Assert.ThrowsAsync<MedVision.Core.ValidationException>(() => store.TransactionAsync(new Bundle { Type = "batch" }));

        Assert.Contains("version", conflict.Message, StringComparison.Ordinal);
        Assert.Contains("urn:uuid:00000000-0000-4000-8000-0000000000ff", invalid.Message, StringComparison.Ordinal);
        foreach (var type in new[] { "DiagnosticReport", "ImagingStudy", "Observation" })
        {
            Assert.Empty(await store.AllAsync(type));
        }

        Assert.Equal("MRN-1", (string?)(await store.ReadJsonAsync("Patient", "p1"))!["identifier"]![0]!["value"]);
    }

    [Fact]
    public async Task Transaction_WhenReferenceIsNoEntryOrTargetRepeats_ShouldAnswer422Or409()
    {
        var dangling = Transaction(Entry("urn:uuid:00000000-0000-4000-8000-00000000000a", new JsonObject
        {
            ["resourceType"] = "Observation",
            ["status"] = "final",
            ["code"] = new JsonObject { ["text"] = "x" },
            ["derivedFrom"] = new JsonArray(new JsonObject { ["reference"] = "urn:uuid:00000000-0000-4000-8000-0000000000ff" }),
        }));
        AssertOutcome(await SendAsync(HttpMethod.Post, "", dangling), HttpStatusCode.UnprocessableEntity, "processing");

        var twice = Transaction(
            Entry("urn:uuid:00000000-0000-4000-8000-00000000000b", Patient("p1"), "PUT", "Patient/p1"),
            Entry("urn:uuid:00000000-0000-4000-8000-00000000000c", Patient("p1"), "PUT", "Patient/p1"));
        AssertOutcome(await SendAsync(HttpMethod.Post, "", twice), HttpStatusCode.Conflict, "conflict");
        AssertOutcome(await SendAsync(HttpMethod.Post, "", new JsonObject { ["resourceType"] = "Bundle", ["type"] = "batch" }), HttpStatusCode.BadRequest, "not-supported");
    }

    [Fact]
    public async Task Errors_WhenRequestsAreWrong_ShouldAnswerOperationOutcomesWithTheRightStatus()
    {
        AssertOutcome(await GetAsync("/Patient/missing"), HttpStatusCode.NotFound, "not-found");
        AssertOutcome(await GetAsync("/Spaceship/1"), HttpStatusCode.NotFound, "not-supported");
        AssertOutcome(await GetAsync("/Patient?name=Doe"), HttpStatusCode.BadRequest, "not-supported");
        AssertOutcome(await GetAsync("/Patient?identifier:text=x"), HttpStatusCode.BadRequest, "not-supported");
        AssertOutcome(await GetAsync("/Observation?date=ap2025"), HttpStatusCode.BadRequest, "not-supported");
        AssertOutcome(await GetAsync("/Observation?date=2025-13-45"), HttpStatusCode.BadRequest, "invalid");
        AssertOutcome(await SendAsync(HttpMethod.Patch, "/Patient/1"), HttpStatusCode.MethodNotAllowed, "not-supported");
        AssertOutcome(await SendAsync(HttpMethod.Delete, "/Patient"), HttpStatusCode.MethodNotAllowed, "not-supported");
        AssertOutcome(await SendAsync(HttpMethod.Put, "/Patient/a", Patient("b")), HttpStatusCode.BadRequest, "invalid");
        AssertOutcome(await SendAsync(HttpMethod.Post, "/Observation", Patient()), HttpStatusCode.BadRequest, "invalid");

        using var xml = new StringContent("<Patient/>", Encoding.UTF8, "application/fhir+xml");
        var xmlResponse = await http.PostAsync(fhirBase + "/Patient", xml);
        AssertOutcome((xmlResponse, JsonNode.Parse(await xmlResponse.Content.ReadAsStringAsync())!.AsObject()), HttpStatusCode.UnsupportedMediaType, "not-supported");

        using var broken = new StringContent("{\"resourceType\":", Encoding.UTF8, FhirServer.MediaType);
        var brokenResponse = await http.PostAsync(fhirBase + "/Patient", broken);
        AssertOutcome((brokenResponse, JsonNode.Parse(await brokenResponse.Content.ReadAsStringAsync())!.AsObject()), HttpStatusCode.BadRequest, "structure");

        var badMeta = Patient();
        badMeta["meta"] = "v1";
        AssertOutcome(await SendAsync(HttpMethod.Post, "/Patient", badMeta), HttpStatusCode.UnprocessableEntity, "structure");
    }

    [Fact]
    public async Task Search_WhenPaged_ShouldGiveTotalAndFollowableSelfNextPreviousLinks()
    {
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add(await CreateAsync(Patient(mrn: $"MRN-{i}")));
        }

        var seen = new List<string>();
        var (_, page) = await GetAsync("/Patient?_count=2");
        var pages = 0;
        while (true)
        {
            pages++;
            Assert.Equal(("searchset", 5), ((string?)page!["type"], (int?)page["total"]));
            Assert.All(page["entry"]!.AsArray(), e => Assert.Equal($"{fhirBase}/Patient/{e!["resource"]!["id"]}", (string?)e["fullUrl"]));
            seen.AddRange(Ids(page));
            var links = page["link"]!.AsArray().ToDictionary(l => (string)l!["relation"]!, l => (string)l!["url"]!);
            Assert.Contains("self", links.Keys);
            Assert.Equal(pages > 1, links.ContainsKey("previous"));
            if (!links.TryGetValue("next", out var next))
            {
                break;
            }

            page = JsonNode.Parse(await http.GetStringAsync(new Uri(next)))!.AsObject();
        }

        Assert.Equal(3, pages);
        Assert.Equal(created.Order(StringComparer.Ordinal), seen);
        var (_, countOnly) = await GetAsync("/Patient?_count=0");
        Assert.Equal((5, 0), ((int?)countOnly!["total"], countOnly["entry"]!.AsArray().Count));
    }

    [Fact]
    public async Task Search_WhenTokensGiven_ShouldFollowR4SystemCodeRules()
    {
        var loinc = await CreateAsync(Observation("p1", "18748-4", "2025-01-15T10:00:00Z"));
        var noSystem = new JsonObject
        {
            ["resourceType"] = "Observation",
            ["status"] = "final",
            ["code"] = new JsonObject { ["coding"] = new JsonArray(new JsonObject { ["code"] = "18748-4" }) },
        };
        var plain = await CreateAsync(noSystem);
        var other = await CreateAsync(Observation("p2", "59776-5", "2025-01-15T10:00:00Z", status: "final"));

        async Task<string[]> Find(string query) => Ids((await GetAsync("/Observation?" + query)).Body!).Order(StringComparer.Ordinal).ToArray();

        Assert.Equal([loinc, plain], await Find("code=18748-4"));
        Assert.Equal([loinc], await Find("code=http://loinc.org|18748-4"));
        Assert.Equal([plain], await Find("code=|18748-4"));
        Assert.Equal([loinc, other], await Find("code=http://loinc.org|"));
        Assert.Equal([loinc, other], await Find("code=http://loinc.org|18748-4,59776-5"));
        Assert.Equal([plain, other], await Find("status=final"));
        Assert.Equal([other], await Find("status=final&code=59776-5"));
        Assert.Equal([loinc], await Find($"_id={loinc}"));

        var patient = await CreateAsync(Patient(mrn: "MRN-77"));
        Assert.Equal([patient], Ids((await GetAsync("/Patient?identifier=urn:medvision:patient|MRN-77")).Body!));
        Assert.Equal([patient], Ids((await GetAsync("/Patient?identifier=MRN-77")).Body!));
        Assert.Empty(Ids((await GetAsync("/Patient?identifier=urn:other|MRN-77")).Body!));
    }

    [Fact]
    public async Task Search_WhenDatePrefixesGiven_ShouldCompareImplicitRanges()
    {
        var jan = await CreateAsync(Observation("p1", "1", "2025-01-15T10:00:00Z"));
        var feb = await CreateAsync(Observation("p1", "1", "2025-02-01"));
        var period = Observation("p1", "1", "x");
        period.Remove("effectiveDateTime");
        period["effectivePeriod"] = new JsonObject { ["start"] = "2025-01-31T23:00:00Z", ["end"] = "2025-02-02T00:00:00Z" };
        var span = await CreateAsync(period);

        async Task<string[]> Find(string query) => Ids((await GetAsync("/Observation?" + query)).Body!).Order(StringComparer.Ordinal).ToArray();
        string[] Of(params string[] ids) => ids.Order(StringComparer.Ordinal).ToArray();

        Assert.Equal(Of(jan), await Find("date=2025-01-15"));
        Assert.Equal(Of(jan), await Find("date=eq2025-01"));
        Assert.Equal(Of(feb, span), await Find("date=ne2025-01"));
        Assert.Equal(Of(feb, span), await Find("date=gt2025-01-31"));
        Assert.Equal(Of(jan, span), await Find("date=lt2025-02-01"));
        Assert.Equal(Of(jan, feb, span), await Find("date=ge2025-01-15"));
        Assert.Equal(Of(jan), await Find("date=le2025-01-15T10:00:00Z"));
        Assert.Equal(Of(feb), await Find("date=sa2025-01-31T23:30:00Z"));
        Assert.Equal(Of(jan), await Find("date=eb2025-01-31"));
        // AND of two prefixes: the period reaches past 1 Feb on both sides, so ge and le both hold for it (R4 range rules).
        Assert.Equal(Of(feb, span), await Find("date=ge2025-02-01&date=le2025-02-01"));
        Assert.Equal(Of(feb), await Find("date=sa2025-01-31&date=eb2025-02-02"));

        clock.Advance(TimeSpan.FromHours(1));
        var later = await CreateAsync(Observation("p1", "1", "2025-01-01"));
        Assert.Equal(Of(later), await Find("_lastUpdated=gt2025-03-01T08:30:00Z"));
        Assert.Equal(Of(jan, feb, span), await Find("_lastUpdated=le2025-03-01T08:00:00Z"));
    }

    [Fact]
    public async Task Search_WhenByPatientWithIncludeResult_ShouldReturnReportsAndIncludedObservations()
    {
        var patient = await CreateAsync(Patient());
        var other = await CreateAsync(Patient(mrn: "MRN-2"));
        await SendAsync(HttpMethod.Post, "", ReportBundle($"Patient/{patient}"));
        await SendAsync(HttpMethod.Post, "", ReportBundle($"Patient/{other}"));

        var (_, byPatient) = await GetAsync($"/DiagnosticReport?patient={patient}&_include=DiagnosticReport:result");

        Assert.Equal(1, (int?)byPatient!["total"]);
        var report = byPatient["entry"]!.AsArray().Single(e => (string?)e!["search"]!["mode"] == "match")!["resource"]!;
        Assert.Equal($"Patient/{patient}", (string?)report["subject"]!["reference"]);
        var included = Assert.Single(Ids(byPatient, "include"));
        Assert.Equal((string?)report["result"]![0]!["reference"], $"Observation/{included}");

        Assert.Equal(1, (int?)(await GetAsync($"/DiagnosticReport?subject=Patient/{patient}")).Body!["total"]);
        Assert.Equal(1, (int?)(await GetAsync($"/DiagnosticReport?patient=Patient/{other}")).Body!["total"]);
        Assert.Equal(0, (int?)(await GetAsync($"/DiagnosticReport?patient=Device/{other}")).Body!["total"]);
        Assert.Equal(2, (int?)(await GetAsync("/DiagnosticReport?code=http://loinc.org|18748-4&date=2025-03-01")).Body!["total"]);
        Assert.Equal(1, (int?)(await GetAsync($"/ImagingStudy?patient={other}&date=2025-02-28")).Body!["total"]);
        AssertOutcome(await GetAsync("/Observation?_include=DiagnosticReport:result"), HttpStatusCode.BadRequest, "not-supported");
    }

    [Fact]
    public async Task Metadata_WhenRead_ShouldListExactlyTheImplementedInteractionsAndSearchParameters()
    {
        var (response, capability) = await GetAsync("/metadata");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(("CapabilityStatement", "4.0.1", "instance"), ((string?)capability!["resourceType"], (string?)capability["fhirVersion"], (string?)capability["kind"]));
        var rest = capability["rest"]![0]!;
        Assert.Equal(["transaction"], rest["interaction"]!.AsArray().Select(i => (string)i!["code"]!));
        Assert.Contains("400", (string?)rest["documentation"], StringComparison.Ordinal);
        var report = rest["resource"]!.AsArray().Single(r => (string?)r!["type"] == "DiagnosticReport")!;
        Assert.Equal(["_id", "_lastUpdated", "identifier", "status", "patient", "subject", "code", "date"], report["searchParam"]!.AsArray().Select(p => (string)p!["name"]!));
        Assert.Equal(["DiagnosticReport:result"], report["searchInclude"]!.AsArray().Select(p => (string)p!));

        // Every claimed parameter is accepted by search, and one not claimed is refused.
        foreach (var resource in rest["resource"]!.AsArray())
        {
            foreach (var parameter in resource!["searchParam"]!.AsArray())
            {
                var value = (string)parameter!["type"]! == "date" ? "ge2000-01-01" : "x";
                var (answer, _) = await GetAsync($"/{resource["type"]}?{parameter["name"]}={value}");
                Assert.True(answer.StatusCode == HttpStatusCode.OK, $"{resource["type"]}?{parameter["name"]} answered {answer.StatusCode}");
            }
        }
    }

    [Fact]
    public async Task Responses_WhenCheckedByFhirJs_ShouldBeValidR4()
    {
        if (!ExternalTools.Require(_ => { }, "node") || FhirNodeTools.NodeModules() is not { } modules)
        {
            Assert.False(ExternalTools.OraclesRequired, "node and tests/tools/node_modules (npm ci in tests/tools) are required");
            return;
        }

        var patient = await CreateAsync(Patient());
        var transaction = (await SendAsync(HttpMethod.Post, "", ReportBundle($"Patient/{patient}"))).Body!;
        await SendAsync(HttpMethod.Delete, $"/Patient/{patient}");
        var resources = new JsonArray(
            (await GetAsync("/metadata")).Body,
            transaction,
            (await GetAsync("/DiagnosticReport?_include=DiagnosticReport:result&_count=1")).Body,
            (await GetAsync("/Patient/_history")).Body,
            (await GetAsync($"/Patient/{patient}")).Body,
            (await GetAsync("/Patient?bogus=1")).Body);

        var (exit, stdout, stderr) = ExternalTools.Run(
            "node", [Path.Combine(RepoPaths.Root, "tests/tools/fhir-validate.cjs"), modules], stdin: Encoding.UTF8.GetBytes(resources.ToJsonString()));

        Assert.True(exit == 0, stderr);
        var messages = JsonNode.Parse(stdout)!.AsArray();
        Assert.Equal(resources.Count, messages.Count);
        Assert.All(messages.Select((m, i) => (Index: i, Errors: m!.AsArray())), r => Assert.True(r.Errors.Count == 0, $"resource {r.Index}: {r.Errors.ToJsonString()}"));
    }

    [Fact]
    public async Task FhirKitClient_WhenDrivingTheServer_ShouldCreateTransactSearchAndReadTheReport()
    {
        if (!ExternalTools.Require(_ => { }, "node") || FhirNodeTools.NodeModules() is not { } modules)
        {
            Assert.False(ExternalTools.OraclesRequired, "node and tests/tools/node_modules (npm ci in tests/tools) are required");
            return;
        }

        // The client does blocking-free HTTP from another process: run it off the test thread so Kestrel keeps serving.
        var (exit, stdout, stderr) = await Task.Run(() => ExternalTools.Run(
            "node", [Path.Combine(RepoPaths.Root, "tests/tools/fhir-client-check.mjs"), fhirBase, modules]));

        Assert.True(exit == 0, stderr);
        var seen = JsonNode.Parse(stdout)!.AsObject();
        Assert.Equal("4.0.1", (string?)seen["fhirVersion"]);
        Assert.Equal("transaction-response", (string?)seen["transactionType"]);
        Assert.Equal(["201 Created", "201 Created", "201 Created"], seen["transactionStatuses"]!.AsArray().Select(s => (string)s!));
        Assert.Equal(1, (int?)seen["searchTotal"]);
        var report = seen["report"]!;
        Assert.Equal($"Patient/{seen["patientId"]}", (string?)report["subject"]!["reference"]);
        Assert.Equal(
            [$"match:DiagnosticReport/{report["id"]}", $"include:{report["result"]![0]!["reference"]}"],
            seen["searchModes"]!.AsArray().Select(m => (string)m!));
        var observation = seen["observation"]!;
        Assert.Equal($"Observation/{observation["id"]}", (string?)report["result"]![0]!["reference"]);
        Assert.Equal((string?)report["imagingStudy"]![0]!["reference"], (string?)observation["derivedFrom"]![0]!["reference"]);
        Assert.StartsWith("ImagingStudy/", (string?)observation["derivedFrom"]![0]!["reference"], StringComparison.Ordinal);
        Assert.Equal((404, "OperationOutcome"), ((int?)seen["missingStatus"], (string?)seen["missingOutcome"]));
    }
}

/// <summary>Where the npm test tools are: beside MEDVISION_ASL_VALIDATOR when set, else tests/tools/node_modules.</summary>
internal static class FhirNodeTools
{
    public static string? NodeModules()
    {
        var candidates = new List<string>();
        if (Environment.GetEnvironmentVariable("MEDVISION_ASL_VALIDATOR") is { Length: > 0 } validator)
        {
            // .../node_modules/.bin/asl-validator → .../node_modules
            candidates.Add(Path.GetFullPath(Path.Combine(Path.GetDirectoryName(validator)!, "..")));
        }

        candidates.Add(Path.Combine(RepoPaths.Root, "tests/tools/node_modules"));
        return candidates.FirstOrDefault(c => Directory.Exists(Path.Combine(c, "fhir-kit-client")) && Directory.Exists(Path.Combine(c, "fhir")));
    }
}
