using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace MedVision.Imaging.Tests;

public class PngErrorTests
{
    private static byte[] ValidPng() => TestPng.Simple(4, 3, 8, 2, TestPng.Scanlines(
        Enumerable.Range(0, 3).Select(y => Enumerable.Range(0, 12).Select(i => (byte)((y * 40) + i)).ToArray()).ToList(), 3));

    private static ImageDecodeException DecodeFails(byte[] png, ImageLimits? limits = null) =>
        Assert.Throws<ImageDecodeException>(() => PngDecoder.Decode(png, limits));

    [Fact]
    public void Decode_WhenValidBaseline_ShouldSucceed()
    {
        // Guards the other tests here: each one's failure must come from its own corruption.
        var raster = PngDecoder.Decode(ValidPng());
        Assert.Equal((4, 3), (raster.Width, raster.Height));
    }

    [Theory]
    [InlineData(new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 0, 0, 0, 0, 0, 0, 0 })]
    [InlineData(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x0A, 0x0A, 0, 0, 0, 0 })] // line-ending mangled
    [InlineData(new byte[] { 0x42 })]
    public void Decode_WhenSignatureWrong_ShouldThrowBadSignature(byte[] data)
    {
        Assert.Equal(PngErrorCodes.BadSignature, DecodeFails(data).Code);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void Decode_WhenShorterThanSignature_ShouldThrowTruncated(int length)
    {
        Assert.Equal(PngErrorCodes.Truncated, DecodeFails(TestPng.Signature[..length]).Code);
    }

    [Fact]
    public void Decode_WhenIdatByteFlipped_ShouldThrowBadCrcNamingChunkAndOffset()
    {
        var png = ValidPng();
        var idatOffset = 8 + 25;
        png[idatOffset + 10] ^= 0x01;

        var ex = DecodeFails(png);

        Assert.Equal(PngErrorCodes.BadCrc, ex.Code);
        Assert.Contains("IDAT", ex.Message, StringComparison.Ordinal);
        Assert.Contains($"offset {idatOffset}", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenIhdrCrcWrong_ShouldThrowBadCrc()
    {
        var png = ValidPng();
        png[8 + 21] ^= 0x80;
        Assert.Equal(PngErrorCodes.BadCrc, DecodeFails(png).Code);
    }

    [Fact]
    public void Decode_WhenFileCutInsideIdat_ShouldThrowTruncated()
    {
        var png = ValidPng();
        var ex = DecodeFails(png[..(8 + 25 + 12)]);
        Assert.Equal(PngErrorCodes.Truncated, ex.Code);
        Assert.Contains("IDAT", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenZlibStreamEndsEarly_ShouldThrowTruncated()
    {
        // Well-formed chunks, but the compressed data stops before all rows are produced.
        var rows = Enumerable.Range(0, 50).Select(y => Enumerable.Range(0, 150).Select(i => (byte)(i * y)).ToArray()).ToList();
        var z = TestPng.Zlib(TestPng.Scanlines(rows, 3));
        var png = TestPng.File(TestPng.Ihdr(50, 50, 8, 2), TestPng.Chunk("IDAT", z.AsSpan(0, z.Length / 2)), TestPng.Iend());
        Assert.Equal(PngErrorCodes.Truncated, DecodeFails(png).Code);
    }

    [Fact]
    public void Decode_WhenIendMissing_ShouldThrowTruncated()
    {
        var png = ValidPng();
        var ex = DecodeFails(png[..^12]);
        Assert.Equal(PngErrorCodes.Truncated, ex.Code);
        Assert.Contains("IEND", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0u, 5u)]
    [InlineData(5u, 0u)]
    [InlineData(0x80000000u, 1u)]
    public void Decode_WhenDimensionZeroOrOverflowing_ShouldThrowBadHeader(uint width, uint height)
    {
        var png = TestPng.File(TestPng.Ihdr(width, height, 8, 0), TestPng.Chunk("IDAT", TestPng.Zlib([0, 0])), TestPng.Iend());
        Assert.Equal(PngErrorCodes.BadHeader, DecodeFails(png).Code);
    }

    [Theory]
    [InlineData(0, 3)] // gray has no 3-bit depth
    [InlineData(2, 4)] // RGB needs 8 or 16
    [InlineData(3, 16)] // palette tops out at 8
    [InlineData(5, 8)] // no color type 5
    public void Decode_WhenDepthAndColorTypeIllegal_ShouldThrowBadHeader(byte colorType, byte depth)
    {
        var png = TestPng.File(TestPng.Ihdr(1, 1, depth, colorType), TestPng.Chunk("IDAT", TestPng.Zlib([0, 0])), TestPng.Iend());
        Assert.Equal(PngErrorCodes.BadHeader, DecodeFails(png).Code);
    }

    [Fact]
    public void Decode_WhenFirstChunkIsNotIhdr_ShouldThrowBadHeader()
    {
        var png = TestPng.File(TestPng.Chunk("IDAT", TestPng.Zlib([0, 0])), TestPng.Ihdr(1, 1, 8, 0), TestPng.Iend());
        Assert.Equal(PngErrorCodes.BadHeader, DecodeFails(png).Code);
    }

    [Theory]
    [InlineData(100_000u, 100_000u)] // beyond MaxWidth/MaxHeight
    [InlineData(0x7FFFFFFFu, 0x7FFFFFFFu)]
    [InlineData(30_000u, 30_000u)] // within both sides, beyond MaxPixels
    public void Decode_WhenDeclaredDimensionsHuge_ShouldThrowTooLargeWithoutAllocating(uint width, uint height)
    {
        var png = TestPng.File(TestPng.Ihdr(width, height, 16, 6), TestPng.Chunk("IDAT", TestPng.Zlib(new byte[64])), TestPng.Iend());
        PngDecoder.Decode(ValidPng()); // warm up so JIT and statics do not count

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = DecodeFails(png);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(PngErrorCodes.TooLarge, ex.Code);
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes before refusing");
    }

    [Fact]
    public void Decode_WhenCustomLimitsExceeded_ShouldThrowTooLarge()
    {
        var limits = new ImageLimits(MaxWidth: 3);
        Assert.Equal(PngErrorCodes.TooLarge, DecodeFails(ValidPng(), limits).Code);
        Assert.Equal(PngErrorCodes.TooLarge, DecodeFails(ValidPng(), new ImageLimits(MaxDecodedBytes: 40)).Code);
        Assert.Equal(PngErrorCodes.TooLarge, DecodeFails(ValidPng(), new ImageLimits(MaxChunks: 2)).Code);
    }

    [Theory]
    [InlineData(0x80000000u)]
    [InlineData(0xFFFFFFFFu)]
    public void Decode_WhenChunkLengthAtLeast2To31_ShouldThrowBadChunk(uint length)
    {
        var png = ValidPng();
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 25), length);
        var ex = DecodeFails(png);
        Assert.Equal(PngErrorCodes.BadChunk, ex.Code);
        Assert.Contains(length.ToString(System.Globalization.CultureInfo.InvariantCulture), ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenChunkLengthBeyondFile_ShouldThrowTruncated()
    {
        var png = ValidPng();
        BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(8 + 25), 0x7FFFFFF0u);
        Assert.Equal(PngErrorCodes.Truncated, DecodeFails(png).Code);
    }

    [Fact]
    public void Decode_WhenSmallIdatInflatesFarPastExpected_ShouldStopAtTheCapAndThrowZlib()
    {
        // A 1x1 image needs 2 inflated bytes; this IDAT is ~10 kB and inflates to 10 MB.
        var bomb = TestPng.Zlib(new byte[10_000_000], System.IO.Compression.CompressionLevel.SmallestSize);
        var png = TestPng.File(TestPng.Ihdr(1, 1, 8, 0), TestPng.Chunk("IDAT", bomb), TestPng.Iend());
        Assert.True(bomb.Length < 20_000);

        var before = GC.GetAllocatedBytesForCurrentThread();
        var ex = DecodeFails(png);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(PngErrorCodes.Zlib, ex.Code);

        // The inflater must stop at the expected size, never materialise the 10 MB.
        Assert.True(allocated < 1_000_000, $"allocated {allocated} bytes");
    }

    [Fact]
    public void Decode_WhenZlibChecksumWrong_ShouldThrowZlib()
    {
        var z = TestPng.Zlib([0, 1, 0, 2]);
        z[^1] ^= 0xFF;
        var png = TestPng.File(TestPng.Ihdr(1, 2, 8, 0), TestPng.Chunk("IDAT", z), TestPng.Iend());
        Assert.Equal(PngErrorCodes.Zlib, DecodeFails(png).Code);
    }

    [Fact]
    public void Decode_WhenIdatIsNotZlib_ShouldThrowZlib()
    {
        var png = TestPng.File(TestPng.Ihdr(1, 1, 8, 0), TestPng.Chunk("IDAT", [0x12, 0x34, 0x56, 0x78]), TestPng.Iend());
        Assert.Equal(PngErrorCodes.Zlib, DecodeFails(png).Code);
    }

    [Fact]
    public void Decode_WhenFilterTypeUnknown_ShouldThrowBadFilter()
    {
        var png = TestPng.Simple(1, 2, 8, 0, [0, 1, 5, 2]);
        var ex = DecodeFails(png);
        Assert.Equal(PngErrorCodes.BadFilter, ex.Code);
        Assert.Contains("row 1", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Decode_WhenNoIdat_ShouldThrowBadChunk()
    {
        var png = TestPng.File(TestPng.Ihdr(1, 1, 8, 0), TestPng.Iend());
        Assert.Equal(PngErrorCodes.BadChunk, DecodeFails(png).Code);
    }

    [Fact]
    public void Decode_WhenIdatChunksNotConsecutive_ShouldThrowBadChunk()
    {
        var z = TestPng.Zlib([0, 1, 0, 2]);
        var png = TestPng.File(TestPng.Ihdr(1, 2, 8, 0), TestPng.Chunk("IDAT", z.AsSpan(0, 3)), TestPng.Chunk("tEXt", "a\0b"u8),
            TestPng.Chunk("IDAT", z.AsSpan(3)), TestPng.Iend());
        Assert.Equal(PngErrorCodes.BadChunk, DecodeFails(png).Code);
    }

    [Property(MaxTest = 300)]
    public Property Decode_WhenRandomlyCorrupted_ShouldOnlyThrowImageDecodeException()
    {
        var valid = PngEncoder.Encode(MakeNoise(), new PngEncodeOptions(AdaptiveFilter: true));
        var gen =
            from flips in Gen.Choose(1, 6)
            from seed in Gen.Choose(0, int.MaxValue)
            from cut in Gen.Choose(0, valid.Length)
            from fixCrc in Gen.Elements(false, true)
            select (flips, seed, cut, fixCrc);

        return Prop.ForAll(Arb.From(gen), t =>
        {
            var data = Corrupt(valid, t.flips, t.seed, t.cut, t.fixCrc);
            try
            {
                PngDecoder.Decode(data);
            }
            catch (ImageDecodeException ex)
            {
                return ex.Code.StartsWith("png.", StringComparison.Ordinal) && ex.Message.Length > 0;
            }

            return true;
        });
    }

    private static Raster MakeNoise()
    {
        var raster = new Raster(23, 9, ColorModel.Rgba, 8);
        new Random(11).NextBytes(raster.Data);
        return raster;
    }

    // Corrupts bytes and optionally repairs every CRC afterwards, so corruption also reaches the inner layers.
    private static byte[] Corrupt(byte[] valid, int flips, int seed, int cut, bool fixCrc)
    {
        var random = new Random(seed);
        var data = (byte[])valid.Clone();
        for (var i = 0; i < flips; i++)
        {
            data[8 + random.Next(data.Length - 8)] ^= (byte)(1 << random.Next(8));
        }

        if (fixCrc)
        {
            var pos = 8;
            while (pos + 12 <= data.Length)
            {
                var length = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(pos));
                if (length > (uint)(data.Length - pos - 12))
                {
                    break;
                }

                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(pos + 8 + (int)length), TestPng.Crc(data.AsSpan(pos + 4, (int)length + 4)));
                pos += 12 + (int)length;
            }
        }

        return random.Next(3) == 0 ? data[..Math.Max(cut, 0)] : data;
    }
}
