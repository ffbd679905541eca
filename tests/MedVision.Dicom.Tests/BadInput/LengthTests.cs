namespace MedVision.Dicom.Tests.BadInput;

/// <summary>
/// Value lengths that do not fit. Beyond the enclosing item or sequence, or beyond any input the options accept
/// (0xFFFFFFFE and friends): LengthExceedsData. A plausible length that runs past the end of the input: Truncated.
/// Odd lengths are kept with a warning; undefined lengths on non-sequences are errors.
/// </summary>
public sealed class LengthTests
{
    private static readonly DicomTag Private = new(0x0009, 0x1010);
    private static readonly DicomTag Modality = new(0x0008, 0x0060);

    [Theory]
    [InlineData(DicomBytes.ExplicitLE, 0xFFFFFFFEu)]
    [InlineData(DicomBytes.ExplicitLE, 0xFFFFFFF0u)]
    [InlineData(DicomBytes.ExplicitLE, 0x80000000u)]
    [InlineData(DicomBytes.ExplicitLE, 0x7FFFFFFFu)]
    [InlineData(DicomBytes.ExplicitLE, (1u << 30) + 1)] // one more than the default MaxInputBytes
    [InlineData(DicomBytes.ImplicitLE, 0xFFFFFFFEu)]
    [InlineData(DicomBytes.ExplicitBE, 0xFFFFFFFEu)]
    public void Read_WhenValueLengthIsBeyondAnyAcceptedInput_ShouldThrowLengthExceedsDataWithTagAndOffset(string syntax, uint length)
    {
        var b = DicomBytes.Part10(syntax).Text(0x0008, 0x0060, "CS", "OT");
        var at = b.Position;
        b.Header(0x0009, 0x1010, "OB", length).Raw(1, 2, 3, 4);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.LengthExceedsData, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(Private, ex.Tag);
    }

    /// <summary>A length the input could have had, cut short: the reader calls that a truncated file (an interrupted upload).</summary>
    [Theory]
    [InlineData(DicomBytes.ExplicitLE, 5u)] // one byte more than the 4 that remain
    [InlineData(DicomBytes.ExplicitLE, 0x1000u)]
    [InlineData(DicomBytes.ExplicitLE, 1u << 30)] // exactly the default MaxInputBytes
    [InlineData(DicomBytes.ImplicitLE, 5u)]
    [InlineData(DicomBytes.ExplicitBE, 5u)]
    public void Read_WhenPlausibleValueLengthRunsPastTheEnd_ShouldThrowTruncatedWithTagAndOffset(string syntax, uint length)
    {
        var b = DicomBytes.Part10(syntax).Text(0x0008, 0x0060, "CS", "OT");
        var at = b.Position;
        b.Header(0x0009, 0x1010, "OB", length).Raw(1, 2, 3, 4);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(Private, ex.Tag);
    }

    [Fact]
    public void Read_WhenValueLengthPassesASmallMaxInputBytes_ShouldThrowLengthExceedsData()
    {
        // The line between "cut short" and "bad length" is the largest input the caller accepts.
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0060, "CS", "OT");
        var at = b.Position;
        var bytes = b.Header(0x0009, 0x1010, "OB", 5000).Raw(1, 2, 3, 4).ToArray();

        var bad = Assert.Throws<DicomFormatException>(() => DicomFile.Read(bytes, new DicomReadOptions { MaxInputBytes = 4999 }));
        var cut = Assert.Throws<DicomFormatException>(() => DicomFile.Read(bytes, new DicomReadOptions { MaxInputBytes = 5000 }));

        Assert.Equal((DicomErrorCodes.LengthExceedsData, at), (bad.Code, bad.Offset));
        Assert.Equal((DicomErrorCodes.Truncated, at), (cut.Code, cut.Offset));
    }

    [Theory]
    [InlineData(0xFFFFu)]
    [InlineData(3u)]
    public void Read_WhenShortValueLengthRunsPastTheEnd_ShouldThrowTruncated(uint length)
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0060, "CS", "OT");
        var at = b.Position;
        b.Header(0x0010, 0x0020, "LO", length).Raw((byte)'A', (byte)'B');

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0x0010, 0x0020), ex.Tag);
    }

    [Fact]
    public void Read_WhenMetaValueLengthExceedsTheData_ShouldThrowLengthExceedsData()
    {
        var b = new DicomBytes().Preamble();
        b.Header(0x0002, 0x0001, "OB", 0xFFFFFFFE).Raw(0, 1);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.LengthExceedsData, ex.Code);
        Assert.Equal(132, ex.Offset);
        Assert.Equal(DicomTag.FileMetaInformationVersion, ex.Tag);
    }

    [Fact]
    public void Read_WhenValueLengthExceedsItsDefinedLengthItem_ShouldThrowLengthExceedsData()
    {
        // The LO fits in the file but not in its 16-byte item.
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Sequence(0x0008, 0x1115).Item(16);
        var at = b.Position;
        b.Text(0x0008, 0x1030, "LO", "twenty characters...").ItemEnd().SequenceEnd().Text(0x0010, 0x0010, "PN", "padding^padding^padding");

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.LengthExceedsData, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0x0008, 0x1030), ex.Tag);
    }

    [Fact]
    public void Read_WhenItemLengthExceedsItsDefinedLengthSequence_ShouldThrowLengthExceedsDataWithTheSequenceTag()
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Sequence(0x0008, 0x1115, 16);
        var at = b.Position;
        b.Item(100).Text(0x0008, 0x1030, "LO", "x").Raw(new byte[200]);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.LengthExceedsData, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0x0008, 0x1115), ex.Tag);
    }

    [Theory]
    [InlineData(DicomBytes.ExplicitLE)]
    [InlineData(DicomBytes.ImplicitLE)]
    public void Read_WhenSequenceLengthExceedsTheData_ShouldThrowLengthExceedsData(string syntax)
    {
        var b = DicomBytes.Part10(syntax);
        var at = b.Position;
        b.Sequence(0x0008, 0x1115, 0xFFFFFFFE).Item().ItemEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.LengthExceedsData, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0x0008, 0x1115), ex.Tag);
    }

    [Theory]
    [InlineData(DicomBytes.ExplicitLE)]
    [InlineData(DicomBytes.ImplicitLE)]
    [InlineData(DicomBytes.ExplicitBE)]
    public void Read_WhenValueLengthIsOdd_ShouldKeepTheValueAsReadAndWarnOnce(string syntax)
    {
        var b = DicomBytes.Part10(syntax);
        var at = b.Position;
        b.Element(0x0008, 0x0060, "CS", "OTX"u8).Element(0x0010, 0x0010, "PN", "abc"u8).Text(0x0010, 0x0020, "LO", "ID");

        var file = DicomFile.Read(b.ToArray());

        Assert.Equal(3, file.Dataset[Modality].Length);
        Assert.Equal(3, file.Dataset[new DicomTag(0x0010, 0x0010)].Length);
        Assert.Equal("OTX", file.Dataset.GetString(Modality));
        Assert.Equal("ID", file.Dataset.GetString(new DicomTag(0x0010, 0x0020)));
        var warning = Assert.Single(file.Warnings);
        Assert.Contains("(0008,0060)", warning, StringComparison.Ordinal);
        Assert.Contains($"offset {at}", warning, StringComparison.Ordinal);

        // The writer pads to even length; the padded file reads without a warning and with the same text.
        var again = DicomFile.Read(file.ToBytes());
        Assert.Empty(again.Warnings);
        Assert.Equal(4, again.Dataset[Modality].Length);
        Assert.Equal("OTX", again.Dataset.GetString(Modality));
        Assert.Equal("abc", again.Dataset.GetString(new DicomTag(0x0010, 0x0010)));
    }

    [Theory]
    [InlineData(DicomBytes.ImplicitLE, 0x0010, 0x0020, "LO")] // Patient ID
    [InlineData(DicomBytes.ImplicitLE, 0x0028, 0x0010, "US")] // Rows
    [InlineData(DicomBytes.ImplicitLE, 0x0008, 0x0016, "UI")]
    [InlineData(DicomBytes.ExplicitLE, 0x0009, 0x1010, "OB")] // OB outside group 7FE0 is never encapsulated
    [InlineData(DicomBytes.ExplicitLE, 0x0028, 0x1201, "OW")] // palette LUT data
    [InlineData(DicomBytes.ExplicitLE, 0x0018, 0x9424, "UT")]
    [InlineData(DicomBytes.ExplicitLE, 0x0008, 0x0119, "UC")]
    [InlineData(DicomBytes.ExplicitBE, 0x0009, 0x1010, "OB")]
    public void Read_WhenNonSequenceHasUndefinedLength_ShouldThrowUndefinedLength(string syntax, int group, int element, string vr)
    {
        var b = DicomBytes.Part10(syntax).Text(0x0008, 0x0005, "CS", "ISO_IR 100");
        var at = b.Position;
        b.Header((ushort)group, (ushort)element, vr, DicomBytes.Undefined).Raw(0x41, 0x42).SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.UndefinedLength, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag((ushort)group, (ushort)element), ex.Tag);
    }

    [Fact]
    public void Read_WhenMetaElementHasUndefinedLength_ShouldThrowUndefinedLength()
    {
        var b = new DicomBytes().Preamble().Header(0x0002, 0x0001, "OB", DicomBytes.Undefined).Raw(0, 1);

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.UndefinedLength, ex.Code);
        Assert.Equal(132, ex.Offset);
        Assert.Equal(DicomTag.FileMetaInformationVersion, ex.Tag);
    }

    [Fact]
    public void Read_WhenImplicitUnknownTagHasUndefinedLength_ShouldReadItAsASequence()
    {
        // PS3.5 §6.2.2: an undefined-length element of unknown VR is a sequence in implicit VR little endian.
        var b = DicomBytes.Part10(DicomBytes.ImplicitLE).Header(0x0009, 0x1010, "UN", DicomBytes.Undefined)
            .Item().Text(0x0008, 0x0100, "SH", "CODE").ItemEnd().SequenceEnd();

        var file = DicomFile.Read(b.ToArray());

        var item = Assert.Single(file.Dataset.GetItems(Private));
        Assert.Equal("CODE", item.GetString(new DicomTag(0x0008, 0x0100)));
    }
}
