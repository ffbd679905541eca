using Amazon.KeyManagementService;
using Amazon.KeyManagementService.Model;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using MedVision.Testing;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests;

/// <summary>
/// One moto_server per test class for the S3 tests (xunit class fixture), started on the first test that asks, with
/// one KMS key in it for SSE-KMS. Each test makes its own bucket.
/// </summary>
public sealed class S3MotoFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private MotoServer? server;

    public string KmsKeyArn { get; private set; } = "";

    /// <summary>The running server, or null when moto_server is not installed (the test then skips with a note).</summary>
    public async Task<MotoServer?> StartAsync(ITestOutputHelper output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!MotoServer.Available(output.WriteLine))
        {
            return null;
        }

        await gate.WaitAsync();
        try
        {
            if (server is null)
            {
                server = await MotoServer.StartAsync();
                using var kms = new AmazonKeyManagementServiceClient(
                    S3Clients.Credentials, new AmazonKeyManagementServiceConfig { ServiceURL = server.Endpoint.AbsoluteUri, AuthenticationRegion = MotoServer.Region });
                var key = await kms.CreateKeyAsync(new CreateKeyRequest { Description = "medvision test stack key" });
                KmsKeyArn = key.KeyMetadata.Arn;
            }

            return server;
        }
        finally
        {
            gate.Release();
        }
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (server is not null)
        {
            await server.DisposeAsync();
        }

        gate.Dispose();
    }
}

internal static class S3Clients
{
    public static BasicAWSCredentials Credentials { get; } = new(MotoServer.AccessKeyId, MotoServer.SecretAccessKey);

    /// <summary>An S3 client for moto (or a proxy in front of it): path-style addressing, moto's region, standard retries.</summary>
    public static AmazonS3Client Create(Uri endpoint, int maxErrorRetry = 2, TimeSpan? timeout = null) => new(Credentials, new AmazonS3Config
    {
        ServiceURL = endpoint.AbsoluteUri,
        ForcePathStyle = true,
        AuthenticationRegion = MotoServer.Region,
        RetryMode = RequestRetryMode.Standard,
        MaxErrorRetry = maxErrorRetry,
        Timeout = timeout ?? TimeSpan.FromSeconds(30),
    });

    /// <summary>A fresh bucket with a unique name.</summary>
    public static async Task<string> NewBucketAsync(IAmazonS3 s3)
    {
        var bucket = "medvision-test-" + Guid.NewGuid().ToString("N")[..16];
        await s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket });
        return bucket;
    }
}
