namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// Lossless (SOF3) decoding without the oracle tools: round trips through <see cref="LosslessJpegTestEncoder"/> over every
/// precision and predictor (DCMTK confirms a representative subset of these streams in
/// <see cref="JpegLosslessOracleTests"/>), restart handling, header validation and damaged data.
/// </summary>
public sealed class JpegLosslessTests
{
    public static TheoryData<int, int> PrecisionsAndPredictors()
    {
        var data = new TheoryData<int, int>();
        for (var precision = 2; precision <= 16; precision++)
        {
            for (var predictor = 1; predictor <= 7; predictor++)
            {
                data.Add(precision, predictor);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(PrecisionsAndPredictors))]
    public void Decode_WhenStreamHasAnyPrecisionAndPredictor_ShouldReturnOriginalSamples(int precision, int predictor)
    {
        var original = DicomJpegOracle.Synthetic(13, 9, 1, precision, (precision * 10) + predictor);
        var jpeg = LosslessJpegTestEncoder.Encode(original, 13, 9, 1, precision, predictor);

        var raster = JpegDecoder.Decode(jpeg);

        Assert.Equal((13, 9, ColorModel.Gray, precision <= 8 ? 8 : 16), (raster.Width, raster.Height, raster.Color, raster.BitDepth));
        Assert.Equal(original, DicomJpegOracle.SamplesOf(raster));
    }

    [Theory]
    [InlineData(2, 1, 7)]
    [InlineData(8, 3, 1)]
    [InlineData(8, 7, 4)]
    [InlineData(12, 11, 6)]
    [InlineData(16, 4, 5)]
    [InlineData(16, 15, 2)]
    public void Decode_WhenPointTransformIsSet_ShouldReturnSamplesWithTheLowBitsCleared(int precision, int pointTransform, int predictor)
    {
        var original = DicomJpegOracle.Synthetic(21, 11, 3, precision, pointTransform);
        var jpeg = LosslessJpegTestEncoder.Encode(original, 21, 11, 3, precision, predictor, pointTransform);

        var raster = JpegDecoder.Decode(jpeg);

        Assert.Equal(ColorModel.Rgb, raster.Color);
        Assert.Equal(original.Select(s => (ushort)((s >> pointTransform) << pointTransform)), DicomJpegOracle.SamplesOf(raster));
    }

    [Theory]
    [InlineData(1, 13, true)] // whole lines: libjpeg's only accepted form
    [InlineData(1, 7, true)] // mid-line starts
    [InlineData(1, 1, true)] // every sample
    [InlineData(3, 5, true)]
    [InlineData(3, 11, false)]
    [InlineData(3, 26, false)]
    public void Decode_WhenRestartIntervalsAreUsed_ShouldReconstructOriginal(int components, int interval, bool interleaved)
    {
        var original = DicomJpegOracle.Synthetic(13, 10, components, 12, interval);
        foreach (var predictor in new[] { 1, 4, 7 })
        {
            var jpeg = LosslessJpegTestEncoder.Encode(original, 13, 10, components, 12, predictor, restartInterval: interval, interleaved: interleaved);

            Assert.Equal(original, DicomJpegOracle.SamplesOf(JpegDecoder.Decode(jpeg)));
        }
    }

    [Fact]
    public void Decode_WhenFourComponents_ShouldReturnComponentsAsCodedInFourChannels()
    {
        var original = DicomJpegOracle.Synthetic(9, 7, 4, 10, 4);
        var jpeg = LosslessJpegTestEncoder.Encode(original, 9, 7, 4, 10, 5);

        var raster = JpegDecoder.Decode(jpeg);

        Assert.Equal((ColorModel.Rgba, 16), (raster.Color, raster.BitDepth));
        Assert.Equal(original, DicomJpegOracle.SamplesOf(raster));
    }

    [Fact]
    public void Decode_WhenEveryDifferenceIsCategory16_ShouldReconstructOriginal()
    {
        var original = DicomJpegOracle.Extremes(12, 6, 1, 16);
        var jpeg = LosslessJpegTestEncoder.Encode(original, 12, 6, 1, 16, 1);

        Assert.Equal(original, DicomJpegOracle.SamplesOf(JpegDecoder.Decode(jpeg)));
    }

    [Fact]
    public void ReadInfo_WhenLossless_ShouldReportProcessPrecisionRestartAndRgb()
    {
        var jpeg = LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(6, 5, 3, 12, 1), 6, 5, 3, 12, 6, restartInterval: 6);

        var info = JpegDecoder.ReadInfo(jpeg);

        Assert.Equal((6, 5, 3, 12, JpegProcess.Lossless, 6, "rgb"), (info.Width, info.Height, info.Components, info.Precision, info.Process, info.RestartInterval, info.ColorSpace));
    }

    [Fact]
    public void Decode_WhenConvertColorIsSet_ShouldStillReturnLosslessComponentsUnconverted()
    {
        var original = DicomJpegOracle.Synthetic(8, 8, 3, 8, 2);
        var jpeg = LosslessJpegTestEncoder.Encode(original, 8, 8, 3, 8, 1);

        Assert.Equal(original, DicomJpegOracle.SamplesOf(JpegDecoder.Decode(jpeg, new JpegDecodeOptions(ConvertColor: true))));
        Assert.Equal(original, DicomJpegOracle.SamplesOf(JpegDecoder.Decode(jpeg, new JpegDecodeOptions(ConvertColor: false))));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(255)]
    public void Decode_WhenPredictorIsOutsideOneToSeven_ShouldThrowBadHeader(int predictor)
    {
        var jpeg = Gray16();
        jpeg[ScanParameters(jpeg)] = (byte)predictor;

        Assert.Equal(JpegErrorCodes.BadHeader, Fails(jpeg).Code);
    }

    [Theory]
    [InlineData(12, 12)]
    [InlineData(12, 15)]
    [InlineData(8, 8)]
    [InlineData(8, 15)]
    [InlineData(2, 2)]
    public void Decode_WhenPointTransformIsNotBelowPrecision_ShouldThrowBadHeader(int precision, int pointTransform)
    {
        var jpeg = LosslessJpegTestEncoder.Encode(new ushort[16], 4, 4, 1, precision, 1);
        jpeg[ScanParameters(jpeg) + 2] = (byte)pointTransform;

        var ex = Fails(jpeg);

        Assert.Equal(JpegErrorCodes.BadHeader, ex.Code);
        Assert.Contains("point transform", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(17)]
    [InlineData(255)]
    public void Decode_WhenLosslessPrecisionIsOutsideTwoToSixteen_ShouldThrowBadHeader(int precision)
    {
        var jpeg = Gray16();
        jpeg[IndexOfMarker(jpeg, 0xC3) + 4] = (byte)precision;

        Assert.Equal(JpegErrorCodes.BadHeader, Fails(jpeg).Code);
        Assert.Equal(JpegErrorCodes.BadHeader, Assert.Throws<ImageDecodeException>(() => JpegDecoder.ReadInfo(jpeg)).Code);
    }

    [Fact]
    public void Decode_WhenLosslessComponentsAreSubsampled_ShouldThrowUnsupported()
    {
        var jpeg = LosslessJpegTestEncoder.Encode(new ushort[4 * 4 * 3], 4, 4, 3, 8, 1);
        jpeg[IndexOfMarker(jpeg, 0xC3) + 4 + 6 + 1] = 0x21; // first component's sampling factors

        var ex = Fails(jpeg);

        Assert.Equal(JpegErrorCodes.Unsupported, ex.Code);
        Assert.Contains("subsampled", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenLosslessScanLacksItsHuffmanTable_ShouldThrowBadHuffman()
    {
        var jpeg = Gray16();
        jpeg[ScanParameters(jpeg) - 1] = 0x10; // Td = 1, never defined

        Assert.Equal(JpegErrorCodes.BadHuffman, Fails(jpeg).Code);
    }

    [Fact]
    public void Decode_WhenDctScanUsesCategory16DcTable_ShouldThrowBadHuffman()
    {
        // A baseline gray image whose DC table gains symbol 16 (lossless only), defined before and after the SOF.
        var jpeg = JpegEncoder.Encode(Gray8(16, 16), new JpegEncodeOptions(80));
        var dht = IndexOfMarker(jpeg, 0xC4);
        var length = (jpeg[dht + 2] << 8) | jpeg[dht + 3];
        Assert.Equal(0, jpeg[dht + 4] >> 4); // the first table is a DC table
        var symbols = jpeg[(dht + 5)..(dht + 21)].Sum(b => b);
        var patched = jpeg.ToArray();
        patched[dht + 4 + 17 + symbols - 1] = 16; // its last symbol

        Assert.Equal(JpegErrorCodes.BadHuffman, Fails(patched).Code);

        // Moved in front of the SOF the table parses, and the scan that uses it fails instead.
        var segment = patched[dht..(dht + 2 + length)];
        var withoutDht = patched[..dht].Concat(patched[(dht + 2 + length)..]).ToArray();
        var sof = IndexOfMarker(withoutDht, 0xC0);
        byte[] reordered = [.. withoutDht[..sof], .. segment, .. withoutDht[sof..]];
        Assert.Equal(JpegErrorCodes.BadHuffman, Fails(reordered).Code);
    }

    [Fact]
    public void Decode_WhenLosslessDataIsTruncated_ShouldThrowTruncated()
    {
        var jpeg = LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(30, 20, 1, 16, 3), 30, 20, 1, 16, 7);
        var scanStart = ScanParameters(jpeg) + 3;
        foreach (var cut in new[] { scanStart, scanStart + 10, (scanStart + jpeg.Length) / 2, jpeg.Length - 10 })
        {
            Assert.Equal(JpegErrorCodes.Truncated, Fails(jpeg[..cut]).Code);
        }
    }

    [Fact]
    public void Decode_WhenOneRestartIntervalIsDamaged_ShouldResynchroniseAndKeepTheOtherLines()
    {
        const int width = 24;
        const int height = 8;
        var original = DicomJpegOracle.Synthetic(width, height, 1, 16, 9);
        var jpeg = LosslessJpegTestEncoder.Encode(original, width, height, 1, 16, 6, restartInterval: width);

        // Line 3 is the interval between RST1 and RST2: zero its bytes (a valid code, so it decodes as flat), or drop them.
        var start = IndexOfMarker(jpeg, 0xD1) + 2;
        var end = IndexOfMarker(jpeg, 0xD2);
        var zeroed = jpeg.ToArray();
        Array.Clear(zeroed, start, end - start);
        byte[] dropped = [.. jpeg[..start], .. jpeg[end..]];

        foreach (var damaged in new[] { zeroed, dropped })
        {
            var samples = DicomJpegOracle.SamplesOf(JpegDecoder.Decode(damaged));
            for (var y = 0; y < height; y++)
            {
                var line = samples.AsSpan(y * width, width);
                if (y == 2)
                {
                    // Zero differences from the interval's initial prediction 2^15: a flat line.
                    Assert.All(line.ToArray(), s => Assert.Equal(32768, s));
                }
                else
                {
                    Assert.Equal(original.AsSpan(y * width, width), line);
                }
            }
        }
    }

    [Fact]
    public void Decode_WhenLosslessStreamIsMutated_ShouldOnlyThrowImageDecodeException()
    {
        var seeds = new[]
        {
            LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(17, 9, 1, 16, 1), 17, 9, 1, 16, 7, restartInterval: 17),
            LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(11, 6, 3, 8, 2), 11, 6, 3, 8, 4, pointTransform: 2, restartInterval: 5),
            LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(9, 9, 3, 12, 3), 9, 9, 3, 12, 2, interleaved: false),
        };
        var random = new Random(1234);
        for (var i = 0; i < 600; i++)
        {
            var mutated = seeds[i % seeds.Length].ToArray();
            for (var r = 0; r < 1 + random.Next(3); r++)
            {
                mutated[random.Next(mutated.Length)] = (byte)random.Next(256);
            }

            var data = random.Next(4) == 0 ? mutated[..random.Next(mutated.Length)] : mutated;
            try
            {
                var raster = JpegDecoder.Decode(data);
                Assert.True(raster.Width > 0 && raster.Height > 0);
            }
            catch (ImageDecodeException ex)
            {
                Assert.False(string.IsNullOrWhiteSpace(ex.Code));
            }
        }
    }

    private static byte[] Gray16() => LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(8, 8, 1, 16, 1), 8, 8, 1, 16, 1);

    private static Raster Gray8(int width, int height)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        for (var i = 0; i < raster.Data.Length; i++)
        {
            raster.Data[i] = (byte)(i * 7);
        }

        return raster;
    }

    /// <summary>Offset of the first SOS's Ss byte (Se and Ah/Al follow it).</summary>
    private static int ScanParameters(byte[] jpeg)
    {
        var sos = IndexOfMarker(jpeg, 0xDA);
        return sos + 5 + (2 * jpeg[sos + 4]);
    }

    private static int IndexOfMarker(byte[] jpeg, int marker) =>
        Enumerable.Range(0, jpeg.Length - 1).First(i => jpeg[i] == 0xFF && jpeg[i + 1] == marker);

    private static ImageDecodeException Fails(byte[] jpeg) => Assert.Throws<ImageDecodeException>(() => JpegDecoder.Decode(jpeg));
}
