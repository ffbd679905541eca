using System.IO.Compression;

namespace MedVision.Imaging.Tests;

/// <summary>
/// The encoder deflates large images in parallel bands joined by sync flushes; these pin that the joined stream
/// is one valid zlib stream with the right Adler-32, decodes losslessly, and does not depend on thread timing.
/// </summary>
public class PngEncoderParallelTests
{
    public static TheoryData<ColorModel, int> Models()
    {
        var data = new TheoryData<ColorModel, int>();
        foreach (var color in Enum.GetValues<ColorModel>())
        {
            data.Add(color, 8);
            data.Add(color, 16);
        }

        return data;
    }

    public static TheoryData<int> Options() => new() { 0, 1, 2, 3, 4 };

    private static PngEncodeOptions OptionsOf(int index) => index switch
    {
        0 => new PngEncodeOptions(),
        1 => new PngEncodeOptions(CompressionLevel.Fastest),
        2 => new PngEncodeOptions(CompressionLevel.Fastest, AdaptiveFilter: false),
        3 => new PngEncodeOptions(CompressionLevel.NoCompression),
        _ => new PngEncodeOptions(ZlibLevel: 1),
    };

    /// <summary>Odd sizes so bands and IDAT chunks never split evenly; half smooth gradient, half noise.</summary>
    private static Raster Make(int width, int height, ColorModel color, int depth, int seed)
    {
        var raster = new Raster(width, height, color, depth);
        var random = new Random(seed);
        var max = raster.MaxValue;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < raster.Channels; c++)
                {
                    var v = y < height / 2
                        ? ((x * 5) + (y * 3) + (c * 40) + random.Next(4)) * (max / 255) % (max + 1)
                        : random.Next(max + 1);
                    raster.SetSample(x, y, c, v);
                }
            }
        }

        return raster;
    }

    private static byte[] Idat(byte[] png)
    {
        using var idat = new MemoryStream();
        var pos = 8;
        while (pos < png.Length)
        {
            var length = (png[pos] << 24) | (png[pos + 1] << 16) | (png[pos + 2] << 8) | png[pos + 3];
            if (System.Text.Encoding.ASCII.GetString(png, pos + 4, 4) == "IDAT")
            {
                idat.Write(png, pos + 8, length);
            }

            pos += 12 + length;
        }

        return idat.ToArray();
    }

    private static uint ReferenceAdler(ReadOnlySpan<byte> data)
    {
        uint a = 1, b = 0;
        foreach (var x in data)
        {
            a = (a + x) % 65521;
            b = (b + a) % 65521;
        }

        return (b << 16) | a;
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Encode_WhenLargeImageOfEachModel_ShouldRoundTrip(ColorModel color, int depth)
    {
        // Every model's raw size is over 1 MB, so the image is cut into several bands, the last one short.
        var raster = Make(613, 1187, color, depth, seed: (int)color * 31 + depth);
        foreach (var index in new[] { 0, 1, 2, 4 })
        {
            var decoded = PngDecoder.Decode(PngEncoder.Encode(raster, OptionsOf(index)));
            Assert.Equal(raster.Width, decoded.Width);
            Assert.Equal(raster.Height, decoded.Height);
            Assert.Equal(raster.Color, decoded.Color);
            Assert.Equal(raster.BitDepth, decoded.BitDepth);
            Assert.True(decoded.Data.AsSpan().SequenceEqual(raster.Data), $"option set {index} changed samples");
        }
    }

    [Theory]
    [MemberData(nameof(Options))]
    public void Encode_WhenBandsJoined_ShouldBeOneZlibStreamWithTheRightAdler32(int index)
    {
        var raster = Make(1501, 1303, ColorModel.Rgb, 8, seed: 11);
        var zlib = Idat(PngEncoder.Encode(raster, OptionsOf(index)));
        Assert.Equal(0x78, zlib[0]);
        Assert.Equal(0, ((zlib[0] << 8) | zlib[1]) % 31);

        // ZLibStream checks the trailer itself (a wrong Adler-32 throws); also recompute it independently.
        using var inflate = new ZLibStream(new MemoryStream(zlib), CompressionMode.Decompress);
        using var inflated = new MemoryStream();
        inflate.CopyTo(inflated);
        var filtered = inflated.ToArray();
        Assert.Equal(raster.Height * ((raster.Width * 3) + 1), filtered.Length);
        var trailer = (uint)((zlib[^4] << 24) | (zlib[^3] << 16) | (zlib[^2] << 8) | zlib[^1]);
        Assert.Equal(ReferenceAdler(filtered), trailer);
    }

    [Fact]
    public void Encode_WhenRepeatedOrConcurrent_ShouldGiveTheSameBytes()
    {
        var raster = Make(1999, 1001, ColorModel.GrayAlpha, 16, seed: 3);
        foreach (var index in new[] { 0, 1 })
        {
            var options = OptionsOf(index);
            var first = PngEncoder.Encode(raster, options);
            var results = new byte[4][];
            Parallel.For(0, results.Length, i => results[i] = PngEncoder.Encode(raster, options));
            foreach (var result in results)
            {
                Assert.True(first.AsSpan().SequenceEqual(result), "output must not depend on thread timing");
            }
        }
    }

    [Fact]
    public void Encode_WhenRadiographLikeNoise_ShouldStayNearStoredSizeOrBetter()
    {
        // Noisy 12-bit-like content: Huffman-only bands must never make the file bigger than storing it.
        var raster = Make(1024, 1024, ColorModel.Gray, 8, seed: 9);
        var stored = PngEncoder.Encode(raster, new PngEncodeOptions(CompressionLevel.NoCompression)).Length;
        Assert.True(PngEncoder.Encode(raster).Length < stored);
        Assert.True(PngEncoder.Encode(raster, new PngEncodeOptions(CompressionLevel.Fastest)).Length < stored);
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(10)]
    public void Encode_WhenZlibLevelOutOfRange_ShouldThrow(int level)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => PngEncoder.Encode(new Raster(2, 2, ColorModel.Gray, 8), new PngEncodeOptions(ZlibLevel: level)));
    }

    [Fact]
    public void Encode_WhenEveryZlibLevel_ShouldRoundTrip()
    {
        var raster = Make(301, 207, ColorModel.Rgba, 8, seed: 1);
        for (var level = 0; level <= 9; level++)
        {
            var decoded = PngDecoder.Decode(PngEncoder.Encode(raster, new PngEncodeOptions(ZlibLevel: level)));
            Assert.True(decoded.Data.AsSpan().SequenceEqual(raster.Data), $"zlib level {level}");
        }
    }
}
