using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core;
using MedVision.Core.Json;
using MedVision.Core.Ports;

namespace MedVision.Local.Twins;

/// <summary>
/// The local twin of S3 multipart uploads over a <see cref="DiskObjectStore"/>: each upload is a folder
/// "{Root}/.mv-uploads/{uploadId}/" holding "session.json" (key and content type) and one file per part
/// ("part-00001"…). The reserved ".mv-" name keeps it out of listings and out of reach of any key. Completion joins
/// the parts into a temp file in the same file system and renames it over the key, so the object appears whole or
/// not at all.
/// </summary>
/// <remarks>
/// <see cref="PartUrl"/> is the file:// URL of the part's file: a local writer (a test, a tool on the same machine)
/// writes the part's bytes to that file, and ListParts / Complete read whatever is there. A local HTTP host that
/// serves uploads over the network calls <see cref="UploadPartAsync"/> from its own PUT route instead. There is no
/// expiry locally. Part ETags are opaque quoted hex, as S3's.
/// </remarks>
public sealed class DiskUploadSessions : IUploadSessions
{
    private const string UploadsFolder = TwinFiles.ReservedPrefix + "uploads";
    private const string SessionFile = "session.json";
    private const string PartPrefix = "part-";

    private readonly DiskObjectStore store;

    public DiskUploadSessions(DiskObjectStore store)
    {
        ArgumentNullException.ThrowIfNull(store);
        this.store = store;
    }

    private string UploadsRoot => Path.Combine(store.Root, UploadsFolder);

    public async Task<UploadSession> BeginAsync(string key, string contentType, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidateKey(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        var session = new UploadSession(key, Guid.NewGuid().ToString("N"));
        var folder = Path.Combine(UploadsRoot, session.UploadId);
        Directory.CreateDirectory(folder);
        var meta = JsonNodes.ToUtf8(new JsonObject { ["key"] = key, ["content_type"] = contentType }, indented: false);
        await TwinFiles.WriteAtomicAsync(Path.Combine(folder, SessionFile), meta, cancellationToken);
        return session;
    }

    public string PartUrl(UploadSession session, int partNumber)
    {
        MultipartUploads.ValidateSession(session);
        MultipartUploads.ValidatePartNumber(partNumber);
        return new Uri(PartPath(FolderOf(session), partNumber)).AbsoluteUri;
    }

    public async Task<IReadOnlyList<UploadedPart>> ListPartsAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        var (folder, _) = await OpenAsync(session, cancellationToken);
        var parts = new List<UploadedPart>();
        foreach (var file in Directory.EnumerateFiles(folder, PartPrefix + "*"))
        {
            if (!int.TryParse(Path.GetFileName(file)[PartPrefix.Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var number))
            {
                continue;
            }

            await using var stream = File.OpenRead(file);
            var hash = await SHA256.HashDataAsync(stream, cancellationToken);
            parts.Add(new UploadedPart(number, ETagOf(hash), stream.Length));
        }

        return parts.OrderBy(p => p.PartNumber).ToList();
    }

    public async Task<UploadedPart> UploadPartAsync(
        UploadSession session, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidatePartNumber(partNumber);
        var (folder, _) = await OpenAsync(session, cancellationToken);
        MultipartUploads.ValidatePartSize(session, content.Length);
        await TwinFiles.WriteAtomicAsync(PartPath(folder, partNumber), content, cancellationToken);
        return new UploadedPart(partNumber, ETagOf(SHA256.HashData(content.Span)), content.Length);
    }

    public async Task<CompletedUpload> CompleteAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        var (folder, contentType) = await OpenAsync(session, cancellationToken);
        var parts = await ListPartsAsync(session, cancellationToken);
        var total = MultipartUploads.CheckCompletable(session, parts);
        if (total > Core.Pipeline.PipelineOptions.MaxUploadBytes)
        {
            await AbortAsync(session, cancellationToken);
            throw MultipartUploads.TooLarge(session, total);
        }

        // Joined inside the upload's own folder (same file system as the objects), then renamed into place.
        var joined = Path.Combine(folder, TwinFiles.ReservedPrefix + "joined");
        await using (var output = new FileStream(joined, FileMode.Create, FileAccess.Write, FileShare.None, 81920, FileOptions.Asynchronous))
        {
            foreach (var part in parts)
            {
                await using var input = File.OpenRead(PartPath(folder, part.PartNumber));
                await input.CopyToAsync(output, cancellationToken);
            }

            output.Flush(flushToDisk: true);
        }

        await store.CommitFileAsync(session.Key, joined, contentType, cancellationToken);
        Directory.Delete(folder, recursive: true);
        return new CompletedUpload(session.Key, total);
    }

    public Task<bool> AbortAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidateSession(session);
        cancellationToken.ThrowIfCancellationRequested();
        var folder = FolderOf(session);
        if (!File.Exists(Path.Combine(folder, SessionFile)))
        {
            return Task.FromResult(false);
        }

        Directory.Delete(folder, recursive: true);
        return Task.FromResult(true);
    }

    /// <summary>The upload's folder and content type; NotFound for an unknown upload or one begun for another key.</summary>
    private async Task<(string Folder, string ContentType)> OpenAsync(UploadSession session, CancellationToken cancellationToken)
    {
        MultipartUploads.ValidateSession(session);
        var folder = FolderOf(session);
        var meta = await TwinFiles.ReadOrNullAsync(Path.Combine(folder, SessionFile), cancellationToken);
        if (meta is null)
        {
            throw MultipartUploads.NotFound(session);
        }

        string? key;
        string? contentType;
        try
        {
            var node = JsonNode.Parse(meta);
            key = node?["key"]?.GetValue<string>();
            contentType = node?["content_type"]?.GetValue<string>();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
        {
            throw new StorageUnavailableException($"Upload {session.UploadId} has a damaged session file.", e);
        }

        if (!string.Equals(key, session.Key, StringComparison.Ordinal) || string.IsNullOrEmpty(contentType))
        {
            throw MultipartUploads.NotFound(session);
        }

        return (folder, contentType);
    }

    /// <summary>Upload ids are this twin's own 32 hex digits; anything else (a path, a dot) names no upload.</summary>
    private string FolderOf(UploadSession session)
    {
        if (session.UploadId.Length != 32 || !session.UploadId.All(char.IsAsciiHexDigitLower))
        {
            throw MultipartUploads.NotFound(session);
        }

        return Path.Combine(UploadsRoot, session.UploadId);
    }

    /// <summary>Opaque like S3's: quoted hex of the content's hash (SHA-256 cut to S3's 16 bytes; MD5 is not needed here).</summary>
    private static string ETagOf(byte[] hash) => $"\"{Convert.ToHexStringLower(hash.AsSpan(0, 16))}\"";

    private static string PartPath(string folder, int partNumber) =>
        Path.Combine(folder, PartPrefix + partNumber.ToString("D5", CultureInfo.InvariantCulture));
}
