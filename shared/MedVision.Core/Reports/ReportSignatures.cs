using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using MedVision.Core.Ports;

namespace MedVision.Core.Reports;

/// <summary>report.sig.json: a detached signature over the SHA-256 digests of report.pdf and report.json.</summary>
public sealed record ReportSignatureFile
{
    public const string CurrentFormat = "medvision-report-signature/1";

    public required string Format { get; init; }
    public required string ReportId { get; init; }
    public required string Algorithm { get; init; }
    public required string KeyId { get; init; }
    public string? PublicKeySpki { get; init; }
    public required string ReportPdfSha256 { get; init; }
    public required string ReportJsonSha256 { get; init; }
    public required string Signature { get; init; }
    public required DateTimeOffset SignedAt { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ReportSignatureFile))]
public sealed partial class ReportSignatureJsonContext : JsonSerializerContext;

/// <summary>Outcome of checking a report's files against its signature file.</summary>
/// <param name="ChangedFiles">Files whose digest differs from the signed one (report.pdf, report.json).</param>
public sealed record ReportVerification(bool Valid, string KeyId, IReadOnlyList<string> ChangedFiles, string Message);

public static class ReportSignatures
{
    public const string Algorithm = "ECDSA_SHA_256";
    public const string PdfFileName = "report.pdf";
    public const string JsonFileName = "report.json";
    public const string SignatureFileName = "report.sig.json";

    /// <summary>
    /// The signed bytes: a fixed-order line format (not JSON, so no serializer choice can change it) binding the
    /// report id to both digests.
    /// </summary>
    public static byte[] Manifest(string reportId, string pdfSha256, string jsonSha256) =>
        Encoding.UTF8.GetBytes(string.Create(
            CultureInfo.InvariantCulture,
            $"{ReportSignatureFile.CurrentFormat}\nreport_id={reportId}\n{PdfFileName} sha256={pdfSha256}\n{JsonFileName} sha256={jsonSha256}\n"));

    public static string Sha256Hex(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));

    public static async Task<ReportSignatureFile> SignAsync(
        IReportSigner signer, string reportId, byte[] pdf, byte[] json, DateTimeOffset now, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(signer);
        var pdfHash = Sha256Hex(pdf);
        var jsonHash = Sha256Hex(json);
        var value = await signer.SignAsync(Manifest(reportId, pdfHash, jsonHash), ct);
        return new ReportSignatureFile
        {
            Format = ReportSignatureFile.CurrentFormat,
            ReportId = reportId,
            Algorithm = value.Algorithm,
            KeyId = value.KeyId,
            PublicKeySpki = value.PublicKeySpki is { } spki ? Convert.ToBase64String(spki) : null,
            ReportPdfSha256 = pdfHash,
            ReportJsonSha256 = jsonHash,
            Signature = Convert.ToBase64String(value.Signature),
            SignedAt = now,
        };
    }

    public static byte[] Serialize(ReportSignatureFile file) =>
        JsonSerializer.SerializeToUtf8Bytes(file, ReportSignatureJsonContext.Default.ReportSignatureFile);

    /// <summary>Parses a signature file; <see cref="FormatException"/> with the reason when it is not one.</summary>
    public static ReportSignatureFile Parse(byte[] content)
    {
        ReportSignatureFile? file;
        try
        {
            file = JsonSerializer.Deserialize(content, ReportSignatureJsonContext.Default.ReportSignatureFile);
        }
        catch (JsonException ex)
        {
            throw new FormatException($"Not a report signature file: {ex.Message}", ex);
        }

        if (file is null || file.Format != ReportSignatureFile.CurrentFormat)
        {
            throw new FormatException($"Not a report signature file: format must be {ReportSignatureFile.CurrentFormat}.");
        }

        if (file.Algorithm != Algorithm)
        {
            throw new FormatException($"Unsupported signature algorithm {file.Algorithm}; expected {Algorithm}.");
        }

        return file;
    }

    /// <summary>
    /// Checks both digests, then the signature over the manifest with <paramref name="trustedSpki"/> (a key the caller
    /// trusts) or, failing that, the public key carried in the file. The carried key proves the files are unchanged
    /// since signing; only a trusted key proves who signed.
    /// </summary>
    public static ReportVerification Verify(ReportSignatureFile file, byte[] pdf, byte[] json, byte[]? trustedSpki = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        var changed = new List<string>();
        if (!string.Equals(Sha256Hex(pdf), file.ReportPdfSha256, StringComparison.OrdinalIgnoreCase))
        {
            changed.Add(PdfFileName);
        }

        if (!string.Equals(Sha256Hex(json), file.ReportJsonSha256, StringComparison.OrdinalIgnoreCase))
        {
            changed.Add(JsonFileName);
        }

        byte[] spki;
        byte[] signature;
        try
        {
            spki = trustedSpki ?? Convert.FromBase64String(file.PublicKeySpki
                ?? throw new FormatException("The signature file carries no public key; pass the signer's public key."));
            signature = Convert.FromBase64String(file.Signature);
        }
        catch (FormatException ex)
        {
            throw new FormatException($"Bad key or signature encoding: {ex.Message}", ex);
        }

        if (changed.Count > 0)
        {
            return new ReportVerification(false, file.KeyId, changed, $"changed since signing: {string.Join(", ", changed)}");
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(spki, out _);
        }
        catch (CryptographicException ex)
        {
            throw new FormatException($"Not an EC public key (SPKI): {ex.Message}", ex);
        }

        var manifest = Manifest(file.ReportId, file.ReportPdfSha256.ToLowerInvariant(), file.ReportJsonSha256.ToLowerInvariant());
        var ok = key.VerifyData(manifest, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return ok
            ? new ReportVerification(true, file.KeyId, [], $"valid, signed by key {file.KeyId}")
            : new ReportVerification(false, file.KeyId, [], "the signature does not match (signature file altered, or signed by a different key)");
    }
}

/// <summary>
/// ECDSA P-256 signer over a key held in process (the local twin loads it from the state directory). The key id is
/// the SHA-256 fingerprint of the public key, so a verifier can tell keys apart without a registry.
/// </summary>
public sealed class EcdsaReportSigner : IReportSigner
{
    private readonly ECDsa key;
    private readonly byte[] spki;

    public EcdsaReportSigner(ECDsa key)
    {
        ArgumentNullException.ThrowIfNull(key);
        this.key = key;
        spki = key.ExportSubjectPublicKeyInfo();
        KeyId = "sha256:" + ReportSignatures.Sha256Hex(spki)[..32];
    }

    public string KeyId { get; }

    public byte[] PublicKeySpki => (byte[])spki.Clone();

    public Task<ReportSignatureValue> SignAsync(byte[] message, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var signature = key.SignData(message, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence);
        return Task.FromResult(new ReportSignatureValue(ReportSignatures.Algorithm, KeyId, signature, PublicKeySpki));
    }

    public Task<bool> VerifyAsync(byte[] message, byte[] signature, string keyId, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(signature);
        return Task.FromResult(keyId == KeyId
            && key.VerifyData(message, signature, HashAlgorithmName.SHA256, DSASignatureFormat.Rfc3279DerSequence));
    }
}
