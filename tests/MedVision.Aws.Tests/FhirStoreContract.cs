using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Fhir;
using MedVision.Local.Twins;
using MedVision.Testing;
using MedVision.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>
/// One contract for every <see cref="IFhirStore"/> adapter: the SQLite twin and HealthLake (over the loopback twin) must
/// both pass it, so the pipeline sees the same store whichever adapter it is given.
/// </summary>
public abstract class FhirStoreContract : IAsyncLifetime
{
    protected TempDirectory Temp { get; } = new();

    protected FakeTimeProvider Clock { get; } = new(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));

    protected IFhirStore Store { get; set; } = null!;

    /// <summary>False when the adapter's oracle is missing (the test then passes as skipped, with a note).</summary>
    protected abstract Task<bool> StartAsync();

    public Task InitializeAsync() => StartAsync();

    public virtual Task DisposeAsync()
    {
        Temp.Dispose();
        return Task.CompletedTask;
    }

    private static Observation Observation(string id, string patient, string code) => new()
    {
        Id = id,
        Status = "preliminary",
        Subject = Reference.To("Patient", patient),
        Code = new CodeableConcept("http://loinc.org", code),
    };

    private static string? CodeOf(Resource? resource) => Assert.IsType<Observation>(resource).Code!.Coding![0].Code;

    [Fact]
    public async Task UpsertAsync_WhenNewThenReplaced_ShouldReturnRisingVersionsAndReadLatest()
    {
        if (!await StartAsync())
        {
            return;
        }

        var first = await Store.UpsertAsync(Observation("o1", "p1", "18748-4"));
        var second = await Store.UpsertAsync(Observation("o1", "p1", "59776-5"));
        var read = await Store.ReadAsync<Observation>("o1");

        Assert.Equal("1", first);
        Assert.Equal("2", second);
        Assert.Equal("59776-5", CodeOf(read));
        Assert.Equal("2", read!.Meta!.VersionId);
    }

    [Fact]
    public async Task ReadAsync_WhenUnknownOrDeleted_ShouldReturnNull()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.UpsertAsync(Observation("o1", "p1", "18748-4"));

        Assert.Null(await Store.ReadAsync("Observation", "never"));
        Assert.True(await Store.DeleteAsync("Observation", "o1"));
        Assert.Null(await Store.ReadAsync("Observation", "o1"));
        Assert.False(await Store.DeleteAsync("Observation", "o1"));
    }

    [Fact]
    public async Task SearchAsync_WhenFilteredBySubjectAndCode_ShouldReturnEveryMatchOnly()
    {
        if (!await StartAsync())
        {
            return;
        }

        for (var i = 0; i < 5; i++)
        {
            await Store.UpsertAsync(Observation($"a{i}", "p1", "18748-4"));
        }

        await Store.UpsertAsync(Observation("b0", "p2", "18748-4"));
        await Store.UpsertAsync(Observation("c0", "p1", "59776-5"));

        var bySubject = await Store.SearchAsync("Observation", new Dictionary<string, string> { ["subject"] = "Patient/p1" });
        var byBoth = await Store.SearchAsync("Observation", new Dictionary<string, string>
        {
            ["subject"] = "Patient/p1",
            ["code"] = "http://loinc.org|18748-4",
        });

        Assert.Equal(["a0", "a1", "a2", "a3", "a4", "c0"], bySubject.Select(r => r.Id!).Order(StringComparer.Ordinal));
        Assert.Equal(["a0", "a1", "a2", "a3", "a4"], byBoth.Select(r => r.Id!).Order(StringComparer.Ordinal));
        Assert.All(bySubject, r => Assert.IsType<Observation>(r));
    }

    [Fact]
    public async Task TransactionAsync_WhenBundlePutsResources_ShouldStoreThemAllAndAnswerATransactionResponse()
    {
        if (!await StartAsync())
        {
            return;
        }

        static BundleEntry Put(Observation resource) => new()
        {
            Resource = resource,
            Request = new BundleEntryRequest { Method = "PUT", Url = $"Observation/{resource.Id}" },
        };
        var bundle = new Bundle { Type = "transaction", Entry = [Put(Observation("t1", "p1", "18748-4")), Put(Observation("t2", "p1", "59776-5"))] };

        var response = await Store.TransactionAsync(bundle);

        Assert.Equal("transaction-response", response.Type);
        Assert.Equal(2, response.Entry!.Count);
        Assert.All(response.Entry, e => Assert.StartsWith("20", e.Response!.Status, StringComparison.Ordinal));
        Assert.Equal("18748-4", CodeOf(await Store.ReadAsync("Observation", "t1")));
        Assert.Equal("59776-5", CodeOf(await Store.ReadAsync("Observation", "t2")));
    }

    [Fact]
    public async Task UpsertAsync_WhenIdIsInvalid_ShouldThrowValidation()
    {
        if (!await StartAsync())
        {
            return;
        }

        var resource = Observation("not valid/id", "p1", "x");

        await Assert.ThrowsAsync<ValidationException>(() => Store.UpsertAsync(resource));
    }

    [Fact]
    public async Task ReadAndSearch_WhenTheTypeIsNotInTheModel_ShouldThrowValidation()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Assert.ThrowsAsync<ValidationException>(() => Store.ReadAsync("Condition", "c1"));
        await Assert.ThrowsAsync<ValidationException>(() => Store.SearchAsync("Condition", new Dictionary<string, string>()));
    }

    [Fact]
    public async Task UpsertAsync_WhenTheCallerChangesItsObjectAfterwards_ShouldKeepWhatWasWritten()
    {
        if (!await StartAsync())
        {
            return;
        }

        var resource = Observation("o1", "p1", "18748-4");
        await Store.UpsertAsync(resource);
        resource.Code = new CodeableConcept("http://loinc.org", "changed");

        Assert.Equal("18748-4", CodeOf(await Store.ReadAsync("Observation", "o1")));
        Assert.Null(resource.Meta);
    }
}

public sealed class SqliteFhirStoreContractTests : FhirStoreContract
{
    private SqliteFhirStore? sqlite;

    protected override Task<bool> StartAsync()
    {
        if (sqlite is null)
        {
            sqlite = new SqliteFhirStore(Temp.File("fhir.db"), Clock);
            Store = sqlite;
        }

        return Task.FromResult(true);
    }

    public override Task DisposeAsync()
    {
        sqlite?.Dispose();
        return base.DisposeAsync();
    }
}

public sealed class HealthLakeFhirStoreContractTests(ITestOutputHelper output) : FhirStoreContract
{
    private HealthLakeTwin? twin;
    private HttpClient? http;

    protected override async Task<bool> StartAsync()
    {
        if (!Oracle.Available(output))
        {
            return false;
        }

        if (twin is null)
        {
            twin = await HealthLakeTwin.StartAsync(Temp.File("twin.db"), Clock);
            twin.PageSize = 2; // every search here spans pages, so paging is part of the contract run
            http = AwsHttp.CreateClient(HealthLakeFhirStore.Service, HealthLakeTwin.Region, HealthLakeTwin.Credentials, Clock);
            Store = new HealthLakeFhirStore(http, twin.Options);
        }

        return true;
    }

    public override async Task DisposeAsync()
    {
        // Every request of the contract run was signed correctly, checked by botocore.
        var bad = twin?.Requests.Where(r => !r.SignatureValid).Select(r => $"{r.Method} {r.Target}: {r.Reason}").ToList() ?? [];
        http?.Dispose();
        if (twin is not null)
        {
            await twin.DisposeAsync();
        }

        await base.DisposeAsync();
        Assert.Empty(bad);
    }
}
