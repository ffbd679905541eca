using System.Text.Json.Nodes;
using MedVision.Cli;
using MedVision.Imaging;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>`medvision image info|convert`, and JPEG input through `medvision analyze`.</summary>
public sealed class ImageCommandTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("medvision-image-").FullName;

    private static string Sample => Directory.GetFiles(RepoPaths.Samples, "*.png").Order(StringComparer.Ordinal).First();

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Info_WhenGivenAPng_ShouldPrintFormatSizeDepthAndColour()
    {
        var source = PngDecoder.Decode(File.ReadAllBytes(Sample));
        var (code, output, _) = await RunCliAsync("image", "info", Sample);
        Assert.Equal(0, code);
        Assert.Contains("format:     PNG", output, StringComparison.Ordinal);
        Assert.Contains($"size:       {source.Width} x {source.Height}", output, StringComparison.Ordinal);
        Assert.Contains("bit depth:  8", output, StringComparison.Ordinal);
        Assert.Contains("color:      gray", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Convert_WhenPngToJpegAndBack_ShouldKeepSizeAndStayCloseToTheOriginal()
    {
        var jpg = Path.Combine(dir, "x.jpg");
        var png = Path.Combine(dir, "back.png");
        Assert.Equal(0, (await RunCliAsync("image", "convert", Sample, jpg, "--quality", "95")).Code);
        var (infoCode, info, _) = await RunCliAsync("image", "info", jpg);
        Assert.Equal(0, infoCode);
        Assert.Contains("format:     JPEG", info, StringComparison.Ordinal);
        Assert.Equal(0, (await RunCliAsync("image", "convert", jpg, png)).Code);

        var original = PngDecoder.Decode(File.ReadAllBytes(Sample));
        var roundTrip = PngDecoder.Decode(File.ReadAllBytes(png));
        Assert.Equal((original.Width, original.Height), (roundTrip.Width, roundTrip.Height));
        double squared = 0;
        for (var i = 0; i < original.Data.Length; i++)
        {
            var d = original.Data[i] - roundTrip.Data[i];
            squared += d * d;
        }

        var psnr = 10 * Math.Log10(255.0 * 255.0 / (squared / original.Data.Length));
        Assert.True(psnr > 35, $"PSNR {psnr:0.0} dB after a quality-95 JPEG round trip");
    }

    [Theory]
    [InlineData("notes.txt", "not a png", "Not a PNG, JPEG or DICOM file")]
    [InlineData("cut.png", "CUT", "PNG")]
    [InlineData("missing.png", null, "no such file")]
    public async Task Info_WhenInputIsBad_ShouldPrintOneLineNamingTheProblemAndExitTwo(string name, string? content, string expected)
    {
        var path = Path.Combine(dir, name);
        if (content == "CUT")
        {
            File.WriteAllBytes(path, File.ReadAllBytes(Sample)[..40]);
        }
        else if (content is not null)
        {
            File.WriteAllText(path, content);
        }

        var (code, output, error) = await RunCliAsync("image", "info", path);
        Assert.Equal(2, code);
        Assert.Equal(string.Empty, output);
        var line = Assert.Single(error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"error: {path}: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("out.gif", new string[0], "must end in .png, .jpg or .jpeg")]
    [InlineData("out.jpg", new[] { "--quality", "0" }, "--quality must be")]
    public async Task Convert_WhenArgumentsAreBad_ShouldExitTwo(string target, string[] extra, string expected)
    {
        var (code, _, error) = await RunCliAsync(["image", "convert", Sample, Path.Combine(dir, target), .. extra]);
        Assert.Equal(2, code);
        Assert.Contains(expected, error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir, target)));
    }

    [Fact]
    public async Task Analyze_WhenInputIsAJpeg_ShouldCompleteTheWholePipeline()
    {
        var jpg = Path.Combine(dir, "study.jpg");
        Assert.Equal(0, (await RunCliAsync("image", "convert", Sample, jpg, "--quality", "92")).Code);

        var outDir = Path.Combine(dir, "out");
        var (code, output, error) = await RunCliAsync("analyze", jpg, "--out", outDir);

        Assert.True(code == 0, $"{output}\n{error}");
        var record = JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "study", "record.json")))!;
        Assert.Equal("completed", (string)record["status"]!);
        Assert.Equal("JPEG", (string)record["file_format"]!);
        Assert.True(File.Exists(Path.Combine(outDir, "study", "heatmap-preview.jpg")));
    }
}
