using System.Text;
using MedVision.Core;
using MedVision.Core.Images;
using MedVision.Local.Twins;

namespace MedVision.Local.Tests.Twins;

public sealed class SqliteRecordStoreTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly SqliteRecordStore store;

    public SqliteRecordStoreTests() => store = new SqliteRecordStore(temp.File("db/records.db"));

    public void Dispose()
    {
        store.Dispose();
        temp.Dispose();
    }

    [Fact]
    public async Task CreateAsync_WhenIdIsNew_ShouldStoreRecordAsVersion1()
    {
        var record = Records.New("img-1") with { Version = 42, FileName = "chest.png" };

        await store.CreateAsync(record);
        var stored = await store.GetAsync("img-1");

        Assert.NotNull(stored);
        Assert.Equal(1, stored.Version);
        Assert.Equal(record with { Version = 1 }, stored with { StageTimings = record.StageTimings });
        Assert.Null(await store.GetAsync("img-2"));
    }

    // Feature: medvision-ai-platform, Property 24: a second image record with an existing id is refused.
    [Fact]
    public async Task CreateAsync_WhenIdExists_ShouldThrowConflictAndKeepOriginal()
    {
        await store.CreateAsync(Records.New("img-1", "user-a"));

        var error = await Assert.ThrowsAsync<ConflictException>(() => store.CreateAsync(Records.New("img-1", "user-b")));

        Assert.Equal("image.exists", error.Code);
        Assert.Equal("user-a", (await store.GetAsync("img-1"))!.UserId);
    }

    [Fact]
    public async Task UpdateAsync_WhenRecordExists_ShouldIncrementVersionAndPassLatestRecord()
    {
        await store.CreateAsync(Records.New("img-1"));

        var first = await store.UpdateAsync("img-1", r => r with { Status = ImageStatus.Processing, Stage = PipelineStage.Classify });
        ImageRecord? seen = null;
        var second = await store.UpdateAsync("img-1", r =>
        {
            seen = r;
            return r with { Version = 999, Stage = PipelineStage.Analyze };
        });

        Assert.Equal(2, first.Version);
        Assert.NotNull(seen);
        Assert.Equal(PipelineStage.Classify, seen.Stage);
        Assert.Equal(2, seen.Version);
        Assert.Equal(3, second.Version);
        var stored = await store.GetAsync("img-1");
        Assert.NotNull(stored);
        Assert.Equal(3, stored.Version);
        Assert.Equal(ImageStatus.Processing, stored.Status);
        Assert.Equal(PipelineStage.Analyze, stored.Stage);
    }

    [Fact]
    public async Task UpdateAsync_WhenRecordMissing_ShouldThrowNotFound()
    {
        var error = await Assert.ThrowsAsync<NotFoundException>(() => store.UpdateAsync("ghost", r => r));

        Assert.Equal("image.not_found", error.Code);
    }

    [Fact]
    public async Task UpdateAsync_WhenFunctionChangesImageId_ShouldThrowAndNotWrite()
    {
        await store.CreateAsync(Records.New("img-1"));

        await Assert.ThrowsAsync<InvalidOperationException>(() => store.UpdateAsync("img-1", r => r with { ImageId = "img-2" }));

        Assert.Equal(1, (await store.GetAsync("img-1"))!.Version);
        Assert.Null(await store.GetAsync("img-2"));
    }

    [Fact]
    public async Task UpdateAsync_When20ParallelUpdatesEachAddToTheRecord_ShouldLoseNone()
    {
        await store.CreateAsync(Records.New("img-1"));
        var before = (await store.GetAsync("img-1"))!.FileSizeBytes;

        await Concurrently.RunAsync(20, i => store.UpdateAsync("img-1", r =>
        {
            // Widen the read-modify-write window so writers really overlap, as stages doing work would.
            Thread.Sleep(3);
            return r with { FileSizeBytes = r.FileSizeBytes + (1L << i) };
        }));

        var final = await store.GetAsync("img-1");
        Assert.NotNull(final);
        // Each writer adds its own bit: a lost update leaves that bit out.
        Assert.Equal(before + ((1L << 20) - 1), final.FileSizeBytes);
        Assert.Equal(21, final.Version);
    }

    [Fact]
    public async Task QueryByUserAsync_When25RecordsAndLimit10_ShouldPage10Then10Then5NewestFirst()
    {
        for (var i = 0; i < 25; i++)
        {
            await store.CreateAsync(Records.New($"img-{i:D2}", "user-1", Records.Epoch.AddMinutes(i)));
        }

        var first = await store.QueryByUserAsync("user-1", 10, null);
        var second = await store.QueryByUserAsync("user-1", 10, first.NextCursor);
        var third = await store.QueryByUserAsync("user-1", 10, second.NextCursor);

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
        for (var i = 0; i < 4; i++)
        {
            await store.CreateAsync(Records.New($"img-{i}", "user-1", Records.Epoch.AddMinutes(i)));
        }

        var first = await store.QueryByUserAsync("user-1", 2, null);
        var second = await store.QueryByUserAsync("user-1", 2, first.NextCursor);

        Assert.Equal(2, second.Items.Count);
        Assert.Null(second.NextCursor);
    }

    [Fact]
    public async Task QueryByUserAsync_WhenTimestampsTie_ShouldOrderByIdAndPageWithoutDuplicates()
    {
        var ids = Enumerable.Range(0, 7).Select(i => $"same-{i}").ToArray();
        foreach (var id in ids)
        {
            await store.CreateAsync(Records.New(id, "user-1", Records.Epoch));
        }

        var seen = new List<string>();
        string? cursor = null;
        do
        {
            var page = await store.QueryByUserAsync("user-1", 3, cursor);
            seen.AddRange(page.Items.Select(r => r.ImageId));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(ids.Reverse(), seen);
    }

    [Fact]
    public async Task QueryByUserAsync_WhenOtherUsersHaveRecords_ShouldReturnOnlyTheUsersRecords()
    {
        await store.CreateAsync(Records.New("mine-1", "user-1", Records.Epoch));
        await store.CreateAsync(Records.New("theirs-1", "user-2", Records.Epoch.AddMinutes(1)));
        await store.CreateAsync(Records.New("mine-2", "user-1", Records.Epoch.AddMinutes(2)));
        await store.CreateAsync(Records.New("theirs-2", "user-10", Records.Epoch.AddMinutes(3)));

        var page = await store.QueryByUserAsync("user-1", 10, null);

        Assert.Equal(["mine-2", "mine-1"], page.Items.Select(r => r.ImageId));
        Assert.Null(page.NextCursor);
        Assert.Empty((await store.QueryByUserAsync("nobody", 10, null)).Items);
    }

    [Theory]
    [InlineData("not a cursor!")]
    [InlineData("")]
    [InlineData("bm8tYmFy")] // "no-bar"
    [InlineData("eHx5")] // "x|y": timestamp is not a number
    [InlineData("MTIzfA")] // "123|": no image id
    public async Task QueryByUserAsync_WhenCursorMalformed_ShouldThrowValidation(string cursor)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => store.QueryByUserAsync("user-1", 10, cursor));

        Assert.Equal("request.bad_cursor", error.Code);
    }

    [Fact]
    public async Task QueryByUserAsync_WhenCursorIsWellFormed_ShouldBeOpaqueBase64()
    {
        await store.CreateAsync(Records.New("a", "user-1", Records.Epoch));
        await store.CreateAsync(Records.New("b", "user-1", Records.Epoch.AddSeconds(1)));

        var page = await store.QueryByUserAsync("user-1", 1, null);

        Assert.NotNull(page.NextCursor);
        Assert.DoesNotContain("|", page.NextCursor, StringComparison.Ordinal);
        Assert.Equal($"{Records.Epoch.AddSeconds(1).ToUnixTimeMilliseconds()}|b", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(page.NextCursor)));
    }

    [Fact]
    public async Task DeleteAsync_WhenRecordExists_ShouldRemoveItAndReturnTrueOnce()
    {
        await store.CreateAsync(Records.New("img-1"));

        Assert.True(await store.DeleteAsync("img-1"));
        Assert.Null(await store.GetAsync("img-1"));
        Assert.False(await store.DeleteAsync("img-1"));
        Assert.Empty((await store.QueryByUserAsync("user-1", 10, null)).Items);
    }

    [Fact]
    public async Task ReadAuditAsync_WhenEntriesAppended_ShouldReturnTheResourcesEntriesInTimeOrder()
    {
        AuditEntry Entry(string id, string resource, int second) => new()
        {
            AuditId = id,
            Timestamp = Records.Epoch.AddSeconds(second),
            Actor = "user-1",
            Action = "image.read",
            ResourceType = "image",
            ResourceId = resource,
            Detail = id,
        };

        await store.AppendAuditAsync(Entry("a3", "img-1", 3));
        await store.AppendAuditAsync(Entry("a1", "img-1", 1));
        await store.AppendAuditAsync(Entry("other", "img-2", 2));
        await store.AppendAuditAsync(Entry("a2", "img-1", 2));
        await store.AppendAuditAsync(Entry("a2-same-time", "img-1", 2));
        await store.AppendAuditAsync(Entry("a1", "img-1", 1)); // a retried append is a no-op

        var entries = await store.ReadAuditAsync("img-1");

        Assert.Equal(["a1", "a2", "a2-same-time", "a3"], entries.Select(e => e.AuditId));
        Assert.Equal(Entry("a2", "img-1", 2), entries[1]);
        Assert.Empty(await store.ReadAuditAsync("img-404"));
    }

    [Fact]
    public async Task GetAsync_WhenStoreReopened_ShouldStillFindRecords()
    {
        await store.CreateAsync(Records.New("img-1"));
        await store.UpdateAsync("img-1", r => r with { Status = ImageStatus.Processing });

        using var reopened = new SqliteRecordStore(temp.File("db/records.db"));
        var stored = await reopened.GetAsync("img-1");

        Assert.NotNull(stored);
        Assert.Equal(2, stored.Version);
        Assert.Equal(ImageStatus.Processing, stored.Status);
    }

    [Fact]
    public async Task GetAsync_WhenDisposed_ShouldThrowObjectDisposed()
    {
        var path = temp.File("disposed.db");
        var disposable = new SqliteRecordStore(path);
        disposable.Dispose();
        disposable.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => disposable.GetAsync("img-1"));
    }
}
