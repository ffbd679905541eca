using System.Security.Cryptography;
using MedVision.Core.Reports;

namespace MedVision.Cli;

/// <summary>`medvision verify-report`: exit 0 valid, 1 invalid (which file changed), 2 bad input.</summary>
public static class VerifyReportCommand
{
    public static int Run(string target, string? publicKeyPath, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var signaturePath = Directory.Exists(target) ? Path.Combine(target, ReportSignatures.SignatureFileName) : target;
        var folder = Path.GetDirectoryName(Path.GetFullPath(signaturePath))!;
        var pdfPath = Path.Combine(folder, ReportSignatures.PdfFileName);
        var jsonPath = Path.Combine(folder, ReportSignatures.JsonFileName);
        foreach (var path in new[] { signaturePath, pdfPath, jsonPath })
        {
            if (!File.Exists(path))
            {
                error.WriteLine($"error: {path} does not exist");
                return 2;
            }
        }

        try
        {
            byte[]? trusted = null;
            if (publicKeyPath is not null)
            {
                using var key = ECDsa.Create();
                key.ImportFromPem(File.ReadAllText(publicKeyPath));
                trusted = key.ExportSubjectPublicKeyInfo();
            }

            var file = ReportSignatures.Parse(File.ReadAllBytes(signaturePath));
            var result = ReportSignatures.Verify(file, File.ReadAllBytes(pdfPath), File.ReadAllBytes(jsonPath), trusted);
            if (result.Valid)
            {
                output.WriteLine($"valid: report {file.ReportId} signed by key {result.KeyId} ({file.Algorithm}) at {file.SignedAt:O}");
                return 0;
            }

            error.WriteLine($"INVALID: report {file.ReportId}: {result.Message}");
            return 1;
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or CryptographicException or IOException)
        {
            error.WriteLine($"error: {signaturePath}: {ex.Message}");
            return 2;
        }
    }
}
