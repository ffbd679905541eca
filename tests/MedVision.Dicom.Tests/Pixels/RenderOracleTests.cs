using System.Globalization;
using MedVision.Dicom.Imaging;
using MedVision.Imaging;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests.Pixels;

/// <summary>
/// <see cref="DicomRenderer"/> against DCMTK's dcm2pnm / dcmj2pnm (8-bit PGM/PPM). Bounds and their reasons:
/// <list type="bullet">
/// <item>Gray, LINEAR window (file, explicit, min-max): ≤ 1. Both apply PS3.3 C.11.2.1.2.1 to the same modality
/// values, but DCMTK truncates the result to an integer (dimoopxt.h, VOI LINEAR) where <see cref="Windowing"/> rounds
/// half away from zero, so values whose exact output has a fraction ≥ .5 come out one higher here.</item>
/// <item>Gray without VOI (DCMTK's default -W, our <see cref="VoiSource.FullRange"/>): ≤ 1, DCMTK maps
/// (x - min) * 256 / (max - min + 1) truncated, we the C.11.2.1.2.1 window over [min, max] rounded.</item>
/// <item>VOI LUT: ≤ 1, DCMTK scales a 16-bit entry by 256/65536 truncated, we by 255/65535 rounded.</item>
/// <item>RGB 8-bit: exact (no arithmetic on either side). 16-bit RGB: ≤ 1 (truncating vs rounding down-scale).</item>
/// <item>YBR_FULL / YBR_FULL_422 native: ≤ 2. DCMTK converts with truncated per-value tables (diybrpxt.h:
/// trunc(1.402 Cr - 178.755) etc., two truncations for G); we use libjpeg's fixed-point conversion with one rounding.</item>
/// </list>
/// </summary>
public class RenderOracleTests(ITestOutputHelper output)
{
    public static TheoryData<string, int, string, string, int> Renders() => new()
    {
        // source (corpus: or pixel:), frame, DCMTK options, our VOI, bound
        { "corpus:ct-16s.dcm", 0, "+Wi 1", "auto", 1 },
        { "corpus:ct-16s.dcm", 0, "+Wm", "minmax", 1 },
        { "corpus:ct-16s.dcm", 0, "+Ww -600 1500", "explicit -600 1500", 1 },
        { "corpus:ct-16s.dcm", 0, "", "full", 1 },
        { "corpus:ct-16s-implicit.dcm", 0, "+Wi 1", "auto", 1 },
        { "corpus:ct-16s-bigendian.dcm", 0, "+Wi 1", "auto", 1 },
        { "corpus:ct-16s-sv1.dcm", 0, "+Wi 1", "auto", 1 },
        { "corpus:ct-16s-rle.dcm", 0, "+Wm", "minmax", 1 },
        { "corpus:mr-16u.dcm", 0, "+Wm", "auto", 1 },
        { "corpus:mr-16u.dcm", 0, "", "full", 1 },
        { "corpus:mr-16u-gdcm-rle.dcm", 0, "+Wm", "auto", 1 },
        { "corpus:cr-8u.dcm", 0, "+Wm", "auto", 1 },
        { "corpus:cr-8u-baseline.dcm", 0, "+Wm", "auto", 1 },
        { "corpus:cr-8u-sv1.dcm", 0, "+Ww 100 80", "explicit 100 80", 1 },
        { "corpus:dx-12u-mono1.dcm", 0, "+Wm", "auto", 1 },
        { "corpus:dx-12u-extended.dcm", 0, "+Wm", "auto", 1 },
        { "corpus:mr-multiframe.dcm", 1, "+F 2 +Wm", "auto", 1 },
        { "corpus:mr-multiframe-rle.dcm", 2, "+F 3 +Wm", "auto", 1 },
        { "corpus:us-rgb.dcm", 0, "", "auto", 0 },
        { "corpus:us-rgb-planar.dcm", 0, "", "auto", 0 },
        { "corpus:us-rgb-rle.dcm", 0, "", "auto", 0 },
        { "corpus:us-rgb-sv1.dcm", 0, "", "auto", 0 },
        { "pixel:two-windows.dcm", 0, "+Wi 2", "window 1", 1 },
        { "pixel:voi-lut.dcm", 0, "+Wl 1", "auto", 1 },
        { "pixel:modality-lut.dcm", 0, "+Wi 1", "auto", 1 },
        { "pixel:u12-highbit15.dcm", 0, "+Wm", "auto", 1 },
        { "pixel:s12-junk-high.dcm", 0, "+Wm", "auto", 1 },
        { "pixel:u32.dcm", 0, "+Wm", "auto", 1 },
        { "pixel:s24in32.dcm", 0, "+Wm", "auto", 1 },
        { "pixel:bits1-2frames.dcm", 1, "+F 2 +Wm", "auto", 0 },
        // DCMTK 3.6.7 ignores the per-frame Pixel Value Transformation (it windows stored values), so it gets the window
        // equivalent to ours: frame 3 has modality 3v - 200 and window 700/600, i.e. C.11.2.1.2.1 on v with
        // c' - 0.5 = (700 - 0.5 + 200) / 3 and w' - 1 = (600 - 1) / 3.
        { "pixel:enhanced-perframe.dcm", 2, "+F 3 +Ww 300.33333333333 200.66666666667", "auto", 1 },
        { "pixel:mf-jpeg-eot.dcm", 3, "+F 4 +Wm", "auto", 1 },
        { "pixel:rgb16-planar.dcm", 0, "", "auto", 1 },
        { "pixel:ybr-full.dcm", 0, "", "auto", 2 },
        { "pixel:ybr-full-422.dcm", 0, "", "auto", 2 },
    };

    [Theory]
    [MemberData(nameof(Renders))]
    public void Render_WhenComparedWithDcmtk_ShouldMatchWithinTheDocumentedBound(string source, int frame, string dcmtkOptions, string voi, int bound)
    {
        if (!ExternalTools.Require(output.WriteLine, [.. TestCorpus.Tools, .. PixelOracle.Tools]))
        {
            return;
        }

        var path = source.StartsWith("corpus:", StringComparison.Ordinal)
            ? TestCorpus.Get(source["corpus:".Length..]).Path
            : PixelOracle.Case(source["pixel:".Length..]).Path;
        var file = DicomFile.Open(path);
        var theirs = PixelOracle.DcmtkRender(path, file.TransferSyntax.IsEncapsulated,
            dcmtkOptions.Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var ours = DicomRenderer.Render(file, frame, Options(voi));
        var (max, differing) = PixelOracle.Compare(ours, theirs);
        output.WriteLine($"{source} frame {frame} [{dcmtkOptions}] vs {voi}: max |diff| {max}, {differing} of {ours.Data.Length} samples differ");
        Assert.True(max <= bound, $"max |diff| {max} > {bound}");
    }

    private static RenderOptions Options(string voi)
    {
        var parts = voi.Split(' ');
        return parts[0] switch
        {
            "auto" => RenderOptions.Default,
            "minmax" => new RenderOptions { Voi = VoiSource.MinMax },
            "full" => new RenderOptions { Voi = VoiSource.FullRange },
            "window" => new RenderOptions { Voi = VoiSource.Window, WindowIndex = int.Parse(parts[1], CultureInfo.InvariantCulture) },
            "explicit" => new RenderOptions
            {
                Window = new WindowLevel(double.Parse(parts[1], CultureInfo.InvariantCulture), double.Parse(parts[2], CultureInfo.InvariantCulture)),
            },
            _ => throw new ArgumentException(voi, nameof(voi)),
        };
    }
}
