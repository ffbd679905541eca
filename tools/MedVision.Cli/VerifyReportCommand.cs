using System.Security.Cryptography;
using MedVision.Core.Reports;

namespace MedVision.Cli;

/// <summary>`medvision verify-report`: exit 0 valid, 1 invalid (which file changed), 2 bad input.</summary>
public static class VerifyReportCommand
{
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        string? target = null;
        string? publicKeyPath = null;
        for (var i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--public-key":
                    publicKeyPath = i + 1 < args.Length ? args[++i] : throw new UsageException("--public-key needs a file");
                    break;
                default:
                    if (args[i].StartsWith('-') || target is not null)
                    {
                        throw new UsageException($"unexpected argument '{args[i]}'");
                    }

                    target = args[i];
                    break;
            }
        }

        if (target is null)
        {
            throw new UsageException("verify-report needs a report folder or its report.sig.json");
        }

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
