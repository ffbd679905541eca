using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.S3;
using MedVision.Core;

namespace MedVision.Aws;

/// <summary>
/// How the S3 adapters turn what the SDK throws into core exceptions: S3 error answers go through the shared
/// <see cref="AwsErrorMapper"/> (with S3's own error codes first), and every failure without an answer (no connection,
/// a dropped connection, a timeout, a body cut short) is <see cref="StorageUnavailableException"/>. The caller's own
/// cancellation stays an <see cref="OperationCanceledException"/>.
/// </summary>
internal static class S3Errors
{
    /// <summary>
    /// S3's codes. AccessDenied (403) is <see cref="AwsErrorKind.Unavailable"/>, like every 403 in the shared mapping:
    /// it comes from IAM or the KMS key policy (or an expired session), not from the caller's input, so the state
    /// machine's bounded retries cover a policy or credential still propagating, and a lasting denial ends in the
    /// workflow's failure path with "AccessDenied" in the message. KMS failures behind SSE-KMS are the same.
    /// </summary>
    private static readonly Dictionary<string, AwsErrorKind> Types = new(StringComparer.Ordinal)
    {
        ["NoSuchKey"] = AwsErrorKind.NotFound,
        ["NoSuchUpload"] = AwsErrorKind.NotFound,
        ["NotFound"] = AwsErrorKind.NotFound,
        ["NoSuchBucket"] = AwsErrorKind.Unavailable,
        ["AccessDenied"] = AwsErrorKind.Unavailable,
        ["SlowDown"] = AwsErrorKind.Unavailable,
        ["InternalError"] = AwsErrorKind.Unavailable,
        ["KMS.DisabledException"] = AwsErrorKind.Unavailable,
        ["KMS.NotFoundException"] = AwsErrorKind.Unavailable,
        ["KMS.KMSInvalidStateException"] = AwsErrorKind.Unavailable,
        ["KMS.ThrottlingException"] = AwsErrorKind.Unavailable,
        ["EntityTooSmall"] = AwsErrorKind.Invalid,
        ["InvalidPart"] = AwsErrorKind.Invalid,
        ["InvalidPartOrder"] = AwsErrorKind.Invalid,
        ["InvalidArgument"] = AwsErrorKind.Invalid,
        ["InvalidRequest"] = AwsErrorKind.Invalid,
    };

    public static readonly AwsErrorMapper Mapper =
        new("S3", AwsExceptions.Store("storage.invalid_request", "storage.not_found", "storage.conflict"), Types);

    /// <summary>True when the SDK's exception is S3's answer with this error code.</summary>
    public static bool Is(Exception e, string code) => e is AmazonS3Exception s3 && string.Equals(s3.ErrorCode, code, StringComparison.Ordinal);

    /// <summary>True for S3's "no such key" in every shape: NoSuchKey from GET, a bare 404 from HEAD.</summary>
    public static bool IsMissingKey(Exception e) =>
        e is AmazonS3Exception s3 && (s3.ErrorCode is "NoSuchKey" or "NotFound" || (s3.StatusCode == System.Net.HttpStatusCode.NotFound && s3.ErrorCode is null or ""));

    /// <summary>
    /// Runs one SDK call (the SDK has already retried what it retries) and maps whatever it throws. The message names the
    /// operation and the key (an id), never content.
    /// </summary>
    public static async Task<T> RunAsync<T>(string operation, string key, Func<Task<T>> call, CancellationToken cancellationToken)
    {
        try
        {
            return await call();
        }
        catch (Exception e) when (Map(operation, key, e, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    public static async Task RunAsync(string operation, string key, Func<Task> call, CancellationToken cancellationToken)
    {
        try
        {
            await call();
        }
        catch (Exception e) when (Map(operation, key, e, cancellationToken) is { } mapped)
        {
            throw mapped;
        }
    }

    /// <summary>The core exception for <paramref name="e"/>, or null to let it through (the caller's cancellation, a core exception).</summary>
    public static Exception? Map(string operation, string key, Exception e, CancellationToken cancellationToken)
    {
        switch (e)
        {
            case OperationCanceledException when cancellationToken.IsCancellationRequested:
            case MedVisionException:
                return null;
            case AmazonServiceException service when service.StatusCode != 0:
                return Mapper.ToException(
                    new AwsError((int)service.StatusCode, service.ErrorCode ?? "", service.Message), $"{operation} {key}");
            case AmazonServiceException or AmazonClientException or HttpRequestException or IOException or SocketException
                or OperationCanceledException or TimeoutException:
                // No answer to map: the connection failed, dropped or timed out after the SDK's retries.
                return Mapper.Unavailable($"{operation} {key}", $"no answer ({e.GetType().Name})", e);
            default:
                return null;
        }
    }
}
