namespace MedVision.Dicom.Tests.BadInput;

/// <summary>Invalid VRs and structural tags (items, delimiters) in the wrong places.</summary>
public sealed class StructureTests
{
    private static readonly DicomTag Referenced = new(0x0008, 0x1115);

    /// <summary>A file with one valid element first, so the data set is recognised as explicit VR.</summary>
    private static DicomBytes Start(string syntax = DicomBytes.ExplicitLE) => DicomBytes.Part10(syntax).Text(0x0008, 0x0060, "CS", "OT");

    [Theory]
    [InlineData((byte)'Z', (byte)'Z')]
    [InlineData((byte)'o', (byte)'b')] // VRs are upper case
    [InlineData((byte)'P', (byte)'n')]
    [InlineData(0x00, 0x00)]
    [InlineData(0xFF, 0xFF)]
    [InlineData((byte)' ', (byte)' ')]
    public void Read_WhenExplicitVRBytesAreInvalid_ShouldThrowInvalidVR(byte first, byte second)
    {
        var b = Start();
        var at = b.Position;
        b.Tag(0x0010, 0x0010).Raw(first, second, 4, 0, (byte)'D', (byte)'o', (byte)'e', (byte)' ');

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.InvalidVR, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0x0010, 0x0010), ex.Tag);
    }

    [Fact]
    public void Read_WhenExplicitVRBytesAreInvalidInsideAnItem_ShouldThrowInvalidVR()
    {
        var b = Start().Sequence(0x0008, 0x1115).Item();
        var at = b.Position;
        b.Tag(0x0008, 0x1150).Raw((byte)'X', (byte)'X', 2, 0, (byte)'1', 0).ItemEnd().SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.InvalidVR, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0x0008, 0x1150), ex.Tag);
    }

    [Theory]
    [InlineData(0xE000)] // item
    [InlineData(0xE00D)] // item delimiter
    [InlineData(0xE0DD)] // sequence delimiter
    public void Read_WhenItemOrDelimiterAppearsOutsideASequence_ShouldThrowMalformed(int element)
    {
        var b = Start();
        var at = b.Position;
        b.ItemTag((ushort)element, element == 0xE000 ? DicomBytes.Undefined : 0).Text(0x0010, 0x0010, "PN", "Doe");

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Malformed, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(new DicomTag(0xFFFE, (ushort)element), ex.Tag);
    }

    [Theory]
    [InlineData(DicomBytes.ExplicitLE)]
    [InlineData(DicomBytes.ImplicitLE)]
    [InlineData(DicomBytes.ExplicitBE)]
    public void Read_WhenSequenceDelimiterClosesAnItem_ShouldThrowMalformed(string syntax)
    {
        var b = Start(syntax).Sequence(0x0008, 0x1115).Item().Text(0x0008, 0x1150, "UI", "1.2.3");
        var at = b.Position;
        b.SequenceEnd().SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Malformed, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(DicomTag.SequenceDelimitationItem, ex.Tag);
    }

    [Fact]
    public void Read_WhenItemDelimiterClosesADefinedLengthItem_ShouldThrowMalformed()
    {
        var content = new DicomBytes().Text(0x0008, 0x1150, "UI", "1.2.3").ItemEnd().ToArray();
        var b = Start().Sequence(0x0008, 0x1115).Item((uint)content.Length);
        var at = b.Position + content.Length - 8;
        b.Raw(content).SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Malformed, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(DicomTag.ItemDelimitationItem, ex.Tag);
    }

    [Theory]
    [InlineData(0x0008, 0x1150)] // a data element where an item belongs
    [InlineData(0xFFFE, 0xE00D)] // an item delimiter with no item open
    public void Read_WhenSequenceHoldsSomethingOtherThanAnItem_ShouldThrowMalformedWithTheSequenceTag(int group, int element)
    {
        var b = Start().Sequence(0x0008, 0x1115);
        var at = b.Position;
        b.Tag((ushort)group, (ushort)element).U32(0).SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Malformed, ex.Code);
        Assert.Equal(at, ex.Offset);
        Assert.Equal(Referenced, ex.Tag);
    }

    [Fact]
    public void Read_WhenContentOverrunsADefinedLengthItem_ShouldThrowMalformed()
    {
        // The 8-byte item holds an undefined-length sequence whose delimiter ends 12 bytes past the item.
        var b = Start().Sequence(0x0008, 0x1115);
        var itemAt = b.Position;
        b.Item(8).Sequence(0x0008, 0x1140).SequenceEnd().ItemEnd().SequenceEnd();

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Malformed, ex.Code);
        Assert.Equal(itemAt, ex.Offset);
        Assert.Equal(Referenced, ex.Tag);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Read_WhenUndefinedLengthSequenceIsNeverClosed_ShouldThrowTruncated(bool insideItem)
    {
        var b = Start().Sequence(0x0008, 0x1115).Item().Text(0x0008, 0x1150, "UI", "1.2.3");
        if (!insideItem)
        {
            b.ItemEnd();
        }

        var at = b.Position;

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(at, ex.Offset);
    }

    [Fact]
    public void Read_WhenDefinedLengthSequenceAlsoHasADelimiter_ShouldReadItAndWarn()
    {
        var item = new DicomBytes().Item().Text(0x0008, 0x1150, "UI", "1.2.3").ItemEnd().SequenceEnd().ToArray();
        var b = Start().Sequence(0x0008, 0x1115, (uint)item.Length).Raw(item).Text(0x0010, 0x0010, "PN", "Doe");

        var file = DicomFile.Read(b.ToArray());

        Assert.Single(file.Dataset.GetItems(Referenced));
        Assert.Equal("Doe", file.Dataset.GetString(new DicomTag(0x0010, 0x0010)));
        Assert.Contains(file.Warnings, w => w.Contains("delimiter was ignored", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_WhenElementsAreOutOfOrderOrRepeated_ShouldKeepTagOrderAndTheLastValue()
    {
        var b = Start().Text(0x0010, 0x0020, "LO", "first").Text(0x0010, 0x0010, "PN", "Doe").Text(0x0010, 0x0020, "LO", "second");

        var file = DicomFile.Read(b.ToArray());

        Assert.Equal(new[] { 0x00080060u, 0x00100010u, 0x00100020u }, file.Dataset.Select(e => e.Tag.Value));
        Assert.Equal("second", file.Dataset.GetString(new DicomTag(0x0010, 0x0020)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Read_WhenOneToThreeZeroBytesTrailTheDataSet_ShouldIgnoreThemWithAWarning(int zeros)
    {
        var b = Start().Raw(new byte[zeros]);

        var file = DicomFile.Read(b.ToArray());

        Assert.Single(file.Dataset);
        Assert.Contains(file.Warnings, w => w.Contains("stray zero", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new byte[] { 0x10 })]
    [InlineData(new byte[] { 0x10, 0x00, 0x10 })]
    [InlineData(new byte[] { 0x10, 0x00, 0x10, 0x00, (byte)'P', (byte)'N', 4 })]
    public void Read_WhenTheDataEndsInsideAnElementHeader_ShouldThrowTruncated(byte[] partialHeader)
    {
        var b = Start();
        var at = b.Position;

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.Raw(partialHeader).ToArray()));

        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(at, ex.Offset);
    }
}
