namespace MedVision.Imaging.Tests;

public class PngDecoderTests
{
    [Theory]
    [InlineData(1, new[] { 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0 }, 255)]
    [InlineData(2, new[] { 0, 1, 2, 3, 3, 2, 1 }, 85)]
    [InlineData(4, new[] { 0, 15, 7, 8, 1, 14, 3, 12, 5 }, 17)]
    public void Decode_WhenLowBitDepthGray_ShouldScaleToEightBit(int depth, int[] samples, int factor)
    {
        // Two rows, the second reversed, so a packing bug in either direction shows.
        var rows = new[] { TestPng.PackRow(samples, depth), TestPng.PackRow(samples.Reverse().ToArray(), depth) };
        var png = TestPng.Simple((uint)samples.Length, 2, (byte)depth, 0, TestPng.Scanlines(rows, 1));

        var raster = PngDecoder.Decode(png);

        Assert.Equal(ColorModel.Gray, raster.Color);
        Assert.Equal(8, raster.BitDepth);
        for (var x = 0; x < samples.Length; x++)
        {
            Assert.Equal(samples[x] * factor, raster.GetSample(x, 0, 0));
            Assert.Equal(samples[samples.Length - 1 - x] * factor, raster.GetSample(x, 1, 0));
        }
    }

    [Fact]
    public void Decode_WhenPaletteWithTrns_ShouldExpandToRgba()
    {
        byte[] palette = [255, 0, 0, 0, 255, 0, 0, 0, 255, 9, 8, 7];
        byte[] trns = [0, 128]; // entries 2 and 3 have no alpha and so are opaque
        int[] indices = [0, 1, 2, 3, 3];
        var png = TestPng.Simple(5, 1, 2, 3, TestPng.Scanlines([TestPng.PackRow(indices, 2)], 1),
            TestPng.Chunk("PLTE", palette), TestPng.Chunk("tRNS", trns));

        var raster = PngDecoder.Decode(png);

        Assert.Equal(ColorModel.Rgba, raster.Color);
        Assert.Equal(8, raster.BitDepth);
        Assert.Equal(
            new byte[] { 255, 0, 0, 0, 0, 255, 0, 128, 0, 0, 255, 255, 9, 8, 7, 255, 9, 8, 7, 255 },
            raster.Data);
    }

    [Fact]
    public void Decode_WhenPaletteWithoutTrns_ShouldExpandToRgb()
    {
        byte[] palette = [1, 2, 3, 4, 5, 6];
        var png = TestPng.Simple(3, 1, 8, 3, TestPng.Scanlines([[1, 0, 1]], 1), TestPng.Chunk("PLTE", palette));
        var raster = PngDecoder.Decode(png);
        Assert.Equal(ColorModel.Rgb, raster.Color);
        Assert.Equal(new byte[] { 4, 5, 6, 1, 2, 3, 4, 5, 6 }, raster.Data);
    }

    [Fact]
    public void Decode_WhenPaletteIndexBeyondPalette_ShouldThrowBadPalette()
    {
        var png = TestPng.Simple(2, 1, 8, 3, TestPng.Scanlines([[0, 2]], 1), TestPng.Chunk("PLTE", [1, 2, 3, 4, 5, 6]));
        var ex = Assert.Throws<ImageDecodeException>(() => PngDecoder.Decode(png));
        Assert.Equal(PngErrorCodes.BadPalette, ex.Code);
    }

    [Fact]
    public void Decode_WhenPaletteTypeWithoutPlte_ShouldThrowBadPalette()
    {
        var png = TestPng.Simple(1, 1, 8, 3, TestPng.Scanlines([[0]], 1));
        Assert.Equal(PngErrorCodes.BadPalette, Assert.Throws<ImageDecodeException>(() => PngDecoder.Decode(png)).Code);
    }

    [Fact]
    public void Decode_WhenGrayWithTrns_ShouldExpandKeyToTransparentAlpha()
    {
        var png = TestPng.Simple(3, 1, 4, 0, TestPng.Scanlines([TestPng.PackRow([5, 6, 5], 4)], 1), TestPng.Chunk("tRNS", [0, 5]));
        var raster = PngDecoder.Decode(png);
        Assert.Equal(ColorModel.GrayAlpha, raster.Color);
        Assert.Equal(new byte[] { 85, 0, 102, 255, 85, 0 }, raster.Data);
    }

    [Fact]
    public void Decode_WhenRgb16WithTrns_ShouldExpandToRgba16()
    {
        int[] samples = [0x0102, 0x0304, 0x0506, 0xFFFF, 0x0000, 0x8000];
        var png = TestPng.Simple(2, 1, 16, 2, TestPng.Scanlines([TestPng.PackRow(samples, 16)], 6),
            TestPng.Chunk("tRNS", [0x01, 0x02, 0x03, 0x04, 0x05, 0x06]));

        var raster = PngDecoder.Decode(png);

        Assert.Equal(ColorModel.Rgba, raster.Color);
        Assert.Equal(16, raster.BitDepth);
        Assert.Equal(new ushort[] { 0x0102, 0x0304, 0x0506, 0, 0xFFFF, 0x0000, 0x8000, 0xFFFF }, raster.Samples16.ToArray());
    }

    [Fact]
    public void Decode_WhenGray16_ShouldKeepFullPrecisionInMachineOrder()
    {
        int[] samples = [0x0000, 0x1234, 0xFFFF, 0xABCD, 0x00FF];
        var png = TestPng.Simple(5, 1, 16, 0, TestPng.Scanlines([TestPng.PackRow(samples, 16)], 2));
        var raster = PngDecoder.Decode(png);
        Assert.Equal(ColorModel.Gray, raster.Color);
        Assert.Equal(16, raster.BitDepth);
        Assert.Equal(samples.Select(s => (ushort)s).ToArray(), raster.Samples16.ToArray());
        Assert.Equal(0x1234, raster.GetSample(1, 0, 0));
    }

    [Theory]
    [InlineData(0, 8, 1)]
    [InlineData(2, 8, 3)]
    [InlineData(4, 8, 2)]
    [InlineData(6, 8, 4)]
    [InlineData(6, 16, 4)]
    [InlineData(0, 2, 1)]
    public void Decode_WhenRowsUseAllFiveFilters_ShouldReconstructPixels(byte colorType, int depth, int samplesPerPixel)
    {
        const int width = 9;
        const int height = 10;
        var random = new Random(colorType * 31 + depth);
        var rows = new List<int[]>();
        for (var y = 0; y < height; y++)
        {
            rows.Add(Enumerable.Range(0, width * samplesPerPixel).Select(_ => random.Next(1 << depth)).ToArray());
        }

        var packed = rows.Select(r => TestPng.PackRow(r, depth)).ToList();
        var bpp = Math.Max(1, samplesPerPixel * depth / 8);
        var png = TestPng.Simple(width, height, (byte)depth, colorType, TestPng.Scanlines(packed, bpp, 0, 1, 2, 3, 4));

        var raster = PngDecoder.Decode(png);

        var scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < samplesPerPixel; c++)
                {
                    Assert.Equal(rows[y][(x * samplesPerPixel) + c] * scale, raster.GetSample(x, y, c));
                }
            }
        }
    }

    public static TheoryData<int, int, byte, int> InterlaceCases => new()
    {
        { 13, 11, 2, 8 },
        { 1, 1, 6, 8 },
        { 3, 2, 0, 8 },
        { 9, 7, 0, 2 },
        { 17, 5, 6, 16 },
        { 8, 8, 0, 1 },
    };

    [Theory]
    [MemberData(nameof(InterlaceCases))]
    public void Decode_WhenAdam7Interlaced_ShouldMatchNonInterlacedDecode(int width, int height, byte colorType, int depth)
    {
        var samplesPerPixel = colorType switch { 0 => 1, 2 => 3, 4 => 2, _ => 4 };
        var random = new Random((width * 100) + height);
        var pixels = new int[height, width, samplesPerPixel];
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < samplesPerPixel; c++)
                {
                    pixels[y, x, c] = random.Next(1 << depth);
                }
            }
        }

        int[] RowOf(int y, int x0, int step)
        {
            var samples = new List<int>();
            for (var x = x0; x < width; x += step)
            {
                for (var c = 0; c < samplesPerPixel; c++)
                {
                    samples.Add(pixels[y, x, c]);
                }
            }

            return [.. samples];
        }

        var bpp = Math.Max(1, samplesPerPixel * depth / 8);
        var plainRows = Enumerable.Range(0, height).Select(y => TestPng.PackRow(RowOf(y, 0, 1), depth)).ToList();
        var plain = TestPng.Simple((uint)width, (uint)height, (byte)depth, colorType, TestPng.Scanlines(plainRows, bpp, 4, 1));

        // Adam7 as the spec lays it out: seven reduced images, each filtered on its own, empty ones omitted.
        (int X0, int Y0, int DX, int DY)[] passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)];
        var interlacedData = new List<byte>();
        foreach (var (x0, y0, dx, dy) in passes)
        {
            if (x0 >= width || y0 >= height)
            {
                continue;
            }

            var passRows = new List<byte[]>();
            for (var y = y0; y < height; y += dy)
            {
                passRows.Add(TestPng.PackRow(RowOf(y, x0, dx), depth));
            }

            interlacedData.AddRange(TestPng.Scanlines(passRows, bpp, 2, 3, 4, 0, 1));
        }

        var interlaced = TestPng.File(
            TestPng.Ihdr((uint)width, (uint)height, (byte)depth, colorType, interlace: 1),
            TestPng.Chunk("IDAT", TestPng.Zlib([.. interlacedData])),
            TestPng.Iend());

        var expected = PngDecoder.Decode(plain);
        var actual = PngDecoder.Decode(interlaced);

        Assert.Equal(expected.Color, actual.Color);
        Assert.Equal(expected.BitDepth, actual.BitDepth);
        Assert.Equal(expected.Data, actual.Data);
        var scale = depth < 8 ? 255 / ((1 << depth) - 1) : 1;
        Assert.Equal(pixels[height - 1, width - 1, samplesPerPixel - 1] * scale, actual.GetSample(width - 1, height - 1, samplesPerPixel - 1));
    }

    [Fact]
    public void Decode_WhenImageDataSplitAcrossIdatChunks_ShouldConcatenate()
    {
        var raster = new Raster(20, 10, ColorModel.Rgb, 8);
        new Random(3).NextBytes(raster.Data);
        var rows = Enumerable.Range(0, 10).Select(y => raster.Data.AsSpan(y * 60, 60).ToArray()).ToList();
        var z = TestPng.Zlib(TestPng.Scanlines(rows, 3));
        var png = TestPng.File(
            TestPng.Ihdr(20, 10, 8, 2),
            TestPng.Chunk("IDAT", z.AsSpan(0, 1)),
            TestPng.Chunk("IDAT", []),
            TestPng.Chunk("IDAT", z.AsSpan(1, z.Length / 2)),
            TestPng.Chunk("IDAT", z.AsSpan(1 + (z.Length / 2))),
            TestPng.Iend());

        Assert.Equal(raster.Data, PngDecoder.Decode(png).Data);
    }

    [Fact]
    public void Decode_WhenUnknownAncillaryChunks_ShouldSkipThem()
    {
        var png = TestPng.File(
            TestPng.Ihdr(1, 1, 8, 0),
            TestPng.Chunk("tEXt", "Comment\0hello"u8),
            TestPng.Chunk("prVt", [1, 2, 3]),
            TestPng.Chunk("IDAT", TestPng.Zlib([0, 42])),
            TestPng.Chunk("zzZz", []),
            TestPng.Iend());

        Assert.Equal(42, PngDecoder.Decode(png).GetSample(0, 0, 0));
    }

    [Fact]
    public void Decode_WhenUnknownCriticalChunk_ShouldThrowUnsupported()
    {
        var png = TestPng.File(
            TestPng.Ihdr(1, 1, 8, 0),
            TestPng.Chunk("CrIt", [1]),
            TestPng.Chunk("IDAT", TestPng.Zlib([0, 42])),
            TestPng.Iend());

        var ex = Assert.Throws<ImageDecodeException>(() => PngDecoder.Decode(png));
        Assert.Equal(PngErrorCodes.Unsupported, ex.Code);
        Assert.Contains("CrIt", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenDataFollowsIend_ShouldIgnoreIt()
    {
        var png = TestPng.Simple(1, 1, 8, 0, [0, 7]).Concat(new byte[] { 1, 2, 3 }).ToArray();
        Assert.Equal(7, PngDecoder.Decode(png).GetSample(0, 0, 0));
    }
}
