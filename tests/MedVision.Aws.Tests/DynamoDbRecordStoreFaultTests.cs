using Amazon.DynamoDBv2;
using MedVision.Core;
using MedVision.Core.Images;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests;

/// <summary>
/// DynamoDbRecordStore behind a <see cref="FaultyStandIn"/> in front of moto_server: what the SDK retries (counted at
/// the stand-in), that replayed conditional writes stay correct, and what reaches the caller when retries run out.
/// </summary>
public sealed class DynamoDbRecordStoreFaultTests(MotoFixture moto, ITestOutputHelper output) : IClassFixture<MotoFixture>, IAsyncLifetime
{
    private const string JsonType = "application/x-amz-json-1.0";

    private static readonly DateTimeOffset Epoch = new(2025, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private FaultyStandIn? standIn;
    private AmazonDynamoDBClient? client;
    private DynamoDbRecordStore store = null!;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        client?.Dispose();
        if (standIn is not null)
        {
            await standIn.DisposeAsync();
        }
    }

    private async Task<bool> StartAsync(int maxErrorRetry = 3, TimeSpan? timeout = null)
    {
        if (!MotoServer.Available(output.WriteLine))
        {
            return false;
        }

        var server = await moto.GetAsync();
        using (var direct = MotoFixture.Client(server.Endpoint))
        {
            var options = await MotoFixture.CreateTablesAsync(direct);
            standIn = await FaultyStandIn.StartAsync(server.Endpoint);
            // The SDK also resends a request whose connection died as a "stale pooled connection", outside MaxErrorRetry;
            // off here, so the counts below are the standard retry policy's alone.
            client = MotoFixture.Client(standIn.Address, maxErrorRetry, timeout, staleConnectionRetries: 0);
            store = new DynamoDbRecordStore(client, options);
        }

        await store.CreateAsync(Record("img-1"));
        standIn.Reset();
        return true;
    }

    private static ImageRecord Record(string imageId) => new()
    {
        ImageId = imageId,
        UserId = "user-1",
        UploadTimestamp = Epoch,
        FileFormat = FileFormat.Png,
        FileSizeBytes = 1000,
        StorageType = StorageType.S3,
        StorageLocation = $"raw/{imageId}.png",
        Status = ImageStatus.Uploaded,
        CreatedAt = Epoch,
        UpdatedAt = Epoch,
    };

    private static Fault DynamoError(int status, string type) =>
        Fault.Answer(status, JsonType, $$"""{"__type":"{{type}}","message":"injected by the test"}""");

    public static TheoryData<int, string> RetriedAnswers => new()
    {
        { 400, "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException" },
        { 400, "com.amazonaws.dynamodb.v20120810#ThrottlingException" },
        { 400, "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded" },
        { 500, "com.amazonaws.dynamodb.v20120810#InternalServerError" },
        { 503, "com.amazonaws.dynamodb.v20120810#ServiceUnavailable" },
    };

    [Theory]
    [MemberData(nameof(RetriedAnswers))]
    public async Task GetAsync_WhenDynamoThrottlesOrFailsOnce_ShouldRetryAndSucceed(int status, string type)
    {
        if (!await StartAsync())
        {
            return;
        }

        standIn!.Next(DynamoError(status, type));

        var record = await store.GetAsync("img-1");

        Assert.Equal("img-1", record?.ImageId);
        Assert.Equal(2, standIn.Requests.Count);
    }

    [Theory]
    [MemberData(nameof(RetriedAnswers))]
    public async Task UpdateAsync_WhenRetriesRunOut_ShouldThrowStorageUnavailableAndWriteNothing(int status, string type)
    {
        if (!await StartAsync(maxErrorRetry: 2))
        {
            return;
        }

        standIn!.Next(DynamoError(status, type), times: 3);

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(
            () => store.UpdateAsync("img-1", r => r with { FileSizeBytes = r.FileSizeBytes + 1 }));

        Assert.Equal("storage.unavailable", error.Code);
        Assert.Contains(type[(type.IndexOf('#', StringComparison.Ordinal) + 1)..], error.Message, StringComparison.Ordinal);
        Assert.Equal(3, standIn.Requests.Count);
        Assert.Equal(1, (await store.GetAsync("img-1"))!.Version);
    }

    [Fact]
    public async Task UpdateAsync_WhenDynamoRefusesTheItemAsTooLarge_ShouldThrowValidationWithoutRetrying()
    {
        if (!await StartAsync())
        {
            return;
        }

        var error = await Assert.ThrowsAsync<ValidationException>(
            () => store.UpdateAsync("img-1", r => r with { ErrorMessage = new string('x', 500_000) }));

        Assert.Equal("record.invalid", error.Code);
        Assert.DoesNotContain("xxxx", error.Message, StringComparison.Ordinal);
        Assert.Equal(2, standIn!.Requests.Count); // the read and one write
        Assert.Equal(1, (await store.GetAsync("img-1"))!.Version);
    }

    [Fact]
    public async Task GetAsync_WhenTheTableDoesNotExist_ShouldThrowStorageUnavailable()
    {
        if (!await StartAsync())
        {
            return;
        }

        var missing = new DynamoDbRecordStore(client!, new DynamoDbRecordStoreOptions { TableName = "no-such-table" });

        var error = await Assert.ThrowsAsync<StorageUnavailableException>(() => missing.GetAsync("img-1"));

        Assert.Contains("ResourceNotFoundException", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_WhenTheConnectionDropsOnce_ShouldRetryAndSucceed()
    {
        if (!await StartAsync())
        {
            return;
        }

        standIn!.Next(Fault.Drop());

        var record = await store.GetAsync("img-1");

        Assert.Equal("img-1", record?.ImageId);
        Assert.Equal(2, standIn.Requests.Count);
    }

    [Fact]
    public async Task GetAsync_WhenTheConnectionDropsOnceWithDefaultSettings_ShouldBeResentAsAStaleConnection()
    {
        if (!MotoServer.Available(output.WriteLine))
        {
            return;
        }

        var server = await moto.GetAsync();
        await using var proxy = await FaultyStandIn.StartAsync(server.Endpoint);
        using var direct = MotoFixture.Client(server.Endpoint);
        using var defaults = MotoFixture.Client(proxy.Address, maxErrorRetry: 0);
        var options = await MotoFixture.CreateTablesAsync(direct);
        await new DynamoDbRecordStore(direct, options).CreateAsync(Record("img-1"));
        proxy.Next(Fault.Drop());

        // No standard retries at all, and still the dropped request is resent once.
        var record = await new DynamoDbRecordStore(defaults, options).GetAsync("img-1");

        Assert.Equal("img-1", record?.ImageId);
        Assert.Equal(2, proxy.Requests.Count);
    }

    [Fact]
    public async Task GetAsync_WhenEveryAttemptDrops_ShouldThrowStorageUnavailable()
    {
        if (!await StartAsync(maxErrorRetry: 2))
        {
            return;
        }

        standIn!.Next(Fault.Drop(), times: 3);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.GetAsync("img-1"));
        Assert.Equal(3, standIn.Requests.Count);
    }

    [Fact]
    public async Task GetAsync_WhenAnAnswerIsLaterThanTheTimeout_ShouldRetryAndSucceed()
    {
        if (!await StartAsync(timeout: TimeSpan.FromSeconds(1)))
        {
            return;
        }

        standIn!.Next(Fault.Delay(TimeSpan.FromSeconds(10)));

        var record = await store.GetAsync("img-1");

        Assert.Equal("img-1", record?.ImageId);
        Assert.Equal(2, standIn.Requests.Count);
    }

    [Fact]
    public async Task GetAsync_WhenEveryAnswerIsLaterThanTheTimeout_ShouldThrowStorageUnavailable()
    {
        if (!await StartAsync(maxErrorRetry: 1, timeout: TimeSpan.FromSeconds(1)))
        {
            return;
        }

        standIn!.Next(Fault.Delay(TimeSpan.FromSeconds(10)), times: 2);

        await Assert.ThrowsAsync<StorageUnavailableException>(() => store.GetAsync("img-1"));
        Assert.Equal(2, standIn.Requests.Count);
    }

    [Fact]
    public async Task UpdateAsync_WhenTheAnswerToASuccessfulConditionalWriteIsLost_ShouldApplyTheUpdateExactlyOnce()
    {
        if (!await StartAsync())
        {
            return;
        }

        var calls = 0;
        var updated = await store.UpdateAsync("img-1", r =>
        {
            // The read has gone through; the write that follows lands in moto, and its answer is dropped.
            if (Interlocked.Increment(ref calls) == 1)
            {
                standIn!.Next(Fault.DropAnswer());
            }

            return r with { FileSizeBytes = r.FileSizeBytes + 1 };
        });
        var requests = standIn!.Requests.Count;

        Assert.Equal(1, calls);
        Assert.Equal(2, updated.Version);
        Assert.Equal(1001, updated.FileSizeBytes);
        var stored = await store.GetAsync("img-1");
        Assert.Equal(2, stored!.Version);
        Assert.Equal(1001, stored.FileSizeBytes);
        // Read, the write (answer lost), the SDK's replay (its condition fails: the write had landed), the re-read.
        Assert.Equal(4, requests);
    }

    [Fact]
    public async Task CreateAsync_WhenTheAnswerToASuccessfulCreateIsLost_ShouldSucceedNotConflict()
    {
        if (!await StartAsync())
        {
            return;
        }

        standIn!.Next(Fault.DropAnswer());

        await store.CreateAsync(Record("img-2"));

        Assert.Equal(1, (await store.GetAsync("img-2"))!.Version);
        var again = await Assert.ThrowsAsync<ConflictException>(() => store.CreateAsync(Record("img-2")));
        Assert.Equal("image.exists", again.Code);
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_WhenTheAnswerToASuccessfulClaimIsLost_ShouldReturnTheCandidate()
    {
        if (!await StartAsync())
        {
            return;
        }

        var candidate = new Core.Ports.IdempotencyRecord
        {
            UserId = "user-1",
            Key = "key-1",
            RequestHash = "hash",
            ImageId = "img-9",
            CreatedAt = Epoch,
            ExpiresAt = Epoch.AddHours(24),
        };
        standIn!.Next(Fault.DropAnswer());

        Assert.Equal(candidate, await store.ClaimIdempotencyKeyAsync(candidate));
    }
}
