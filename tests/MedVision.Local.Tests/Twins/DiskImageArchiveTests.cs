using System.Security.Cryptography;
using System.Text.Json.Nodes;
using MedVision.Core.Ports;
using MedVision.Local.Twins;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Local.Tests.Twins;

public sealed class DiskImageArchiveTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2025, 3, 1, 12, 30, 45, 123, TimeSpan.Zero));
    private readonly DiskImageArchive archive;

    public DiskImageArchiveTests() => archive = new DiskImageArchive(temp.File("archive"), clock);

    public void Dispose() => temp.Dispose();

    private static byte[] FakePart10(int seed)
    {
        var bytes = new byte[1024];
        new Random(seed).NextBytes(bytes);
        "DICM"u8.CopyTo(bytes.AsSpan(128));
        return bytes;
    }

    [Fact]
    public async Task StoreAsync_WhenStored_ShouldWriteInstanceAndMetadataUnderDatastoreAndImageSet()
    {
        var part10 = FakePart10(1);

        var set = await archive.StoreAsync("img-1", part10);

        Assert.Equal(new ArchivedImageSet("local-datastore", DiskImageArchive.ImageSetIdFor("img-1")), set);
        var folder = Path.Combine(temp.Path, "archive", "local-datastore", set.ImageSetId);
        Assert.Equal(part10, await File.ReadAllBytesAsync(Path.Combine(folder, "instance.dcm")));
        var metadata = JsonNode.Parse(await File.ReadAllBytesAsync(Path.Combine(folder, "metadata.json")))!.AsObject();
        Assert.Equal(set.ImageSetId, (string?)metadata["image_set_id"]);
        Assert.Equal("img-1", (string?)metadata["image_id"]);
        Assert.Equal("local-datastore", (string?)metadata["datastore_id"]);
        Assert.Equal(1024, (int?)metadata["byte_size"]);
        Assert.Equal("2025-03-01T12:30:45.123Z", (string?)metadata["stored_at"]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(part10)), (string?)metadata["sha256"]);
        Assert.Equal(folder, archive.FolderFor(set.ImageSetId));
    }

    [Fact]
    public void ImageSetIdFor_WhenCalled_ShouldBe32LowercaseHexDerivedFromSha256OfImageId()
    {
        var id = DiskImageArchive.ImageSetIdFor("img-1");

        Assert.Matches("^[0-9a-f]{32}$", id);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData("img-1"u8))[..32], id);
        Assert.NotEqual(id, DiskImageArchive.ImageSetIdFor("img-2"));
    }

    [Fact]
    public async Task StoreAsync_WhenRetriedWithSameBytes_ShouldReturnSameSetAndKeepOriginalMetadata()
    {
        var part10 = FakePart10(2);
        var first = await archive.StoreAsync("img-1", part10);
        clock.Advance(TimeSpan.FromMinutes(5));

        var second = await archive.StoreAsync("img-1", part10);

        Assert.Equal(first, second);
        var metadata = JsonNode.Parse(await File.ReadAllBytesAsync(Path.Combine(archive.FolderFor(first.ImageSetId), "metadata.json")))!;
        Assert.Equal("2025-03-01T12:30:45.123Z", (string?)metadata["stored_at"]);
        Assert.Single(Directory.GetDirectories(Path.Combine(temp.Path, "archive", "local-datastore")));
    }

    [Fact]
    public async Task StoreAsync_WhenStoredAgainWithDifferentBytes_ShouldReplaceContentAndMetadata()
    {
        var set = await archive.StoreAsync("img-1", FakePart10(3));
        clock.Advance(TimeSpan.FromSeconds(1));
        var replacement = FakePart10(4);

        await archive.StoreAsync("img-1", replacement);

        Assert.Equal(replacement, await archive.GetAsync(set.ImageSetId));
        var metadata = JsonNode.Parse(await File.ReadAllBytesAsync(Path.Combine(archive.FolderFor(set.ImageSetId), "metadata.json")))!;
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(replacement)), (string?)metadata["sha256"]);
        Assert.Equal("2025-03-01T12:30:46.123Z", (string?)metadata["stored_at"]);
    }

    [Fact]
    public async Task GetAsync_WhenStored_ShouldReturnPart10BytesAndNullWhenMissing()
    {
        var part10 = FakePart10(5);
        var set = await archive.StoreAsync("img-1", part10);

        Assert.Equal(part10, await archive.GetAsync(set.ImageSetId));
        Assert.Equal(part10, await archive.GetAsync(set.ImageSetId.ToUpperInvariant()));
        Assert.Null(await archive.GetAsync(DiskImageArchive.ImageSetIdFor("never-stored")));
    }

    [Fact]
    public async Task DeleteAsync_WhenStored_ShouldRemoveTheImageSetAndReturnTrueOnce()
    {
        var set = await archive.StoreAsync("img-1", FakePart10(6));
        var other = await archive.StoreAsync("img-2", FakePart10(7));

        Assert.True(await archive.DeleteAsync(set.ImageSetId));
        Assert.Null(await archive.GetAsync(set.ImageSetId));
        Assert.False(Directory.Exists(archive.FolderFor(set.ImageSetId)));
        Assert.False(await archive.DeleteAsync(set.ImageSetId));
        Assert.NotNull(await archive.GetAsync(other.ImageSetId));
    }

    [Fact]
    public async Task StoreAsync_WhenManyImagesStoredInParallel_ShouldStoreEach()
    {
        var sets = await Concurrently.RunAsync(30, i => archive.StoreAsync($"img-{i}", FakePart10(i)));

        Assert.Equal(30, sets.Select(s => s.ImageSetId).Distinct().Count());
        for (var i = 0; i < sets.Length; i++)
        {
            Assert.Equal(FakePart10(i), await archive.GetAsync(sets[i].ImageSetId));
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("../../../../etc/passwd")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789abcdef/123456789abcdef")]
    public async Task GetAndDeleteAsync_WhenImageSetIdNot32Hex_ShouldThrowArgumentException(string imageSetId)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => archive.GetAsync(imageSetId));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => archive.DeleteAsync(imageSetId));
    }

    [Theory]
    [InlineData("..")]
    [InlineData("a/b")]
    [InlineData("a\\b")]
    [InlineData(" ")]
    public void Constructor_WhenDatastoreIdCouldNavigate_ShouldThrowArgumentException(string datastoreId) =>
        Assert.ThrowsAny<ArgumentException>(() => new DiskImageArchive(temp.File("archive"), clock, datastoreId));

    [Fact]
    public async Task StoreAsync_WhenCustomDatastore_ShouldUseItInPathAndResult()
    {
        var custom = new DiskImageArchive(temp.File("archive"), clock, "ds-2");

        var set = await custom.StoreAsync("img-1", FakePart10(8));

        Assert.Equal("ds-2", set.DatastoreId);
        Assert.True(File.Exists(Path.Combine(temp.Path, "archive", "ds-2", set.ImageSetId, "instance.dcm")));
        Assert.Null(await archive.GetAsync(set.ImageSetId));
    }
}
