namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// One oracle case: a synthetic image, a JPEG made from it (by dcmcjpeg with <see cref="Encode"/>, or by
/// <see cref="LosslessJpegTestEncoder"/> when <see cref="Lossless"/> is set), and dcmdjpeg's decode of that JPEG
/// (with <see cref="Decode"/> options). <see cref="Extremes"/> swaps the synthetic image for
/// <see cref="DicomJpegOracle.Extremes"/>. <see cref="Crafted"/> supplies a hand-made codestream instead (no original
/// image), wrapped as <see cref="TransferSyntax"/>.
/// </summary>
internal sealed record DcmtkCase(string Name, int Width, int Height, int Bits, int Samples, string[] Encode, string[]? Decode = null,
    LosslessParameters? Lossless = null, bool Extremes = false, Func<byte[]>? Crafted = null, string? TransferSyntax = null)
{
    /// <summary>Stable across runs (string.GetHashCode is not), so a failing case can be reproduced.</summary>
    public int Seed => Name.Aggregate(17, (h, c) => unchecked((h * 31) + c));
}

/// <summary>Parameters for <see cref="LosslessJpegTestEncoder.Encode"/>.</summary>
internal sealed record LosslessParameters(int Precision, int Predictor, int PointTransform = 0, int RestartInterval = 0, bool Interleaved = true);

/// <summary>What the oracle produced for a case; <see cref="Error"/> says why not, when a tool refused it.</summary>
internal sealed record DcmtkResult(DcmtkCase Case, ushort[] Original, byte[]? Jpeg, DecodedPixels? Expected, string? Error);

/// <summary>
/// Builds a whole case list once per test class (xunit class fixture): every native DICOM in one pydicom run, the
/// DCMTK tools per case, then every codestream and decoded pixel buffer in a second pydicom run. Built on first use,
/// after the test has checked the tools are there.
/// </summary>
public abstract class DcmtkCorpus : IDisposable
{
    private readonly Lock gate = new();
    private readonly string directory = Path.Combine(Path.GetTempPath(), "medvision-dcmtk-jpeg-" + Guid.NewGuid().ToString("N"));
    private Dictionary<string, DcmtkResult>? results;

    internal abstract IReadOnlyList<DcmtkCase> Cases { get; }

    /// <summary>The case's result, or null when the oracle tools are missing (the test then ends, skipped with a note).</summary>
    internal DcmtkResult? Get(Oracle oracle, string name)
    {
        if (!DicomJpegOracle.Require(oracle))
        {
            return null;
        }

        lock (gate)
        {
            results ??= Build();
        }

        return results[name];
    }

    public void Dispose()
    {
        if (Directory.Exists(directory))
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private Dictionary<string, DcmtkResult> Build()
    {
        Directory.CreateDirectory(directory);
        var oracle = new DicomJpegOracle(directory);
        var originals = new Dictionary<string, ushort[]>();
        foreach (var c in Cases)
        {
            var samples = c.Extremes
                ? DicomJpegOracle.Extremes(c.Width, c.Height, c.Samples, c.Bits)
                : DicomJpegOracle.Synthetic(c.Width, c.Height, c.Samples, c.Bits, c.Seed);
            originals[c.Name] = samples;
            if (c.Crafted is { } craft)
            {
                File.WriteAllBytes(oracle.PathOf(c.Name + ".jpg"), craft());
                oracle.Encapsulate(c.Name + ".jpg", c.Name + ".c.dcm", c.Width, c.Height, c.Bits, c.Samples, c.TransferSyntax!);
            }
            else if (c.Lossless is { } p)
            {
                var jpeg = LosslessJpegTestEncoder.Encode(samples, c.Width, c.Height, c.Samples, p.Precision, p.Predictor, p.PointTransform,
                    p.RestartInterval, p.Interleaved);
                File.WriteAllBytes(oracle.PathOf(c.Name + ".jpg"), jpeg);
                oracle.Encapsulate(c.Name + ".jpg", c.Name + ".c.dcm", c.Width, c.Height, c.Bits, c.Samples, DicomJpegOracle.LosslessTransferSyntax);
            }
            else
            {
                File.WriteAllBytes(oracle.PathOf(c.Name + ".raw"), DicomJpegOracle.ToBytes(samples, c.Bits));
                oracle.Native(c.Name + ".raw", c.Name + ".n.dcm", c.Width, c.Height, c.Bits, c.Samples);
            }
        }

        oracle.RunPython();
        var errors = new Dictionary<string, string>();
        foreach (var c in Cases)
        {
            var made = c.Lossless is not null || c.Crafted is not null;
            var error = !made ? oracle.Dcmtk("dcmcjpeg", c.Encode, c.Name + ".n.dcm", c.Name + ".c.dcm") : null;
            error ??= oracle.Dcmtk("dcmdjpeg", c.Decode ?? [], c.Name + ".c.dcm", c.Name + ".d.dcm");
            if (error is not null)
            {
                errors[c.Name] = error;
                continue;
            }

            if (!made)
            {
                oracle.Frame(c.Name + ".c.dcm", c.Name + ".jpg");
            }

            oracle.Pixels(c.Name + ".d.dcm", c.Name + ".d.raw");
        }

        oracle.RunPython();
        return Cases.ToDictionary(
            c => c.Name,
            c => errors.TryGetValue(c.Name, out var error)
                ? new DcmtkResult(c, originals[c.Name], null, null, error)
                : new DcmtkResult(c, originals[c.Name], File.ReadAllBytes(oracle.PathOf(c.Name + ".jpg")), oracle.ReadPixels(c.Name + ".d.raw"), null));
    }
}
