using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MedVision.Imaging.Tests;

public class WindowingTests
{
    // Direct double-precision transcriptions of DICOM PS3.3, ymin = 0, ymax = 255, rounded half away from zero.
    private static byte ReferenceLinear(double x, double c, double w)
    {
        double y;
        if (x <= c - 0.5 - ((w - 1) / 2))
        {
            y = 0;
        }
        else if (x > c - 0.5 + ((w - 1) / 2))
        {
            y = 255;
        }
        else
        {
            y = (((x - (c - 0.5)) / (w - 1)) + 0.5) * 255;
        }

        return Round(y);
    }

    private static byte ReferenceLinearExact(double x, double c, double w)
    {
        double y;
        if (x <= c - (w / 2))
        {
            y = 0;
        }
        else if (x > c + (w / 2))
        {
            y = 255;
        }
        else
        {
            y = (((x - c) / w) + 0.5) * 255;
        }

        return Round(y);
    }

    private static byte ReferenceSigmoid(double x, double c, double w) => Round(255 / (1 + Math.Exp(-4 * (x - c) / w)));

    private static byte Round(double y) => (byte)Math.Clamp(Math.Round(y, MidpointRounding.AwayFromZero), 0, 255);

    private static Raster Gray16(params ushort[] samples)
    {
        var raster = new Raster(samples.Length, 1, ColorModel.Gray, 16);
        samples.CopyTo(raster.Samples16);
        return raster;
    }

    /// <summary>Stored values around the window's edges and centre, so each branch and boundary is hit.</summary>
    private static IEnumerable<int> EdgeValues(double c, double w)
    {
        double[] anchors = [c - 0.5 - ((w - 1) / 2), c - 0.5 + ((w - 1) / 2), c - (w / 2), c + (w / 2), c, c - 0.5];
        return anchors
            .SelectMany(a => new[] { Math.Floor(a) - 1, Math.Floor(a), Math.Ceiling(a), Math.Ceiling(a) + 1 })
            .Select(v => (int)Math.Clamp(v, 0, ushort.MaxValue))
            .Distinct();
    }

    [Theory]
    [InlineData(100, 1)]
    [InlineData(100, 2)]
    [InlineData(100, 3)]
    [InlineData(2048, 4096)]
    [InlineData(40.5, 11)]
    [InlineData(1000, 255)]
    [InlineData(1000, 256)]
    public void BuildLut_WhenLinear_ShouldMatchStandardFormulaAtAndAroundEdges(double c, double w)
    {
        var lut = Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(c, w)), 16);
        foreach (var x in EdgeValues(c, w))
        {
            Assert.True(ReferenceLinear(x, c, w) == lut[x], $"x={x}: expected {ReferenceLinear(x, c, w)}, got {lut[x]}");
        }

        Assert.Equal(0, lut[(int)Math.Floor(c - 0.5 - ((w - 1) / 2))]);
        Assert.Equal(255, lut[(int)Math.Floor(c - 0.5 + ((w - 1) / 2)) + 1]);
    }

    [Theory]
    [InlineData(100, 0.5)]
    [InlineData(100, 1)]
    [InlineData(100, 2)]
    [InlineData(2048, 4096)]
    [InlineData(40.5, 11)]
    [InlineData(1000, 255)]
    public void BuildLut_WhenLinearExact_ShouldMatchStandardFormulaAtAndAroundEdges(double c, double w)
    {
        var lut = Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(c, w, VoiFunction.LinearExact)), 16);
        foreach (var x in EdgeValues(c, w))
        {
            Assert.True(ReferenceLinearExact(x, c, w) == lut[x], $"x={x}: expected {ReferenceLinearExact(x, c, w)}, got {lut[x]}");
        }
    }

    [Theory]
    [InlineData(100, 0.5)]
    [InlineData(100, 10)]
    [InlineData(2048, 4096)]
    [InlineData(40.5, 11)]
    public void BuildLut_WhenSigmoid_ShouldMatchStandardFormulaEverywhere(double c, double w)
    {
        var lut = Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(c, w, VoiFunction.Sigmoid)), 16);
        for (var x = 0; x < lut.Length; x++)
        {
            Assert.True(ReferenceSigmoid(x, c, w) == lut[x], $"x={x}: expected {ReferenceSigmoid(x, c, w)}, got {lut[x]}");
        }

        if (c == Math.Floor(c))
        {
            Assert.Equal(128, lut[(int)c]); // 255 / 2 = 127.5 at the centre
        }
    }

    [Fact]
    public void BuildLut_WhenLinearAndLinearExactShareWindow_ShouldDifferByTheHalfPixelOffset()
    {
        // LINEAR's ramp is shifted half a unit down from LINEAR_EXACT's: at x = c - 0.5 LINEAR is exactly mid-grey.
        var linear = Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(100.5, 11)), 8);
        var exact = Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(100.5, 11, VoiFunction.LinearExact)), 8);
        Assert.Equal(128, linear[100]); // (0 / 10 + 0.5) * 255 = 127.5 -> 128
        Assert.Equal(ReferenceLinearExact(100, 100.5, 11), exact[100]);
        Assert.Equal(ReferenceLinear(96, 100.5, 11), linear[96]); // (-4 / 10 + 0.5) * 255 = 25.5 (25.4999… in binary)
        Assert.InRange(linear[96], 25, 26);
        Assert.Equal(23, exact[96]); // (-4.5 / 11 + 0.5) * 255 = 23.2
    }

    [Fact]
    public void RenderGray8_WhenCtRescaleApplied_ShouldWindowHounsfieldUnits()
    {
        // CT: HU = stored - 1024; soft-tissue window 40/400 spans HU -160..240 (LINEAR: -160.5 .. 239.5).
        var rendering = new GrayRendering(RescaleIntercept: -1024, Window: new WindowLevel(40, 400));
        ushort[] stored = [0, 1024 - 161, 1024 - 160, 1024 + 40, 1024 + 239, 1024 + 240, 4095];
        var output = Windowing.RenderGray8(Gray16(stored), rendering);
        var expected = stored.Select(s => ReferenceLinear(s - 1024.0, 40, 400)).ToArray();
        Assert.Equal(expected, output.Data);
        Assert.Equal(0, output.Data[0]);
        Assert.Equal(255, output.Data[^1]);
        Assert.Equal(ReferenceLinear(40, 40, 400), output.Data[3]);
    }

    [Fact]
    public void RenderGray8_WhenSlopeNotOne_ShouldRescaleBeforeWindow()
    {
        var rendering = new GrayRendering(RescaleSlope: 0.5, RescaleIntercept: 10, Window: new WindowLevel(60, 50, VoiFunction.LinearExact));
        ushort[] stored = [0, 50, 70, 100, 120, 140, 200];
        var output = Windowing.RenderGray8(Gray16(stored), rendering);
        Assert.Equal(stored.Select(s => ReferenceLinearExact((0.5 * s) + 10, 60, 50)).ToArray(), output.Data);
    }

    [Fact]
    public void RenderGray8_WhenSignedSamples_ShouldSignExtendTwosComplement()
    {
        // -1000 as a 16-bit two's complement sample is 0xFC18; a LINEAR_EXACT window -1000/2 puts it at mid-grey.
        var minus1000 = unchecked((ushort)(short)-1000);
        var rendering = new GrayRendering(SignedSamples: true, Window: new WindowLevel(-1000, 2, VoiFunction.LinearExact));
        var output = Windowing.RenderGray8(Gray16(minus1000, unchecked((ushort)(short)-1001), unchecked((ushort)(short)-999), 0, 1000), rendering);
        Assert.Equal(new byte[] { 128, 0, 255, 255, 255 }, output.Data);

        // Unsigned, the same bits are 64536: far above the window.
        var unsigned = Windowing.RenderGray8(Gray16(minus1000), rendering with { SignedSamples = false });
        Assert.Equal(255, unsigned.Data[0]);
    }

    [Fact]
    public void BuildLut_WhenSignedTwelveBitsStored_ShouldSignExtendFromBitEleven()
    {
        // 12-bit two's complement: 0xFFF is -1, 0x800 is -2048; bits 12-15 are ignored.
        var lut = Windowing.BuildLut(new GrayRendering(SignedSamples: true, BitsStored: 12, Window: new WindowLevel(0, 4096, VoiFunction.LinearExact)), 16);
        Assert.Equal(ReferenceLinearExact(-1, 0, 4096), lut[0xFFF]);
        Assert.Equal(ReferenceLinearExact(-2048, 0, 4096), lut[0x800]);
        Assert.Equal(ReferenceLinearExact(2047, 0, 4096), lut[0x7FF]);
        Assert.Equal(lut[0xFFF], lut[0xFFFF]);
    }

    [Fact]
    public void RenderGray8_WhenBitsStoredTwelve_ShouldIgnoreHighBits()
    {
        var rendering = new GrayRendering(BitsStored: 12, Window: new WindowLevel(2048, 4096, VoiFunction.LinearExact));
        var output = Windowing.RenderGray8(Gray16(0x0100, 0xF100, 0x1100, 0x0FFF, 0xFFFF), rendering);
        Assert.Equal(output.Data[0], output.Data[1]);
        Assert.Equal(output.Data[0], output.Data[2]);
        Assert.Equal(ReferenceLinearExact(0x100, 2048, 4096), output.Data[0]);
        Assert.Equal(255, output.Data[3]);
        Assert.Equal(255, output.Data[4]);
    }

    [Fact]
    public void RenderGray8_WhenInverted_ShouldMirrorAfterVoi()
    {
        var window = new WindowLevel(128, 100);
        var source = new Raster(256, 1, ColorModel.Gray, 8, Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        var normal = Windowing.RenderGray8(source, new GrayRendering(Window: window));
        var inverted = Windowing.RenderGray8(source, new GrayRendering(Window: window, Invert: true));
        for (var i = 0; i < 256; i++)
        {
            Assert.Equal(255 - normal.Data[i], inverted.Data[i]);
        }

        Assert.Equal(255, inverted.Data[0]);
        Assert.Equal(0, inverted.Data[255]);
    }

    [Fact]
    public void RenderGray8_WhenEightBitInput_ShouldUseTheSameFormula()
    {
        var source = new Raster(256, 1, ColorModel.Gray, 8, Enumerable.Range(0, 256).Select(i => (byte)i).ToArray());
        var output = Windowing.RenderGray8(source, new GrayRendering(Window: new WindowLevel(100, 51)));
        Assert.Equal(Enumerable.Range(0, 256).Select(x => ReferenceLinear(x, 100, 51)).ToArray(), output.Data);
        Assert.Equal((256, 1, ColorModel.Gray, 8), (output.Width, output.Height, output.Color, output.BitDepth));
    }

    [Fact]
    public void RenderGray8_WhenWindowMissing_ShouldUseAutoWindow()
    {
        var source = new Raster(1000, 1, ColorModel.Gray, 16);
        for (var i = 0; i < 1000; i++)
        {
            source.Samples16[i] = (ushort)(3000 + i);
        }

        var rendering = new GrayRendering();
        var auto = Windowing.RenderGray8(source, rendering);
        var explicitly = Windowing.RenderGray8(source, rendering with { Window = Windowing.AutoWindow(source, rendering) });
        Assert.Equal(explicitly.Data, auto.Data);
        Assert.Equal(0, auto.Data[0]);
        Assert.Equal(255, auto.Data[^1]);
    }

    [Theory]
    [InlineData(ColorModel.Rgb, 8)]
    [InlineData(ColorModel.GrayAlpha, 16)]
    [InlineData(ColorModel.Rgba, 16)]
    public void RenderGray8_WhenNotGray_ShouldThrowArgumentException(ColorModel color, int depth)
    {
        var ex = Assert.ThrowsAny<ArgumentException>(() => Windowing.RenderGray8(new Raster(2, 2, color, depth), new GrayRendering(Window: new WindowLevel(0, 10))));
        Assert.Equal("gray", ex.ParamName);
    }

    [Theory]
    [InlineData(VoiFunction.Linear, 0.999)]
    [InlineData(VoiFunction.Linear, 0)]
    [InlineData(VoiFunction.Linear, -5)]
    [InlineData(VoiFunction.LinearExact, 0)]
    [InlineData(VoiFunction.LinearExact, -1)]
    [InlineData(VoiFunction.Sigmoid, 0)]
    [InlineData(VoiFunction.Linear, double.NaN)]
    [InlineData(VoiFunction.Sigmoid, double.PositiveInfinity)]
    public void BuildLut_WhenWidthInvalidForFunction_ShouldThrowArgumentException(VoiFunction function, double width)
    {
        Assert.ThrowsAny<ArgumentException>(() => Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(100, width, function)), 16));
    }

    [Theory]
    [InlineData(VoiFunction.Linear, 1)]
    [InlineData(VoiFunction.LinearExact, 0.001)]
    [InlineData(VoiFunction.Sigmoid, 0.001)]
    public void BuildLut_WhenWidthAtMinimum_ShouldBeAStep(VoiFunction function, double width)
    {
        var lut = Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(100.5, width, function)), 8);
        Assert.All(lut.Take(100), v => Assert.Equal(0, v));
        Assert.All(lut.Skip(101), v => Assert.Equal(255, v));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void BuildLut_WhenBitsStoredOutOfRange_ShouldThrowArgumentOutOfRange(int bitsStored)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Windowing.BuildLut(new GrayRendering(BitsStored: bitsStored, Window: new WindowLevel(0, 10)), 16));
    }

    [Theory]
    [InlineData(8, 256)]
    [InlineData(16, 65536)]
    public void BuildLut_WhenBitDepthGiven_ShouldHaveOneEntryPerStoredValue(int depth, int entries)
    {
        Assert.Equal(entries, Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(0, 10)), depth).Length);
        Assert.Throws<ArgumentOutOfRangeException>(() => Windowing.BuildLut(new GrayRendering(), 12));
    }

    [Fact]
    public void BuildLut_WhenWindowMissing_ShouldSpanTheStoredRange()
    {
        var lut = Windowing.BuildLut(new GrayRendering(BitsStored: 12), 16);
        Assert.Equal(0, lut[0]);
        Assert.Equal(255, lut[4095]);
        Assert.InRange(lut[2048], 127, 128);
    }

    // Property: the display pipeline never reverses the order of modality values (slope > 0), and inversion reverses it.
    [Property(MaxTest = 150)]
    public Property BuildLut_WhenAnyWindowAndPositiveSlope_ShouldBeMonotonic()
    {
        var cases =
            from function in Gen.Elements(Enum.GetValues<VoiFunction>())
            from center in Gen.Choose(-40000, 70000).Select(c => c / 4.0)
            from width in Gen.Choose(4, 80000).Select(w => w / 4.0)
            from slope in Gen.Choose(1, 4000).Select(s => s / 1000.0)
            from intercept in Gen.Choose(-3000, 3000)
            from invert in Gen.Elements(true, false)
            from signed in Gen.Elements(true, false)
            from depth in Gen.Elements(8, 16)
            from bits in Gen.Choose(1, depth)
            select (new GrayRendering(slope, intercept, new WindowLevel(center, width, function), invert, signed, bits), depth);

        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (rendering, depth) = c;
            var lut = Windowing.BuildLut(rendering, depth);
            var bits = rendering.BitsStored;

            // Walk the stored bit patterns in the order of the values they encode (negatives first when signed).
            var count = 1 << bits;
            var start = rendering.SignedSamples ? count / 2 : 0;
            var previous = lut[start];
            for (var k = 1; k < count; k++)
            {
                var current = lut[(start + k) % count];
                if (rendering.Invert ? current > previous : current < previous)
                {
                    return false;
                }

                previous = current;
            }

            return true;
        });
    }

    [Fact]
    public void AutoWindow_WhenRamp_ShouldCenterOnTheMiddle()
    {
        var source = new Raster(1000, 1, ColorModel.Gray, 16);
        for (var i = 0; i < 1000; i++)
        {
            source.Samples16[i] = (ushort)i;
        }

        var window = Windowing.AutoWindow(source, new GrayRendering());
        Assert.Equal(VoiFunction.Linear, window.Function);
        Assert.Equal(499.5, window.Center, 1.0);
        Assert.InRange(window.Width, 980, 1000);
    }

    [Fact]
    public void AutoWindow_WhenRescaledAndSigned_ShouldWorkInModalityUnits()
    {
        // Stored -1000..999 (signed), HU = 2 * stored + 24: the window lives in HU.
        var source = new Raster(2000, 1, ColorModel.Gray, 16);
        for (var i = 0; i < 2000; i++)
        {
            source.Samples16[i] = unchecked((ushort)(short)(i - 1000));
        }

        var window = Windowing.AutoWindow(source, new GrayRendering(RescaleSlope: 2, RescaleIntercept: 24, SignedSamples: true), 0, 100);
        Assert.Equal(((-2000 + 24) + (1998 + 24) + 1) / 2.0, window.Center);
        Assert.Equal(1998 - -2000 + 1, window.Width);
    }

    [Fact]
    public void AutoWindow_WhenPercentilesClipOutliers_ShouldIgnoreThem()
    {
        var source = new Raster(1000, 1, ColorModel.Gray, 16);
        source.Samples16.Fill(500);
        source.Samples16[0] = 0;
        source.Samples16[1] = 65535;
        source.Samples16[2] = 400;
        source.Samples16[3] = 600;
        source.Samples16[4] = 600;
        source.Samples16[5] = 600;
        source.Samples16[6] = 600;
        source.Samples16[7] = 600;
        var window = Windowing.AutoWindow(source, new GrayRendering());
        Assert.Equal((500 + 600 + 1) / 2.0, window.Center);
    }

    [Theory]
    [InlineData(-1, 50)]
    [InlineData(60, 50)]
    [InlineData(0, 101)]
    [InlineData(double.NaN, 50)]
    public void AutoWindow_WhenPercentilesInvalid_ShouldThrowArgumentOutOfRange(double low, double high)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Windowing.AutoWindow(new Raster(2, 2, ColorModel.Gray, 8), new GrayRendering(), low, high));
    }

    [Fact]
    public void RenderGray8_WhenLargeAndSplitAcrossThreads_ShouldMatchTheLutEverywhere()
    {
        var source = new Raster(2800, 2800, ColorModel.Gray, 16);
        var random = new Random(7);
        var samples = source.Samples16;
        for (var i = 0; i < samples.Length; i++)
        {
            samples[i] = (ushort)random.Next(0, 4096);
        }

        var rendering = new GrayRendering(RescaleIntercept: -1024, Window: new WindowLevel(40, 400), BitsStored: 12);
        var lut = Windowing.BuildLut(rendering, 16);
        var output = Windowing.RenderGray8(source, rendering);

        // Every pixel, so a chunk boundary of the parallel split cannot hide an off-by-one. Speed is measured
        // by bench/ (docs/benchmarks.md), never asserted here.
        for (var i = 0; i < samples.Length; i++)
        {
            if (lut[samples[i]] != output.Data[i])
            {
                Assert.Fail($"pixel {i}: expected {lut[samples[i]]}, got {output.Data[i]}");
            }
        }
    }
}
