using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using Amazon.Runtime;
using MedVision.Testing;
using MedVision.Twins;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Aws.Tests;

/// <summary>Tests that set process-wide environment variables: run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ProcessEnvironmentCollection
{
    public const string Name = "process environment";
}

/// <summary>
/// The shared credentials and config files of this test process. AWSSDK.Core reads a profile file once per process
/// and keeps what it read (a file written later is not seen), so they are written and pointed to before any test runs;
/// they hold only <see cref="Profile"/>, no <c>default</c>, and keep the machine's own ~/.aws out of every test.
/// </summary>
internal static class AwsProfileFiles
{
    public const string Profile = "medvision-test";
    public const string AccessKeyId = "AKIDPROFILE";
    public const string SecretAccessKey = "profile/secret";
    public const string SessionToken = "profile-session-token";
    public const string Region = "ap-southeast-2";

    public static string CredentialsFile { get; private set; } = "";

    public static string ConfigFile { get; private set; } = "";

    [ModuleInitializer]
    [SuppressMessage("Usage", "CA2255:The 'ModuleInitializer' attribute should not be used in libraries", Justification = "A test assembly: the files must be in place before the SDK first looks, whichever test runs first.")]
    internal static void Write()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"medvision-aws-profiles-{Environment.ProcessId}");
        Directory.CreateDirectory(folder);
        CredentialsFile = Path.Combine(folder, "credentials");
        ConfigFile = Path.Combine(folder, "config");
        File.WriteAllText(CredentialsFile, $"""
            [{Profile}]
            aws_access_key_id = {AccessKeyId}
            aws_secret_access_key = {SecretAccessKey}
            aws_session_token = {SessionToken}
            """);
        File.WriteAllText(ConfigFile, $"""
            [profile {Profile}]
            region = {Region}
            """);
        Environment.SetEnvironmentVariable("AWS_SHARED_CREDENTIALS_FILE", CredentialsFile);
        Environment.SetEnvironmentVariable("AWS_CONFIG_FILE", ConfigFile);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(folder, recursive: true);
            }
            catch (IOException)
            {
                // A leftover temp folder must not fail the run.
            }
        };
    }
}

/// <summary>
/// Clears every variable the SDK's credential and region chains read (the machine's own must not leak in), keeps the
/// profile files at <see cref="AwsProfileFiles"/>, sets what a test asks for, and restores it all afterwards.
/// </summary>
internal sealed class AwsEnvironment : IDisposable
{
    private static readonly string[] Variables =
    [
        "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ACCOUNT_ID", "AWS_PROFILE", "AWS_REGION",
        "AWS_DEFAULT_REGION", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        "AWS_EC2_METADATA_DISABLED",
    ];

    private readonly Dictionary<string, string?> saved = Variables.ToDictionary(v => v, Environment.GetEnvironmentVariable);

    public AwsEnvironment(params (string Name, string Value)[] values)
    {
        foreach (var variable in Variables)
        {
            Environment.SetEnvironmentVariable(variable, null);
        }

        // No probe of 169.254.169.254 from a test machine.
        Environment.SetEnvironmentVariable("AWS_EC2_METADATA_DISABLED", "true");
        foreach (var (name, value) in values)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, value) in saved)
        {
            Environment.SetEnvironmentVariable(name, value);
        }
    }
}

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class AwsCredentialChainTests(ITestOutputHelper output)
{
    [Fact]
    public async Task GetAsync_WhenTheKeyPairAndTokenAreInEnvironmentVariables_ShouldReturnThem()
    {
        using var environment = new AwsEnvironment(
            ("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT"), ("AWS_SECRET_ACCESS_KEY", "environment/secret"), ("AWS_SESSION_TOKEN", "environment-token"));
        using var chain = new AwsCredentialChain();

        var credentials = await chain.GetAsync(CancellationToken.None);

        Assert.Equal(new AwsCredentials("AKIDENVIRONMENT", "environment/secret", "environment-token"), credentials);
    }

    [Fact]
    public async Task GetAsync_WhenOnlyTheKeyPairIsInEnvironmentVariables_ShouldReturnNoSessionToken()
    {
        using var environment = new AwsEnvironment(("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT"), ("AWS_SECRET_ACCESS_KEY", "environment/secret"));
        using var chain = new AwsCredentialChain();

        var credentials = await chain.GetAsync(CancellationToken.None);

        Assert.Equal(new AwsCredentials("AKIDENVIRONMENT", "environment/secret"), credentials);
    }

    [Fact]
    public async Task GetAsync_WhenAwsProfileNamesAProfileOfTheSharedCredentialsFile_ShouldReturnThatProfilesKeys()
    {
        using var environment = new AwsEnvironment(("AWS_PROFILE", AwsProfileFiles.Profile));
        using var chain = new AwsCredentialChain();

        var credentials = await chain.GetAsync(CancellationToken.None);

        Assert.Equal(new AwsCredentials(AwsProfileFiles.AccessKeyId, AwsProfileFiles.SecretAccessKey, AwsProfileFiles.SessionToken), credentials);
    }

    [Fact]
    public async Task GetAsync_WhenEnvironmentVariablesAndTheProfileBothHaveKeys_ShouldPreferTheEnvironment()
    {
        using var environment = new AwsEnvironment(
            ("AWS_PROFILE", AwsProfileFiles.Profile), ("AWS_ACCESS_KEY_ID", "AKIDENVIRONMENT"), ("AWS_SECRET_ACCESS_KEY", "environment/secret"));
        using var chain = new AwsCredentialChain();

        var credentials = await chain.GetAsync(CancellationToken.None);

        Assert.Equal(new AwsCredentials("AKIDENVIRONMENT", "environment/secret"), credentials);
    }

    [Fact]
    public async Task GetAsync_WhenNoSourceHasCredentials_ShouldThrowNamingNoSecret()
    {
        using var environment = new AwsEnvironment();
        using var chain = new AwsCredentialChain();

        var error = await Assert.ThrowsAnyAsync<AmazonClientException>(async () => await chain.GetAsync(CancellationToken.None));

        output.WriteLine(error.Message);
    }

    [Fact]
    public async Task SendAsync_WhenTheChainsCredentialsCarryASessionToken_ShouldSendAndSignTheTokenAsBotocoreAgrees()
    {
        if (!Oracle.Available(output))
        {
            return;
        }

        var expected = new AwsCredentials("AKIDCHAIN", "chain/secret+key", "chain-session-token");
        using var environment = new AwsEnvironment(
            ("AWS_ACCESS_KEY_ID", expected.AccessKeyId), ("AWS_SECRET_ACCESS_KEY", expected.SecretAccessKey), ("AWS_SESSION_TOKEN", expected.SessionToken!));
        using var chain = new AwsCredentialChain();
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 5, 4, 10, 0, 0, TimeSpan.Zero));
        await using var server = await SigV4LoopbackServer.StartAsync(expected, "eu-west-1", "sagemaker", clock, static (context, _) =>
        {
            context.Response.StatusCode = StatusCodes.Status200OK;
            return Task.CompletedTask;
        });
        using var http = AwsHttp.CreateClient("sagemaker", "eu-west-1", chain.GetAsync, clock);

        using (var response = await http.GetAsync(new Uri(server.Address, "endpoints/model-a/invocations")))
        {
            Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}");
        }

        var seen = Assert.Single(server.Requests);
        Assert.True(seen.SignatureValid, seen.Reason);
        Assert.Equal("chain-session-token", seen.Header("x-amz-security-token"));
        Assert.Contains("Credential=AKIDCHAIN/20260504/eu-west-1/sagemaker/aws4_request", seen.Header("authorization")!, StringComparison.Ordinal);
    }
}

[Collection(ProcessEnvironmentCollection.Name)]
public sealed class AwsRegionChainTests
{
    [Fact]
    public void Resolve_WhenAwsRegionAndAwsDefaultRegionAreSet_ShouldReturnAwsRegion()
    {
        using var environment = new AwsEnvironment(("AWS_REGION", "eu-central-1"), ("AWS_DEFAULT_REGION", "us-west-2"));

        Assert.Equal("eu-central-1", AwsRegionChain.Resolve());
    }

    [Fact]
    public void Resolve_WhenOnlyAwsDefaultRegionIsSet_ShouldReturnIt()
    {
        using var environment = new AwsEnvironment(("AWS_DEFAULT_REGION", "us-west-2"));

        Assert.Equal("us-west-2", AwsRegionChain.Resolve());
    }

    [Fact]
    public void Resolve_WhenOnlyTheActiveProfileHasARegion_ShouldReturnTheProfilesRegion()
    {
        using var environment = new AwsEnvironment(("AWS_PROFILE", AwsProfileFiles.Profile));

        Assert.Equal(AwsProfileFiles.Region, AwsRegionChain.Resolve());
    }

    [Fact]
    public void Resolve_WhenNoSourceHasARegion_ShouldReturnNull()
    {
        using var environment = new AwsEnvironment();

        Assert.Null(AwsRegionChain.Resolve());
    }
}
