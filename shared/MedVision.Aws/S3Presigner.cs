using Amazon.S3;
using Amazon.S3.Model;

namespace MedVision.Aws;

/// <summary>Presigned URLs for one bucket, shared by the object store (GET) and the upload sessions (part PUT).</summary>
internal sealed class S3Presigner(IAmazonS3 s3, S3ObjectStoreOptions options, TimeProvider time)
{
    /// <summary>
    /// Presigns <paramref name="request"/> to expire <see cref="S3ObjectStoreOptions.PresignedUrlLifetime"/> after the
    /// injected clock's now. The SDK signs with its own clock (X-Amz-Date, corrected for skew) and turns Expires into
    /// X-Amz-Expires from it, so in production the injected clock is the system clock and the two agree.
    /// </summary>
    public string Presign(GetPreSignedUrlRequest request, string operation)
    {
        request.BucketName = options.Bucket;
        request.Expires = time.GetUtcNow().UtcDateTime + options.PresignedUrlLifetime;
        // The SDK writes https unless told otherwise; an endpoint override on plain http (moto, a local stand-in) keeps http.
        if (s3.Config.ServiceURL is { } url && url.StartsWith("http://", StringComparison.OrdinalIgnoreCase))
        {
            request.Protocol = Protocol.HTTP;
        }

        try
        {
            return s3.GetPreSignedURL(request);
        }
        catch (Exception e) when (S3Errors.Map(operation, request.Key, e, CancellationToken.None) is { } mapped)
        {
            throw mapped; // e.g. no credentials to sign with
        }
    }
}
