namespace MedVision.Imaging.Tests;

/// <summary>Oracle-free checks: argument handling, marker layout, tables, edge padding, sample conversion.</summary>
public class JpegEncoderTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(101)]
    [InlineData(-7)]
    public void Encode_WhenQualityOutOfRange_ShouldThrow(int quality)
    {
        var image = JpegEncoderTestData.Smooth(8, 8, ColorModel.Gray);

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => JpegEncoder.Encode(image, new JpegEncodeOptions(quality)));

        Assert.Contains("between 1 and 100", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_WhenSubsamplingUnknown_ShouldThrow()
    {
        var image = JpegEncoderTestData.Smooth(8, 8, ColorModel.Rgb);

        Assert.Throws<ArgumentOutOfRangeException>(() => JpegEncoder.Encode(image, new JpegEncodeOptions(Subsampling: (JpegSubsampling)7)));
    }

    [Theory]
    [InlineData(65536, 1)]
    [InlineData(1, 65536)]
    public void Encode_WhenDimensionAbove65535_ShouldThrowArgumentException(int width, int height)
    {
        var image = new Raster(width, height, ColorModel.Gray, 8);

        var error = Assert.Throws<ArgumentException>(() => JpegEncoder.Encode(image));

        Assert.Contains("65535", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Encode_WhenDimensionIs65535_ShouldEncode()
    {
        var jpeg = JpegEncoder.Encode(new Raster(65535, 1, ColorModel.Gray, 8));

        var frame = JpegEncoderTestData.Frame(jpeg);
        Assert.Equal((65535, 1), (frame.Width, frame.Height));
    }

    [Fact]
    public void Encode_WhenImageNull_ShouldThrow() => Assert.Throws<ArgumentNullException>(() => JpegEncoder.Encode(null!));

    [Theory]
    [InlineData(ColorModel.Gray, true, new[] { 0xD8, 0xE0, 0xDB, 0xC0, 0xC4, 0xC4, 0xDA, 0xD9 })]
    [InlineData(ColorModel.Gray, false, new[] { 0xD8, 0xDB, 0xC0, 0xC4, 0xC4, 0xDA, 0xD9 })]
    [InlineData(ColorModel.Rgb, true, new[] { 0xD8, 0xE0, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA, 0xD9 })]
    [InlineData(ColorModel.Rgba, false, new[] { 0xD8, 0xDB, 0xDB, 0xC0, 0xC4, 0xC4, 0xC4, 0xC4, 0xDA, 0xD9 })]
    public void Encode_WhenWritten_ShouldEmitBaselineMarkersInOrder(ColorModel color, bool jfif, int[] expected)
    {
        var jpeg = JpegEncoder.Encode(JpegEncoderTestData.Smooth(21, 13, color), new JpegEncodeOptions(WriteJfif: jfif));

        var markers = JpegEncoderTestData.Segments(jpeg).Select(s => (int)s.Marker).ToArray();

        Assert.Equal(expected, markers);
    }

    [Fact]
    public void Encode_WhenJfif_ShouldWriteVersion101Header()
    {
        var jpeg = JpegEncoder.Encode(JpegEncoderTestData.Smooth(4, 4, ColorModel.Gray));

        var app0 = JpegEncoderTestData.Segments(jpeg).Single(s => s.Marker == 0xE0).Payload;

        Assert.Equal("JFIF\0"u8.ToArray(), app0[..5]);
        Assert.Equal(new byte[] { 1, 1 }, app0[5..7]);
    }

    [Fact]
    public void Encode_WhenQuality50_ShouldWriteAnnexKTablesUnscaled()
    {
        var jpeg = JpegEncoder.Encode(JpegEncoderTestData.Smooth(16, 16, ColorModel.Rgb), new JpegEncodeOptions(50));

        var tables = JpegEncoderTestData.QuantizationTables(jpeg);

        Assert.Equal(JpegEncoderTestData.AnnexKLuminance, tables[0]);
        Assert.Equal(JpegEncoderTestData.AnnexKChrominance, tables[1]);
    }

    [Theory]
    [InlineData(100, 1, 1)]
    [InlineData(1, 255, 255)]
    [InlineData(75, 5, 9)] // scale 50%: the smallest entries 10 and 17 become (10 * 50 + 50) / 100 = 5 and 9
    public void Encode_WhenQualityScaled_ShouldFollowLibjpegScalingAndClamp(int quality, int expectedMin, int expectedMinChroma)
    {
        var jpeg = JpegEncoder.Encode(JpegEncoderTestData.Smooth(8, 8, ColorModel.Rgb), new JpegEncodeOptions(quality));

        var tables = JpegEncoderTestData.QuantizationTables(jpeg);

        var scale = quality < 50 ? 5000 / quality : 200 - (2 * quality);
        var expected = JpegEncoderTestData.AnnexKLuminance.Select(q => Math.Clamp(((q * scale) + 50) / 100, 1, 255)).ToArray();
        Assert.Equal(expected, tables[0]);
        Assert.Equal(expectedMin, tables[0].Min());
        Assert.Equal(expectedMinChroma, tables[1].Min());
        Assert.True(tables[0].Max() <= 255 && tables[1].Max() <= 255);
    }

    [Theory]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv420, new[] { 1, 0x11, 0 })]
    [InlineData(ColorModel.GrayAlpha, JpegSubsampling.Yuv444, new[] { 1, 0x11, 0 })]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, new[] { 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1 })]
    [InlineData(ColorModel.Rgba, JpegSubsampling.Yuv444, new[] { 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1 })]
    public void Encode_WhenFrameWritten_ShouldDeclareComponentsAndSampling(ColorModel color, JpegSubsampling subsampling, int[] expected)
    {
        var jpeg = JpegEncoder.Encode(JpegEncoderTestData.Smooth(17, 33, color), new JpegEncodeOptions(Subsampling: subsampling));

        var frame = JpegEncoderTestData.Frame(jpeg);

        Assert.Equal((17, 33, 8), (frame.Width, frame.Height, frame.Precision));
        Assert.Equal(expected, frame.Components);
    }

    [Theory]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv444, 7, 5, 8)]
    [InlineData(ColorModel.Gray, JpegSubsampling.Yuv444, 17, 9, 8)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv444, 7, 5, 8)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, 17, 33, 16)]
    [InlineData(ColorModel.Rgb, JpegSubsampling.Yuv420, 1, 1, 16)]
    public void Encode_WhenPartialBlocks_ShouldPadByEdgeReplication(ColorModel color, JpegSubsampling subsampling, int width, int height, int mcu)
    {
        // The same picture, already replicated out to whole MCUs, must code to the very same scan.
        var image = JpegEncoderTestData.Smooth(width, height, color);
        var padded = JpegEncoderTestData.Replicate(image, RoundUp(width, mcu), RoundUp(height, mcu));
        var options = new JpegEncodeOptions(90, subsampling);

        var scan = JpegEncoderTestData.ScanData(JpegEncoder.Encode(image, options));
        var paddedScan = JpegEncoderTestData.ScanData(JpegEncoder.Encode(padded, options));

        Assert.Equal(paddedScan, scan);
    }

    [Fact]
    public void Encode_WhenCalledTwice_ShouldBeDeterministic()
    {
        var image = JpegEncoderTestData.Smooth(45, 31, ColorModel.Rgb);

        Assert.Equal(JpegEncoder.Encode(image), JpegEncoder.Encode(image));
    }

    [Theory]
    [InlineData(ColorModel.Gray)]
    [InlineData(ColorModel.Rgb)]
    public void Encode_When16BitSamplesAreScaled8Bit_ShouldMatch8BitEncoding(ColorModel color)
    {
        var image8 = JpegEncoderTestData.Smooth(19, 11, color);
        var image16 = new Raster(19, 11, color, 16);
        for (var i = 0; i < image8.Data.Length; i++)
        {
            image16.Samples16[i] = (ushort)(image8.Data[i] * 257);
        }

        Assert.Equal(JpegEncoder.Encode(image8), JpegEncoder.Encode(image16));
    }

    [Theory]
    [InlineData(ColorModel.GrayAlpha, ColorModel.Gray, 8)]
    [InlineData(ColorModel.Rgba, ColorModel.Rgb, 8)]
    [InlineData(ColorModel.Rgba, ColorModel.Rgb, 16)]
    public void Encode_WhenAlphaPresent_ShouldCompositeOverBlack(ColorModel withAlpha, ColorModel without, int depth)
    {
        // Left half opaque, right half fully transparent: equivalent to the opaque image with the right half black.
        const int Width = 24;
        const int Height = 10;
        var opaque = JpegEncoderTestData.Smooth(Width, Height, without);
        var source = new Raster(Width, Height, withAlpha, depth);
        var expected = new Raster(Width, Height, without, depth);
        var scale = depth == 8 ? 1 : 257;
        for (var y = 0; y < Height; y++)
        {
            for (var x = 0; x < Width; x++)
            {
                var visible = x < Width / 2;
                for (var c = 0; c < opaque.Channels; c++)
                {
                    var v = opaque.GetSample(x, y, c) * scale;
                    source.SetSample(x, y, c, v);
                    expected.SetSample(x, y, c, visible ? v : 0);
                }

                source.SetSample(x, y, source.Channels - 1, visible ? source.MaxValue : 0);
            }
        }

        Assert.Equal(JpegEncoder.Encode(expected), JpegEncoder.Encode(source));
    }

    [Theory]
    [InlineData(ColorModel.Gray, 100)]
    [InlineData(ColorModel.Rgb, 100)]
    [InlineData(ColorModel.Rgb, 3)]
    public void Encode_WhenScanContainsFfBytes_ShouldStuffThem(ColorModel color, int quality)
    {
        // Noise at quality 100 yields long codes and many 0xFF bytes in the entropy-coded data.
        var image = new Raster(64, 48, color, 8);
        new Random(5).NextBytes(image.Data);

        var scan = JpegEncoderTestData.ScanData(JpegEncoder.Encode(image, new JpegEncodeOptions(quality, JpegSubsampling.Yuv444)));

        var ffCount = 0;
        for (var i = 0; i < scan.Length; i++)
        {
            if (scan[i] == 0xFF)
            {
                ffCount++;
                Assert.True(i + 1 < scan.Length && scan[i + 1] == 0x00, $"0xFF at scan offset {i} is not followed by a stuffed 0x00.");
                i++;
            }
        }

        Assert.True(quality < 50 || ffCount > 0, "The noise image should have produced at least one 0xFF byte.");
    }

    [Fact]
    public void Encode_WhenQualityDrops_ShouldShrinkFile()
    {
        var image = JpegEncoderTestData.Smooth(128, 96, ColorModel.Rgb);

        var sizes = new[] { 100, 95, 80, 50, 20, 1 }.Select(q => JpegEncoder.Encode(image, new JpegEncodeOptions(q)).Length).ToArray();

        for (var i = 1; i < sizes.Length; i++)
        {
            Assert.True(sizes[i] < sizes[i - 1], $"Sizes by falling quality: {string.Join(", ", sizes)}");
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}

/// <summary>Synthetic images and a minimal, independent JPEG marker walker for the encoder tests.</summary>
internal static class JpegEncoderTestData
{
    public static readonly int[] AnnexKLuminance =
    [
        16, 11, 10, 16, 24, 40, 51, 61, 12, 12, 14, 19, 26, 58, 60, 55,
        14, 13, 16, 24, 40, 57, 69, 56, 14, 17, 22, 29, 51, 87, 80, 62,
        18, 22, 37, 56, 68, 109, 103, 77, 24, 35, 55, 64, 81, 104, 113, 92,
        49, 64, 78, 87, 103, 121, 120, 101, 72, 92, 95, 98, 112, 100, 103, 99,
    ];

    public static readonly int[] AnnexKChrominance =
    [
        17, 18, 24, 47, 99, 99, 99, 99, 18, 21, 26, 66, 99, 99, 99, 99,
        24, 26, 56, 99, 99, 99, 99, 99, 47, 66, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
        99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99, 99,
    ];

    /// <summary>Natural-order index of each zigzag position, generated by walking the anti-diagonals.</summary>
    public static readonly int[] Zigzag = BuildZigzag();

    /// <summary>Gradients plus a gentle sinusoid and ±3 noise: photo-like, so quality settings behave realistically.</summary>
    public static Raster Smooth(int width, int height, ColorModel color, int seed = 1)
    {
        var image = new Raster(width, height, color, 8);
        var random = new Random(seed);
        var channels = image.Channels;
        var colorChannels = color is ColorModel.Rgb or ColorModel.Rgba ? 3 : 1;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < channels; c++)
                {
                    double v;
                    if (c >= colorChannels)
                    {
                        v = 255; // opaque alpha
                    }
                    else
                    {
                        v = 128 + (70.0 * (x - (width / 2.0)) / Math.Max(width, 16)) + (50.0 * (y - (height / 2.0)) / Math.Max(height, 16))
                            + (35 * Math.Sin((x * 0.09) + (c * 1.7)) * Math.Cos((y * 0.07) - c))
                            + random.Next(-3, 4);
                    }

                    image.Data[(((y * width) + x) * channels) + c] = (byte)Math.Clamp((int)Math.Round(v), 0, 255);
                }
            }
        }

        return image;
    }

    /// <summary>Copy of an image grown to width x height by repeating its last column and row.</summary>
    public static Raster Replicate(Raster image, int width, int height)
    {
        var result = new Raster(width, height, image.Color, image.BitDepth);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < image.Channels; c++)
                {
                    result.SetSample(x, y, c, image.GetSample(Math.Min(x, image.Width - 1), Math.Min(y, image.Height - 1), c));
                }
            }
        }

        return result;
    }

    public static List<(byte Marker, byte[] Payload)> Segments(byte[] jpeg)
    {
        var segments = new List<(byte, byte[])>();
        var i = 0;
        while (i + 1 < jpeg.Length)
        {
            Assert.Equal(0xFF, jpeg[i]);
            var marker = jpeg[i + 1];
            i += 2;
            if (marker is 0xD8 or 0xD9)
            {
                segments.Add((marker, []));
                continue;
            }

            var length = (jpeg[i] << 8) | jpeg[i + 1];
            segments.Add((marker, jpeg[(i + 2)..(i + length)]));
            i += length;
            if (marker == 0xDA)
            {
                // Skip the entropy-coded data: up to the first 0xFF not followed by a stuffed 0x00.
                while (!(jpeg[i] == 0xFF && jpeg[i + 1] != 0x00))
                {
                    i++;
                }
            }
        }

        return segments;
    }

    /// <summary>The entropy-coded bytes between the SOS header and EOI.</summary>
    public static byte[] ScanData(byte[] jpeg)
    {
        var sos = jpeg.AsSpan().IndexOf([(byte)0xFF, (byte)0xDA]);
        var start = sos + 2 + ((jpeg[sos + 2] << 8) | jpeg[sos + 3]);
        Assert.Equal(new byte[] { 0xFF, 0xD9 }, jpeg[^2..]);
        return jpeg[start..^2];
    }

    /// <summary>Quantization tables by id, converted from zigzag to natural order.</summary>
    public static Dictionary<int, int[]> QuantizationTables(byte[] jpeg)
    {
        var tables = new Dictionary<int, int[]>();
        foreach (var (_, payload) in Segments(jpeg).Where(s => s.Marker == 0xDB))
        {
            for (var p = 0; p < payload.Length; p += 65)
            {
                Assert.Equal(0, payload[p] >> 4); // 8-bit precision: baseline
                var natural = new int[64];
                for (var k = 0; k < 64; k++)
                {
                    natural[Zigzag[k]] = payload[p + 1 + k];
                }

                tables[payload[p] & 0x0F] = natural;
            }
        }

        return tables;
    }

    public static (int Precision, int Width, int Height, int[] Components) Frame(byte[] jpeg)
    {
        var sof = Segments(jpeg).Single(s => s.Marker == 0xC0).Payload;
        var count = sof[5];
        Assert.Equal(6 + (3 * count), sof.Length);
        return (sof[0], (sof[3] << 8) | sof[4], (sof[1] << 8) | sof[2], sof[6..].Select(b => (int)b).ToArray());
    }

    private static int[] BuildZigzag()
    {
        var order = new int[64];
        var k = 0;
        for (var sum = 0; sum < 15; sum++)
        {
            // Odd anti-diagonals run top-right to bottom-left (row increasing), even ones the other way.
            for (var i = 0; i <= sum; i++)
            {
                var row = sum % 2 == 1 ? i : sum - i;
                var col = sum - row;
                if (row < 8 && col < 8)
                {
                    order[k++] = (row * 8) + col;
                }
            }
        }

        return order;
    }
}
