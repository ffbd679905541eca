using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Local.Twins;

/// <summary>
/// The HealthImaging twin: each image set is a folder root/{datastoreId}/{imageSetId}/ holding the Part 10 file
/// (instance.dcm) and a metadata.json (ids, byte size, stored-at time, SHA-256 of the content).
/// </summary>
/// <remarks>
/// The image set id is derived from the image id (first 16 bytes of its SHA-256, lowercase hex: HealthImaging's
/// 32-character format), so storing the same image again lands in the same set: retries are idempotent, and a
/// store of identical bytes keeps the original metadata. Storing different bytes for the same image replaces them.
/// Safe for concurrent use within one process (per-image-set lock, atomic file writes). Input that is not a Part 10
/// file (no "DICM" at byte 128) is refused with <see cref="ValidationException"/> <c>archive.not_part10</c>, as
/// HealthImaging refuses it.
/// </remarks>
public sealed class DiskImageArchive : IImageArchive
{
    public const string InstanceFileName = "instance.dcm";
    public const string MetadataFileName = "metadata.json";

    private readonly string datastoreRoot;
    private readonly TimeProvider time;
    private readonly StripedLock locks = new();

    public DiskImageArchive(string root, TimeProvider time, string datastoreId = "local-datastore")
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentException.ThrowIfNullOrWhiteSpace(datastoreId);
        // The datastore id becomes a folder name, so it must not be able to navigate.
        if (datastoreId is "." or ".." || !datastoreId.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
        {
            throw new ArgumentException($"Datastore id '{datastoreId}' may only hold letters, digits, '-', '_' and '.'.", nameof(datastoreId));
        }

        this.time = time;
        DatastoreId = datastoreId;
        datastoreRoot = Path.Combine(Path.GetFullPath(root), datastoreId);
        Directory.CreateDirectory(datastoreRoot);
    }

    public string DatastoreId { get; }

    /// <summary>The image set id an image id is stored under: first 16 bytes of SHA-256(UTF-8 id), lowercase hex.</summary>
    public static string ImageSetIdFor(string imageId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(imageId);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(imageId)).AsSpan(0, 16));
    }

    /// <summary>Folder of an image set (whether or not it exists), for tools that want the files themselves.</summary>
    public string FolderFor(string imageSetId) => Path.Combine(datastoreRoot, NormalizeImageSetId(imageSetId));

    public string UrlFor(string imageSetId) => new Uri(Path.Combine(FolderFor(imageSetId), InstanceFileName)).AbsoluteUri;

    public async Task<ArchivedImageSet> StoreAsync(string imageId, ReadOnlyMemory<byte> part10, CancellationToken cancellationToken = default)
    {
        if (part10.Length < 132 || !part10.Span.Slice(128, 4).SequenceEqual("DICM"u8))
        {
            throw new ValidationException("archive.not_part10", $"Image {imageId} is not a DICOM Part 10 file (no DICM prefix at byte 128).");
        }

        var imageSetId = ImageSetIdFor(imageId);
        var folder = Path.Combine(datastoreRoot, imageSetId);
        var instancePath = Path.Combine(folder, InstanceFileName);
        var metadataPath = Path.Combine(folder, MetadataFileName);
        var sha256 = Convert.ToHexStringLower(SHA256.HashData(part10.Span));

        using (await locks.AcquireAsync(imageSetId, cancellationToken))
        {
            if (File.Exists(instancePath) && await StoredSha256Async(metadataPath, cancellationToken) == sha256)
            {
                return new ArchivedImageSet(DatastoreId, imageSetId);
            }

            var metadata = new JsonObject
            {
                ["datastore_id"] = DatastoreId,
                ["image_set_id"] = imageSetId,
                ["image_id"] = imageId,
                ["byte_size"] = part10.Length,
                ["stored_at"] = time.GetUtcNow().UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["sha256"] = sha256,
            };

            // Content first, metadata last: metadata with a matching hash means the content is complete,
            // so a crash in between just makes the next retry write both again.
            await TwinFiles.WriteAtomicAsync(instancePath, part10, cancellationToken);
            await TwinFiles.WriteAtomicAsync(metadataPath, JsonNodes.ToUtf8(metadata), cancellationToken);
        }

        return new ArchivedImageSet(DatastoreId, imageSetId);
    }

    public async Task<byte[]?> GetAsync(string imageSetId, CancellationToken cancellationToken = default)
    {
        var id = NormalizeImageSetId(imageSetId);
        using (await locks.AcquireAsync(id, cancellationToken))
        {
            return await TwinFiles.ReadOrNullAsync(Path.Combine(datastoreRoot, id, InstanceFileName), cancellationToken);
        }
    }

    public async Task<bool> DeleteAsync(string imageSetId, CancellationToken cancellationToken = default)
    {
        var id = NormalizeImageSetId(imageSetId);
        var folder = Path.Combine(datastoreRoot, id);
        using (await locks.AcquireAsync(id, cancellationToken))
        {
            if (!Directory.Exists(folder))
            {
                return false;
            }

            Directory.Delete(folder, recursive: true);
            return true;
        }
    }

    private static string NormalizeImageSetId(string imageSetId)
    {
        ArgumentNullException.ThrowIfNull(imageSetId);
        if (imageSetId.Length != 32 || !imageSetId.All(char.IsAsciiHexDigit))
        {
            throw new ArgumentException($"Image set id '{imageSetId}' is not 32 hexadecimal characters.", nameof(imageSetId));
        }

        // Ids are written lowercase; accept either case so a path lookup never depends on the caller's casing.
        return imageSetId.ToLowerInvariant();
    }

    private static async Task<string?> StoredSha256Async(string metadataPath, CancellationToken cancellationToken)
    {
        var bytes = await TwinFiles.ReadOrNullAsync(metadataPath, cancellationToken);
        if (bytes is null)
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(bytes)?["sha256"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            // Unreadable metadata: treat as absent so the store rewrites it.
            return null;
        }
    }
}
