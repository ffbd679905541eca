using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using MedVision.Core;
using MedVision.Core.Ports;
using MedVision.Core.Reports;

namespace MedVision.Aws;

/// <summary>Which KMS key signs reports. <see cref="Endpoint"/> overrides the regional URL (tests, VPC endpoints).</summary>
/// <param name="KeyId">Key id, key ARN, alias name (alias/…) or alias ARN of an ECC_NIST_P256 SIGN_VERIFY key.</param>
public sealed record KmsOptions(string Region, string KeyId)
{
    public Uri? Endpoint { get; init; }

    public Uri EndpointUri => Endpoint ?? new Uri($"https://kms.{Region}.amazonaws.com/");
}

/// <summary>
/// The report-signing port over AWS KMS (JSON 1.1 protocol, SigV4 service <c>kms</c>): Sign with ECDSA_SHA_256 over
/// the RAW manifest, and the key's public key (GetPublicKey, cached per key ARN) carried in the result so
/// <c>medvision verify-report</c> can check a report offline.
/// </summary>
/// <remarks>
/// <para><see cref="VerifyAsync"/> asks KMS (Verify) rather than checking locally: the caller names a key id that may
/// be an alias or a different key than the one this signer signs with, and KMS is the authority on what that id means
/// now (disabled, deleted, re-pointed alias). Offline checking is what the SPKI in the signature file is for.</para>
/// <para>Requests go through <see cref="AwsHttp"/> (signed by its <see cref="SigV4Handler"/>); errors (the
/// <c>__type</c> of KMS's error JSON, with its message) through the shared <see cref="AwsErrorMapper"/> with KMS's own
/// types: NotFoundException → <see cref="NotFoundException"/>; DisabledException, KMSInvalidStateException,
/// InvalidKeyUsageException, UnsupportedOperationException → <see cref="ConflictException"/> (the key cannot sign
/// until someone fixes it, so it is not retried); other 4xx → <see cref="ValidationException"/>; throttling,
/// LimitExceededException, KMSInternalException, KeyUnavailableException, DependencyTimeoutException,
/// ExpiredTokenException and InvalidSignatureException (expired session token, clock skew: both heal on retry),
/// 401/403, 5xx and network failures → <see cref="StorageUnavailableException"/>, which the state machine
/// retries.</para>
/// </remarks>
public sealed class KmsReportSigner : IReportSigner
{
    public const string Service = "kms";
    public const string SignTarget = "TrentService.Sign";
    public const string VerifyTarget = "TrentService.Verify";
    public const string GetPublicKeyTarget = "TrentService.GetPublicKey";
    private const string MessageTypeRaw = "RAW";

    /// <summary>KMS rejects RAW messages over 4096 bytes; failing here names the cause instead of a 400.</summary>
    public const int MaxRawMessageBytes = 4096;

    /// <summary>KMS's own error types; the ones every service shares are the mapper's.</summary>
    private static readonly Dictionary<string, AwsErrorKind> ErrorTypes = new(StringComparer.Ordinal)
    {
        ["DisabledException"] = AwsErrorKind.Conflict,
        ["KMSInvalidStateException"] = AwsErrorKind.Conflict,
        ["InvalidKeyUsageException"] = AwsErrorKind.Conflict,
        ["UnsupportedOperationException"] = AwsErrorKind.Conflict,
        ["LimitExceededException"] = AwsErrorKind.Unavailable,
        ["KMSInternalException"] = AwsErrorKind.Unavailable,
        ["KeyUnavailableException"] = AwsErrorKind.Unavailable,
        ["DependencyTimeoutException"] = AwsErrorKind.Unavailable,
    };

    private readonly AwsHttp aws;
    private readonly KmsOptions options;
    private readonly ConcurrentDictionary<string, byte[]> publicKeys = new(StringComparer.Ordinal);

    /// <param name="http">Signs for KMS in the key's region: <c>AwsHttp.CreateClient(KmsReportSigner.Service, region, credentials, time)</c>.</param>
    public KmsReportSigner(HttpClient http, KmsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.KeyId);
        aws = new AwsHttp(http, new AwsErrorMapper("KMS", AwsExceptions.Store("kms.invalid_request", "kms.key_not_found", "kms.key_unusable"), ErrorTypes));
        this.options = options;
    }

    public async Task<ReportSignatureValue> SignAsync(byte[] message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        CheckSize(message);
        var request = new KmsSignRequest(options.KeyId, message, MessageTypeRaw, ReportSignatures.Algorithm);
        var signed = await CallAsync(SignTarget, request, KmsJsonContext.Default.KmsSignRequest, KmsJsonContext.Default.KmsSignResponse, ct);
        if (signed.Signature is not { Length: > 0 } signature || string.IsNullOrEmpty(signed.KeyId))
        {
            throw new StorageUnavailableException("KMS Sign: the answer carried no Signature or KeyId.");
        }

        if (signed.SigningAlgorithm is { } algorithm && algorithm != ReportSignatures.Algorithm)
        {
            throw new StorageUnavailableException($"KMS Sign: asked for {ReportSignatures.Algorithm}, got {algorithm}.");
        }

        // Fetch the public key by the ARN Sign answered with, not by the configured id: an alias re-pointed between
        // the two calls would otherwise pair this signature with another key's public key.
        var spki = await PublicKeyAsync(signed.KeyId, ct);

        // A signature file whose carried key does not verify its signature would only fail later, at verify-report
        // time, with no one to retry it; check it now while a retry is still possible.
        using (var key = ImportP256(spki, signed.KeyId))
        {
            if (!key.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence))
            {
                publicKeys.TryRemove(signed.KeyId, out _);
                throw new StorageUnavailableException($"KMS Sign: the signature does not verify with {signed.KeyId}'s public key.");
            }
        }

        return new ReportSignatureValue(ReportSignatures.Algorithm, signed.KeyId, signature, (byte[])spki.Clone());
    }

    /// <summary>KMS Verify. False for a signature that does not match (KMS answers KMSInvalidSignatureException).</summary>
    public async Task<bool> VerifyAsync(byte[] message, byte[] signature, string keyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(signature);
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        CheckSize(message);
        var request = new KmsVerifyRequest(keyId, message, MessageTypeRaw, signature, ReportSignatures.Algorithm);
        try
        {
            var verified = await CallAsync(VerifyTarget, request, KmsJsonContext.Default.KmsVerifyRequest, KmsJsonContext.Default.KmsVerifyResponse, ct);
            return verified.SignatureValid == true;
        }
        catch (KmsInvalidSignature)
        {
            return false;
        }
    }

    /// <summary>The key's SubjectPublicKeyInfo (DER), asked of KMS once per key ARN.</summary>
    public async Task<byte[]> PublicKeyAsync(string keyId, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        if (publicKeys.TryGetValue(keyId, out var cached))
        {
            return cached;
        }

        var answer = await CallAsync(
            GetPublicKeyTarget, new KmsGetPublicKeyRequest(keyId), KmsJsonContext.Default.KmsGetPublicKeyRequest, KmsJsonContext.Default.KmsGetPublicKeyResponse, ct);
        if (answer.PublicKey is not { Length: > 0 } spki)
        {
            throw new StorageUnavailableException($"KMS GetPublicKey {keyId}: the answer carried no PublicKey.");
        }

        if (answer.KeyUsage is { } usage && usage != "SIGN_VERIFY")
        {
            throw new ConflictException("kms.key_unusable", $"KMS key {keyId} has KeyUsage {usage}; report signing needs SIGN_VERIFY.");
        }

        using (ImportP256(spki, keyId))
        {
            // Only checks that it is a P-256 key; the signature check happens in SignAsync.
        }

        publicKeys[keyId] = spki;
        return spki;
    }

    private static void CheckSize(byte[] message)
    {
        if (message.Length > MaxRawMessageBytes)
        {
            throw new ValidationException("kms.message_too_large", $"KMS signs RAW messages of at most {MaxRawMessageBytes} bytes; this one has {message.Length}.");
        }
    }

    private static ECDsa ImportP256(byte[] spki, string keyId)
    {
        var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
            if (key.KeySize != 256)
            {
                throw new ConflictException("kms.key_unusable", $"KMS key {keyId} is a {key.KeySize}-bit key; report signing needs ECC_NIST_P256.");
            }

            return key;
        }
        catch (CryptographicException e)
        {
            key.Dispose();
            throw new ConflictException("kms.key_unusable", $"KMS key {keyId} is not an EC key ({e.Message}); report signing needs ECC_NIST_P256.");
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private async Task<TResponse> CallAsync<TRequest, TResponse>(
        string target, TRequest request, JsonTypeInfo<TRequest> requestType, JsonTypeInfo<TResponse> responseType, CancellationToken ct)
    {
        var operation = target[(target.IndexOf('.', StringComparison.Ordinal) + 1)..];
        var body = JsonSerializer.SerializeToUtf8Bytes(request, requestType);
        var answer = await aws.SendJsonAsync(options.EndpointUri, AwsJsonProtocol.Json11, target, body, operation, ct);
        if (answer.IsSuccess)
        {
            return aws.ReadJson(answer, responseType, operation);
        }

        var error = answer.Error();
        throw error.Type == "KMSInvalidSignatureException" ? new KmsInvalidSignature() : aws.Errors.ToException(error, operation);
    }

    /// <summary>Verify's "this signature does not match": an answer, not a failure, so it never leaves this class.</summary>
    private sealed class KmsInvalidSignature : Exception;
}

internal sealed record KmsSignRequest(
    [property: JsonPropertyName("KeyId")] string KeyId,
    [property: JsonPropertyName("Message")] byte[] Message,
    [property: JsonPropertyName("MessageType")] string MessageType,
    [property: JsonPropertyName("SigningAlgorithm")] string SigningAlgorithm);

internal sealed record KmsSignResponse(
    [property: JsonPropertyName("KeyId")] string? KeyId,
    [property: JsonPropertyName("Signature")] byte[]? Signature,
    [property: JsonPropertyName("SigningAlgorithm")] string? SigningAlgorithm);

internal sealed record KmsVerifyRequest(
    [property: JsonPropertyName("KeyId")] string KeyId,
    [property: JsonPropertyName("Message")] byte[] Message,
    [property: JsonPropertyName("MessageType")] string MessageType,
    [property: JsonPropertyName("Signature")] byte[] Signature,
    [property: JsonPropertyName("SigningAlgorithm")] string SigningAlgorithm);

internal sealed record KmsVerifyResponse(
    [property: JsonPropertyName("KeyId")] string? KeyId,
    [property: JsonPropertyName("SignatureValid")] bool? SignatureValid,
    [property: JsonPropertyName("SigningAlgorithm")] string? SigningAlgorithm);

internal sealed record KmsGetPublicKeyRequest([property: JsonPropertyName("KeyId")] string KeyId);

internal sealed record KmsGetPublicKeyResponse(
    [property: JsonPropertyName("KeyId")] string? KeyId,
    [property: JsonPropertyName("PublicKey")] byte[]? PublicKey,
    [property: JsonPropertyName("KeyUsage")] string? KeyUsage,
    [property: JsonPropertyName("KeySpec")] string? KeySpec);

[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(KmsSignRequest))]
[JsonSerializable(typeof(KmsSignResponse))]
[JsonSerializable(typeof(KmsVerifyRequest))]
[JsonSerializable(typeof(KmsVerifyResponse))]
[JsonSerializable(typeof(KmsGetPublicKeyRequest))]
[JsonSerializable(typeof(KmsGetPublicKeyResponse))]
internal sealed partial class KmsJsonContext : JsonSerializerContext;
