using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;

namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// Plumbing for the DCMTK oracle: native DICOM files in, dcmcjpeg/dcmdjpeg run on them, JPEG codestreams and decoded
/// pixel data out. DICOM reading and writing goes through pydicom (dicom_jpeg_oracle.py, one interpreter start per
/// batch), so the expected pixels never pass through MedVision's own code.
/// </summary>
internal sealed class DicomJpegOracle(string directory)
{
    /// <summary>JPEG Lossless, Non-Hierarchical (Process 14): any predictor.</summary>
    public const string LosslessTransferSyntax = "1.2.840.10008.1.2.4.57";

    private readonly List<string> manifest = [];

    public string Directory { get; } = directory;

    /// <summary>The helper next to the test assembly when the project copies it there, else beside this source file.</summary>
    public static string Script => File.Exists(Path.Combine(AppContext.BaseDirectory, "Jpeg", ScriptName))
        ? Path.Combine(AppContext.BaseDirectory, "Jpeg", ScriptName)
        : Path.Combine(SourceDirectory(), ScriptName);

    private const string ScriptName = "dicom_jpeg_oracle.py";

    /// <summary>DCMTK and pydicom present (else skip, or fail under MEDVISION_REQUIRE_ORACLES=1); the helper script must be.</summary>
    public static bool Require(Oracle oracle)
    {
        if (!File.Exists(Script))
        {
            throw new FileNotFoundException($"The oracle helper {ScriptName} is missing from the test sources.", Script);
        }

        return oracle.Require("dcmcjpeg", "dcmdjpeg") && oracle.RequirePython("pydicom");
    }

    public string PathOf(string name) => Path.Combine(Directory, name);

    public void Native(string raw, string dcm, int width, int height, int bitsStored, int samples) =>
        Add("native", PathOf(raw), PathOf(dcm), width, height, bitsStored, samples);

    public void Encapsulate(string jpg, string dcm, int width, int height, int bitsStored, int samples, string transferSyntax) =>
        Add("encap", PathOf(jpg), PathOf(dcm), width, height, bitsStored, samples, transferSyntax);

    public void Frame(string dcm, string jpg) => Add("frame", PathOf(dcm), PathOf(jpg));

    public void Pixels(string dcm, string raw) => Add("pixels", PathOf(dcm), PathOf(raw));

    /// <summary>Runs every queued pydicom operation in one interpreter and clears the queue.</summary>
    public void RunPython()
    {
        if (manifest.Count == 0)
        {
            return;
        }

        var path = PathOf($"manifest-{Guid.NewGuid():N}.tsv");
        File.WriteAllLines(path, manifest);
        manifest.Clear();
        Oracle.RunOk(Oracle.Python, Script, path);
    }

    /// <summary>Runs a DCMTK tool; on failure returns its stderr (so a case can report what the oracle refused).</summary>
    public string? Dcmtk(string tool, IEnumerable<string> options, string input, string output)
    {
        var (exit, _, stderr) = Oracle.Run(tool, [.. options, PathOf(input), PathOf(output)]);
        return exit == 0 ? null : $"{tool} exited {exit}: {stderr}";
    }

    /// <summary>dcmdjpeg's decoded pixels (via <see cref="Pixels"/>): the samples and the pixel module it wrote.</summary>
    public DecodedPixels ReadPixels(string raw)
    {
        var fields = File.ReadAllText(PathOf(raw) + ".txt").Split(' ', StringSplitOptions.TrimEntries);
        var info = fields.Take(5).Select(f => int.Parse(f, CultureInfo.InvariantCulture)).ToArray();
        // Odd-length 8-bit pixel data carries a DICOM pad byte at the end.
        var samples = FromBytes(File.ReadAllBytes(PathOf(raw)), info[3]).AsSpan(0, info[0] * info[1] * info[2]).ToArray();
        return new DecodedPixels(info[1], info[0], info[2], info[3], info[4], fields[5], int.Parse(fields[6], CultureInfo.InvariantCulture), samples);
    }

    /// <summary>Native pixel data as DICOM stores it: bytes up to 8 bits, little-endian 16-bit words above.</summary>
    public static byte[] ToBytes(ushort[] samples, int bits)
    {
        if (bits <= 8)
        {
            return [.. samples.Select(s => (byte)s)];
        }

        var bytes = new byte[samples.Length * 2];
        for (var i = 0; i < samples.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), samples[i]);
        }

        return bytes;
    }

    public static ushort[] FromBytes(byte[] bytes, int bitsAllocated)
    {
        if (bitsAllocated == 8)
        {
            return [.. bytes.Select(b => (ushort)b)];
        }

        var samples = new ushort[bytes.Length / 2];
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i));
        }

        return samples;
    }

    /// <summary>Every sample of a raster, interleaved, widened to ushort.</summary>
    public static ushort[] SamplesOf(Raster raster) =>
        raster.BitDepth == 8 ? [.. raster.Data.Select(b => (ushort)b)] : raster.Samples16.ToArray();

    /// <summary>
    /// Gradients in different directions per component, a checkerboard of hard edges, a saturated band at each end of
    /// the range and noise: smooth areas, high frequencies, clamping at 0 and the maximum, and large lossless differences.
    /// </summary>
    public static ushort[] Synthetic(int width, int height, int components, int bits, int seed)
    {
        var max = (1 << bits) - 1;
        var random = new Random(seed);
        var samples = new ushort[width * height * components];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < components; c++)
                {
                    double value = c switch
                    {
                        0 => x / (double)Math.Max(1, width - 1),
                        1 => y / (double)Math.Max(1, height - 1),
                        _ => (x + y) / (double)Math.Max(1, width + height - 2),
                    };
                    value = (value * 0.7) + ((((x / 7) + (y / 5)) % 2 == 0) ? 0.25 : 0) + ((random.NextDouble() - 0.5) * 0.08);
                    var sample = (int)Math.Round(value * max);
                    if (x % 17 == 3)
                    {
                        sample = y % 2 == 0 ? 0 : max; // saturated stripes: overshoot and undershoot around them
                    }

                    samples[(((y * width) + x) * components) + c] = (ushort)Math.Clamp(sample, 0, max);
                }
            }
        }

        return samples;
    }

    /// <summary>
    /// Neighbours half the range apart in every direction (0, 2^(b-1), 2^(b-1)-1, 2^b-1 in a 2x2-periodic pattern): at
    /// 16 bits every lossless difference is 32768, which T.81 codes as category 16 with no extra bits.
    /// </summary>
    public static ushort[] Extremes(int width, int height, int components, int bits)
    {
        var half = 1 << (bits - 1);
        var samples = new ushort[width * height * components];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < components; c++)
                {
                    samples[(((y * width) + x) * components) + c] = (ushort)((((x + y + c) & 1) * half) + (((y >> 1) & 1) * (half - 1)));
                }
            }
        }

        return samples;
    }

    /// <summary>Largest absolute difference and how many samples differ at all.</summary>
    public static (int Max, int Count) Compare(ReadOnlySpan<ushort> actual, ReadOnlySpan<ushort> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var (max, count) = (0, 0);
        for (var i = 0; i < actual.Length; i++)
        {
            var d = Math.Abs(actual[i] - expected[i]);
            if (d > 0)
            {
                count++;
                max = Math.Max(max, d);
            }
        }

        return (max, count);
    }

    private static string SourceDirectory([CallerFilePath] string here = "") => Path.GetDirectoryName(here)!;

    private void Add(string operation, params object[] fields)
    {
        var line = new StringBuilder(operation);
        foreach (var field in fields)
        {
            line.Append('\t').Append(Convert.ToString(field, CultureInfo.InvariantCulture));
        }

        manifest.Add(line.ToString());
    }
}

/// <summary>Pixel data as dcmdjpeg wrote it, with the pixel module attributes it set.</summary>
internal sealed record DecodedPixels(int Width, int Height, int Samples, int BitsAllocated, int BitsStored, string Photometric,
    int PlanarConfiguration, ushort[] Values);
