using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static MedVision.Imaging.Tests.Jpeg.JpegDecoderTestSupport;

namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>
/// Hostile and malformed input, built byte by byte: each case must fail with its specific code (and return
/// promptly), never with another exception type, and never allocate in proportion to what a header claims.
/// </summary>
public class JpegDecoderErrorTests
{
    private static readonly byte[] Soi = [0xFF, 0xD8];
    private static readonly byte[] Eoi = [0xFF, 0xD9];

    [Fact]
    public void Decode_WhenMinimalHandBuiltJpeg_ShouldYieldMidGray()
    {
        // Guards the hand-built cases below: their failures must come from their own corruption.
        var raster = JpegDecoder.Decode(MinimalGray());

        Assert.Equal((16, 16, ColorModel.Gray), (raster.Width, raster.Height, raster.Color));
        Assert.All(raster.Data, b => Assert.Equal(128, b));
    }

    [Fact]
    public void Decode_WhenFixturesIntact_ShouldSucceed()
    {
        Assert.Equal((24, 16), (JpegDecoder.Decode(Baseline).Width, JpegDecoder.Decode(Baseline).Height));
        Assert.Equal(JpegDecoder.Decode(Baseline).Color, JpegDecoder.Decode(Progressive).Color);
    }

    [Fact]
    public void Decode_WhenTruncatedAfterOrInsideAnySegment_ShouldThrowTruncated()
    {
        var cuts = new List<int> { 2 };
        foreach (var (_, offset, length) in Segments(Baseline))
        {
            cuts.Add(offset + 1);
            cuts.Add(offset + 3);
            cuts.Add(offset + (length / 2));
            cuts.Add(offset + length);
        }

        var sos = Segments(Baseline)[^1];
        cuts.Add(sos.Offset + sos.Length + 40); // inside the first (only) scan's entropy data

        foreach (var cut in cuts)
        {
            var ex = Fails(Baseline[..cut]);
            Assert.True(ex.Code == JpegErrorCodes.Truncated, $"cut at {cut}: {ex.Code} {ex.Message}");
        }
    }

    [Fact]
    public void ReadInfo_WhenTruncatedBeforeScan_ShouldThrowTruncated()
    {
        var sof = Segments(Baseline).First(s => s.Marker == 0xC0);
        var ex = Assert.Throws<ImageDecodeException>(() => JpegDecoder.ReadInfo(Baseline.AsSpan(0, sof.Offset + sof.Length)));
        Assert.Equal(JpegErrorCodes.Truncated, ex.Code);
    }

    [Fact]
    public void Decode_WhenSegmentLengthRunsPastEnd_ShouldThrowTruncatedNamingOffset()
    {
        byte[] jpeg = [.. Soi, 0xFF, 0xFE, 0xFF, 0xF0, (byte)'h', (byte)'i'];

        var ex = Fails(jpeg);

        Assert.Equal(JpegErrorCodes.Truncated, ex.Code);
        Assert.Contains("offset 2", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new byte[] { 3 })] // three 1-bit codes
    [InlineData(new byte[] { 2 })] // "0" and "1": the all-ones code is reserved
    [InlineData(new byte[] { 1, 2, 1 })] // 0, 10, 11, then one 3-bit code too many
    public void Decode_WhenHuffmanCountsOverSubscribed_ShouldThrowBadHuffman(byte[] leadingCounts)
    {
        var counts = new byte[16];
        leadingCounts.CopyTo(counts, 0);
        var symbols = Enumerable.Range(0, leadingCounts.Sum(c => c)).Select(i => (byte)i).ToArray();

        var ex = Fails(MinimalGray(dcTable: Dht(0, 0, counts, symbols)));

        Assert.Equal(JpegErrorCodes.BadHuffman, ex.Code);
    }

    [Fact]
    public void Decode_WhenHuffmanTableDeclaresOver256Codes_ShouldThrowBadHuffman()
    {
        var counts = new byte[16];
        counts[15] = 255;
        counts[14] = 10;
        Assert.Equal(JpegErrorCodes.BadHuffman, Fails(MinimalGray(dcTable: Dht(0, 0, counts, new byte[265]))).Code);
    }

    [Fact]
    public void Decode_WhenScanUsesUndefinedHuffmanTable_ShouldThrowBadHuffman()
    {
        var ex = Fails(MinimalGray(scanTables: 0x11));
        Assert.Equal(JpegErrorCodes.BadHuffman, ex.Code);
        Assert.Contains("no DHT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenCodeIsNotInTable_ShouldThrowBadHuffman()
    {
        // The tables hold only the code "0"; all-ones data can match nothing.
        byte[] ones = [0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00, 0xFF, 0x00];
        Assert.Equal(JpegErrorCodes.BadHuffman, Fails(MinimalGray(entropy: ones)).Code);
    }

    [Fact]
    public void Decode_WhenDqtIdIs4_ShouldThrowBadHeader()
    {
        byte[] dqt = [0xFF, 0xDB, 0x00, 0x43, 0x04, .. Enumerable.Repeat((byte)1, 64)];
        Assert.Equal(JpegErrorCodes.BadHeader, Fails(MinimalGray(dqt: dqt)).Code);
    }

    [Fact]
    public void Decode_WhenQuantTableMissing_ShouldThrowBadHeader()
    {
        var ex = Fails(MinimalGray(dqt: []));
        Assert.Equal(JpegErrorCodes.BadHeader, ex.Code);
        Assert.Contains("quantization table 0", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(16, 0)]
    public void Decode_WhenFrameHasZeroSize_ShouldThrowBadHeader(int width, int height)
    {
        Assert.Equal(JpegErrorCodes.BadHeader, Fails(MinimalGray(sof: Sof(0xC0, width, height))).Code);
    }

    [Fact]
    public void Decode_WhenDimensionsHuge_ShouldThrowTooLargeBeforeAllocating()
    {
        var jpeg = MinimalGray(sof: Sof(0xC0, 65535, 65535));
        Fails(jpeg); // warm up, so JIT and first-use allocations are not counted below

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Fails(jpeg);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(JpegErrorCodes.TooLarge, ex.Code);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_WhenBuffersExceedDecodedByteLimit_ShouldThrowTooLargeBeforeAllocating()
    {
        var limits = new ImageLimits(MaxWidth: 65535, MaxHeight: 65535, MaxPixels: long.MaxValue, MaxDecodedBytes: 1L << 30);
        var jpeg = MinimalGray(sof: Sof(0xC0, 40000, 40000));
        var options = new JpegDecodeOptions(limits);
        Assert.Throws<ImageDecodeException>(() => JpegDecoder.Decode(jpeg, options));

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Assert.Throws<ImageDecodeException>(() => JpegDecoder.Decode(jpeg, options));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(JpegErrorCodes.TooLarge, ex.Code);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_WhenThousandsOfTinyProgressiveScans_ShouldThrowTooManyScans()
    {
        // DC refinement scans need no tables and one byte each (4 blocks, 1 bit per block).
        byte[] scan = [0xFF, 0xDA, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x00, 0x10, 0x55];
        var scans = Enumerable.Repeat(scan, 5000).SelectMany(s => s);
        byte[] jpeg = [.. Soi, .. Dqt(0), .. Sof(0xC2, 16, 16), .. scans, .. Eoi];

        var ex = Fails(jpeg);

        Assert.Equal(JpegErrorCodes.TooManyScans, ex.Code);
        Assert.Contains("1000", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenEndlessApplicationSegments_ShouldThrowTooManySegments()
    {
        byte[] app = [0xFF, 0xE5, 0x00, 0x02];
        byte[] jpeg = [.. Soi, .. Enumerable.Repeat(app, 20_000).SelectMany(a => a), .. MinimalGray()[2..]];

        Assert.Equal(JpegErrorCodes.TooManySegments, Fails(jpeg).Code);
        Assert.Equal(JpegErrorCodes.TooManySegments, Fails(MinimalGray(), new JpegDecodeOptions(MaxSegments: 3)).Code);
    }

    [Fact]
    public void Decode_WhenGarbageFollowsSoi_ShouldThrowBadMarker()
    {
        var garbage = new byte[64];
        new Random(3).NextBytes(garbage);
        garbage[0] = 0x17;

        var ex = Fails([.. Soi, .. garbage]);

        Assert.Equal(JpegErrorCodes.BadMarker, ex.Code);
        Assert.Contains("offset 2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenLosslessScanSelectsPredictorZero_ShouldThrowBadHeader()
    {
        // The minimal image's SOS has Ss = 0: for a lossless frame that is predictor 0, which only hierarchical mode uses.
        var ex = Fails(MinimalGray(sof: Sof(0xC3, 16, 16)));
        Assert.Equal(JpegErrorCodes.BadHeader, ex.Code);
        Assert.Contains("predictor 0", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0xC9)] // arithmetic, extended
    [InlineData(0xCA)] // arithmetic, progressive
    [InlineData(0xC5)] // hierarchical
    public void Decode_WhenArithmeticOrHierarchicalFrame_ShouldThrowUnsupported(int marker)
    {
        Assert.Equal(JpegErrorCodes.Unsupported, Fails(MinimalGray(sof: Sof(marker, 16, 16))).Code);
    }

    [Fact]
    public void Decode_WhenTwelveBitExtended_ShouldDecodeToSixteenBitMidGray()
    {
        var sof = Sof(0xC1, 16, 16);
        sof[4] = 12;
        var raster = JpegDecoder.Decode(MinimalGray(sof: sof));
        Assert.Equal((16, 16, ColorModel.Gray, 16), (raster.Width, raster.Height, raster.Color, raster.BitDepth));
        Assert.All(raster.Samples16.ToArray(), s => Assert.Equal(2048, s));
    }

    [Theory]
    [InlineData(new byte[] { })]
    [InlineData(new byte[] { 0xFF })]
    public void Decode_WhenShorterThanSoi_ShouldThrowTruncated(byte[] data)
    {
        Assert.Equal(JpegErrorCodes.Truncated, Fails(data).Code);
    }

    [Fact]
    public void Decode_WhenNotJpeg_ShouldThrowBadSignature()
    {
        Assert.Equal(JpegErrorCodes.BadSignature, Fails([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]).Code);
    }

    [Fact]
    public void Decode_WhenScanNamesUnknownComponent_ShouldThrowBadScan()
    {
        Assert.Equal(JpegErrorCodes.BadScan, Fails(MinimalGray(scanComponent: 7)).Code);
    }

    [Fact]
    public void Decode_WhenEoiMissing_ShouldStillDecode()
    {
        Assert.Equal(JpegDecoder.Decode(Baseline).Data, JpegDecoder.Decode(Baseline.AsSpan(0, Baseline.Length - 2)).Data);
    }

    [Fact]
    public void Decode_WhenLaterProgressiveScansMissing_ShouldRenderEarlierScans()
    {
        // Cut inside the last scan: the first scans are complete, so the image renders (libjpeg-style leniency).
        var lastSos = LastIndexOfMarker(Progressive, 0xDA);
        var partial = JpegDecoder.Decode(Progressive.AsSpan(0, lastSos + 14));
        var full = JpegDecoder.Decode(Progressive);

        // Closer to the full image than a blank one would be (the oracle tests check the exact pixels against djpeg).
        Assert.Equal((full.Width, full.Height), (partial.Width, partial.Height));
        Assert.True(partial.Data.Zip(full.Data).Average(p => Math.Abs(p.First - p.Second)) < full.Data.Average(b => Math.Abs(b - 128)));
    }

    [Fact]
    public void Decode_WhenFirstProgressiveScanCut_ShouldThrowTruncated()
    {
        var firstSos = Segments(Progressive)[^1];
        Assert.Equal(JpegErrorCodes.Truncated, Fails(Progressive[..(firstSos.Offset + firstSos.Length + 3)]).Code);
    }

    [Fact]
    public void Decode_WhenRestartMarkerAndIntervalLost_ShouldResynchroniseAtNextRestart()
    {
        // One block per interval; each is 2 zero bits padded with ones (0x3F). RST1 and its interval are gone, so at
        // the second boundary RST2 turns up early: that interval is zero-filled and RST2 is then taken in turn.
        byte[] intact = [0x3F, 0xFF, 0xD0, 0x3F, 0xFF, 0xD1, 0x3F, 0xFF, 0xD2, 0x3F];
        byte[] damaged = [0x3F, 0xFF, 0xD0, 0x3F, 0xFF, 0xD2, 0x3F];

        Assert.All(JpegDecoder.Decode(MinimalGray(entropy: intact, restartInterval: 1)).Data, b => Assert.Equal(128, b));
        Assert.All(JpegDecoder.Decode(MinimalGray(entropy: damaged, restartInterval: 1)).Data, b => Assert.Equal(128, b));
    }

    [Property(MaxTest = 400)]
    public Property Decode_WhenRandomlyMutated_ShouldSucceedOrThrowImageDecodeException()
    {
        var gen =
            from fixture in Gen.Elements(0, 1)
            from operation in Gen.Choose(0, 2)
            from edits in Gen.Choose(1, 4)
            from seed in Gen.Choose(0, int.MaxValue)
            select (fixture, operation, edits, seed);

        return Prop.ForAll(Arb.From(gen), t =>
        {
            var data = Mutate(t.fixture == 0 ? Baseline : Progressive, t.operation, t.edits, t.seed);
            try
            {
                JpegDecoder.Decode(data);
                JpegDecoder.ReadInfo(data);
            }
            catch (ImageDecodeException ex)
            {
                return ex.Code.StartsWith("jpeg.", StringComparison.Ordinal) && ex.Message.Length > 0;
            }

            return true;
        });
    }

    // Flips bits, inserts random bytes or deletes bytes, at random positions after SOI.
    private static byte[] Mutate(byte[] valid, int operation, int edits, int seed)
    {
        var random = new Random(seed);
        var data = valid.ToList();
        for (var i = 0; i < edits; i++)
        {
            var at = 2 + random.Next(data.Count - 2);
            switch (operation)
            {
                case 0:
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1:
                    data.Insert(at, random.Next(4) == 0 ? (byte)0xFF : (byte)random.Next(256));
                    break;
                default:
                    data.RemoveRange(at, Math.Min(1 + random.Next(8), data.Count - at));
                    break;
            }
        }

        return [.. data];
    }

    private static ImageDecodeException Fails(byte[] jpeg, JpegDecodeOptions? options = null) =>
        Assert.Throws<ImageDecodeException>(() => JpegDecoder.Decode(jpeg, options));

    private static int LastIndexOfMarker(byte[] jpeg, int marker) =>
        Enumerable.Range(0, jpeg.Length - 1).Last(i => jpeg[i] == 0xFF && jpeg[i + 1] == marker);

    private static byte[] Segment(int marker, params byte[] payload) =>
        [0xFF, (byte)marker, (byte)((payload.Length + 2) >> 8), (byte)(payload.Length + 2), .. payload];

    private static byte[] Dqt(int id) => Segment(0xDB, [(byte)id, .. Enumerable.Repeat((byte)1, 64)]);

    private static byte[] Sof(int marker, int width, int height) =>
        Segment(marker, 8, (byte)(height >> 8), (byte)height, (byte)(width >> 8), (byte)width, 1, 1, 0x11, 0);

    private static byte[] Dht(int tableClass, int id, byte[] counts, byte[] symbols) =>
        Segment(0xC4, [(byte)((tableClass << 4) | id), .. counts, .. symbols]);

    private static byte[] OneCodeTable(int tableClass) => Dht(tableClass, 0, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [0]);

    /// <summary>
    /// A valid 16x16 gray baseline JPEG: one-symbol DC and AC tables (the 1-bit code "0" = "no difference" and
    /// "EOB"), so each of the 4 blocks takes 2 zero bits and the whole scan is one 0x00 byte.
    /// </summary>
    private static byte[] MinimalGray(byte[]? dqt = null, byte[]? sof = null, byte[]? dcTable = null, int scanTables = 0x00,
        int scanComponent = 1, byte[]? entropy = null, int restartInterval = 0) =>
    [
        .. Soi,
        .. restartInterval > 0 ? Segment(0xDD, 0, (byte)restartInterval) : [],
        .. dqt ?? Dqt(0),
        .. sof ?? Sof(0xC0, 16, 16),
        .. dcTable ?? OneCodeTable(0),
        .. OneCodeTable(1),
        .. Segment(0xDA, 1, (byte)scanComponent, (byte)scanTables, 0, 63, 0),
        .. entropy ?? [0x00],
        .. Eoi,
    ];
}
