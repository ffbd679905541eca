using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MedVision.Imaging.Tests;

public class HeatmapRendererTests
{
    [Fact]
    public void RenderOverlay_WhenSaliencyRepeatsOneValueOverEveryPixel_ShouldBlendEachPixelAsTheFormulaSays()
    {
        // A uniform model map gives every pixel the same field value, so the blend runs from its per-value table;
        // each channel must still be round(under + (heat - under) × opacity × value), as for a one-off value.
        var source = new Raster(320, 240, ColorModel.Gray, 8);
        for (var i = 0; i < source.Data.Length; i++)
        {
            source.Data[i] = (byte)(i * 13);
        }

        var saliency = new Raster(8, 6, ColorModel.Gray, 8);
        saliency.Data.AsSpan().Fill(200);
        var options = new HeatmapOptions(ModelSaliency: saliency);

        var overlay = HeatmapRenderer.RenderOverlay(source, [], options);

        var value = 200 * (float)(options.ModelSaliencyWeight / 255.0);
        var alpha = options.Opacity * value;
        var (r, g, b) = HeatmapRenderer.HeatColor(value);
        static byte Mix(byte under, byte over, double a) =>
            (byte)Math.Clamp(Math.Round(under + ((over - under) * a), MidpointRounding.AwayFromZero), 0, 255);
        for (var y = 100; y < 140; y++)
        {
            for (var x = 120; x < 200; x++) // the middle: no legend or label is drawn there
            {
                var i = (y * source.Width) + x;
                var under = source.Data[i];
                Assert.Equal(
                    (Mix(under, r, alpha), Mix(under, g, alpha), Mix(under, b, alpha)),
                    (overlay.Data[i * 3], overlay.Data[(i * 3) + 1], overlay.Data[(i * 3) + 2]));
            }
        }
    }

    private static Raster NoiseGray(int width, int height, int seed)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        new Random(seed).NextBytes(raster.Data);
        return raster;
    }

    private static (byte R, byte G, byte B) Pixel(Raster rgb, int x, int y)
    {
        var i = ((y * rgb.Width) + x) * 3;
        return (rgb.Data[i], rgb.Data[i + 1], rgb.Data[i + 2]);
    }

    [Theory]
    [InlineData(ColorModel.Gray, 8)]
    [InlineData(ColorModel.Rgba, 16)]
    [InlineData(ColorModel.GrayAlpha, 16)]
    public void RenderOverlay_WhenAnySource_ShouldReturnRgb8OfSourceSize(ColorModel color, int depth)
    {
        var source = new Raster(97, 61, color, depth);
        var output = HeatmapRenderer.RenderOverlay(source, [new HeatmapFinding(new Box(10, 20, 30, 25), 0.9, "mass")]);
        Assert.Equal((97, 61, ColorModel.Rgb, 8), (output.Width, output.Height, output.Color, output.BitDepth));
    }

    [Fact]
    public void RenderOverlay_WhenNoFindings_ShouldEqualSourceOutsideLegend()
    {
        var source = NoiseGray(120, 90, 1);
        var output = HeatmapRenderer.RenderOverlay(source, []);
        var expected = source.ToRgb8();
        for (var y = 40; y < 90; y++)
        {
            Assert.Equal(expected.Data.AsSpan(y * 360, 360).ToArray(), output.Data.AsSpan(y * 360, 360).ToArray());
        }
    }

    // Feature: medvision-ai-platform, Property 17: the overlay leaves every pixel outside the findings' influence bit-identical (PSNR = infinity).
    [Property(MaxTest = 100)]
    public Property RenderOverlay_WhenPixelsFarFromFindings_ShouldEqualSourceExactly()
    {
        const int width = 160;
        const int height = 140;
        var gen =
            from count in Gen.Choose(1, 3)
            from boxes in Gen.ArrayOf(
                from x in Gen.Choose(0, 100)
                from y in Gen.Choose(45, 110)
                from w in Gen.Choose(1, 40)
                from h in Gen.Choose(1, 40)
                from confidence in Gen.Choose(0, 100)
                select new HeatmapFinding(new Box(x, y, w, h), confidence / 100.0, "x"), count)
            from seed in Gen.Choose(0, 1000)
            select (boxes, seed);

        return Prop.ForAll(Arb.From(gen), t =>
        {
            var source = NoiseGray(width, height, t.seed);
            var expected = source.ToRgb8();
            var output = HeatmapRenderer.RenderOverlay(source, t.boxes, new HeatmapOptions(Opacity: 1.0));
            double squaredError = 0;
            var compared = 0;
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    if (y < 40 && x >= width - 60)
                    {
                        continue; // legend corner
                    }

                    if (t.boxes.Any(f => Influences(f.Box, x, y)))
                    {
                        continue;
                    }

                    compared++;
                    for (var c = 0; c < 3; c++)
                    {
                        var d = output.Data[(((y * width) + x) * 3) + c] - expected.Data[(((y * width) + x) * 3) + c];
                        squaredError += d * d;
                    }
                }
            }

            return compared > 1000 && squaredError == 0; // MSE 0 <=> PSNR infinite
        });
    }

    // Reach of one finding: its blob (centre +- cutoff sigmas, plus a pixel of slack) and its label panel
    // ("X 1.00" is 37 px wide, 9 px tall, drawn just above the box or, without room, just inside it).
    private static bool Influences(Box box, int x, int y)
    {
        var cx = box.X + ((box.Width - 1) / 2.0);
        var cy = box.Y + ((box.Height - 1) / 2.0);
        var reachX = (HeatmapRenderer.CutoffSigmas * Math.Max(1, box.Width * HeatmapRenderer.SigmaPerSide)) + 1;
        var reachY = (HeatmapRenderer.CutoffSigmas * Math.Max(1, box.Height * HeatmapRenderer.SigmaPerSide)) + 1;
        var inBlob = Math.Abs(x - cx) <= reachX && Math.Abs(y - cy) <= reachY;
        var inLabel = x >= box.X - 40 && x < box.X + 40 && y >= box.Y - 10 && y < box.Y + 12;
        return inBlob || inLabel;
    }

    // Feature: medvision-ai-platform, Property 15: a more confident finding is rendered at least as hot at its centre.
    [Property(MaxTest = 100)]
    public Property RenderOverlay_WhenTwoFindings_ShouldRenderHigherConfidenceAtLeastAsHotAtCentre()
    {
        var gen =
            from a in Gen.Choose(0, 1000)
            from b in Gen.Choose(0, 1000)
            from wa in Gen.Choose(5, 40)
            from wb in Gen.Choose(5, 40)
            from gap in Gen.Choose(-20, 20)
            select (a / 1000.0, b / 1000.0, wa, wb, gap);

        return Prop.ForAll(Arb.From(gen), t =>
        {
            var (ca, cb, wa, wb, gap) = t;
            var boxA = new Box(20, 60, wa, wa);
            var boxB = new Box(boxA.X + wa + 25 + gap, 60, wb, wb); // may overlap A's blob, never its centre
            var source = new Raster(160, 130, ColorModel.Gray, 8); // black: heat shows undiluted
            var output = HeatmapRenderer.RenderOverlay(source, [new HeatmapFinding(boxA, ca, ""), new HeatmapFinding(boxB, cb, "")]);
            var field = HeatmapRenderer.SaliencyField(160, 130, [new HeatmapFinding(boxA, ca, ""), new HeatmapFinding(boxB, cb, "")]);

            var (ax, ay) = (boxA.X + (boxA.Width / 2), boxA.Y + (boxA.Height / 2));
            var (bx, by) = (boxB.X + (boxB.Width / 2), boxB.Y + (boxB.Height / 2));
            var redA = Pixel(output, ax, ay).R;
            var redB = Pixel(output, bx, by).R;
            var fieldA = field[(ay * 160) + ax];
            var fieldB = field[(by * 160) + bx];

            var ordered = ca >= cb ? redA >= redB && fieldA >= fieldB : redB >= redA && fieldB >= fieldA;
            var peakIsConfidence = fieldA >= (float)ca && fieldB >= (float)cb; // each centre reaches at least its own peak
            return ordered && peakIsConfidence;
        });
    }

    [Fact]
    public void SaliencyField_WhenSingleFinding_ShouldPeakAtConfidenceAndVanishBeyondCutoff()
    {
        var field = HeatmapRenderer.SaliencyField(100, 100, [new HeatmapFinding(new Box(40, 40, 20, 10), 0.7, "")]);
        Assert.Equal(0.7f, field[(45 * 100) + 50]);
        Assert.Equal(0.7f, field[(44 * 100) + 49]); // both middle pixels of an even side peak
        Assert.True(field[(45 * 100) + 58] < 0.7f);
        Assert.True(field[(45 * 100) + 58] > 0f);
        Assert.Equal(0f, field[(45 * 100) + 66]); // 3 sigma (15 px) + half pixel from centre 49.5
        Assert.Equal(0f, field[(10 * 100) + 50]);
        Assert.All(field, v => Assert.InRange(v, 0f, 0.7f));
    }

    // Feature: medvision-ai-platform, Property 16: N non-overlapping findings give N intact outlines, each in its band colour.
    [Property(MaxTest = 100)]
    public Property RenderOverlay_WhenNonOverlappingFindings_ShouldDrawEachOutlineInBandColour()
    {
        var gen =
            from n in Gen.Choose(1, 6)
            from confidences in Gen.ArrayOf(Gen.Choose(0, 100), n)
            from sizes in Gen.ArrayOf(Gen.Choose(3, 30), n)
            select (confidences, sizes);

        return Prop.ForAll(Arb.From(gen), t =>
        {
            // A 3x2 grid of 60x60 cells keeps the boxes apart whatever their size.
            var findings = t.confidences.Select((c, i) => new HeatmapFinding(
                new Box(10 + ((i % 3) * 60), 50 + ((i / 3) * 60), t.sizes[i], t.sizes[i]), c / 100.0, $"F{i}")).ToList();
            var output = HeatmapRenderer.RenderOverlay(NoiseGray(200, 180, t.sizes.Sum()), findings);

            var outlines = 0;
            foreach (var f in findings)
            {
                var color = HeatmapRenderer.BandColor(f.Confidence);
                var thickness = f.Box.Width >= HeatmapRenderer.ThickOutlineMinSide ? 2 : 1;
                var intact = true;
                for (var y = f.Box.Y; y < f.Box.Y + f.Box.Height; y++)
                {
                    for (var x = f.Box.X; x < f.Box.X + f.Box.Width; x++)
                    {
                        var onBorder = x < f.Box.X + thickness || x >= f.Box.X + f.Box.Width - thickness
                            || y < f.Box.Y + thickness || y >= f.Box.Y + f.Box.Height - thickness;
                        if (onBorder && Pixel(output, x, y) != color)
                        {
                            intact = false;
                        }
                    }
                }

                // Just outside the box the colour must not continue (the outline hugs the box).
                if (Pixel(output, f.Box.X - 1, f.Box.Y + (f.Box.Height / 2)) == color)
                {
                    intact = false;
                }

                outlines += intact ? 1 : 0;
            }

            return outlines == findings.Count;
        });
    }

    [Theory]
    [InlineData(1.0, 255, 0, 0)]
    [InlineData(0.8, 255, 0, 0)]
    [InlineData(0.79, 255, 255, 0)]
    [InlineData(0.6, 255, 255, 0)]
    [InlineData(0.59, 0, 0, 255)]
    [InlineData(0.0, 0, 0, 255)]
    public void RenderOverlay_WhenConfidenceAtBandThreshold_ShouldUseBandColour(double confidence, int r, int g, int b)
    {
        Assert.Equal(((byte)r, (byte)g, (byte)b), HeatmapRenderer.BandColor(confidence));
        var output = HeatmapRenderer.RenderOverlay(new Raster(64, 64, ColorModel.Gray, 8), [new HeatmapFinding(new Box(20, 30, 20, 20), confidence, "")]);
        Assert.Equal(((byte)r, (byte)g, (byte)b), Pixel(output, 20, 40));
        Assert.Equal(((byte)r, (byte)g, (byte)b), Pixel(output, 39, 49));
    }

    [Fact]
    public void BandThresholds_WhenRead_ShouldMatchPublishedValues()
    {
        Assert.Equal(0.8, HeatmapRenderer.HighConfidence);
        Assert.Equal(0.6, HeatmapRenderer.MediumConfidence);
    }

    [Fact]
    public void RenderOverlay_WhenLabelFitsAbove_ShouldDrawTruncatedConfidenceText()
    {
        var box = new Box(30, 40, 40, 30);
        var output = HeatmapRenderer.RenderOverlay(new Raster(160, 120, ColorModel.Gray, 8), [new HeatmapFinding(box, 0.879, "")]);

        // Expected: "0.87" (not "0.88": never shown above its band) in white on a red tab just above the box.
        var expected = new Raster(160, 120, ColorModel.Rgb, 8);
        for (var i = 0; i < expected.Data.Length; i += 3)
        {
            expected.Data[i] = 255;
        }

        BitmapFont.DrawText(expected, box.X + 1, box.Y - 8, "0.87", (255, 255, 255));
        for (var y = box.Y - 9; y < box.Y; y++)
        {
            for (var x = box.X; x < box.X + BitmapFont.MeasureWidth("0.87") + 2; x++)
            {
                Assert.Equal(Pixel(expected, x, y), Pixel(output, x, y));
            }
        }
    }

    [Fact]
    public void RenderOverlay_WhenFindingUnderTopRightCorner_ShouldMoveLegendToFreeCorner()
    {
        var finding = new HeatmapFinding(new Box(150, 15, 40, 30), 0.3, "");
        var output = HeatmapRenderer.RenderOverlay(new Raster(200, 100, ColorModel.Gray, 8), [finding]);

        // The blue box outline survives intact and the legend's red swatch now sits top-left.
        for (var x = 150; x < 190; x++)
        {
            Assert.Equal(HeatmapRenderer.LowColor, Pixel(output, x, 15));
        }

        var redTopLeft = 0;
        for (var y = 0; y < 40; y++)
        {
            for (var x = 0; x < 60; x++)
            {
                redTopLeft += Pixel(output, x, y) == HeatmapRenderer.HighColor ? 1 : 0;
            }
        }

        Assert.Equal(49, redTopLeft); // one 7x7 swatch
    }

    [Fact]
    public void RenderOverlay_WhenWatermarkGiven_ShouldDrawItAlongBottomEdge()
    {
        var source = NoiseGray(200, 100, 3);
        var plain = HeatmapRenderer.RenderOverlay(source, []);
        var marked = HeatmapRenderer.RenderOverlay(source, [], new HeatmapOptions(Watermark: "NOT FOR DIAGNOSIS"));

        var expected = new Raster(200, 100, ColorModel.Rgb, 8);
        BitmapFont.DrawText(expected, 2, 100 - 2 - 7, "NOT FOR DIAGNOSIS", (255, 255, 255));
        var textPixels = 0;
        for (var y = 0; y < 100; y++)
        {
            for (var x = 0; x < 200; x++)
            {
                if (Pixel(expected, x, y) == (255, 255, 255))
                {
                    textPixels++;
                    Assert.Equal((255, 255, 255), Pixel(marked, x, y));
                }
            }
        }

        Assert.True(textPixels > 50);
        Assert.Equal(plain.Data.AsSpan(0, 200 * 3 * 80).ToArray(), marked.Data.AsSpan(0, 200 * 3 * 80).ToArray());
    }

    [Fact]
    public void RenderOverlay_WhenLargeEnough_ShouldDrawLegendSwatches()
    {
        var output = HeatmapRenderer.RenderOverlay(new Raster(200, 100, ColorModel.Gray, 8), []);
        var colours = new HashSet<(byte, byte, byte)>();
        for (var y = 0; y < 40; y++)
        {
            for (var x = 140; x < 200; x++)
            {
                colours.Add(Pixel(output, x, y));
            }
        }

        Assert.Contains(HeatmapRenderer.HighColor, colours);
        Assert.Contains(HeatmapRenderer.MediumColor, colours);
        Assert.Contains(HeatmapRenderer.LowColor, colours);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(3, 2)]
    [InlineData(2, 9)]
    [InlineData(40, 5)]
    public void RenderOverlay_WhenImageTiny_ShouldNotThrow(int width, int height)
    {
        HeatmapFinding[] findings =
        [
            new(new Box(0, 0, width, height), 0.95, "a long label that cannot fit"),
            new(new Box(-5, -5, 100, 100), 0.5, "b"),
            new(new Box(1000, 1000, 10, 10), 0.7, "c"),
            new(new Box(0, 0, 0, 0), 0.7, ""),
            new(new Box(int.MaxValue - 1, int.MinValue, int.MaxValue, int.MaxValue), 2.0, "d"),
        ];
        var output = HeatmapRenderer.RenderOverlay(new Raster(width, height, ColorModel.Rgb, 16), findings,
            new HeatmapOptions(0.4, "WATERMARK TEXT WAY TOO LONG"));
        Assert.Equal((width, height), (output.Width, output.Height));
    }

    [Fact]
    public void RenderOverlay_WhenModelSaliencyGiven_ShouldHeatOnlyWhereTheMapIsBright()
    {
        // A 16×12 map, hot in its left half only, stretched over a 160×120 image below the legend's corner.
        var map = new Raster(16, 12, ColorModel.Gray, 8);
        for (var y = 0; y < 12; y++)
        {
            for (var x = 0; x < 6; x++)
            {
                map.Data[(y * 16) + x] = 255;
            }
        }

        var source = NoiseGray(160, 120, 3);
        var plain = HeatmapRenderer.RenderOverlay(source, []);
        var withMap = HeatmapRenderer.RenderOverlay(source, [], new HeatmapOptions(ModelSaliency: map));

        Assert.NotEqual(Pixel(plain, 20, 100), Pixel(withMap, 20, 100));
        Assert.Equal(Pixel(plain, 140, 100), Pixel(withMap, 140, 100));
        Assert.Equal(plain.Data, HeatmapRenderer.RenderOverlay(source, [], new HeatmapOptions(ModelSaliency: map, ModelSaliencyWeight: 0)).Data);
    }

    // Feature: medvision-ai-platform, Property 15: a model saliency map never outshines a finding at its centre.
    [Fact]
    public void RenderOverlay_WhenModelSaliencyCoversAFinding_ShouldKeepTheFindingHottestAtItsCentre()
    {
        // Property 15 with a model map: at the default weight the map (≤ 0.5) never outshines a finding (≥ 0.5).
        var map = new Raster(8, 8, ColorModel.Gray, 8);
        Array.Fill(map.Data, (byte)255);
        var source = new Raster(100, 100, ColorModel.Gray, 8);
        var finding = new HeatmapFinding(new Box(40, 40, 21, 21), 0.95, "lesion");

        var findingOnly = HeatmapRenderer.RenderOverlay(source, [finding]);
        var withMap = HeatmapRenderer.RenderOverlay(source, [finding], new HeatmapOptions(ModelSaliency: map));

        // At the centre the field is max(0.95, 0.5) = 0.95: the same pixel as without the map; far away the map shows.
        Assert.Equal(Pixel(findingOnly, 50, 50), Pixel(withMap, 50, 50));
        Assert.NotEqual(Pixel(findingOnly, 10, 90), Pixel(withMap, 10, 90));
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void RenderOverlay_WhenModelSaliencyWeightOutOfRange_ShouldThrow(double weight)
    {
        var map = new Raster(4, 4, ColorModel.Gray, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            HeatmapRenderer.RenderOverlay(new Raster(10, 10, ColorModel.Gray, 8), [], new HeatmapOptions(ModelSaliency: map, ModelSaliencyWeight: weight)));
    }

    [Fact]
    public void RenderOverlay_WhenOpacityOutOfRange_ShouldThrow()
    {
        var source = new Raster(4, 4, ColorModel.Gray, 8);
        Assert.Throws<ArgumentOutOfRangeException>(() => HeatmapRenderer.RenderOverlay(source, [], new HeatmapOptions(1.5)));
        Assert.Throws<ArgumentOutOfRangeException>(() => HeatmapRenderer.RenderOverlay(source, [], new HeatmapOptions(double.NaN)));
    }

    [Fact]
    public void HeatColor_WhenValueRises_ShouldNeverLowerRed()
    {
        var previous = 0;
        for (var i = 0; i <= 1000; i++)
        {
            var red = HeatmapRenderer.HeatColor(i / 1000.0).R;
            Assert.True(red >= previous, $"red fell at {i / 1000.0}");
            previous = red;
        }

        Assert.Equal((0, 0, 255), HeatmapRenderer.HeatColor(0));
        Assert.Equal((255, 0, 0), HeatmapRenderer.HeatColor(1));
    }
}
