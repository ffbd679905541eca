using System.Security.Cryptography;
using MedVision.Core.Reports;

namespace MedVision.Local.Twins;

/// <summary>
/// The embedded default's report-signing key: an ECDSA P-256 key (the curve KMS's ECC_NIST_P256 uses) kept as PKCS#8
/// PEM in the state directory, created on first use with owner-only permissions (0600). The public key sits next to
/// it (report-signing.pub.pem) for `medvision verify-report --public-key`.
/// </summary>
public static class LocalReportKey
{
    public const string PrivateKeyFile = "report-signing.key.pem";
    public const string PublicKeyFile = "report-signing.pub.pem";

    public static EcdsaReportSigner OpenOrCreate(string stateDirectory)
    {
        var directory = Path.Combine(stateDirectory, "keys");
        var path = Path.Combine(directory, PrivateKeyFile);
        var key = ECDsa.Create();
        try
        {
            if (File.Exists(path))
            {
                key.ImportFromPem(File.ReadAllText(path));
                if (key.KeySize != 256)
                {
                    throw new InvalidOperationException($"{path} holds a {key.KeySize}-bit key; report signing needs P-256.");
                }
            }
            else
            {
                key.GenerateKey(ECCurve.NamedCurves.nistP256);
                Create(directory, path, key.ExportPkcs8PrivateKeyPem());
                File.WriteAllText(Path.Combine(directory, PublicKeyFile), key.ExportSubjectPublicKeyInfoPem());
            }

            return new EcdsaReportSigner(key);
        }
        catch
        {
            key.Dispose();
            throw;
        }
    }

    private static void Create(string directory, string path, string pem)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
            File.WriteAllText(path, pem);
            return;
        }

        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        // CreateNew with the mode set at creation: the key is never readable by others, not even for an instant.
        // Two processes racing to create it: the loser fails here and the next open reads the winner's key.
        var options = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };
        using var stream = new FileStream(path, options);
        using var writer = new StreamWriter(stream);
        writer.Write(pem);
    }
}
