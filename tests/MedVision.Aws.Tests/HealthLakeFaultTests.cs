using MedVision.Core;
using MedVision.Fhir;
using MedVision.Testing.Aws;
using MedVision.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>
/// HealthLake behind a <see cref="FaultyStandIn"/>: throttling, 5xx, a timeout and a dropped connection each cost one
/// request (the client never retries; the state machine does) and surface as <see cref="StorageUnavailableException"/>;
/// a 400 surfaces as <see cref="ValidationException"/>.
/// </summary>
public sealed class HealthLakeFaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
    private HealthLakeTwin twin = null!;
    private FaultyStandIn proxy = null!;
    private readonly List<HttpClient> clients = [];
    private HealthLakeFhirStore store = null!;
    private bool ready;

    public async Task InitializeAsync()
    {
        ready = Oracle.Available(output);
        if (!ready)
        {
            return;
        }

        twin = await HealthLakeTwin.StartAsync(temp.File("twin.db"), clock);
        proxy = await FaultyStandIn.StartAsync(twin.Address);
        store = Store();
    }

    /// <param name="timeout">The client's timeout: short only where a test wants one (the twin's botocore check takes a while).</param>
    private HealthLakeFhirStore Store(TimeSpan? timeout = null)
    {
        var http = AwsHttp.CreateClient(HealthLakeFhirStore.Service, HealthLakeTwin.Region, HealthLakeTwin.Credentials, clock);
        http.Timeout = timeout ?? http.Timeout;
        clients.Add(http);
        return new HealthLakeFhirStore(http, twin.Options with { Endpoint = proxy.Address });
    }

    public async Task DisposeAsync()
    {
        if (ready)
        {
            clients.ForEach(c => c.Dispose());
            await proxy.DisposeAsync();
            await twin.DisposeAsync();
        }

        temp.Dispose();
    }

    private static Patient Patient(string id) => new() { Id = id, Name = [new HumanName { Family = "Doe" }] };

    [Theory]
    [InlineData(429, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}")]
    [InlineData(400, "{\"__type\":\"ThrottlingException\",\"message\":\"Rate exceeded\"}")]
    [InlineData(500, "{\"resourceType\":\"OperationOutcome\",\"issue\":[{\"severity\":\"error\",\"code\":\"exception\"}]}")]
    [InlineData(503, "{\"message\":\"Service Unavailable\"}")]
    public async Task UpsertAsync_WhenThrottledOrFailing_ShouldSendOneRequestAndThrowStorageUnavailable(int status, string body)
    {
        if (!ready)
        {
            return;
        }

        proxy.Next(Fault.Answer(status, "application/json", body));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.UpsertAsync(Patient("p-1")));

        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task ReadAsync_WhenTheAnswerTimesOut_ShouldSendOneRequestAndThrowStorageUnavailable()
    {
        if (!ready)
        {
            return;
        }

        proxy.Next(Fault.Delay(TimeSpan.FromMinutes(2)));

        await Assert.ThrowsAsync<StorageUnavailableException>(() => Store(TimeSpan.FromSeconds(2)).ReadAsync("Patient", "p-2"));

        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task UpsertAsync_WhenTheConnectionDrops_ShouldSendOneRequestAndThrowStorageUnavailable()
    {
        if (!ready)
        {
            return;
        }

        proxy.Next(Fault.Drop());

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.UpsertAsync(Patient("p-3")));

        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task UpsertAsync_WhenTheServiceAnswersValidation_ShouldThrowValidationOnce()
    {
        if (!ready)
        {
            return;
        }

        proxy.Next(Fault.Answer(400, "application/fhir+json", HealthLakeTwin.Outcome("invalid", "Patient.name: bad value")));

        var invalid = await Assert.ThrowsAsync<ValidationException>(() => store.UpsertAsync(Patient("p-4")));

        Assert.Equal("fhir.invalid_resource", invalid.Code);
        Assert.Single(proxy.Requests);
    }

    [Fact]
    public async Task UpsertAsync_WhenNoFaultIsQueued_ShouldPassThroughTheProxyToTheTwin()
    {
        if (!ready)
        {
            return;
        }

        var version = await store.UpsertAsync(Patient("p-5"));

        Assert.Equal("1", version);
        Assert.True(Assert.Single(twin.Requests).SignatureValid);
    }
}
