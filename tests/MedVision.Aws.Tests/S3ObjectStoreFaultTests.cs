using Amazon.S3;
using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests;

/// <summary>
/// The S3 adapters behind a <see cref="FaultyStandIn"/> in front of moto: what the SDK retries (counted at the proxy),
/// and what reaches the caller once the retries run out (always a core exception, never an SDK one).
/// </summary>
public sealed class S3ObjectStoreFaultTests(S3MotoFixture moto, ITestOutputHelper output) : IClassFixture<S3MotoFixture>, IAsyncLifetime
{
    /// <summary>Two retries: three attempts per call.</summary>
    private const int MaxErrorRetry = 2;

    private const string Xml = "application/xml";

    /// <summary>More dropped connections than any retry policy here makes attempts.</summary>
    private const int ManyDrops = 40;

    private static readonly string SlowDown = S3Error("SlowDown", "Please reduce your request rate.");
    private static readonly string InternalError = S3Error("InternalError", "We encountered an internal error. Please try again.");
    private static readonly string AccessDenied = S3Error("AccessDenied", "Access Denied");

    private FaultyStandIn? proxy;
    private AmazonS3Client? direct;
    private AmazonS3Client? proxied;
    private S3ObjectStore store = null!;
    private S3UploadSessions uploads = null!;

    private static string S3Error(string code, string message) =>
        $"""<?xml version="1.0" encoding="UTF-8"?><Error><Code>{code}</Code><Message>{message}</Message><RequestId>4442587FB7D0A2F9</RequestId><HostId>fault</HostId></Error>""";

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        proxied?.Dispose();
        direct?.Dispose();
        if (proxy is not null)
        {
            await proxy.DisposeAsync();
        }
    }

    private async Task<bool> StartAsync()
    {
        if (await moto.StartAsync(output) is not { } server)
        {
            return false;
        }

        direct = S3Clients.Create(server.Endpoint);
        var bucket = await S3Clients.NewBucketAsync(direct);
        proxy = await FaultyStandIn.StartAsync(server.Endpoint);
        // A short timeout so a delayed answer is a timeout within the test.
        proxied = S3Clients.Create(proxy.Address, MaxErrorRetry, TimeSpan.FromSeconds(1));
        var options = new S3ObjectStoreOptions { Bucket = bucket, KmsKeyId = moto.KmsKeyArn };
        store = new S3ObjectStore(proxied, options);
        uploads = new S3UploadSessions(proxied, options);
        return true;
    }

    private int Count(string method) => proxy!.Requests.Count(r => r.StartsWith(method + " ", StringComparison.Ordinal));

    private static byte[] Bytes(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    [Fact]
    public async Task GetAsync_WhenS3SlowsDownThenRecovers_ShouldRetryAndReturnTheObject()
    {
        if (!await StartAsync())
        {
            return;
        }

        await store.PutAsync("raw/img-1.png", Bytes(100, 1), "image/png");
        proxy!.Reset();
        proxy.Next(Fault.Answer(503, Xml, SlowDown), times: MaxErrorRetry);

        var read = await store.GetAsync("raw/img-1.png");

        Assert.Equal(Bytes(100, 1), read!.Content);
        Assert.Equal(MaxErrorRetry + 1, Count("GET"));
    }

    [Fact]
    public async Task PutAsync_WhenSlowDownOutlastsTheRetries_ShouldThrowStorageUnavailableAfterEveryAttempt()
    {
        if (!await StartAsync())
        {
            return;
        }

        proxy!.Next(Fault.Answer(503, Xml, SlowDown), times: MaxErrorRetry + 1);

        var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.PutAsync("raw/img-1.png", Bytes(100, 1), "image/png"));

        Assert.Equal(MaxErrorRetry + 1, Count("PUT"));
        Assert.Contains("SlowDown", failure.Message, StringComparison.Ordinal);
        Assert.Contains("raw/img-1.png", failure.Message, StringComparison.Ordinal);
        Assert.IsNotType<AmazonS3Exception>(failure.InnerException);
    }

    [Fact]
    public async Task GetAsync_WhenS3Answers500OnEveryAttempt_ShouldThrowStorageUnavailableAfterTheRetries()
    {
        if (!await StartAsync())
        {
            return;
        }

        await store.PutAsync("raw/img-1.png", Bytes(100, 1), "image/png");
        proxy!.Reset();
        proxy.Next(Fault.Answer(500, Xml, InternalError), times: MaxErrorRetry + 1);

        var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.GetAsync("raw/img-1.png"));

        Assert.Equal(MaxErrorRetry + 1, Count("GET"));
        Assert.Contains("InternalError", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_WhenS3TimesOutOnEveryAttempt_ShouldThrowStorageUnavailableAfterTheRetries()
    {
        if (!await StartAsync())
        {
            return;
        }

        await store.PutAsync("raw/img-1.png", Bytes(100, 1), "image/png");
        proxy!.Reset();
        proxy.Next(Fault.Delay(TimeSpan.FromSeconds(10)), times: MaxErrorRetry + 1);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.GetAsync("raw/img-1.png"));

        Assert.Equal(MaxErrorRetry + 1, Count("GET"));
    }

    [Fact]
    public async Task PutAsync_WhenTheConnectionDropsOnce_ShouldRetryAndStoreTheObject()
    {
        if (!await StartAsync())
        {
            return;
        }

        proxy!.Next(Fault.Drop());

        await store.PutAsync("raw/img-1.png", Bytes(100, 1), "image/png");

        Assert.Equal(2, Count("PUT"));
        Assert.Equal(Bytes(100, 1), (await store.GetAsync("raw/img-1.png"))!.Content);
    }

    [Fact]
    public async Task GetAsync_WhenTheConnectionDropsOnEveryAttempt_ShouldThrowStorageUnavailableAfterTheRetries()
    {
        if (!await StartAsync())
        {
            return;
        }

        await store.PutAsync("raw/img-1.png", Bytes(100, 1), "image/png");
        proxy!.Reset();
        proxy.Next(Fault.Drop(), times: ManyDrops);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.GetAsync("raw/img-1.png"));

        // Resent by the SDK and, for a pooled connection reset before any answer, by .NET's connection pool as well: more
        // than the SDK's attempts, but it gives up long before the queued drops run out.
        Assert.InRange(Count("GET"), MaxErrorRetry + 1, ManyDrops - 1);
    }

    [Fact]
    public async Task PutAsync_WhenAccessIsDenied_ShouldThrowStorageUnavailableWithoutRetrying()
    {
        if (!await StartAsync())
        {
            return;
        }

        proxy!.Next(Fault.Answer(403, Xml, AccessDenied));

        var failure = await Assert.ThrowsAsync<StorageUnavailableException>(() => store.PutAsync("raw/img-1.png", Bytes(100, 1), "image/png"));

        Assert.Equal(1, Count("PUT"));
        Assert.Contains("403 AccessDenied", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UploadPartAsync_WhenS3SlowsDownOnce_ShouldRetryAndKeepThePart()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await uploads.BeginAsync("uploads/u-1.png", "image/png");
        proxy!.Reset();
        proxy.Next(Fault.Answer(503, Xml, SlowDown));

        await uploads.UploadPartAsync(session, 1, Bytes(1000, 1));
        var parts = await uploads.ListPartsAsync(session);

        Assert.Equal(2, Count("PUT"));
        Assert.Equal([(1, 1000L)], parts.Select(p => (p.PartNumber, p.Size)));
    }

    [Fact]
    public async Task CompleteAsync_WhenS3IsDownAfterTheRetries_ShouldThrowStorageUnavailableAndKeepTheUploadForAnotherTry()
    {
        if (!await StartAsync())
        {
            return;
        }

        var session = await uploads.BeginAsync("uploads/u-2.png", "image/png");
        await uploads.UploadPartAsync(session, 1, Bytes(1000, 2));
        proxy!.Reset();
        proxy.Next(Fault.Answer(500, Xml, InternalError), times: MaxErrorRetry + 1); // the ListParts that completion starts with

        await Assert.ThrowsAsync<StorageUnavailableException>(() => uploads.CompleteAsync(session));
        var completed = await uploads.CompleteAsync(session);

        Assert.Equal(1000, completed.Size);
        Assert.Equal(Bytes(1000, 2), (await store.GetAsync("uploads/u-2.png"))!.Content);
    }

    // Feature: medvision-ai-platform, Property 43: the original uploaded image should remain stored and accessible for reprocessing
    [Fact]
    public async Task PutAsync_WhenLaterWritesFailAfterTheRetries_ShouldKeepTheStoredOriginalByteForByte()
    {
        if (!await StartAsync())
        {
            return;
        }

        var original = Bytes(5000, 1);
        await store.PutAsync("raw/img-1.png", original, "image/png");

        // A stage's output write and a rewrite of the original both fail every attempt (5xx, then dropped connections).
        proxy!.Next(Fault.Answer(503, Xml, SlowDown), times: MaxErrorRetry + 1);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.PutAsync("preprocessed/img-1.png", Bytes(100, 2), "image/png"));
        proxy.Next(Fault.Drop(), times: ManyDrops);
        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.PutAsync("raw/img-1.png", Bytes(100, 3), "image/png"));
        proxy.Reset();

        var kept = await store.GetAsync("raw/img-1.png");
        using var plain = new HttpClient();
        Assert.Equal(original, kept!.Content);
        Assert.Equal("image/png", kept.ContentType);
        Assert.Equal(original, await plain.GetByteArrayAsync(new Uri(store.UrlFor("raw/img-1.png"))));
        Assert.DoesNotContain("preprocessed/img-1.png", await store.ListAsync(""));
    }
}
