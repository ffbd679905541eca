namespace MedVision.Dicom.Tests.BadInput;

/// <summary>
/// Minimal inputs for reader bugs the bad-input tests found (each failed before the fix in DicomReader.cs).
/// The fourth, ReadHeader's 64 KiB first read ending on an element boundary, needs a file over 64 KiB: see
/// <see cref="TruncationTests.ReadHeader_WhenTheFirst64KiBReadEndsNearAnElementBoundary_ShouldReadTheWholeHeader"/>.
/// </summary>
public sealed class ReaderRegressionTests
{
    /// <summary>128-byte zero preamble and "DICM".</summary>
    private static byte[] Dicm(string hexAfter) => [.. new byte[128], .. "DICM"u8, .. Convert.FromHexString(hexAfter)];

    /// <summary>Was: ArgumentException ("a sequence needs items, not bytes") from DicomElement.FromBytes.</summary>
    [Theory]
    [InlineData("0200 0100 5351 0000 00000000", 0x0001)]             // (0002,0001) SQ, length 0
    [InlineData("0200 1000 5351 0000 04000000 31 2E 32 00", 0x0010)] // (0002,0010) SQ, length 4
    public void Read_WhenMetaElementHasVRSQ_ShouldThrowMalformed(string meta, int element)
    {
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(Dicm(meta.Replace(" ", "", StringComparison.Ordinal))));

        Assert.Equal(DicomErrorCodes.Malformed, ex.Code);
        Assert.Equal(132, ex.Offset);
        Assert.Equal(new DicomTag(0x0002, (ushort)element), ex.Tag);
    }

    /// <summary>Was: read as an implicit VR data set holding one (0000,0000) element, so a file cut inside its preamble "read".</summary>
    [Theory]
    [InlineData(8)]
    [InlineData(100)]
    [InlineData(128)]
    [InlineData(131)]
    [InlineData(1000)]
    public void Read_WhenInputIsAllZeros_ShouldThrowNotDicom(int length)
    {
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(new byte[length]));

        Assert.Equal(DicomErrorCodes.NotDicom, ex.Code);
        Assert.Equal(0, ex.Offset);
    }

    [Fact]
    public void Read_WhenACommandGroupLengthStartsTheData_ShouldStillReadItAsImplicitVR()
    {
        // (0000,0000) UL 4 = 8 and (0000,0100) US: the zero-input fix must keep DIMSE command streams readable.
        var bytes = Convert.FromHexString("00000000" + "04000000" + "08000000" + "00000001" + "02000000" + "3001");

        var file = DicomFile.Read(bytes);

        Assert.Equal(TransferSyntax.ImplicitVRLittleEndian, file.TransferSyntax);
        Assert.Equal(2, file.Dataset.Count);
    }

    /// <summary>
    /// Was: BadTransferSyntax ("no Transfer Syntax UID") for a file cut inside its meta group, and NotDicom for one
    /// cut right after "DICM": both are truncated files.
    /// </summary>
    [Theory]
    [InlineData("", 132)]                                   // nothing after DICM
    [InlineData("0200", 132)]                               // two bytes of a group 0002 tag
    [InlineData("0200 0000 554C 04", 132)]                   // seven bytes of (0002,0000)
    [InlineData("0200 0000 554C 0400 1E000000", 144)]        // group length promises 30 bytes; none follow
    [InlineData("0200 0000 554C 0400 1E000000 0200 0100 4F42 0000 02000000 0001 0200", 158)] // cut after (0002,0001)
    public void Read_WhenTheFileEndsInsideTheMeta_ShouldThrowTruncated(string meta, int offset)
    {
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(Dicm(meta.Replace(" ", "", StringComparison.Ordinal))));

        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(offset, ex.Offset);
    }

    [Fact]
    public void Read_WhenTheMetaIsCompleteAndTheDataSetEmpty_ShouldReadAnEmptyDataSet()
    {
        // (0002,0000) = 28, (0002,0010) UI "1.2.840.10008.1.2.1\0": a complete meta and no data set is a valid (empty) file.
        var file = DicomFile.Read(Dicm("0200 0000 554C 0400 1C000000 0200 1000 5549 1400 312E322E3834302E31303030382E312E322E3100".Replace(" ", "", StringComparison.Ordinal)));

        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, file.TransferSyntax);
        Assert.Equal(0, file.Dataset.Count);
    }
}
