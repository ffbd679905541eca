using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Local.Twins;

namespace MedVision.Local.Tests.Twins;

public sealed class DiskObjectStoreTests : IDisposable
{
    private readonly TempDirectory temp = new();
    private readonly DiskObjectStore store;

    public DiskObjectStoreTests() => store = new DiskObjectStore(temp.File("objects"));

    public void Dispose() => temp.Dispose();

    private static byte[] EveryByteValue() => Enumerable.Range(0, 256).Select(i => (byte)i).Reverse().ToArray();

    [Fact]
    public async Task PutAsync_WhenContentHasEveryByteValue_ShouldGetIdenticalBytesAndContentType()
    {
        var content = EveryByteValue();

        await store.PutAsync("heatmaps/abc/overlay.png", content, "image/png");
        var stored = await store.GetAsync("heatmaps/abc/overlay.png");

        Assert.NotNull(stored);
        Assert.Equal("heatmaps/abc/overlay.png", stored.Key);
        Assert.Equal(content, stored.Content);
        Assert.Equal("image/png", stored.ContentType);
    }

    [Fact]
    public async Task PutAsync_WhenKeyHasFolders_ShouldWriteFileAtSameLayoutAsS3Key()
    {
        await store.PutAsync("heatmaps/abc/overlay.png", new byte[] { 1, 2, 3 }, "image/png");

        var path = Path.Combine(store.Root, "heatmaps", "abc", "overlay.png");
        Assert.Equal(new byte[] { 1, 2, 3 }, await File.ReadAllBytesAsync(path));
    }

    [Fact]
    public async Task PutAsync_WhenDone_ShouldLeaveNoTempFiles()
    {
        await store.PutAsync("a/b.bin", new byte[] { 1 }, "application/octet-stream");
        await store.PutAsync("a/b.bin", new byte[] { 2 }, "application/octet-stream");

        var names = Directory.GetFiles(Path.Combine(store.Root, "a")).Select(Path.GetFileName).Order(StringComparer.Ordinal);
        Assert.Equal([".mv-meta-b.bin.json", "b.bin"], names);
    }

    [Fact]
    public async Task PutAsync_WhenKeyExists_ShouldOverwriteContentAndContentType()
    {
        await store.PutAsync("reports/r1/report.json", Encoding.UTF8.GetBytes("{\"v\":1,\"long\":true}"), "application/json");
        await store.PutAsync("reports/r1/report.json", Encoding.UTF8.GetBytes("v2"), "text/plain");

        var stored = await store.GetAsync("reports/r1/report.json");

        Assert.NotNull(stored);
        Assert.Equal("v2", Encoding.UTF8.GetString(stored.Content));
        Assert.Equal("text/plain", stored.ContentType);
    }

    [Fact]
    public async Task PutAsync_WhenContentEmpty_ShouldStoreEmptyObject()
    {
        await store.PutAsync("empty", ReadOnlyMemory<byte>.Empty, "application/octet-stream");

        var stored = await store.GetAsync("empty");

        Assert.NotNull(stored);
        Assert.Empty(stored.Content);
    }

    [Fact]
    public async Task GetAsync_WhenKeyMissing_ShouldReturnNull()
    {
        await store.PutAsync("raw/present.png", new byte[] { 1 }, "image/png");

        Assert.Null(await store.GetAsync("raw/absent.png"));
        Assert.Null(await store.GetAsync("nowhere/absent.png"));
        // A "folder" of other keys is not itself an object.
        Assert.Null(await store.GetAsync("raw"));
    }

    [Fact]
    public async Task DeleteAsync_WhenKeyExists_ShouldRemoveObjectAndReturnTrueOnce()
    {
        await store.PutAsync("analysis/x.json", new byte[] { 7 }, "application/json");

        Assert.True(await store.DeleteAsync("analysis/x.json"));
        Assert.Null(await store.GetAsync("analysis/x.json"));
        Assert.False(await store.DeleteAsync("analysis/x.json"));
        Assert.Empty(await store.ListAsync(""));
        // The sidecar goes too, so nothing is left behind in the folder.
        Assert.Empty(Directory.GetFiles(Path.Combine(store.Root, "analysis")));
    }

    [Fact]
    public async Task ListAsync_WhenPrefixGiven_ShouldReturnMatchingKeysSortedOrdinalWithoutSidecars()
    {
        string[] keys = ["heatmaps/b/overlay.png", "heatmaps/a/thumbnail.png", "heatmaps/a/overlay.png", "heatmaps2/x.png", "raw/Z.png", "raw/a.png", "raw/.hidden"];
        foreach (var key in keys)
        {
            await store.PutAsync(key, new byte[] { 1 }, "image/png");
        }

        Assert.Equal(["heatmaps/a/overlay.png", "heatmaps/a/thumbnail.png", "heatmaps/b/overlay.png"], await store.ListAsync("heatmaps/"));
        Assert.Equal(["heatmaps/a/overlay.png", "heatmaps/a/thumbnail.png", "heatmaps/b/overlay.png", "heatmaps2/x.png"], await store.ListAsync("heat"));
        Assert.Equal(["heatmaps/a/overlay.png", "heatmaps/a/thumbnail.png"], await store.ListAsync("heatmaps/a/"));
        Assert.Equal(["heatmaps/a/thumbnail.png"], await store.ListAsync("heatmaps/a/t"));
        Assert.Equal(["raw/.hidden", "raw/Z.png", "raw/a.png"], await store.ListAsync("raw/"));
        Assert.Equal(keys.Order(StringComparer.Ordinal), await store.ListAsync(""));
        Assert.Empty(await store.ListAsync("missing/"));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/abs")]
    [InlineData("/etc/passwd")]
    [InlineData("a/../../b")]
    [InlineData("a/../b")]
    [InlineData("a\\b")]
    [InlineData("..\\x")]
    [InlineData("")]
    [InlineData("a//b")]
    [InlineData("a/")]
    [InlineData("./a")]
    [InlineData("..")]
    [InlineData("a/\0b")]
    [InlineData(".mv-meta-x.json")]
    [InlineData("a/.mv-tmp-123")]
    public async Task PutAsync_WhenKeyMalformedOrEscapesRoot_ShouldThrowArgumentExceptionAndWriteNothing(string key)
    {
        var error = await Assert.ThrowsAnyAsync<ArgumentException>(() => store.PutAsync(key, new byte[] { 1 }, "image/png"));

        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        Assert.DoesNotContain(
            Directory.EnumerateFileSystemEntries(temp.Path, "*", SearchOption.AllDirectories),
            p => !p.StartsWith(store.Root, StringComparison.Ordinal));
        Assert.Empty(Directory.EnumerateFiles(store.Root, "*", SearchOption.AllDirectories));
    }

    [Theory]
    [InlineData("../x")]
    [InlineData("/abs")]
    [InlineData("a/../../b")]
    [InlineData("a\\b")]
    public async Task GetDeleteUrlFor_WhenKeyEscapesRoot_ShouldThrowArgumentException(string key)
    {
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.GetAsync(key));
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.DeleteAsync(key));
        Assert.ThrowsAny<ArgumentException>(() => store.UrlFor(key));
    }

    [Theory]
    [InlineData("../")]
    [InlineData("/etc")]
    [InlineData("a\\")]
    [InlineData("a/../")]
    public async Task ListAsync_WhenPrefixEscapesRoot_ShouldThrowArgumentException(string prefix) =>
        await Assert.ThrowsAnyAsync<ArgumentException>(() => store.ListAsync(prefix));

    [Fact]
    public async Task UrlFor_WhenKeyValid_ShouldReturnFileUriOfTheObjectsPath()
    {
        await store.PutAsync("reports/r 1/report.json", new byte[] { 1 }, "application/json");

        var url = new Uri(store.UrlFor("reports/r 1/report.json"));

        Assert.Equal(Uri.UriSchemeFile, url.Scheme);
        Assert.Equal(Path.Combine(store.Root, "reports", "r 1", "report.json"), url.LocalPath);
        Assert.True(File.Exists(url.LocalPath));
    }

    [Fact]
    public async Task PutAsync_When50KeysPutInParallel_ShouldAllBeReadable()
    {
        var keys = Enumerable.Range(0, 50).Select(i => $"parallel/{i % 5}/object-{i}.bin").ToArray();

        await Concurrently.RunAsync(keys.Length, i => store.PutAsync(keys[i], BitConverter.GetBytes(i), $"test/{i}"));

        for (var i = 0; i < keys.Length; i++)
        {
            var stored = await store.GetAsync(keys[i]);
            Assert.NotNull(stored);
            Assert.Equal(BitConverter.GetBytes(i), stored.Content);
            Assert.Equal($"test/{i}", stored.ContentType);
        }

        Assert.Equal(keys.Order(StringComparer.Ordinal), await store.ListAsync("parallel/"));
    }

    [Fact]
    public async Task PutAsync_WhenSameKeyWrittenConcurrently_ShouldKeepContentAndContentTypeTogether()
    {
        // Without the per-key lock, one writer's sidecar can land after another writer's content.
        await Concurrently.RunAsync(40, async i =>
        {
            await store.PutAsync("contended.bin", Encoding.UTF8.GetBytes($"writer-{i}"), $"test/writer-{i}");
            var seen = await store.GetAsync("contended.bin");
            Assert.NotNull(seen);
            Assert.Equal(Encoding.UTF8.GetString(seen.Content), seen.ContentType["test/".Length..]);
        });
    }

    /// <summary>Property 3 (upload-retrieve round trip): whatever bytes go in under a valid key come back out.</summary>
    // Feature: medvision-ai-platform, Property 3: whatever bytes go in under a valid key come back out.
    [Property(MaxTest = 200)]
    public Property PutThenGet_WhenBytesAndKeyRandom_ShouldReturnIdenticalBytes()
    {
        var segment = Gen.Elements("abcdefghijklmnopqrstuvwxyzABCXYZ0123456789-_.() =+,@ä漢".ToCharArray())
            .NonEmptyListOf()
            .Select(chars => new string(chars.Take(40).ToArray()))
            // Never ".bin" in the middle, so no key's file can collide with another key's folder.
            .Where(s => s is not "." and not ".." && !s.StartsWith(".mv-", StringComparison.Ordinal) && !s.EndsWith(".bin", StringComparison.Ordinal));
        var keys = Gen.Elements("raw", "preprocessed", "heatmaps", "reports", "analysis")
            .SelectMany(root => segment.ListOf().Select(rest => string.Join('/', new[] { root }.Concat(rest.Take(4)))))
            .Select(k => k + ".bin");
        var cases = Arb.From(Gen.Zip(keys, ArbMap.Default.GeneratorFor<byte[]>()));

        return Prop.ForAll(cases, pair =>
        {
            var (key, bytes) = pair;
            store.PutAsync(key, bytes, "application/octet-stream").GetAwaiter().GetResult();
            var stored = store.GetAsync(key).GetAwaiter().GetResult();
            return stored is not null && stored.Content.AsSpan().SequenceEqual(bytes) && stored.Key == key;
        });
    }
}
