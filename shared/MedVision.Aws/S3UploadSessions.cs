using System.Globalization;
using Amazon.S3;
using Amazon.S3.Model;
using MedVision.Core;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;

namespace MedVision.Aws;

/// <summary>
/// Multipart uploads into the S3 bucket (CreateMultipartUpload, presigned UploadPart URLs, ListParts, CompleteMultipartUpload,
/// AbortMultipartUpload), with the rules of <see cref="MultipartUploads"/>. The upload is initiated with SSE-KMS and the
/// stack's key, so every part and the completed object are encrypted with it (parts inherit it; the part URLs carry no
/// encryption headers).
/// </summary>
/// <remarks>
/// <para>Completion lists the parts S3 holds and completes with exactly those, so the 50 MB limit is applied to the bytes
/// that would be joined, however the client sent them; over the limit the upload is aborted before
/// <see cref="PayloadTooLargeException"/> is thrown, leaving nothing at the key. A part other than the last under 5 MiB
/// is refused before S3 is asked (S3 itself answers EntityTooSmall, also a <see cref="ValidationException"/>).</para>
/// <para>Retries: the SDK's standard policy, as for <see cref="S3ObjectStore"/>. UploadPart replaces the same part;
/// ListParts reads; Abort of an already aborted upload answers NoSuchUpload, reported as false. A repeated
/// CreateMultipartUpload (its answer lost) leaves an unused upload behind, which the bucket's
/// AbortIncompleteMultipartUpload lifecycle rule removes. A repeated CompleteMultipartUpload whose first attempt
/// succeeded answers NoSuchUpload: <see cref="NotFoundException"/> "upload.not_found", and the object is at the key.</para>
/// <para>Errors: NoSuchUpload is <see cref="NotFoundException"/> "upload.not_found"; everything else as in
/// <see cref="S3ObjectStore"/>.</para>
/// </remarks>
public sealed class S3UploadSessions : IUploadSessions
{
    private readonly IAmazonS3 s3;
    private readonly S3ObjectStoreOptions options;
    private readonly S3Presigner presigner;

    public S3UploadSessions(IAmazonS3 s3, S3ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.s3 = s3;
        this.options = options;
        presigner = new S3Presigner(s3, options);
    }

    public Task<UploadSession> BeginAsync(string key, string contentType, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidateKey(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        return S3Errors.RunAsync("CreateMultipartUpload", key, async () =>
        {
            var request = new InitiateMultipartUploadRequest { BucketName = options.Bucket, Key = key, ContentType = contentType };
            if (options.KmsKeyId is { } kmsKey)
            {
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                request.ServerSideEncryptionKeyManagementServiceKeyId = kmsKey;
            }

            var response = await s3.InitiateMultipartUploadAsync(request, cancellationToken);
            return new UploadSession(key, response.UploadId);
        }, cancellationToken);
    }

    /// <summary>A presigned UploadPart PUT, valid for <see cref="S3ObjectStoreOptions.PresignedUrlLifetime"/>; the client reads the part's ETag from the answer.</summary>
    public string PartUrl(UploadSession session, int partNumber)
    {
        MultipartUploads.ValidateSession(session);
        MultipartUploads.ValidatePartNumber(partNumber);
        return presigner.Presign(
            new GetPreSignedUrlRequest { Key = session.Key, Verb = HttpVerb.PUT, UploadId = session.UploadId, PartNumber = partNumber },
            "presign UploadPart");
    }

    public async Task<IReadOnlyList<UploadedPart>> ListPartsAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidateSession(session);
        var parts = new List<UploadedPart>();
        string? marker = null;
        while (true)
        {
            var page = await RunAsync(session, "ListParts", () => s3.ListPartsAsync(
                new ListPartsRequest { BucketName = options.Bucket, Key = session.Key, UploadId = session.UploadId, PartNumberMarker = marker },
                cancellationToken), cancellationToken);
            foreach (var part in page.Parts ?? [])
            {
                parts.Add(new UploadedPart(part.PartNumber ?? 0, part.ETag, part.Size ?? 0));
            }

            if (page.IsTruncated != true || page.NextPartNumberMarker is not { } next)
            {
                break;
            }

            marker = next.ToString(CultureInfo.InvariantCulture);
        }

        return parts.OrderBy(p => p.PartNumber).ToList();
    }

    public async Task<UploadedPart> UploadPartAsync(
        UploadSession session, int partNumber, ReadOnlyMemory<byte> content, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidateSession(session);
        MultipartUploads.ValidatePartNumber(partNumber);
        MultipartUploads.ValidatePartSize(session, content.Length);
        return await RunAsync(session, "UploadPart", async () =>
        {
            using var body = S3ObjectStore.AsStream(content);
            var response = await s3.UploadPartAsync(
                new UploadPartRequest
                {
                    BucketName = options.Bucket,
                    Key = session.Key,
                    UploadId = session.UploadId,
                    PartNumber = partNumber,
                    InputStream = body,
                    PartSize = content.Length,
                },
                cancellationToken);
            return new UploadedPart(partNumber, response.ETag, content.Length);
        }, cancellationToken);
    }

    public async Task<CompletedUpload> CompleteAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        var parts = await ListPartsAsync(session, cancellationToken);
        var total = MultipartUploads.CheckCompletable(session, parts);
        if (total > PipelineOptions.MaxUploadBytes)
        {
            await AbortAsync(session, cancellationToken);
            throw MultipartUploads.TooLarge(session, total);
        }

        await RunAsync(session, "CompleteMultipartUpload", () => s3.CompleteMultipartUploadAsync(
            new CompleteMultipartUploadRequest
            {
                BucketName = options.Bucket,
                Key = session.Key,
                UploadId = session.UploadId,
                PartETags = parts.Select(p => new PartETag(p.PartNumber, p.ETag)).ToList(),
            },
            cancellationToken), cancellationToken);
        return new CompletedUpload(session.Key, total);
    }

    public async Task<bool> AbortAsync(UploadSession session, CancellationToken cancellationToken = default)
    {
        MultipartUploads.ValidateSession(session);
        try
        {
            await RunAsync(session, "AbortMultipartUpload", () => s3.AbortMultipartUploadAsync(
                new AbortMultipartUploadRequest { BucketName = options.Bucket, Key = session.Key, UploadId = session.UploadId },
                cancellationToken), cancellationToken);
            return true;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    /// <summary>One call for <paramref name="session"/>: NoSuchUpload becomes "upload.not_found", everything else as in S3Errors.</summary>
    private static async Task<T> RunAsync<T>(UploadSession session, string operation, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (S3Errors.Is(e, "NoSuchUpload"))
        {
            throw MultipartUploads.NotFound(session);
        }
        catch (Exception e) when (S3Errors.Map(operation, $"{session.Key} upload {session.UploadId}", e, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }
}
