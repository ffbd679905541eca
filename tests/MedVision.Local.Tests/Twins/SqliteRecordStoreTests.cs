using System.Text;
using MedVision.Core;
using MedVision.Core.Images;
using MedVision.Local.Twins;
using MedVision.Testing;

namespace MedVision.Local.Tests.Twins;

/// <summary>What only the SQLite twin has (a file, a cursor in milliseconds); the shared behaviour is RecordStoreContract in Aws.Tests.</summary>
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
    public async Task QueryByUserAsync_WhenCursorIsWellFormed_ShouldBeOpaqueBase64()
    {
        await store.CreateAsync(TestRecords.New("a", "user-1", TestRecords.Epoch));
        await store.CreateAsync(TestRecords.New("b", "user-1", TestRecords.Epoch.AddSeconds(1)));

        var page = await store.QueryByUserAsync("user-1", 1, null);

        Assert.NotNull(page.NextCursor);
        Assert.DoesNotContain("|", page.NextCursor, StringComparison.Ordinal);
        Assert.Equal($"{TestRecords.Epoch.AddSeconds(1).ToUnixTimeMilliseconds()}|b", Encoding.UTF8.GetString(System.Buffers.Text.Base64Url.DecodeFromChars(page.NextCursor)));
    }

    [Fact]
    public async Task GetAsync_WhenStoreReopened_ShouldStillFindRecords()
    {
        await store.CreateAsync(TestRecords.New("img-1"));
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
