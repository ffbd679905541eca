using System.Runtime.InteropServices;
using Amazon.S3;
using Amazon.S3.Model;
using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Core.Storage;

namespace MedVision.Aws;

/// <summary>
/// The object store on Amazon S3 (AWSSDK.S3): one bucket, the callers' keys in the spec's layout (raw/, preprocessed/,
/// heatmaps/, reports/, analysis/, uploads/), checked by the same <see cref="ObjectKeyRules"/> as the disk twin, so a
/// key either adapter refuses is refused by both (<see cref="ArgumentException"/>). Every put asks for SSE-KMS with
/// the stack's key when <see cref="S3ObjectStoreOptions.KmsKeyId"/> is set.
/// </summary>
/// <remarks>
/// <para>Retries: the client's SDK retry policy (standard mode) and nothing more here. It retries throttling
/// (503 SlowDown), 5xx, timeouts and dropped connections; every call this adapter makes is safe to repeat: PutObject
/// replaces the whole object with the same bytes, GET/HEAD/LIST read, DeleteObject is idempotent. A connection reset
/// before any answer may also be resent by .NET's connection pool, so the wire can see more attempts than the SDK's
/// count (S3ObjectStoreFaultTests measures both). A body cut short while the caller streams it is not retried: the
/// read throws <see cref="StorageUnavailableException"/>.</para>
/// <para>Errors: a missing key is null/false, never an exception. Every other S3 answer goes through the shared
/// <see cref="AwsErrorMapper"/> (codes "storage.invalid_request" / "storage.not_found"); throttling, 5xx, 403
/// AccessDenied (IAM or key policy; see S3Errors), a missing bucket and every failure without an answer (after the
/// SDK's retries) are <see cref="StorageUnavailableException"/>, which the state machine retries. No SDK or HTTP
/// exception reaches the caller. Messages carry the operation and the key, never content.</para>
/// <para>Delete: S3's DeleteObject answers 204 whether or not the key existed, so <see cref="DeleteAsync"/> asks HEAD
/// first to answer "did it exist". A delete racing another writer may answer from the HEAD's moment; the port only
/// promises the object is gone afterwards.</para>
/// </remarks>
public sealed class S3ObjectStore : IObjectStore
{
    private readonly IAmazonS3 s3;
    private readonly S3ObjectStoreOptions options;
    private readonly S3Presigner presigner;

    public S3ObjectStore(IAmazonS3 s3, S3ObjectStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(s3);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.s3 = s3;
        this.options = options;
        presigner = new S3Presigner(s3, options);
    }

    public string Bucket => options.Bucket;

    public Task PutAsync(string key, ReadOnlyMemory<byte> content, string contentType, CancellationToken cancellationToken = default)
    {
        ObjectKeyRules.ValidateKey(key);
        ArgumentException.ThrowIfNullOrWhiteSpace(contentType);
        return S3Errors.RunAsync("PutObject", key, async () =>
        {
            // A seekable stream over the caller's bytes: the SDK rewinds it for each retry.
            using var body = AsStream(content);
            var request = new PutObjectRequest
            {
                BucketName = options.Bucket,
                Key = key,
                InputStream = body,
                AutoCloseStream = false,
                ContentType = contentType,
            };
            if (options.KmsKeyId is { } kmsKey)
            {
                request.ServerSideEncryptionMethod = ServerSideEncryptionMethod.AWSKMS;
                request.ServerSideEncryptionKeyManagementServiceKeyId = kmsKey;
            }

            await s3.PutObjectAsync(request, cancellationToken);
        }, cancellationToken);
    }

    public async Task<StoredObject?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKeyRules.ValidateKey(key);
        try
        {
            return await S3Errors.RunAsync("GetObject", key, async () =>
            {
                using var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = options.Bucket, Key = key }, cancellationToken);
                using var buffer = new MemoryStream(response.ContentLength is > 0 and <= int.MaxValue ? (int)response.ContentLength : 0);
                await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
                return new StoredObject(key, buffer.ToArray(), ContentTypeOf(response));
            }, cancellationToken);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    /// <summary>Streams the object's body (the 50 MB uploads): the caller disposes the stream, which frees the connection.</summary>
    public async Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKeyRules.ValidateKey(key);
        try
        {
            return await S3Errors.RunAsync<Stream>("GetObject", key, async () =>
            {
                var response = await s3.GetObjectAsync(new GetObjectRequest { BucketName = options.Bucket, Key = key }, cancellationToken);
                return new S3ReadStream(response, key);
            }, cancellationToken);
        }
        catch (NotFoundException)
        {
            return null;
        }
    }

    public async Task<bool> DeleteAsync(string key, CancellationToken cancellationToken = default)
    {
        ObjectKeyRules.ValidateKey(key);
        if (!await ExistsAsync(key, cancellationToken))
        {
            return false;
        }

        await S3Errors.RunAsync(
            "DeleteObject", key, () => s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = options.Bucket, Key = key }, cancellationToken),
            cancellationToken);
        return true;
    }

    public async Task<IReadOnlyList<string>> ListAsync(string prefix, CancellationToken cancellationToken = default)
    {
        ObjectKeyRules.ValidatePrefix(prefix);
        var keys = new List<string>();
        string? token = null;
        do
        {
            var page = await S3Errors.RunAsync("ListObjectsV2", prefix, () => s3.ListObjectsV2Async(
                new ListObjectsV2Request
                {
                    BucketName = options.Bucket,
                    Prefix = prefix,
                    ContinuationToken = token,
                    MaxKeys = options.ListPageSize,
                },
                cancellationToken), cancellationToken);
            if (page.S3Objects is { } objects)
            {
                keys.AddRange(objects.Select(o => o.Key));
            }

            token = page.IsTruncated == true ? page.NextContinuationToken : null;
        }
        while (token is not null);

        // S3 lists in UTF-8 byte order; ordinal UTF-16 order is what the disk twin returns.
        keys.Sort(StringComparer.Ordinal);
        return keys;
    }

    /// <summary>A presigned GET valid for <see cref="S3ObjectStoreOptions.PresignedUrlLifetime"/> (one hour) from signing.</summary>
    public string UrlFor(string key)
    {
        ObjectKeyRules.ValidateKey(key);
        return presigner.Presign(new GetPreSignedUrlRequest { Key = key, Verb = HttpVerb.GET }, "presign GetObject");
    }

    public string S3UriFor(string key)
    {
        ObjectKeyRules.ValidateKey(key);
        return $"s3://{options.Bucket}/{key}";
    }

    private async Task<bool> ExistsAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            await S3Errors.RunAsync(
                "HeadObject", key, () => s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = options.Bucket, Key = key }, cancellationToken),
                cancellationToken);
            return true;
        }
        catch (NotFoundException)
        {
            return false;
        }
    }

    private static string ContentTypeOf(GetObjectResponse response) =>
        string.IsNullOrEmpty(response.Headers.ContentType) ? "application/octet-stream" : response.Headers.ContentType;

    internal static MemoryStream AsStream(ReadOnlyMemory<byte> content) =>
        MemoryMarshal.TryGetArray(content, out var segment) && segment.Array is not null
            ? new MemoryStream(segment.Array, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(content.ToArray(), writable: false);
}
