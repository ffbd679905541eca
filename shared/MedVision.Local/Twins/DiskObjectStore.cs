using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Core.Storage;

namespace MedVision.Local.Twins;

/// <summary>
/// The S3 twin: each object is a file under <see cref="Root"/> at its key's path, so a key such as
/// "heatmaps/abc/overlay.png" can be opened straight from disk. The content type lives in a sidecar
/// ".mv-meta-{name}.json" next to the file. Names starting with ".mv-" are reserved for sidecars and temp
/// files and are rejected as keys.
/// </summary>
/// <remarks>
/// Safe for concurrent use within one process: writes are atomic renames and each key's file and sidecar
/// change under a per-key lock. Unlike S3, a key cannot also be the "folder" of another key ("a" and "a/b"),
/// because a path cannot be both a file and a directory; such a put fails with an <see cref="IOException"/>.
/// On case-insensitive file systems (macOS, Windows) keys differing only in case share one file.
/// </remarks>
public sealed class DiskObjectStore : IObjectStore
{
    private const string DefaultContentType = "application/octet-stream";
    private const string SidecarPrefix = TwinFiles.ReservedPrefix + "meta-";

    private readonly DiskObjectLayout layout;
    private readonly StripedLock locks = new();

    /// <summary>The bucket name the twin answers for in s3:// URIs.</summary>
    public const string DefaultBucket = DiskObjectLayout.DefaultBucket;

    public DiskObjectStore(string root, string bucket = DefaultBucket)
    {
        layout = new DiskObjectLayout(root, bucket);
        Directory.CreateDirectory(Root);
    }

    /// <summary>Absolute path of the folder holding the objects.</summary>
    public string Root => layout.Root;

    public string Bucket => layout.Bucket;

    public async Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var path = PathFor(key);
        var meta = JsonNodes.ToUtf8(new JsonObject { ["content_type"] = contentType }, indented: false);
        using (await locks.AcquireAsync(key, cancellationToken))
        {
            // Sidecar first: a crash in between leaves at worst an orphan sidecar for a key that does not exist yet.
            await TwinFiles.WriteAtomicAsync(SidecarFor(path), meta, cancellationToken);
            await TwinFiles.WriteAtomicAsync(path, content, cancellationToken);
        }
    }

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathFor(key);
        using (await locks.AcquireAsync(key, cancellationToken))
        {
            if (!File.Exists(path))
            {
                return null;
            }

            var content = await TwinFiles.ReadOrNullAsync(path, cancellationToken);
            if (content is null)
            {
                return null;
            }

            var meta = await TwinFiles.ReadOrNullAsync(SidecarFor(path), cancellationToken);
            return new StoredObject(key, content, ContentTypeFrom(meta));
        }
    }

    /// <summary>
    /// Opens the object's file for reading. Writers replace files by atomic rename, so the open stream keeps reading the
    /// version it opened even if the key is overwritten or deleted meanwhile.
    /// </summary>
    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathFor(key);
        using (await locks.AcquireAsync(key, cancellationToken))
        {
            // File.Exists is false for directories: a key that is only a "folder" of other keys is not an object.
            if (!File.Exists(path))
            {
                return null;
            }

            try
            {
                return new FileStream(
                    path, FileMode.Open, FileAccess.Read, FileShare.Read | FileShare.Delete, 81920, FileOptions.Asynchronous | FileOptions.SequentialScan);
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
            {
                return null;
            }
        }
    }

    /// <summary>
    /// Moves a finished file (on the same file system, e.g. a joined multipart upload under the root's reserved folder)
    /// into place as the object at <paramref name="key"/>: one rename, so readers see the old object or the new one.
    /// </summary>
    internal async Task CommitFileAsync(string key, string file, string contentType, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var path = PathFor(key);
        var meta = JsonNodes.ToUtf8(new JsonObject { ["content_type"] = contentType }, indented: false);
        using (await locks.AcquireAsync(key, cancellationToken))
        {
            await TwinFiles.WriteAtomicAsync(SidecarFor(path), meta, cancellationToken);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.Move(file, path, overwrite: true);
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        var path = PathFor(key);
        using (await locks.AcquireAsync(key, cancellationToken))
        {
            // File.Exists is false for directories, so a key that is only a "folder" of other keys is not deleted.
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            TwinFiles.TryDelete(SidecarFor(path));
            return true;
        }
    }

    public Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ObjectKeyRules.ValidatePrefix(prefix);
        cancellationToken.ThrowIfCancellationRequested();

        // Only walk the deepest folder the prefix fully names, not the whole store.
        var lastSlash = prefix.LastIndexOf('/');
        var start = lastSlash < 0 ? Root : Path.Combine(Root, prefix[..lastSlash].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(start))
        {
            return Task.FromResult<IReadOnlyList<string>>([]);
        }

        var options = new EnumerationOptions
        {
            RecurseSubdirectories = true,
            IgnoreInaccessible = true,
            // The default skips hidden files, which on Unix means every name starting with a dot.
            AttributesToSkip = FileAttributes.None,
        };
        var keys = new List<string>();
        foreach (var file in Directory.EnumerateFiles(start, "*", options))
        {
            var key = Path.GetRelativePath(Root, file).Replace(Path.DirectorySeparatorChar, '/');
            if (key.StartsWith(prefix, StringComparison.Ordinal) && !key.Split('/').Any(IsReserved))
            {
                keys.Add(key);
            }
        }

        keys.Sort(StringComparer.Ordinal);
        return Task.FromResult<IReadOnlyList<string>>(keys);
    }

    public string UrlFor(string key) => new Uri(PathFor(key)).AbsoluteUri;

    /// <summary>Reads an s3://{Bucket}/key URI this twin handed out; null for other buckets or missing keys.</summary>
    public async Task<byte[]?> ReadS3UriAsync(string uri, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(uri);
        if (layout.KeyOf(uri) is not { } key)
        {
            return null;
        }

        try
        {
            return (await GetAsync(key, cancellationToken))?.Content;
        }
        catch (ArgumentException)
        {
            return null; // a key that escapes the root is not an object of this store
        }
    }

    public string S3UriFor(string key) => layout.S3UriFor(key);

    private string PathFor(string key) => layout.PathFor(key);

    private static bool IsReserved(string segment) => DiskObjectLayout.IsReserved(segment);

    private static string SidecarFor(string path) =>
        Path.Combine(Path.GetDirectoryName(path)!, SidecarPrefix + Path.GetFileName(path) + ".json");

    private static string ContentTypeFrom(byte[]? meta)
    {
        if (meta is null)
        {
            return DefaultContentType;
        }

        try
        {
            return JsonNode.Parse(meta)?["content_type"]?.GetValue<string>() ?? DefaultContentType;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // A damaged sidecar should not make the object itself unreadable.
            return DefaultContentType;
        }
    }
}
