using System.Text;
using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Imaging;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// `medvision dicom dump|info|render|deidentify`, and DICOM through `medvision analyze`. Inputs are made by GDCM and
/// DCMTK (gdcmimg, dcmodify, dcmcjpeg), never by our own writer, and dumps are checked against DCMTK's dcm2json.
/// </summary>
public sealed class DicomCommandTests(ITestOutputHelper log) : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("medvision-dicom-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>A 16-bit MONOCHROME2 DX made from the chest sample by gdcmimg, tagged by dcmodify, optionally compressed by dcmcjpeg.</summary>
    private string MakeDx(string name, string? dcmcjpegMode = null)
    {
        var sample = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(RepoPaths.Samples, "chest-xray-nodule-101.png")));
        var pgm = Path.Combine(dir, name + ".pgm");
        using (var stream = File.Create(pgm))
        {
            stream.Write(Encoding.ASCII.GetBytes($"P5\n{sample.Width} {sample.Height}\n65535\n"));
            for (var y = 0; y < sample.Height; y++)
            {
                for (var x = 0; x < sample.Width; x++)
                {
                    var v = sample.GetSample(x, y, 0) * 257; // PGM samples above 255 are big endian
                    stream.WriteByte((byte)(v >> 8));
                    stream.WriteByte((byte)v);
                }
            }
        }

        var dcm = Path.Combine(dir, name + ".dcm");
        ExternalTools.RunOk("gdcmimg", pgm, dcm);
        ExternalTools.RunOk("dcmodify", "-nb", "-i", "(0008,0060)=DX", "-i", "(0010,0010)=Doe^Jane", "-i", "(0010,0020)=MRN-1",
            "-i", "(0010,0040)=F", "-i", "(0008,0020)=20240131", "-i", "(0008,0030)=101112", "-i", "(0008,1030)=Chest PA",
            "-i", "(0018,0015)=CHEST", dcm);
        if (dcmcjpegMode is null)
        {
            return dcm;
        }

        var compressed = Path.Combine(dir, name + "-c.dcm");
        ExternalTools.RunOk("dcmcjpeg", dcmcjpegMode, dcm, compressed);
        return compressed;
    }

    private static string StudyUidFromDcmdump(string file)
    {
        var dump = Encoding.UTF8.GetString(ExternalTools.RunOk("dcmdump", "+P", "0020,000d", file));
        var open = dump.IndexOf('[', StringComparison.Ordinal);
        return dump[(open + 1)..dump.IndexOf(']', open)];
    }

    [Fact]
    public async Task Analyze_WhenGivenALosslessJpegDxMadeByDcmtk_ShouldCompleteWithTheHeaderModalityAndTheStudyInFhir()
    {
        if (!ExternalTools.Require(log.WriteLine, "gdcmimg", "dcmodify", "dcmcjpeg", "dcmdump"))
        {
            return;
        }

        var dx = MakeDx("chest", "+e1");
        var outDir = Path.Combine(dir, "out");
        var (code, output, error) = await RunCliAsync("analyze", dx, "--out", outDir, "--parallel", "1");
        Assert.True(code == 0, $"exit {code}\n{output}\n{error}");
        Assert.Contains("modality=xray confidence=1.00", output, StringComparison.Ordinal);

        var result = Path.Combine(outDir, "chest-c");
        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(result, "record.json")))!;
        Assert.Equal("completed", (string)record["status"]!);
        Assert.Equal("dicom-header", (string)record["classification"]!["source"]!);
        Assert.Equal("DX", (string)record["dicom"]!["modality"]!);

        // The synthetic nodule is still found after 16-bit DICOM and lossless JPEG, and the heatmap is full size.
        var analysis = JsonNode.Parse(File.ReadAllText(Path.Combine(result, "analysis.json")))!;
        Assert.NotEmpty(analysis["abnormalities"]!.AsArray());
        var heatmap = PngDecoder.Decode(File.ReadAllBytes(Path.Combine(result, "heatmap.png")));
        Assert.Equal((320, 320), (heatmap.Width, heatmap.Height));

        var bundle = JsonNode.Parse(File.ReadAllText(Path.Combine(result, "fhir-bundle.json")))!;
        var resources = bundle["entry"]!.AsArray().Select(e => e!["resource"]!).ToList();
        var study = resources.Single(r => (string)r["resourceType"]! == "ImagingStudy");
        Assert.Equal("urn:oid:" + StudyUidFromDcmdump(dx), (string)study["identifier"]![0]!["value"]!);
        Assert.Equal("DX", (string)study["modality"]![0]!["code"]!);
        // DICOM's study time has no offset and an R4 dateTime with a time needs one, so only the date is kept.
        Assert.Equal("2024-01-31", (string)study["started"]!);
        var patient = resources.Single(r => (string)r["resourceType"]! == "Patient");
        Assert.Equal("Doe", (string)patient["name"]![0]!["family"]!);
    }

    [Fact]
    public async Task Dump_WhenComparedWithDcm2json_ShouldGiveTheSameDicomJsonModel()
    {
        if (!ExternalTools.Require(log.WriteLine, "gdcmimg", "dcmodify", "dcmconv", "dcm2json"))
        {
            return;
        }

        var native = MakeDx("native");
        var implicitVR = Path.Combine(dir, "implicit.dcm");
        ExternalTools.RunOk("dcmconv", "+ti", native, implicitVR);
        var ct = Path.Combine(dir, "ct.dcm");
        File.WriteAllBytes(ct, TestDicom.Image("CT", 16, 16));
        foreach (var file in new[] { native, implicitVR, ct })
        {
            // Inline every binary value so pixel data is compared too (dcm2json always inlines).
            var (code, output, error) = await RunCliAsync("dicom", "dump", file, "--inline-limit", "100000000");
            Assert.True(code == 0, error);
            var ours = JsonNode.Parse(output)!.AsObject();
            var theirs = JsonNode.Parse(ExternalTools.RunOk("dcm2json", file))!.AsObject();
            var mismatches = new List<string>();
            Compare("", ours, theirs, mismatches);
            Assert.True(mismatches.Count == 0, $"{Path.GetFileName(file)}:\n{string.Join('\n', mismatches)}");
        }
    }

    private static void Compare(string path, JsonObject ours, JsonObject theirs, List<string> mismatches)
    {
        foreach (var key in ours.Select(p => p.Key).Union(theirs.Select(p => p.Key)))
        {
            var a = ours[key];
            var b = theirs[key];
            if (a is null || b is null)
            {
                mismatches.Add($"{path}{key}: only in {(a is null ? "dcm2json" : "ours")}");
                continue;
            }

            if (a is JsonObject ao && b is JsonObject bo && ao.ContainsKey("vr"))
            {
                var values = ao["Value"] as JsonArray;
                var others = bo["Value"] as JsonArray;
                if (values is not null && others is not null && values.Count == others.Count && values.All(v => v is JsonObject or null) && values.Any(v => v is JsonObject o && !o.ContainsKey("Alphabetic")))
                {
                    for (var i = 0; i < values.Count; i++)
                    {
                        Compare($"{path}{key}[{i}].", (JsonObject)values[i]!, (JsonObject)others[i]!, mismatches);
                    }

                    continue;
                }

                if (!JsonNode.DeepEquals(Normalize(ao), Normalize(bo)))
                {
                    mismatches.Add($"{path}{key}: ours {Trim(ao)} dcm2json {Trim(bo)}");
                }
            }
        }
    }

    // Numbers compare by value (dcm2json prints DS as written, we print the shortest round-trip form).
    private static JsonObject Normalize(JsonObject attribute)
    {
        var copy = JsonNode.Parse(attribute.ToJsonString())!.AsObject();
        if (copy["Value"] is JsonArray values)
        {
            for (var i = 0; i < values.Count; i++)
            {
                if (values[i] is JsonValue v && v.TryGetValue<double>(out var d))
                {
                    values[i] = JsonValue.Create(d);
                }
            }
        }

        return copy;
    }

    private static string Trim(JsonNode node)
    {
        var text = node.ToJsonString();
        return text.Length > 160 ? text[..160] + "…" : text;
    }

    [Fact]
    public async Task Dump_WhenFileIsTruncated_ShouldPrintOneLineNamingTheProblemAndOffsetAndExitTwo()
    {
        var bytes = TestDicom.Image();
        var cut = Path.Combine(dir, "cut.dcm");
        File.WriteAllBytes(cut, bytes.AsSpan(0, 700).ToArray());
        var (code, output, error) = await RunCliAsync("dicom", "dump", cut);
        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("offset", line, StringComparison.Ordinal);
        Assert.Contains("[dicom.", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_WhenGivenACtWithAWindow_ShouldWriteAnEightBitPngOfTheImageSize()
    {
        var ct = Path.Combine(dir, "ct.dcm");
        File.WriteAllBytes(ct, TestDicom.Image("CT", 40, 56));
        var png = Path.Combine(dir, "ct.png");
        var (code, output, error) = await RunCliAsync("dicom", "render", ct, "--out", png);
        Assert.True(code == 0, error);
        Assert.Contains("56 x 40", output, StringComparison.Ordinal);
        var raster = PngDecoder.Decode(File.ReadAllBytes(png));
        Assert.Equal((56, 40, 8), (raster.Width, raster.Height, raster.BitDepth));

        // Window 40/400: soft tissue (+20..+59 HU) is mid-grey, the +300 HU disc is white.
        Assert.InRange(raster.GetSample(2, 2, 0), 100, 170);
        Assert.Equal(255, raster.GetSample((int)(56 * 0.65), (int)(40 * 0.45), 0));
    }

    [Theory]
    [InlineData("--frame", "7")]
    [InlineData("--window", "40")]
    public async Task Render_WhenArgumentsAreWrong_ShouldExitTwoWithoutWriting(string option, string value)
    {
        var ct = Path.Combine(dir, "ct.dcm");
        File.WriteAllBytes(ct, TestDicom.Image());
        var png = Path.Combine(dir, "never.png");
        var (code, _, error) = await RunCliAsync("dicom", "render", ct, "--out", png, option, value);
        Assert.Equal(2, code);
        Assert.False(string.IsNullOrWhiteSpace(error));
        Assert.False(File.Exists(png));
    }

    // Feature: medvision-ai-platform, Property 49: dicom deidentify leaves no patient name or id in what dcmdump reads.
    [Fact]
    public async Task Deidentify_WhenRunOnAFolder_ShouldRemoveIdentityKeepPixelsAndShareTheNewStudyUid()
    {
        if (!ExternalTools.Require(log.WriteLine, "gdcmimg", "dcmodify", "dcmcjpeg", "dcmdump"))
        {
            return;
        }

        var input = Directory.CreateDirectory(Path.Combine(dir, "in")).FullName;
        var a = MakeDx("a");
        File.Copy(a, Path.Combine(input, "a.dcm"));
        var b = Path.Combine(input, "b.dcm");
        ExternalTools.RunOk("dcmcjpeg", "+e1", a, b); // same study, other instance encoding
        var output = Path.Combine(dir, "out");

        var (code, stdout, error) = await RunCliAsync("dicom", "deidentify", input, output);
        Assert.True(code == 0, error);
        Assert.Equal(2, stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.DoesNotContain("Doe", stdout + error, StringComparison.Ordinal); // counts only, never values

        var uids = new HashSet<string>();
        foreach (var file in new[] { "a.dcm", "b.dcm" })
        {
            var dump = Encoding.UTF8.GetString(ExternalTools.RunOk("dcmdump", Path.Combine(output, file)));
            Assert.DoesNotContain("Doe^Jane", dump, StringComparison.Ordinal);
            Assert.DoesNotContain("MRN-1", dump, StringComparison.Ordinal);
            Assert.Contains("(0012,0062) CS [YES]", dump, StringComparison.Ordinal);
            uids.Add(StudyUidFromDcmdump(Path.Combine(output, file)));
        }

        var newStudy = Assert.Single(uids);
        Assert.NotEqual(StudyUidFromDcmdump(a), newStudy);
        Assert.StartsWith("2.25.", newStudy, StringComparison.Ordinal);
    }
}
