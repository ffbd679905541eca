namespace MedVision.Dicom.Tests.BadInput;

/// <summary>Encapsulated pixel data fragments and the item/fragment count limits.</summary>
public sealed class EncapsulationTests
{
    private static readonly DicomTag Referenced = new(0x0008, 0x1115);

    /// <summary>An RLE file up to (and including) the Pixel Data header of undefined length.</summary>
    private static DicomBytes Header()
    {
        var b = DicomBytes.Part10(DicomBytes.Rle).Text(0x0008, 0x0060, "CS", "OT");
        b.UInt16s(0x0028, 0x0010, 2).UInt16s(0x0028, 0x0011, 2);
        return b.Header(0x7FE0, 0x0010, "OB", DicomBytes.Undefined);
    }

    [Fact]
    public void Read_WhenFragmentsAreWellFormed_ShouldKeepTheOffsetTableAndEachFragment()
    {
        var b = Header().Item(4).Raw(0, 0, 0, 0).Item(4).Raw(1, 2, 3, 4).Item(2).Raw(5, 6).SequenceEnd();

        var fragments = DicomFile.Read(b.ToArray()).Dataset[DicomTag.PixelData].Fragments!;

        Assert.Equal(new uint[] { 0 }, fragments.BasicOffsets());
        Assert.Equal(2, fragments.Fragments.Count);
        Assert.Equal(6, fragments.TotalLength);
    }

    [Theory]
    [InlineData(0xFFFFFFFEu, DicomErrorCodes.LengthExceedsData)]
    [InlineData(0x7FFFFFFFu, DicomErrorCodes.LengthExceedsData)]
    [InlineData(5u, DicomErrorCodes.Truncated)] // one more than the 4 bytes that follow: a file cut short
    public void Read_WhenFragmentRunsPastTheEnd_ShouldThrowLengthExceedsDataOrTruncated(uint length, string code)
    {
        var b = Header().Item(0).Item(4).Raw(1, 2, 3, 4);
        var at = b.Position;
        b.Item(length).Raw(1, 2, 3, 4);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(code, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Theory]
    [InlineData(0xFFFFFFF0u, DicomErrorCodes.LengthExceedsData)]
    [InlineData(0x1000u, DicomErrorCodes.Truncated)]
    public void Read_WhenOffsetTableRunsPastTheEnd_ShouldThrowLengthExceedsDataOrTruncated(uint length, string code)
    {
        var b = Header();
        var at = b.Position;
        b.Item(length).Raw(0, 0, 0, 0);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(code, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Fact]
    public void Read_WhenFragmentHasUndefinedLength_ShouldThrowUndefinedLength()
    {
        var b = Header().Item(0);
        var at = b.Position;
        b.Item(DicomBytes.Undefined).Raw(1, 2, 3, 4).ItemEnd().SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.UndefinedLength, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Fact]
    public void Read_WhenFragmentsHaveNoSequenceDelimiter_ShouldThrowTruncated()
    {
        var b = Header().Item(0).Item(4).Raw(1, 2, 3, 4);
        var at = b.Position;

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Theory]
    [InlineData(0xE00D)] // item delimiter
    [InlineData(0xE001)]
    public void Read_WhenFragmentItemTagIsWrong_ShouldThrowMalformed(int element)
    {
        var b = Header().Item(0);
        var at = b.Position;
        b.ItemTag((ushort)element, 4).Raw(1, 2, 3, 4).SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Malformed, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Fact]
    public void Read_WhenFragmentsExceedMaxFragments_ShouldThrowTooManyFragments()
    {
        var options = new DicomReadOptions { MaxFragments = 3 };
        var b = Header().Item(0);
        var starts = new List<int>();
        for (var i = 0; i < 4; i++)
        {
            starts.Add(b.Position);
            b.Item(2).Raw((byte)i, 0);
        }

        var four = b.SequenceEnd().ToArray();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(four, options));

        Assert.Equal(DicomErrorCodes.TooManyFragments, ex.Code);
        Assert.Equal(starts[3], ex.Offset);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
        Assert.Equal(4, DicomFile.Read(four, options with { MaxFragments = 4 }).Dataset[DicomTag.PixelData].Fragments!.Fragments.Count);
    }

    [Fact]
    public void Read_WhenManyEmptyFragmentsArrive_ShouldStopAtTheDefaultLimit()
    {
        // 1 000 001 empty fragments are 8 MB of input; the default limit stops them.
        var b = Header().Item(0);
        var bytes = new byte[b.Position + ((DicomReadOptions.Default.MaxFragments + 1) * 8) + 8];
        b.ToArray().CopyTo(bytes, 0);
        for (var at = b.Position; at < bytes.Length; at += 8)
        {
            bytes[at] = 0xFE;
            bytes[at + 1] = 0xFF;
            bytes[at + 2] = 0x00;
            bytes[at + 3] = 0xE0;
        }

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(bytes));

        Assert.Equal(DicomErrorCodes.TooManyFragments, ex.Code);
        Assert.Equal(b.Position + (DicomReadOptions.Default.MaxFragments * 8), ex.Offset);
    }

    [Fact]
    public void Read_WhenItemsExceedMaxItems_ShouldThrowTooManyItemsCountingAllSequences()
    {
        var options = new DicomReadOptions { MaxItems = 2 };
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE);
        b.Sequence(0x0008, 0x1115).Item().ItemEnd().Item().ItemEnd().SequenceEnd(); // two items
        b.Sequence(0x0008, 0x1140);
        var at = b.Position;
        b.Item().ItemEnd().SequenceEnd(); // the third

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray(), options));

        Assert.Equal(DicomErrorCodes.TooManyItems, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0x0008, 0x1140), ex.Tag);
        Assert.Equal(2, DicomFile.Read(b.ToArray(), options with { MaxItems = 3 }).Dataset.GetItems(Referenced).Count);
    }

    [Fact]
    public void Read_WhenEncapsulatedPixelDataIsInsideAnItem_ShouldReadItsFragments()
    {
        // Icon Image Sequence items can hold encapsulated pixel data of their own.
        var b = DicomBytes.Part10(DicomBytes.Rle).Sequence(0x0088, 0x0200).Item();
        b.Encapsulated([1, 2, 3, 4]).ItemEnd().SequenceEnd();

        var icon = Assert.Single(DicomFile.Read(b.ToArray()).Dataset.GetItems(new DicomTag(0x0088, 0x0200)));

        Assert.Single(icon[DicomTag.PixelData].Fragments!.Fragments);
    }
}
