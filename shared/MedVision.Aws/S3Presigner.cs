using Amazon.S3;
using Amazon.S3.Model;
using Amazon.Util;

namespace MedVision.Aws;

/// <summary>Presigned URLs for one bucket, shared by the object store (GET) and the upload sessions (part PUT).</summary>
internal sealed class S3Presigner(IAmazonS3 s3, S3ObjectStoreOptions options)
{
    /// <summary>
    /// Presigns <paramref name="request"/> to expire <see cref="S3ObjectStoreOptions.PresignedUrlLifetime"/> after it is
    /// signed. The SDK stamps X-Amz-Date from its own clock (the system clock, corrected for skew against AWS) and turns
    /// the absolute Expires into X-Amz-Expires against that same clock, with no way to inject another. So Expires is
    /// taken from the SDK's clock too: an injected clock that differs (a test's fake clock) would give a URL that is
    /// already expired or lives for months.
    /// </summary>
    public string Presign(GetPreSignedUrlRequest request, string operation)
    {
        request.BucketName = options.Bucket;
        // X-Amz-Date has whole seconds and the SDK rounds the remainder up, so a fractional Expires gave 3601 s at times;
        // from the whole second it is the lifetime, or a second less when the clock ticks before signing: never more.
        var now = AWSSDKUtils.CorrectedUtcNow;
        request.Expires = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)) + options.PresignedUrlLifetime;
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
