using System.IO.Compression;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests.BadInput;

/// <summary>Deflated Explicit VR Little Endian: bombs end in TooLarge at MaxInflatedBytes, corrupt streams in BadDeflate.</summary>
public sealed class DeflateTests(ITestOutputHelper output)
{
    /// <summary>260 MiB of zeros (over the default 256 MiB limit) deflated to ~260 KB, built once per test run.</summary>
    private static readonly Lazy<byte[]> DefaultLimitBomb = new(() => Bomb(260));

    [Fact]
    public void Read_WhenDeflatedDataSetInflatesBeyondASmallLimit_ShouldThrowTooLarge()
    {
        var bomb = Bomb(10);
        Assert.True(bomb.Length < 64 * 1024, $"the 10 MiB bomb is {bomb.Length} bytes");

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(bomb, new DicomReadOptions { MaxInflatedBytes = 1 << 20 }));

        Assert.Equal(DicomErrorCodes.TooLarge, ex.Code);
        Assert.Equal(MetaEnd(), ex.Offset);
        Assert.Null(ex.Tag);
    }

    /// <summary>
    /// Regression: the limit bounded the inflated data but not the memory; the growing MemoryStream made this bomb
    /// cost 640 MiB before it was refused. Now it costs the limit plus a few MiB.
    /// </summary>
    [Fact]
    public void Read_WhenDeflateBombExceedsTheDefaultLimit_ShouldThrowTooLargeHavingAllocatedLittleMoreThanTheLimit()
    {
        var bomb = DefaultLimitBomb.Value;
        Assert.True(bomb.Length < 300 * 1024, $"the bomb is {bomb.Length} bytes");
        Assert.True(260L << 20 > DicomReadOptions.Default.MaxInflatedBytes);
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(bomb));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(DicomErrorCodes.TooLarge, ex.Code);
        Assert.Equal(MetaEnd(), ex.Offset);
        output.WriteLine($"{bomb.Length} byte bomb: the reader allocated {allocated >> 20} MiB before rejecting it");
        Assert.InRange(allocated, 0, DicomReadOptions.Default.MaxInflatedBytes + (16L << 20));
    }

    [Fact]
    public void Read_WhenMaxInflatedBytesIsAboveWhatAnArrayHolds_ShouldStillReadSmallDeflatedFiles()
    {
        var options = new DicomReadOptions { MaxInflatedBytes = long.MaxValue };

        Assert.Equal(Samples.TopLevelElements, DicomFile.Read(Samples.Deflated(), options).Dataset.Count);
    }

    [Fact]
    public void ReadHeader_WhenFileIsADeflateBombLargerThanTheFirstRead_ShouldThrowTooLarge()
    {
        // ~260 KB on disk: the header-only read starts with a 64 KiB prefix, whose inflation alone passes 1 MiB.
        using var dir = new TempDir();
        var path = dir.Write("bomb.dcm", DefaultLimitBomb.Value);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.ReadHeader(path, new DicomReadOptions { MaxInflatedBytes = 1 << 20 }));

        Assert.Equal(DicomErrorCodes.TooLarge, ex.Code);
    }

    [Fact]
    public void Read_WhenDataSetInflatesToExactlyTheLimit_ShouldReadAndOneByteLessShouldThrowTooLarge()
    {
        var inflated = Samples.BareDataset().Length;
        var file = Samples.Deflated();

        Assert.Equal(Samples.TopLevelElements, DicomFile.Read(file, new DicomReadOptions { MaxInflatedBytes = inflated }).Dataset.Count);
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(file, new DicomReadOptions { MaxInflatedBytes = inflated - 1 }));
        Assert.Equal(DicomErrorCodes.TooLarge, ex.Code);
    }

    public static TheoryData<string, byte[]> CorruptStreams() => new()
    {
        { "reserved block type", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF] },
        { "stored block whose NLEN is not the complement of LEN", [0x01, 0x04, 0x00, 0x34, 0x12, 1, 2, 3, 4] },
        { "a zlib header where raw deflate belongs", [0x78, 0x9C, .. DicomBytes.Deflate(Samples.BareDataset())] },
    };

    [Theory]
    [MemberData(nameof(CorruptStreams))]
    public void Read_WhenDeflateStreamIsCorrupt_ShouldThrowBadDeflate(string what, byte[] stream)
    {
        var b = DicomBytes.Part10(DicomBytes.Deflated).Raw(stream);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.True(ex.Code == DicomErrorCodes.BadDeflate, $"{what}: {ex.Code} ({ex.Message})");
        Assert.Equal(b.MetaEnd, ex.Offset);
        Assert.IsType<InvalidDataException>(ex.InnerException);
    }

    [Fact]
    public void Read_WhenDeflatedDataSetIsMalformed_ShouldReportTheOffsetInTheInflatedDataSet()
    {
        var dataset = new DicomBytes().Text(0x0008, 0x0060, "CS", "OT");
        var at = dataset.Position;
        dataset.Header(0x0009, 0x1010, "OB", 0xFFFFFFFE);
        var b = DicomBytes.Part10(DicomBytes.Deflated).Raw(DicomBytes.Deflate(dataset.ToArray()));

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.LengthExceedsData, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Contains("inflated", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>A deflated-syntax file whose data set is <paramref name="mebibytes"/> MiB of zeros, deflated in one pass.</summary>
    internal static byte[] Bomb(int mebibytes)
    {
        var zeros = new byte[1 << 20];
        using var stream = new MemoryStream();
        stream.Write(DicomBytes.Part10(DicomBytes.Deflated).ToArray());
        using (var deflater = new DeflateStream(stream, CompressionLevel.Optimal, leaveOpen: true))
        {
            for (var i = 0; i < mebibytes; i++)
            {
                deflater.Write(zeros);
            }
        }

        return stream.ToArray();
    }

    private static int MetaEnd() => DicomBytes.Part10(DicomBytes.Deflated).MetaEnd;
}
