using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MedVision.Dicom.Imaging;
using MedVision.Imaging;
using MedVision.Testing;

namespace MedVision.Dicom.Tests.Pixels;

/// <summary>One generated edge case of PixelCorpus/make_pixel_corpus.py; <see cref="ReferencePath"/> holds its expected stored values.</summary>
public sealed record PixelCase(string Name, string Path, string? ReferencePath, string Description)
{
    public override string ToString() => Name;
}

/// <summary>
/// Independent references for pixel tests: stored values extracted by numpy from native files (make_pixel_corpus.py
/// dump), native files decoded by DCMTK (dcmdjpeg, dcmdrle) and GDCM (gdcmconv --raw), renditions by DCMTK
/// (dcm2pnm, dcmj2pnm) read back from PGM/PPM. Outputs are cached per process in a temp folder.
/// </summary>
public static class PixelOracle
{
    private static readonly string Script = Path.Combine(RepoPaths.Root, "tests", "MedVision.Dicom.Tests", "PixelCorpus", "make_pixel_corpus.py");
    private static readonly Lazy<string> WorkDir = new(() =>
    {
        var dir = Path.Combine(Path.GetTempPath(), $"medvision-pixel-oracle-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        return dir;
    });

    private static readonly Lazy<IReadOnlyList<PixelCase>> BuiltCases = new(BuildCases, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly ConcurrentDictionary<string, Lazy<int[]>> References = new();
    private static readonly ConcurrentDictionary<string, Lazy<string>> Decoded = new();

    /// <summary>Tools the pixel oracles use; tests call <c>ExternalTools.Require(log, PixelOracle.Tools)</c> first.</summary>
    public static string[] Tools { get; } = ["pydicom", "dcmcjpeg", "dcmdjpeg", "dcmdrle", "dcm2pnm", "dcmj2pnm", "gdcmconv"];

    public static IReadOnlyList<PixelCase> Cases => BuiltCases.Value;

    public static PixelCase Case(string name) => Cases.Single(c => c.Name == name);

    public static IEnumerable<object[]> CaseNames() =>
        ExternalTools.Has("pydicom") && ExternalTools.Has("dcmcjpeg") ? Cases.Select(c => new object[] { c.Name }) : [["(pixel corpus unavailable)"]];

    public static int[] ReadInt32File(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var values = new int[bytes.Length / 4];
        Buffer.BlockCopy(bytes, 0, values, 0, values.Length * 4);
        return values;
    }

    /// <summary>Stored values of a native file (all frames), extracted by numpy from its Pixel Data bytes.</summary>
    public static int[] NativeStoredValues(string nativePath) => References.GetOrAdd(nativePath, path => new Lazy<int[]>(() =>
    {
        var outDir = Path.Combine(WorkDir.Value, "dump-" + Hash(path));
        ExternalTools.RunOk(ExternalTools.Python, Script, "dump", outDir, path);
        return ReadInt32File(Path.Combine(outDir, Path.GetFileName(path) + ".i32"));
    })).Value;

    /// <summary>The file decoded to native by DCMTK (dcmdjpeg for JPEG, dcmdrle for RLE; their default options).</summary>
    public static string DcmtkDecode(string path, TransferSyntax syntax)
    {
        var tool = syntax.Pixels == PixelEncoding.Rle ? "dcmdrle" : "dcmdjpeg";
        return Decoded.GetOrAdd(tool + "|" + path, _ => new Lazy<string>(() =>
        {
            var output = Path.Combine(WorkDir.Value, $"{tool}-{Hash(path)}-{Path.GetFileName(path)}");
            ExternalTools.RunOk(tool, path, output);
            return output;
        })).Value;
    }

    /// <summary>The file decoded to native by GDCM (gdcmconv --raw).</summary>
    public static string GdcmDecode(string path) => Decoded.GetOrAdd("gdcm|" + path, _ => new Lazy<string>(() =>
    {
        var output = Path.Combine(WorkDir.Value, $"gdcm-{Hash(path)}-{Path.GetFileName(path)}");
        ExternalTools.RunOk("gdcmconv", "--raw", path, output);
        return output;
    })).Value;

    /// <summary>Runs dcm2pnm (native) or dcmj2pnm (compressed) with <paramref name="options"/> and reads the PGM/PPM it writes.</summary>
    public static Raster DcmtkRender(string path, bool compressed, params string[] options)
    {
        var output = Path.Combine(WorkDir.Value, $"pnm-{Hash(path + string.Join(' ', options))}.pnm");
        ExternalTools.RunOk(compressed ? "dcmj2pnm" : "dcm2pnm", [.. options, "+op", path, output]);
        return ReadPnm(File.ReadAllBytes(output));
    }

    /// <summary>All frames' stored values of our decode, concatenated (frames, rows, columns, samples).</summary>
    public static int[] OurStoredValues(string path)
    {
        var pixels = DicomPixelData.FromFile(DicomFile.Open(path));
        var all = new List<int>();
        for (var f = 0; f < pixels.FrameCount; f++)
        {
            all.AddRange(pixels.GetFrame(f).ToInt32Array());
        }

        return [.. all];
    }

    /// <summary>Binary PGM (P5) or PPM (P6), maxval 255.</summary>
    public static Raster ReadPnm(byte[] bytes)
    {
        var at = 0;
        string Token()
        {
            while (at < bytes.Length && (char.IsWhiteSpace((char)bytes[at]) || bytes[at] == '#'))
            {
                if (bytes[at] == '#')
                {
                    while (bytes[at] != '\n')
                    {
                        at++;
                    }
                }

                at++;
            }

            var start = at;
            while (!char.IsWhiteSpace((char)bytes[at]))
            {
                at++;
            }

            return Encoding.ASCII.GetString(bytes, start, at - start);
        }

        var magic = Token();
        var width = int.Parse(Token());
        var height = int.Parse(Token());
        var max = int.Parse(Token());
        at++;
        Assert.Equal(255, max);
        var color = magic == "P6" ? ColorModel.Rgb : ColorModel.Gray;
        Assert.True(magic is "P5" or "P6", $"unexpected PNM type {magic}");
        var length = width * height * Raster.ChannelCount(color);
        return new Raster(width, height, color, 8, bytes.AsSpan(at, length).ToArray());
    }

    /// <summary>Largest absolute sample difference and how many samples differ at all.</summary>
    public static (int MaxDiff, int Differing) Compare(Raster ours, Raster theirs)
    {
        Assert.Equal((theirs.Width, theirs.Height, theirs.Color), (ours.Width, ours.Height, ours.Color));
        int max = 0, differing = 0;
        for (var i = 0; i < ours.Data.Length; i++)
        {
            var d = Math.Abs(ours.Data[i] - theirs.Data[i]);
            max = Math.Max(max, d);
            differing += d > 0 ? 1 : 0;
        }

        return (max, differing);
    }

    private static List<PixelCase> BuildCases()
    {
        var hash = Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(Script)))[..16];
        var dir = Path.Combine(Path.GetTempPath(), "medvision-pixel-corpus-" + hash);
        var manifest = Path.Combine(dir, "manifest.json");
        if (!File.Exists(manifest))
        {
            var staging = dir + ".tmp-" + Environment.ProcessId;
            ExternalTools.RunOk(ExternalTools.Python, Script, "make", staging);
            try
            {
                Directory.Move(staging, dir);
            }
            catch (IOException) when (File.Exists(manifest))
            {
                Directory.Delete(staging, recursive: true); // another test process built it first
            }
        }

        using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
        return doc.RootElement.EnumerateArray().Select(e => new PixelCase(
            e.GetProperty("name").GetString()!,
            Path.Combine(dir, e.GetProperty("file").GetString()!),
            e.GetProperty("reference").GetString() is { } r ? Path.Combine(dir, r) : null,
            e.GetProperty("description").GetString()!)).ToList();
    }

    private static string Hash(string text) => Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..12];
}
