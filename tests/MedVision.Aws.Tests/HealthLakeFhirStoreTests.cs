using System.Text;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Fhir;
using MedVision.Testing;
using MedVision.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>The HealthLake adapter on the wire, against the loopback twin that checks every signature with botocore.</summary>
public sealed class HealthLakeFhirStoreTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
    private readonly List<HttpClient> clients = [];
    private HealthLakeTwin twin = null!;
    private bool ready;

    public async Task InitializeAsync()
    {
        ready = Oracle.Available(output);
        if (ready)
        {
            twin = await HealthLakeTwin.StartAsync(temp.File("twin.db"), clock);
        }
    }

    public async Task DisposeAsync()
    {
        clients.ForEach(c => c.Dispose());
        if (ready)
        {
            await twin.DisposeAsync();
        }

        temp.Dispose();
    }

    private HealthLakeFhirStore Store(Func<HttpRequestMessage, Task>? tamper = null, TimeProvider? clientClock = null, HealthLakeOptions? options = null)
    {
        var http = AwsHttp.CreateClient(HealthLakeFhirStore.Service, HealthLakeTwin.Region, HealthLakeTwin.Credentials, clientClock ?? clock, new TamperHandler(tamper));
        clients.Add(http);
        return new HealthLakeFhirStore(http, options ?? twin.Options);
    }

    private static Patient Patient(string id, string family = "Doe") => new()
    {
        Id = id,
        Name = [new HumanName { Family = family }],
        Identifier = [new Identifier("urn:dicom:uid", $"urn:oid:1.2.840.{id.Length}")],
    };

    private static Patient NewPatient(string family) => new() { Name = [new HumanName { Family = family }] };

    [Fact]
    public async Task UpsertAsync_WhenSent_ShouldBeSignedSoBotocoreAgreesWithHostDateHashAndTokenSigned()
    {
        if (!ready)
        {
            return;
        }

        var version = await Store().UpsertAsync(Patient("p1"));

        Assert.Equal("1", version);
        var request = Assert.Single(twin.Requests);
        Assert.True(request.SignatureValid, request.Reason);
        Assert.Equal("PUT", request.Method);
        Assert.Equal($"/datastore/{HealthLakeTwin.DatastoreId}/r4/Patient/p1", request.Target);
        Assert.Equal("20260504T100000Z", request.Header("x-amz-date"));
        var authorization = request.Header("authorization")!;
        Assert.StartsWith($"AWS4-HMAC-SHA256 Credential=AKIDTWINEXAMPLE/20260504/{HealthLakeTwin.Region}/healthlake/aws4_request, ", authorization, StringComparison.Ordinal);
        Assert.Contains("SignedHeaders=content-type;host;x-amz-content-sha256;x-amz-date;x-amz-security-token,", authorization, StringComparison.Ordinal);
    }

    public static TheoryData<string> Tamperings => ["body", "date", "path", "token"];

    [Theory]
    [MemberData(nameof(Tamperings))]
    public async Task UpsertAsync_WhenRequestIsChangedAfterSigning_ShouldBeRejectedWith403AsStorageUnavailable(string what)
    {
        if (!ready)
        {
            return;
        }

        var store = Store(async request =>
        {
            switch (what)
            {
                case "body":
                    var bytes = await request.Content!.ReadAsByteArrayAsync();
                    bytes[bytes.Length - 3] ^= 0x01; // one changed byte, same length, still the signed hash header
                    var content = new ByteArrayContent(bytes);
                    content.Headers.ContentType = request.Content.Headers.ContentType;
                    request.Content = content;
                    break;
                case "date":
                    request.Headers.Remove("X-Amz-Date");
                    request.Headers.TryAddWithoutValidation("X-Amz-Date", "20260504T100001Z");
                    break;
                case "path":
                    request.RequestUri = new Uri(request.RequestUri!.AbsoluteUri.Replace("/p1", "/p2", StringComparison.Ordinal));
                    break;
                default:
                    request.Headers.Remove("X-Amz-Security-Token");
                    request.Headers.TryAddWithoutValidation("X-Amz-Security-Token", "someone-elses-token");
                    break;
            }
        });

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.UpsertAsync(Patient("p1")));

        Assert.Contains("403", error.Message, StringComparison.Ordinal);
        Assert.Contains("signature", error.Message, StringComparison.Ordinal);
        Assert.False(Assert.Single(twin.Requests).SignatureValid);
        Assert.Null(await Store().ReadAsync("Patient", "p1"));
    }

    [Fact]
    public async Task ReadAsync_WhenClientClockIsTenMinutesOff_ShouldBeRejected()
    {
        if (!ready)
        {
            return;
        }

        var skewed = new FakeTimeProvider(clock.GetUtcNow() - TimeSpan.FromMinutes(10));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Store(clientClock: skewed).ReadAsync("Patient", "p1"));

        Assert.Contains("5 minutes", Assert.Single(twin.Requests).Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task CreateAsync_WhenRetried_ShouldSendTheSameUuidKeyAndTakeThe409ReplayAsSuccess()
    {
        if (!ready)
        {
            return;
        }

        var store = Store();
        var first = await store.CreateAsync(NewPatient("Roe"));
        var retry = await store.CreateAsync(NewPatient("Roe"));

        Assert.NotNull(first.Id);
        Assert.Equal(first.Id, retry.Id);
        var keys = twin.Requests.Select(r => r.Header(HealthLakeFhirStore.IdempotencyKeyHeader)).ToList();
        Assert.Equal(2, keys.Count);
        Assert.Equal(keys[0], keys[1]);
        Assert.True(Guid.TryParseExact(keys[0], "D", out _));
        Assert.Contains(HealthLakeFhirStore.IdempotencyKeyHeader, twin.Requests.First().Header("authorization")!, StringComparison.Ordinal);
        Assert.Single(await store.SearchAsync("Patient", new Dictionary<string, string>()));
    }

    [Fact]
    public async Task CreateAsync_WhenContentDiffers_ShouldSendADifferentKeyAndCreateTwo()
    {
        if (!ready)
        {
            return;
        }

        var store = Store();
        var roe = await store.CreateAsync(NewPatient("Roe"));
        var doe = await store.CreateAsync(NewPatient("Doe"));

        Assert.NotEqual(roe.Id, doe.Id);
        Assert.Equal("Doe", doe.Name![0].Family);
        Assert.NotEqual(twin.Requests.First().Header(HealthLakeFhirStore.IdempotencyKeyHeader), twin.Requests.Last().Header(HealthLakeFhirStore.IdempotencyKeyHeader));
    }

    [Fact]
    public async Task CreateAsync_When409CarriesAnOperationOutcome_ShouldThrowConflictWithDiagnostics()
    {
        if (!ready)
        {
            return;
        }

        twin.Script(409, HealthLakeTwin.Outcome("conflict", "Resource is being modified by another request."));

        var error = await Assert.ThrowsAsync<ConflictException>(() => Store().CreateAsync(NewPatient("Roe")));

        Assert.Contains("Resource is being modified by another request.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(422)]
    public async Task UpsertAsync_WhenRefusedWithOperationOutcome_ShouldThrowValidationNamingTheDiagnostics(int status)
    {
        if (!ready)
        {
            return;
        }

        twin.Script(status, new JsonObject
        {
            ["resourceType"] = "OperationOutcome",
            ["issue"] = new JsonArray(
                new JsonObject { ["severity"] = "error", ["code"] = "invalid", ["diagnostics"] = "Patient.gender: unknown code 'x'" },
                new JsonObject { ["severity"] = "error", ["code"] = "required", ["details"] = new JsonObject { ["text"] = "Patient.name is required" } }),
        }.ToJsonString());

        var error = await Assert.ThrowsAsync<ValidationException>(() => Store().UpsertAsync(Patient("p1")));

        Assert.Contains($"failed with {status}", error.Message, StringComparison.Ordinal);
        Assert.Contains("Patient.gender: unknown code 'x'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Patient.name is required", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(404)]
    [InlineData(410)]
    public async Task ReadAsync_WhenNotFoundOrGone_ShouldReturnNull(int status)
    {
        if (!ready)
        {
            return;
        }

        await Store().UpsertAsync(Patient("p1"));
        twin.Script(status, HealthLakeTwin.Outcome(status == 404 ? "not-found" : "deleted", "Patient/p1"));

        Assert.Null(await Store().ReadAsync("Patient", "p1"));
        Assert.NotNull(await Store().ReadAsync("Patient", "p1"));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(503)]
    public async Task ReadAndUpsert_WhenThrottledOrFailing_ShouldThrowStorageUnavailable(int status)
    {
        if (!ready)
        {
            return;
        }

        twin.Script(status, HealthLakeTwin.Outcome("throttled", "Rate exceeded"));
        twin.Script(status);

        var read = await Assert.ThrowsAsync<StorageUnavailableException>(() => Store().ReadAsync("Patient", "p1"));
        await Assert.ThrowsAsync<StorageUnavailableException>(() => Store().UpsertAsync(Patient("p1")));

        Assert.Contains("Rate exceeded", read.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ReadAsync_WhenNothingListens_ShouldThrowStorageUnavailable()
    {
        if (!ready)
        {
            return;
        }

        var options = twin.Options with { Endpoint = new Uri($"http://127.0.0.1:{Loopback.FreePort()}/") };

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Store(options: options).ReadAsync("Patient", "p1"));
    }

    [Fact]
    public async Task SearchAsync_WhenResultsSpanPages_ShouldFollowNextLinksSignedInCanonicalForm()
    {
        if (!ready)
        {
            return;
        }

        twin.PageSize = 2;
        var store = Store();
        for (var i = 0; i < 5; i++)
        {
            var patient = Patient($"p{i}");
            patient.Identifier = [new Identifier("urn:dicom:uid", "urn:oid:1.2.3")];
            await store.UpsertAsync(patient);
        }

        await store.UpsertAsync(Patient("other"));
        var before = twin.Requests.Count;

        var found = await store.SearchAsync("Patient", new Dictionary<string, string> { ["identifier"] = "urn:dicom:uid|urn:oid:1.2.3" });

        Assert.Equal(["p0", "p1", "p2", "p3", "p4"], found.Select(r => r.Id!));
        var searches = twin.Requests.Skip(before).ToList();
        Assert.Equal(3, searches.Count);
        Assert.All(searches, r => Assert.True(r.SignatureValid, r.Reason));
        Assert.EndsWith("/Patient?identifier=urn%3Adicom%3Auid%7Curn%3Aoid%3A1.2.3", searches[0].Target, StringComparison.Ordinal);
        Assert.EndsWith("/Patient?_count=2&_page=1&identifier=urn%3Adicom%3Auid%7Curn%3Aoid%3A1.2.3", searches[1].Target, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SearchAsync_WhenNextLinkLeavesTheDataStoreOrigin_ShouldThrowWithoutFollowingIt()
    {
        if (!ready)
        {
            return;
        }

        twin.Script(200, new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["type"] = "searchset",
            ["link"] = new JsonArray(new JsonObject { ["relation"] = "next", ["url"] = "http://203.0.113.9/datastore/x/r4/Patient?_page=1" }),
        }.ToJsonString());

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Store().SearchAsync("Patient", new Dictionary<string, string>()));

        Assert.Single(twin.Requests);
    }

    [Fact]
    public async Task TransactionAsync_WhenRetried_ShouldReplayWithTheSameKeyAndSucceed()
    {
        if (!ready)
        {
            return;
        }

        var bundle = new Bundle
        {
            Type = "transaction",
            Entry =
            [
                new BundleEntry
                {
                    FullUrl = "urn:uuid:8b1f0a52-3f1e-4c55-9b8a-6f2b7c1d0e01",
                    Resource = Patient("p1"),
                    Request = new BundleEntryRequest { Method = "PUT", Url = "Patient/p1" },
                },
            ],
        };
        var store = Store();

        var first = await store.TransactionAsync(bundle);
        var replay = await store.TransactionAsync(bundle);

        Assert.Equal("transaction-response", first.Type);
        Assert.Equal("transaction-response", replay.Type);
        Assert.Equal(twin.Requests.First().Header(HealthLakeFhirStore.IdempotencyKeyHeader), twin.Requests.Last().Header(HealthLakeFhirStore.IdempotencyKeyHeader));
        Assert.Equal("1", (await store.ReadAsync<Patient>("p1"))!.Meta!.VersionId);
    }

    [Fact]
    public void IdempotencyKeyFor_WhenSameOrDifferentInput_ShouldBeStableVersion8Uuids()
    {
        var body = Encoding.UTF8.GetBytes("{\"resourceType\":\"Patient\"}");

        var key = HealthLakeFhirStore.IdempotencyKeyFor("Patient", body);

        Assert.Equal(key, HealthLakeFhirStore.IdempotencyKeyFor("Patient", body));
        Assert.NotEqual(key, HealthLakeFhirStore.IdempotencyKeyFor("Observation", body));
        Assert.True(Guid.TryParseExact(key, "D", out var parsed));
        Assert.Equal(8, parsed.Version);
        Assert.Equal('8', key[14]);
    }
}
