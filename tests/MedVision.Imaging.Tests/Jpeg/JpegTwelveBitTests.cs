using System.Security.Cryptography;

namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// 12-bit DCT decoding and <see cref="JpegDecodeOptions.ConvertColor"/> without the oracle tools: embedded DCMTK-made
/// samples against dcmdjpeg output recorded with them, hand-made streams with known sample values, orientation of
/// 16-bit rasters, precision validation and truncation.
/// </summary>
public sealed class JpegTwelveBitTests
{
    [Fact]
    public void Decode_WhenEmbeddedTwelveBitSamples_ShouldMatchRecordedDcmdjpegOutput()
    {
        var gray = JpegDecoder.Decode(TwelveBitSamples.ExtendedGray);
        var color = JpegDecoder.Decode(TwelveBitSamples.ProgressiveColor);

        Assert.Equal((24, 16, ColorModel.Gray, 16), (gray.Width, gray.Height, gray.Color, gray.BitDepth));
        Assert.Equal((16, 16, ColorModel.Rgb, 16), (color.Width, color.Height, color.Color, color.BitDepth));
        Assert.Equal(TwelveBitSamples.ExtendedGrayDcmdjpegSha256, Convert.ToHexStringLower(SHA256.HashData(gray.Data)));
        Assert.Equal(TwelveBitSamples.ProgressiveColorDcmdjpegSha256, Convert.ToHexStringLower(SHA256.HashData(color.Data)));
    }

    [Fact]
    public void ReadInfo_WhenTwelveBit_ShouldReportPrecisionAndProcess()
    {
        var extended = JpegDecoder.ReadInfo(TwelveBitSamples.ExtendedGray);
        var progressive = JpegDecoder.ReadInfo(TwelveBitSamples.ProgressiveColor);

        Assert.Equal((12, JpegProcess.ExtendedSequential, "gray"), (extended.Precision, extended.Process, extended.ColorSpace));
        Assert.Equal((12, JpegProcess.Progressive, "ycbcr", "4:2:0"), (progressive.Precision, progressive.Process, progressive.ColorSpace, progressive.Subsampling));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(12)]
    public void Decode_WhenFourComponentsAndConvertColorIsFalse_ShouldReturnTheComponentsInFourChannels(int precision)
    {
        // DC-only blocks with quantiser 8 decode to centre + DC exactly, so every sample value is known.
        int[] dc = [10, 40, 70, 100];
        var jpeg = FourComponentCmyk(precision, dc);
        var center = precision == 8 ? 128 : 2048;

        var raw = JpegDecoder.Decode(jpeg, new JpegDecodeOptions(ConvertColor: false));
        var converted = JpegDecoder.Decode(jpeg);

        Assert.Equal((ColorModel.Rgba, precision == 8 ? 8 : 16), (raw.Color, raw.BitDepth));
        Assert.All(Enumerable.Range(0, 64), p => Assert.Equal(dc.Select(d => center + d), Enumerable.Range(0, 4).Select(c => Sample(raw, (p * 4) + c))));

        // Converted, the same data is Adobe CMYK (inverted inks): R = C * K / max, rounded.
        var max = precision == 8 ? 255 : 4095;
        Assert.Equal(ColorModel.Rgb, converted.Color);
        Assert.Equal(
            Enumerable.Range(0, 3).Select(c => (((center + dc[c]) * (center + dc[3])) + (max / 2)) / max),
            Enumerable.Range(0, 3).Select(c => Sample(converted, c)));
    }

    [Theory]
    [InlineData(8)]
    [InlineData(12)]
    public void Decode_WhenYcbcrAndConvertColorIsFalse_ShouldReturnTheYcbcrComponents(int precision)
    {
        int[] dc = [-50, 30, -20];
        var jpeg = DctJpegTestEncoder.Encode(precision, 8, 8, Quant8(), [.. dc.Select(d => new[] { d })], components: 3);
        var center = precision == 8 ? 128 : 2048;

        var raw = JpegDecoder.Decode(jpeg, new JpegDecodeOptions(ConvertColor: false));
        var converted = JpegDecoder.Decode(jpeg);

        Assert.Equal(ColorModel.Rgb, raw.Color);
        Assert.Equal(dc.Select(d => center + d), Enumerable.Range(0, 3).Select(c => Sample(raw, c)));

        // Converted: libjpeg's YCbCr formulas (Y + 1.402 Cr', Y - 0.34414 Cb' - 0.71414 Cr', Y + 1.772 Cb').
        var (y, cb, cr) = (center + dc[0], dc[1], dc[2]);
        Assert.Equal(
            [(int)Math.Round(y + (1.402 * cr)), (int)Math.Round(y - (0.34414 * cb) - (0.71414 * cr)), (int)Math.Round(y + (1.772 * cb))],
            Enumerable.Range(0, 3).Select(c => Sample(converted, c)));
    }

    [Fact]
    public void Decode_WhenTwelveBitImageHasExifOrientation_ShouldTurnTheSixteenBitRasterUpright()
    {
        var stored = JpegDecoder.Decode(TwelveBitSamples.ProgressiveColor);
        byte[] withExif = [0xFF, 0xD8, .. ExifOrientation(6), .. TwelveBitSamples.ProgressiveColor[2..]];

        var upright = JpegDecoder.Decode(withExif);
        var asStored = JpegDecoder.Decode(withExif, new JpegDecodeOptions(ApplyExifOrientation: false));

        Assert.Equal(stored.Data, asStored.Data);
        Assert.Equal((stored.Height, stored.Width, 16), (upright.Width, upright.Height, upright.BitDepth));
        for (var y = 0; y < upright.Height; y++)
        {
            for (var x = 0; x < upright.Width; x++)
            {
                for (var c = 0; c < 3; c++)
                {
                    // Orientation 6 (rotate 90 clockwise to view): shown (x, y) is stored (y, h - 1 - x).
                    Assert.Equal(stored.GetSample(y, stored.Height - 1 - x, c), upright.GetSample(x, y, c));
                }
            }
        }
    }

    [Fact]
    public void Decode_WhenTwelveBitBlocksAreDcOnly_ShouldGiveCentrePlusDc()
    {
        // Two blocks, DC only, quantiser 8: the 12-bit IDCT's DC path gives 2048 + DC, clamped to 0..4095.
        var jpeg = DctJpegTestEncoder.Encode(12, 16, 8, Quant8(), [[-2000], [1500]]);

        var raster = JpegDecoder.Decode(jpeg);

        Assert.All(Enumerable.Range(0, 8), y =>
        {
            Assert.All(Enumerable.Range(0, 8), x => Assert.Equal(48, raster.GetSample(x, y, 0)));
            Assert.All(Enumerable.Range(8, 8), x => Assert.Equal(3548, raster.GetSample(x, y, 0)));
        });
    }

    [Theory]
    [InlineData(0xC0, 12)] // baseline is 8-bit only
    [InlineData(0xC0, 16)]
    [InlineData(0xC1, 16)]
    [InlineData(0xC2, 10)]
    [InlineData(0xC1, 0)]
    public void Decode_WhenDctPrecisionIsNotAllowedForTheProcess_ShouldThrowBadHeader(int marker, int precision)
    {
        var jpeg = TwelveBitSamples.ExtendedGray.ToArray();
        var sof = IndexOfMarker(jpeg, 0xC1);
        jpeg[sof + 1] = (byte)marker;
        jpeg[sof + 4] = (byte)precision;

        Assert.Equal(JpegErrorCodes.BadHeader, Assert.Throws<ImageDecodeException>(() => JpegDecoder.Decode(jpeg)).Code);
    }

    [Fact]
    public void Decode_WhenTwelveBitExtendedIsTruncated_ShouldThrowTruncated()
    {
        var jpeg = TwelveBitSamples.ExtendedGray;
        var scan = IndexOfMarker(jpeg, 0xDA) + 10;
        foreach (var cut in new[] { scan, scan + 20, jpeg.Length - 40 })
        {
            Assert.Equal(JpegErrorCodes.Truncated, Assert.Throws<ImageDecodeException>(() => JpegDecoder.Decode(jpeg.AsSpan(0, cut))).Code);
        }
    }

    [Fact]
    public void Decode_WhenTwelveBitProgressiveLosesLaterScans_ShouldRenderWhatArrived()
    {
        var jpeg = TwelveBitSamples.ProgressiveColor;
        var secondScan = Enumerable.Range(0, jpeg.Length - 1).Where(i => jpeg[i] == 0xFF && jpeg[i + 1] == 0xDA).ElementAt(1);

        var sosLength = (jpeg[secondScan + 2] << 8) | jpeg[secondScan + 3];

        var partial = JpegDecoder.Decode(jpeg.AsSpan(0, secondScan + 2 + sosLength + 3));

        Assert.Equal((16, 16, 16), (partial.Width, partial.Height, partial.BitDepth));
        Assert.All(DicomJpegOracle.SamplesOf(partial), s => Assert.InRange(s, 0, 4095));
    }

    private static int Sample(Raster raster, int index) => raster.BitDepth == 8 ? raster.Data[index] : raster.Samples16[index];

    private static int[] Quant8() => [.. Enumerable.Repeat(8, 64)];

    private static byte[] FourComponentCmyk(int precision, int[] dc)
    {
        // Adobe APP14, transform 0: the four components are CMYK as stored (inverted inks).
        var adobe = DctJpegTestEncoder.Segment(0xEE, [.. "Adobe"u8, 0, 100, 0, 0, 0, 0, 0]);
        return DctJpegTestEncoder.Encode(precision, 8, 8, Quant8(), [.. dc.Select(d => new[] { d })], components: 4, app: adobe);
    }

    private static byte[] ExifOrientation(int orientation)
    {
        // "Exif\0\0", then a little-endian TIFF header and IFD0 with the one Orientation entry (SHORT, count 1).
        byte[] tiff = [.. "II"u8, 42, 0, 8, 0, 0, 0, 1, 0, 0x12, 0x01, 3, 0, 1, 0, 0, 0, (byte)orientation, 0, 0, 0, 0, 0, 0, 0];
        return DctJpegTestEncoder.Segment(0xE1, [.. "Exif"u8, 0, 0, .. tiff]);
    }

    private static int IndexOfMarker(byte[] jpeg, int marker) =>
        Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == marker);
}
