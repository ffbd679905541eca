namespace MedVision.Core.Ports;

/// <summary>
/// Signs report manifests (a detached signature over report.pdf and report.json). Shaped after KMS Sign/Verify with
/// an ECC_NIST_P256 key and ECDSA_SHA_256 over a RAW message, so the AWS adapter is a drop-in: the signature is
/// DER-encoded (as KMS returns it) and the message is small (KMS RAW messages are capped at 4096 bytes).
/// </summary>
public interface IReportSigner
{
    Task<ReportSignatureValue> SignAsync(byte[] message, CancellationToken ct = default);

    Task<bool> VerifyAsync(byte[] message, byte[] signature, string keyId, CancellationToken ct = default);
}

/// <param name="Algorithm">KMS signing algorithm name, e.g. ECDSA_SHA_256.</param>
/// <param name="KeyId">Which key signed: a key fingerprint locally, a key ARN in AWS.</param>
/// <param name="Signature">DER-encoded ECDSA signature.</param>
/// <param name="PublicKeySpki">The public key (X.509 SubjectPublicKeyInfo, DER) when the signer can give it out.</param>
public sealed record ReportSignatureValue(string Algorithm, string KeyId, byte[] Signature, byte[]? PublicKeySpki);
