using Amazon.DynamoDBv2;
using Amazon.Runtime;
using MedVision.Core;
using MedVision.Core.Images;
using MedVision.Core.Ports;
using MedVision.Local.Twins;
using MedVision.Testing;
using MedVision.Testing.Aws;

namespace MedVision.Aws.Tests;

/// <summary>
/// One contract for every <see cref="IRecordStore"/> adapter: the SQLite twin and DynamoDB (against moto_server) must
/// both pass it, so the pipeline sees the same store whichever adapter it is given.
/// </summary>
public abstract class RecordStoreContract : IAsyncLifetime
{
    protected static readonly DateTimeOffset Epoch = TestRecords.Epoch;

    protected IRecordStore Store { get; set; } = null!;

    /// <summary>False when the adapter's oracle is missing (the test then passes as skipped, with a note).</summary>
    protected abstract Task<bool> StartAsync();

    public Task InitializeAsync() => Task.CompletedTask;

    public virtual Task DisposeAsync() => Task.CompletedTask;

    private static IdempotencyRecord Claim(string user, string key, string imageId, int atSecond = 0, int ttlSeconds = 3600) => new()
    {
        UserId = user,
        Key = key,
        RequestHash = $"hash-of-{imageId}",
        ImageId = imageId,
        CreatedAt = Epoch.AddSeconds(atSecond),
        ExpiresAt = Epoch.AddSeconds(atSecond + ttlSeconds),
    };

    [Fact]
    public async Task CreateAsync_WhenIdIsNew_ShouldStoreRecordAsVersion1()
    {
        if (!await StartAsync())
        {
            return;
        }

        var record = ImageRecord.Uploaded(TestRecords.New("img-1") with { Version = 42, FileName = "chest.png", PatientId = "p-1" });

        await Store.CreateAsync(record);
        var stored = await Store.GetAsync("img-1");

        Assert.NotNull(stored);
        Assert.Equal(1, stored.Version);
        Assert.Equal(record with { Version = 1, StageTimings = stored.StageTimings }, stored);
        Assert.Equal(record.StageTimings, stored.StageTimings);
        Assert.Null(await Store.GetAsync("img-2"));
    }

    // Feature: medvision-ai-platform, Property 24: a second image record with an existing id is refused.
    [Fact]
    public async Task CreateAsync_WhenIdExists_ShouldThrowConflictAndKeepOriginal()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("img-1", "user-a"));

        var same = await Assert.ThrowsAsync<ConflictException>(() => Store.CreateAsync(TestRecords.New("img-1", "user-b")));
        var laterUpload = await Assert.ThrowsAsync<ConflictException>(() => Store.CreateAsync(TestRecords.New("img-1", "user-b", Epoch.AddHours(1))));

        Assert.Equal("image.exists", same.Code);
        Assert.Equal("image.exists", laterUpload.Code);
        Assert.Equal("user-a", (await Store.GetAsync("img-1"))!.UserId);
        Assert.Empty((await Store.QueryByUserAsync("user-b", 10, null)).Items);
    }

    [Fact]
    public async Task UpdateAsync_WhenRecordExists_ShouldIncrementVersionAndPassLatestRecord()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("img-1"));

        var first = await Store.UpdateAsync("img-1", r => r with { Status = ImageStatus.Processing, Stage = PipelineStage.Classify });
        ImageRecord? seen = null;
        var second = await Store.UpdateAsync("img-1", r =>
        {
            seen = r;
            return r with { Version = 999, Stage = PipelineStage.Analyze };
        });

        Assert.Equal(2, first.Version);
        Assert.NotNull(seen);
        Assert.Equal(PipelineStage.Classify, seen.Stage);
        Assert.Equal(2, seen.Version);
        Assert.Equal(3, second.Version);
        var stored = await Store.GetAsync("img-1");
        Assert.NotNull(stored);
        Assert.Equal(3, stored.Version);
        Assert.Equal(ImageStatus.Processing, stored.Status);
        Assert.Equal(PipelineStage.Analyze, stored.Stage);
    }

    [Fact]
    public async Task UpdateAsync_WhenRecordMissing_ShouldThrowNotFound()
    {
        if (!await StartAsync())
        {
            return;
        }

        var error = await Assert.ThrowsAsync<NotFoundException>(() => Store.UpdateAsync("ghost", r => r));

        Assert.Equal("image.not_found", error.Code);
    }

    [Fact]
    public async Task UpdateAsync_WhenFunctionChangesImageId_ShouldThrowAndNotWrite()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("img-1"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => Store.UpdateAsync("img-1", r => r with { ImageId = "img-2" }));

        Assert.Equal(1, (await Store.GetAsync("img-1"))!.Version);
        Assert.Null(await Store.GetAsync("img-2"));
    }

    [Fact]
    public async Task UpdateAsync_WhenAStateMoveIsIllegal_ShouldRefuseAndKeepTheNewerState()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("img-1"));
        await Store.UpdateAsync("img-1", r => r.BeginStage(PipelineStage.Classify, Epoch.AddSeconds(1)));
        await Store.UpdateAsync("img-1", r => r.Finish(Epoch.AddSeconds(2), out _));

        // A stale stage trying to move a completed image back to processing.
        await Assert.ThrowsAsync<ConflictException>(() => Store.UpdateAsync("img-1", r => r.BeginStage(PipelineStage.Analyze, Epoch.AddSeconds(3))));

        var stored = await Store.GetAsync("img-1");
        Assert.Equal(ImageStatus.Completed, stored!.Status);
        Assert.Equal(3, stored.Version);
    }

    [Fact]
    public async Task UpdateAsync_When20ParallelUpdatesEachAddToTheRecord_ShouldLoseNone()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("img-1"));
        var before = (await Store.GetAsync("img-1"))!.FileSizeBytes;

        await RunConcurrentlyAsync(20, i => Store.UpdateAsync("img-1", r =>
        {
            // Widen the read-modify-write window so writers really overlap, as stages doing work would.
            Thread.Sleep(3);
            return r with { FileSizeBytes = r.FileSizeBytes + (1L << i) };
        }));

        var final = await Store.GetAsync("img-1");
        Assert.NotNull(final);
        // Each writer adds its own bit: a lost update leaves that bit out.
        Assert.Equal(before + ((1L << 20) - 1), final.FileSizeBytes);
        Assert.Equal(21, final.Version);
    }

    [Fact]
    public async Task QueryByUserAsync_When25RecordsAndLimit10_ShouldPage10Then10Then5NewestFirst()
    {
        if (!await StartAsync())
        {
            return;
        }

        for (var i = 0; i < 25; i++)
        {
            await Store.CreateAsync(TestRecords.New($"img-{i:D2}", "user-1", Epoch.AddMinutes(i)));
        }

        var first = await Store.QueryByUserAsync("user-1", 10, null);
        var second = await Store.QueryByUserAsync("user-1", 10, first.NextCursor);
        var third = await Store.QueryByUserAsync("user-1", 10, second.NextCursor);

        Assert.Equal(10, first.Items.Count);
        Assert.Equal(10, second.Items.Count);
        Assert.Equal(5, third.Items.Count);
        Assert.NotNull(first.NextCursor);
        Assert.NotNull(second.NextCursor);
        Assert.Null(third.NextCursor);
        var all = first.Items.Concat(second.Items).Concat(third.Items).Select(r => r.ImageId).ToList();
        Assert.Equal(Enumerable.Range(0, 25).Reverse().Select(i => $"img-{i:D2}"), all);
    }

    [Fact]
    public async Task QueryByUserAsync_WhenCountIsMultipleOfLimit_ShouldEndWithNullCursorNotEmptyPage()
    {
        if (!await StartAsync())
        {
            return;
        }

        for (var i = 0; i < 4; i++)
        {
            await Store.CreateAsync(TestRecords.New($"img-{i}", "user-1", Epoch.AddMinutes(i)));
        }

        var first = await Store.QueryByUserAsync("user-1", 2, null);
        var second = await Store.QueryByUserAsync("user-1", 2, first.NextCursor);

        Assert.Equal(2, second.Items.Count);
        Assert.Null(second.NextCursor);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    public async Task QueryByUserAsync_WhenTimestampsTie_ShouldOrderByIdAndPageWithoutDuplicates(int limit)
    {
        if (!await StartAsync())
        {
            return;
        }

        // A tie before, inside and after the others, so pages end inside ties and begin inside them.
        var ids = new List<string>();
        foreach (var (id, minute) in new[] { ("b-1", 2), ("b-0", 2), ("same-4", 1), ("same-0", 1), ("same-6", 1), ("same-2", 1), ("same-1", 1), ("same-5", 1), ("same-3", 1), ("a-1", 0), ("a-0", 0) })
        {
            await Store.CreateAsync(TestRecords.New(id, "user-1", Epoch.AddMinutes(minute)));
            ids.Add(id);
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await Store.QueryByUserAsync("user-1", limit, cursor);
            Assert.InRange(page.Items.Count, 1, limit);
            seen.AddRange(page.Items.Select(r => r.ImageId));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        string[] expected = ["b-1", "b-0", "same-6", "same-5", "same-4", "same-3", "same-2", "same-1", "same-0", "a-1", "a-0"];
        Assert.Equal(expected, seen);
    }

    [Fact]
    public async Task QueryByUserAsync_WhenOtherUsersHaveRecords_ShouldReturnOnlyTheUsersRecords()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("mine-1", "user-1", Epoch));
        await Store.CreateAsync(TestRecords.New("theirs-1", "user-2", Epoch.AddMinutes(1)));
        await Store.CreateAsync(TestRecords.New("mine-2", "user-1", Epoch.AddMinutes(2)));
        await Store.CreateAsync(TestRecords.New("theirs-2", "user-10", Epoch.AddMinutes(3)));

        var page = await Store.QueryByUserAsync("user-1", 10, null);

        Assert.Equal(["mine-2", "mine-1"], page.Items.Select(r => r.ImageId));
        Assert.Null(page.NextCursor);
        Assert.Empty((await Store.QueryByUserAsync("nobody", 10, null)).Items);
    }

    [Theory]
    [InlineData("not a cursor!")]
    [InlineData("")]
    [InlineData("bm8tYmFy")] // "no-bar"
    [InlineData("eHx5")] // "x|y": timestamp is not a number
    [InlineData("MTIzfA")] // "123|": no image id
    public async Task QueryByUserAsync_WhenCursorMalformed_ShouldThrowValidation(string cursor)
    {
        if (!await StartAsync())
        {
            return;
        }

        var error = await Assert.ThrowsAsync<ValidationException>(() => Store.QueryByUserAsync("user-1", 10, cursor));

        Assert.Equal("request.bad_cursor", error.Code);
    }

    [Fact]
    public async Task QueryByUserAsync_WhenCursorIsWellFormed_ShouldBeOpaqueBase64Url()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("a", "user-1", Epoch));
        await Store.CreateAsync(TestRecords.New("b|c", "user-1", Epoch.AddSeconds(1)));

        var page = await Store.QueryByUserAsync("user-1", 1, null);

        Assert.NotNull(page.NextCursor);
        Assert.Matches("^[A-Za-z0-9_-]+$", page.NextCursor);
        Assert.Equal(["a"], (await Store.QueryByUserAsync("user-1", 1, page.NextCursor)).Items.Select(r => r.ImageId));
    }

    [Fact]
    public async Task DeleteAsync_WhenRecordExists_ShouldRemoveItAndReturnTrueOnce()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.CreateAsync(TestRecords.New("img-1"));

        Assert.True(await Store.DeleteAsync("img-1"));
        Assert.Null(await Store.GetAsync("img-1"));
        Assert.False(await Store.DeleteAsync("img-1"));
        Assert.Empty((await Store.QueryByUserAsync("user-1", 10, null)).Items);
        await Assert.ThrowsAsync<NotFoundException>(() => Store.UpdateAsync("img-1", r => r));
    }

    [Fact]
    public async Task ReadAuditAsync_WhenEntriesAppended_ShouldReturnTheResourcesEntriesInTimeOrder()
    {
        if (!await StartAsync())
        {
            return;
        }

        AuditEntry Entry(string id, string resource, int second) => new()
        {
            AuditId = id,
            Timestamp = Epoch.AddSeconds(second),
            Actor = "user-1",
            Action = "image.read",
            ResourceType = "image",
            ResourceId = resource,
            Detail = id,
        };

        await Store.AppendAuditAsync(Entry("a3", "img-1", 3));
        await Store.AppendAuditAsync(Entry("a1", "img-1", 1));
        await Store.AppendAuditAsync(Entry("other", "img-2", 2));
        await Store.AppendAuditAsync(Entry("a2", "img-1", 2));
        await Store.AppendAuditAsync(Entry("a2-same-time", "img-1", 2));
        await Store.AppendAuditAsync(Entry("a1", "img-1", 1)); // a retried append is a no-op

        var entries = await Store.ReadAuditAsync("img-1");

        Assert.Equal(["a1", "a2", "a2-same-time", "a3"], entries.Select(e => e.AuditId));
        Assert.Equal(Entry("a2", "img-1", 2), entries[1]);
        Assert.Empty(await Store.ReadAuditAsync("img-404"));
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_WhenKeyIsNew_ShouldStoreAndReturnTheCandidate()
    {
        if (!await StartAsync())
        {
            return;
        }

        var candidate = Claim("user-1", "key-1", "img-1");

        var claimed = await Store.ClaimIdempotencyKeyAsync(candidate);

        Assert.Equal(candidate, claimed);
        Assert.Equal(candidate, await Store.GetIdempotencyRecordAsync("user-1", "key-1", Epoch.AddSeconds(1)));
        Assert.Null(await Store.GetIdempotencyRecordAsync("user-1", "key-2", Epoch));
        Assert.Null(await Store.GetIdempotencyRecordAsync("user-2", "key-1", Epoch));
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_WhenKeyWasUsedBefore_ShouldReturnTheEarlierRecordUnchanged()
    {
        if (!await StartAsync())
        {
            return;
        }

        var first = Claim("user-1", "key-1", "img-1");
        await Store.ClaimIdempotencyKeyAsync(first);

        var again = await Store.ClaimIdempotencyKeyAsync(Claim("user-1", "key-1", "img-2", atSecond: 10));
        var replay = await Store.ClaimIdempotencyKeyAsync(first);
        var otherUser = await Store.ClaimIdempotencyKeyAsync(Claim("user-2", "key-1", "img-3"));

        Assert.Equal(first, again);
        Assert.Equal(first, replay);
        Assert.Equal("img-3", otherUser.ImageId);
        Assert.Equal(first, await Store.GetIdempotencyRecordAsync("user-1", "key-1", Epoch.AddSeconds(20)));
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_WhenEarlierRecordExpired_ShouldTreatTheKeyAsNew()
    {
        if (!await StartAsync())
        {
            return;
        }

        await Store.ClaimIdempotencyKeyAsync(Claim("user-1", "key-1", "img-1", ttlSeconds: 60));

        Assert.Null(await Store.GetIdempotencyRecordAsync("user-1", "key-1", Epoch.AddSeconds(60)));
        var later = Claim("user-1", "key-1", "img-2", atSecond: 61);
        Assert.Equal(later, await Store.ClaimIdempotencyKeyAsync(later));
        Assert.Equal(later, await Store.GetIdempotencyRecordAsync("user-1", "key-1", Epoch.AddSeconds(62)));
    }

    [Fact]
    public async Task ClaimIdempotencyKeyAsync_When10ClaimsRace_ShouldAllGetTheSameWinner()
    {
        if (!await StartAsync())
        {
            return;
        }

        var results = await RunConcurrentlyAsync(10, i => Store.ClaimIdempotencyKeyAsync(Claim("user-1", "key-1", $"img-{i}")));

        Assert.Single(results.Distinct());
        Assert.Equal(results[0], await Store.GetIdempotencyRecordAsync("user-1", "key-1", Epoch));
    }

    /// <summary>
    /// Runs <paramref name="count"/> workers on dedicated threads released together by a gate. Task.Run alone is
    /// not enough: on a 2-core test host the pool may run the workers one after another and hide races.
    /// </summary>
    private static async Task<T[]> RunConcurrentlyAsync<T>(int count, Func<int, Task<T>> work)
    {
        using var ready = new CountdownEvent(count);
        using var start = new ManualResetEventSlim(false);
        var tasks = Enumerable.Range(0, count).Select(i => Task.Factory.StartNew(
            () =>
            {
                ready.Signal();
                start.Wait();
                return work(i);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap()).ToArray();
        ready.Wait();
        start.Set();
        return await Task.WhenAll(tasks);
    }
}

public sealed class SqliteRecordStoreContractTests : RecordStoreContract
{
    private readonly TempDirectory temp = new();
    private SqliteRecordStore? sqlite;

    protected override Task<bool> StartAsync()
    {
        sqlite ??= new SqliteRecordStore(temp.File("records.db"));
        Store = sqlite;
        return Task.FromResult(true);
    }

    public override Task DisposeAsync()
    {
        sqlite?.Dispose();
        temp.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>One moto_server for a test class, started on first use (so a missing moto skips instead of failing the fixture).</summary>
public sealed class MotoFixture : IAsyncLifetime
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private MotoServer? server;

    public async Task<MotoServer> GetAsync()
    {
        await gate.WaitAsync();
        try
        {
            return server ??= await MotoServer.StartAsync();
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>An SDK client for <paramref name="endpoint"/> (moto or a stand-in in front of it), signing as moto's test user.</summary>
    public static AmazonDynamoDBClient Client(Uri endpoint, int maxErrorRetry = 3, TimeSpan? timeout = null, int? staleConnectionRetries = null)
    {
        var config = new AmazonDynamoDBConfig
        {
            ServiceURL = endpoint.AbsoluteUri,
            AuthenticationRegion = MotoServer.Region,
            MaxErrorRetry = maxErrorRetry,
        };
        if (staleConnectionRetries is { } stale)
        {
            config.MaxStaleConnectionRetries = stale;
        }

        if (timeout is { } limit)
        {
            config.Timeout = limit;
        }

        return new AmazonDynamoDBClient(new BasicAWSCredentials(MotoServer.AccessKeyId, MotoServer.SecretAccessKey), config);
    }

    /// <summary>Creates the record store's three tables under fresh names and returns the options naming them.</summary>
    public static async Task<DynamoDbRecordStoreOptions> CreateTablesAsync(IAmazonDynamoDB dynamo)
    {
        var suffix = Guid.NewGuid().ToString("N")[..12];
        var options = new DynamoDbRecordStoreOptions
        {
            TableName = $"images-{suffix}",
            AuditTableName = $"audit-{suffix}",
            IdempotencyTableName = $"idempotency-{suffix}",
        };
        foreach (var table in MedVisionTables.For(options))
        {
            await table.CreateAsync(dynamo);
        }

        return options;
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

public sealed class DynamoDbRecordStoreContractTests(MotoFixture moto, ITestOutputHelper output) : RecordStoreContract, IClassFixture<MotoFixture>
{
    private AmazonDynamoDBClient? client;
    private FaultyStandIn? serialiser;

    protected override async Task<bool> StartAsync()
    {
        if (client is not null)
        {
            return true;
        }

        if (!MotoServer.Available(output.WriteLine))
        {
            return false;
        }

        var server = await moto.GetAsync();
        // moto's conditional writes are atomic only one request at a time (see FaultyStandIn.StartAsync's serialise).
        serialiser = await FaultyStandIn.StartAsync(server.Endpoint, serialise: true);
        client = MotoFixture.Client(serialiser.Address);
        Store = new DynamoDbRecordStore(client, await MotoFixture.CreateTablesAsync(client));
        return true;
    }

    public override async Task DisposeAsync()
    {
        client?.Dispose();
        if (serialiser is not null)
        {
            await serialiser.DisposeAsync();
        }
    }
}
