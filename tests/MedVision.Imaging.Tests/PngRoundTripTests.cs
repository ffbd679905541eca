using System.IO.Compression;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MedVision.Imaging.Tests;

public class PngRoundTripTests
{
    /// <summary>Random rasters of every color model and depth; sizes include 1x1 and odd widths.</summary>
    internal static Arbitrary<Raster> Rasters()
    {
        var gen =
            from color in Gen.Elements(ColorModel.Gray, ColorModel.GrayAlpha, ColorModel.Rgb, ColorModel.Rgba)
            from depth in Gen.Elements(8, 16)
            from width in Gen.Choose(1, 19)
            from height in Gen.Choose(1, 9)
            from seed in Gen.Choose(0, int.MaxValue)
            from smooth in Gen.Elements(false, true)
            select Make(width, height, color, depth, seed, smooth);
        return Arb.From(gen);
    }

    private static Raster Make(int width, int height, ColorModel color, int depth, int seed, bool smooth)
    {
        var raster = new Raster(width, height, color, depth);
        var random = new Random(seed);
        if (!smooth)
        {
            random.NextBytes(raster.Data);
            return raster;
        }

        // Gradients make the adaptive filter pick Sub/Up/Avg/Paeth rather than always None.
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < raster.Channels; c++)
                {
                    var v = ((x * 7) + (y * 13) + (c * 29) + random.Next(3)) % 256;
                    raster.SetSample(x, y, c, depth == 8 ? v : v * 257);
                }
            }
        }

        return raster;
    }

    private static bool RoundTrips(Raster raster, PngEncodeOptions options)
    {
        var decoded = PngDecoder.Decode(PngEncoder.Encode(raster, options));
        return decoded.Width == raster.Width
            && decoded.Height == raster.Height
            && decoded.Color == raster.Color
            && decoded.BitDepth == raster.BitDepth
            && decoded.Data.AsSpan().SequenceEqual(raster.Data);
    }

    // Feature: medvision-ai-platform, Property 33: PNG, the format images travel in, decodes to exactly the encoded samples.
    [Property(MaxTest = 200)]
    public Property EncodeDecode_WhenAdaptiveFilter_ShouldBeLossless()
    {
        return Prop.ForAll(Rasters(), r => RoundTrips(r, new PngEncodeOptions()));
    }

    [Property(MaxTest = 200)]
    public Property EncodeDecode_WhenNoneFilter_ShouldBeLossless()
    {
        return Prop.ForAll(Rasters(), r => RoundTrips(r, new PngEncodeOptions(CompressionLevel.Fastest, AdaptiveFilter: false)));
    }

    [Theory]
    [InlineData(ColorModel.Gray, 8)]
    [InlineData(ColorModel.GrayAlpha, 8)]
    [InlineData(ColorModel.Rgb, 8)]
    [InlineData(ColorModel.Rgba, 8)]
    [InlineData(ColorModel.Gray, 16)]
    [InlineData(ColorModel.GrayAlpha, 16)]
    [InlineData(ColorModel.Rgb, 16)]
    [InlineData(ColorModel.Rgba, 16)]
    public void EncodeDecode_WhenEachModelAndDepth_ShouldBeLossless(ColorModel color, int depth)
    {
        foreach (var (w, h) in new[] { (1, 1), (3, 5), (64, 33) })
        {
            var raster = Make(w, h, color, depth, seed: w * h, smooth: w > 3);
            Assert.True(RoundTrips(raster, new PngEncodeOptions()));
            Assert.True(RoundTrips(raster, new PngEncodeOptions(CompressionLevel.NoCompression, AdaptiveFilter: false)));
        }
    }

    [Fact]
    public void Encode_WhenSixteenBit_ShouldWriteSamplesBigEndian()
    {
        var raster = new Raster(1, 1, ColorModel.Gray, 16);
        raster.SetSample(0, 0, 0, 0x1234);
        var png = PngEncoder.Encode(raster, new PngEncodeOptions(CompressionLevel.NoCompression, AdaptiveFilter: false));

        // IDAT starts after signature (8) + IHDR (25); zlib header (2) + stored block header (5) precede the row.
        var idat = png.AsSpan(8 + 25 + 8).ToArray();
        using var z = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress);
        var row = new byte[3];
        z.ReadExactly(row);
        Assert.Equal(new byte[] { 0, 0x12, 0x34 }, row);
    }

    [Fact]
    public void Encode_WhenAdaptiveFilterOnGradient_ShouldBeSmallerThanNoneFilter()
    {
        var raster = new Raster(128, 128, ColorModel.Rgb, 8);
        for (var y = 0; y < 128; y++)
        {
            for (var x = 0; x < 128; x++)
            {
                raster.SetSample(x, y, 0, (x * 2) % 256);
                raster.SetSample(x, y, 1, (y * 2) % 256);
                raster.SetSample(x, y, 2, (x + y) % 256);
            }
        }

        var adaptive = PngEncoder.Encode(raster, new PngEncodeOptions());
        var none = PngEncoder.Encode(raster, new PngEncodeOptions(AdaptiveFilter: false));
        Assert.True(adaptive.Length < none.Length, $"adaptive {adaptive.Length} bytes, none {none.Length} bytes");
    }

    [Fact]
    public void Encode_WhenAnyRaster_ShouldWriteChunksWithValidCrcs()
    {
        var png = PngEncoder.Encode(Make(100, 100, ColorModel.Rgba, 16, seed: 5, smooth: false), new PngEncodeOptions(CompressionLevel.NoCompression));
        var types = new List<string>();
        var pos = 8;
        while (pos < png.Length)
        {
            var length = (png[pos] << 24) | (png[pos + 1] << 16) | (png[pos + 2] << 8) | png[pos + 3];
            types.Add(System.Text.Encoding.ASCII.GetString(png, pos + 4, 4));
            var stored = (uint)((png[pos + 8 + length] << 24) | (png[pos + 9 + length] << 16) | (png[pos + 10 + length] << 8) | png[pos + 11 + length]);
            Assert.Equal(TestPng.Crc(png.AsSpan(pos + 4, length + 4)), stored);
            pos += 12 + length;
        }

        Assert.Equal(png.Length, pos);
        Assert.Equal("IHDR", types[0]);
        Assert.Equal("IEND", types[^1]);
        Assert.True(types.Count(t => t == "IDAT") > 1, "80 kB of stored data should span several IDAT chunks");
    }
}
