namespace MedVision.Core.Storage;

/// <summary>
/// Where the disk twin of S3 keeps each object: the file at the key's path under <see cref="Root"/>. The rules that map a
/// key (or an s3://{Bucket}/key URI) to that file live here, so the object store that writes the folder
/// (MedVision.Local's DiskObjectStore) and the model server that only reads it (for s3:// inputs) share one
/// implementation without the model server depending on the local twins.
/// </summary>
public sealed class DiskObjectLayout
{
    /// <summary>The bucket name the disk twin answers for in s3:// URIs.</summary>
    public const string DefaultBucket = "medvision-local";

    /// <summary>Names starting with this are the twins' own files (temp files, sidecars), never objects.</summary>
    public const string ReservedPrefix = ".mv-";

    private readonly string rootWithSeparator;

    public DiskObjectLayout(string root, string bucket = DefaultBucket)
    {
        ArgumentNullException.ThrowIfNull(bucket);
        Bucket = bucket;
        rootWithSeparator = NormalizeRoot(root);
        Root = rootWithSeparator.TrimEnd(Path.DirectorySeparatorChar);
    }

    /// <summary>Absolute path of the folder holding the objects.</summary>
    public string Root { get; }

    public string Bucket { get; }

    /// <summary>The full path of a root with a trailing separator, for "is inside the root" checks.</summary>
    public static string NormalizeRoot(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        var full = Path.GetFullPath(root);
        return full.EndsWith(Path.DirectorySeparatorChar) ? full : full + Path.DirectorySeparatorChar;
    }

    public static bool IsReserved(string segment)
    {
        ArgumentNullException.ThrowIfNull(segment);
        return segment.StartsWith(ReservedPrefix, StringComparison.Ordinal);
    }

    /// <summary>The key an s3://{Bucket}/key URI names, or null for another bucket or scheme.</summary>
    public string? KeyOf(string s3Uri)
    {
        ArgumentNullException.ThrowIfNull(s3Uri);
        var prefix = $"s3://{Bucket}/";
        return s3Uri.StartsWith(prefix, StringComparison.Ordinal) ? s3Uri[prefix.Length..] : null;
    }

    public string S3UriFor(string key)
    {
        _ = PathFor(key); // the same key rules as every other operation
        return $"s3://{Bucket}/{key}";
    }

    /// <summary>
    /// Reads the object an s3://{Bucket}/key URI names; null for other buckets, keys that are not plain relative keys
    /// and missing objects. Writers replace files by atomic rename, so a read sees a whole object or none.
    /// </summary>
    public async Task<byte[]?> ReadS3UriAsync(string s3Uri, CancellationToken cancellationToken)
    {
        if (KeyOf(s3Uri) is not { } key)
        {
            return null;
        }

        string path;
        try
        {
            path = PathFor(key);
        }
        catch (ArgumentException)
        {
            return null; // a key that escapes the root is not an object of this store
        }

        try
        {
            return await File.ReadAllBytesAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>Maps a key to its file path, rejecting anything that is not a plain relative S3-style key.</summary>
    public string PathFor(string key)
    {
        ObjectKeyRules.ValidateKey(key);
        var path = Path.GetFullPath(Path.Combine(Root, key.Replace('/', Path.DirectorySeparatorChar)));
        // Belt and braces: the checks above should make this impossible, but escaping the root must never happen.
        if (!path.StartsWith(rootWithSeparator, StringComparison.Ordinal))
        {
            throw new ArgumentException($"Object key '{key}' resolves outside the store root.", nameof(key));
        }

        return path;
    }
}
