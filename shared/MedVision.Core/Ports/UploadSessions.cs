using System.Globalization;
using MedVision.Core.Pipeline;
using MedVision.Core.Storage;

namespace MedVision.Core.Ports;

/// <summary>
/// Multipart uploads of files up to <see cref="PipelineOptions.MaxUploadBytes"/> straight into the object store (S3
/// CreateMultipartUpload / UploadPart / ListParts / CompleteMultipartUpload / AbortMultipartUpload). A client sends the
/// parts itself to <see cref="PartUrl"/> (a presigned PUT in AWS), can ask which parts already arrived to resume, and
/// the service completes the upload, which is where the 50 MB limit is enforced. Until completion nothing is visible
/// at the key.
/// </summary>
/// <remarks>
/// Errors: an unknown or finished upload is <see cref="NotFoundException"/> ("upload.not_found"); a part number outside
/// 1..10000, missing parts or a part other than the last under 5 MiB are <see cref="ValidationException"/>; a total
/// over the limit aborts the upload and is <see cref="PayloadTooLargeException"/>, as for a single-request upload; a
/// store that does not answer is <see cref="StorageUnavailableException"/>.
/// </remarks>
public interface IUploadSessions
{
    /// <summary>Starts an upload that will become the object at <paramref name="key"/> (under <see cref="MultipartUploads.KeyPrefix"/>).</summary>
    Task<UploadSession> BeginAsync(string key, string contentType, CancellationToken cancellationToken = default);

    /// <summary>Where a client PUTs part <paramref name="partNumber"/>'s bytes (presigned, valid for one hour, in AWS).</summary>
    string PartUrl(UploadSession session, int partNumber);

    /// <summary>The parts stored so far, by part number (for resuming an interrupted upload).</summary>
    Task<IReadOnlyList<UploadedPart>> ListPartsAsync(UploadSession session, CancellationToken cancellationToken = default);

    /// <summary>Stores one part through the service itself (the local host, tests); replaces a part with the same number.</summary>
    Task<UploadedPart> UploadPartAsync(UploadSession session, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default);

    /// <summary>
    /// Joins the stored parts 1..N into the object. Over the size limit the upload is aborted first (nothing is left at
    /// the key) and <see cref="PayloadTooLargeException"/> is thrown.
    /// </summary>
    Task<CompletedUpload> CompleteAsync(UploadSession session, CancellationToken cancellationToken = default);

    /// <summary>Discards the upload and its parts; false when there was no such upload.</summary>
    Task<bool> AbortAsync(UploadSession session, CancellationToken cancellationToken = default);
}

/// <param name="Key">The object key the upload completes into.</param>
/// <param name="UploadId">The store's id of the upload (S3's UploadId).</param>
public sealed record UploadSession(string Key, string UploadId);

/// <param name="ETag">The part's entity tag as the store gives it (quoted, as S3 returns it).</param>
public sealed record UploadedPart(int PartNumber, string ETag, long Size);

public sealed record CompletedUpload(string Key, long Size);

/// <summary>The rules every <see cref="IUploadSessions"/> adapter applies, so S3 and the local twin refuse the same uploads.</summary>
public static class MultipartUploads
{
    /// <summary>Where uploads land; the pipeline moves them on from there.</summary>
    public const string KeyPrefix = "uploads/";

    /// <summary>S3's minimum size of every part but the last.</summary>
    public const long MinPartBytes = 5L * 1024 * 1024;

    /// <summary>S3's highest part number.</summary>
    public const int MaxPartNumber = 10_000;

    /// <summary>The key rules of every object store, and under <see cref="KeyPrefix"/>.</summary>
    public static void ValidateKey(string key)
    {
        ObjectKeyRules.ValidateKey(key);
        if (!key.StartsWith(KeyPrefix, StringComparison.Ordinal) || key.Length == KeyPrefix.Length)
        {
            throw new ArgumentException($"Upload key '{key}' must be under '{KeyPrefix}'.", nameof(key));
        }
    }

    public static void ValidateSession(UploadSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        ValidateKey(session.Key);
        ArgumentException.ThrowIfNullOrWhiteSpace(session.UploadId);
    }

    public static void ValidatePartNumber(int partNumber)
    {
        if (partNumber is < 1 or > MaxPartNumber)
        {
            throw new ValidationException(
                "upload.part_number_invalid", $"Part number {partNumber} is outside 1..{MaxPartNumber}.");
        }
    }

    /// <summary>A single part over the whole limit can never complete: refused before it is stored.</summary>
    public static void ValidatePartSize(UploadSession session, long size)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (size > PipelineOptions.MaxUploadBytes)
        {
            throw TooLarge(session, size);
        }
    }

    /// <summary>
    /// Checks the stored parts can be joined (at least one, numbered 1..N without gaps, all but the last at least
    /// <see cref="MinPartBytes"/>) and returns their total size. The size limit is the caller's to apply, because an
    /// upload over it is aborted before the error is thrown.
    /// </summary>
    public static long CheckCompletable(UploadSession session, IReadOnlyList<UploadedPart> parts)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0)
        {
            throw new ValidationException("upload.no_parts", $"Upload {session.UploadId} has no parts to complete.");
        }

        var ordered = parts.OrderBy(p => p.PartNumber).ToList();
        long total = 0;
        for (var i = 0; i < ordered.Count; i++)
        {
            var part = ordered[i];
            if (part.PartNumber != i + 1)
            {
                throw new ValidationException(
                    "upload.part_missing", $"Upload {session.UploadId} is missing part {(i + 1).ToString(CultureInfo.InvariantCulture)}.");
            }

            if (i < ordered.Count - 1 && part.Size < MinPartBytes)
            {
                throw new ValidationException(
                    "upload.part_too_small",
                    $"Part {part.PartNumber} of upload {session.UploadId} is {part.Size} bytes; every part but the last must be at least {MinPartBytes} bytes.");
            }

            total += part.Size;
        }

        return total;
    }

    /// <summary>The same error a single-request upload over the limit gets.</summary>
    public static PayloadTooLargeException TooLarge(UploadSession session, long size)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new PayloadTooLargeException(
            $"Upload {session.UploadId} is {size} bytes; the limit is {PipelineOptions.MaxUploadBytes} bytes (50 MB).");
    }

    public static NotFoundException NotFound(UploadSession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        return new NotFoundException("upload.not_found", $"Upload {session.UploadId} does not exist or has finished.");
    }
}
