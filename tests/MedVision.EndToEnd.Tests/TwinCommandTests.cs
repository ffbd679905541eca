using MedVision.Aws;
using MedVision.Cli;
using MedVision.Testing;
using MedVision.Twins;
using Xunit.Abstractions;

namespace MedVision.EndToEnd.Tests;

/// <summary>`medvision twin healthimaging|healthlake` as real processes, used through the AWS adapters.</summary>
public sealed class TwinCommandTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly string state = Path.Combine(Path.GetTempPath(), "medvision-twin-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(state))
        {
            Directory.Delete(state, recursive: true);
        }
    }

    private static string CliDll => Path.Combine(AppContext.BaseDirectory, "medvision.dll");

    private static readonly AwsCredentials Key = new("AKIDCLITWIN", "cli/twin+secret");

    private static BackgroundProcess StartTwin(string kind, params string[] extra) => BackgroundProcess.Start(
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet",
        [CliDll, "twin", kind, "--port", "0", .. extra],
        new Dictionary<string, string?>
        {
            // The twin takes its key from the environment, as a developer's shell has it.
            ["AWS_ACCESS_KEY_ID"] = Key.AccessKeyId,
            ["AWS_SECRET_ACCESS_KEY"] = Key.SecretAccessKey,
            ["AWS_SESSION_TOKEN"] = null,
            ["AWS_REGION"] = "us-west-2",
        });

    /// <summary>The base URL from the one stdout line scripts parse: "{kind} twin listening on http://127.0.0.1:N/".</summary>
    private static async Task<Uri> ListeningAsync(BackgroundProcess twin, string kind)
    {
        var line = await twin.WaitForLineAsync(l => l.StartsWith($"{kind} twin listening on ", StringComparison.Ordinal), StartTimeout);
        var url = new Uri(line[$"{kind} twin listening on ".Length..]);
        Assert.Equal("127.0.0.1", url.Host);
        Assert.Equal("/", url.AbsolutePath);
        return url;
    }

    [Fact]
    public async Task TwinHealthImaging_WhenStarted_ShouldStoreAndReadThroughTheAdapterAndStopOnSigterm()
    {
        if (!ExternalTools.Require(output.WriteLine, "botocore"))
        {
            return;
        }

        using var twin = StartTwin("healthimaging", "--state", state);
        var endpoint = await ListeningAsync(twin, "healthimaging");
        using var http = AwsHttp.CreateClient(HealthImagingArchive.Service, "us-west-2", Key, TimeProvider.System);
        var archive = new HealthImagingArchive(http, new HealthImagingOptions("us-west-2", HealthImagingTwin.DatastoreId) { Endpoint = endpoint });
        var part10 = TestDicom.Image(rows: 32, columns: 32);

        var set = await archive.StoreAsync("img-cli", part10);

        Assert.Equal(part10, await archive.GetAsync(set.ImageSetId));
        Assert.Equal(0, await twin.TerminateAsync(StartTimeout));
        Assert.Contains("stopped", twin.Lines);
        Assert.True(File.Exists(Path.Combine(state, HealthImagingTwin.DatastoreId, set.ImageSetId, "instance.dcm")), "--state keeps the image set");
    }

    [Fact]
    public async Task TwinHealthLake_WhenStarted_ShouldServeTheFhirStoreThroughTheAdapter()
    {
        if (!ExternalTools.Require(output.WriteLine, "botocore"))
        {
            return;
        }

        using var twin = StartTwin("healthlake");
        var address = await ListeningAsync(twin, "healthlake");
        using var http = AwsHttp.CreateClient(HealthLakeFhirStore.Service, "us-west-2", Key, TimeProvider.System);
        var store = new HealthLakeFhirStore(http, new HealthLakeOptions("us-west-2", HealthLakeTwin.DatastoreId)
        {
            Endpoint = address,
        });

        var version = await store.UpsertAsync(new MedVision.Fhir.Patient { Id = "p-cli", Name = [new MedVision.Fhir.HumanName { Family = "Roe" }] });

        Assert.Equal("1", version);
        Assert.NotNull(await store.ReadAsync("Patient", "p-cli"));
        Assert.Equal(0, await twin.TerminateAsync(StartTimeout));
    }

    [Theory]
    [InlineData("healthimaging")]
    [InlineData("healthlake")]
    public async Task TwinHelp_WhenAsked_ShouldExit0(string kind)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["twin", kind, "--help"], stdout, stderr);

        Assert.Equal(0, code);
        Assert.Contains("--port", stdout.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twin_WhenOnlyTheAccessKeyIsGiven_ShouldExit2()
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();

        var code = await CliApp.RunAsync(["twin", "healthimaging", "--access-key-id", "AKID"], stdout, stderr);

        Assert.Equal(2, code);
        Assert.Contains("--secret-access-key", stderr.ToString(), StringComparison.Ordinal);
    }
}
