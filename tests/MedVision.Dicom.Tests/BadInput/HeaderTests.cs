using System.Text;

namespace MedVision.Dicom.Tests.BadInput;

/// <summary>Preamble, file meta information and transfer syntax: what is rejected, and what is tolerated with a warning.</summary>
public sealed class HeaderTests
{
    private static readonly DicomTag Modality = new(0x0008, 0x0060);

    [Theory]
    [InlineData("hello world")]
    [InlineData("")]
    [InlineData("1.2..840.10008.1.2")]
    [InlineData("1.2.840.10008.1.2.")]
    [InlineData(".1.2.840.10008.1.2")]
    [InlineData("1.2.840.10008.1.2.1x")]
    [InlineData("1.2.840.10008.1.2\\1.2.840.10008.1.2.1")]
    public void Read_WhenTransferSyntaxUidIsNotAUid_ShouldThrowBadTransferSyntax(string uid)
    {
        var b = DicomBytes.Part10(Encoding.Latin1.GetBytes(uid)).Text(0x0008, 0x0060, "CS", "OT");

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.BadTransferSyntax, ex.Code);
        Assert.Equal(b.TransferSyntaxOffset, ex.Offset);
        Assert.Equal(DicomTag.TransferSyntaxUid, ex.Tag);
    }

    [Theory]
    [InlineData(65)]
    [InlineData(100)]
    [InlineData(10_000)]
    public void Read_WhenTransferSyntaxUidIsTooLong_ShouldThrowBadTransferSyntax(int length)
    {
        var uid = "1." + string.Concat(Enumerable.Repeat("2", length - 2));
        var b = DicomBytes.Part10(Encoding.ASCII.GetBytes(uid)).Text(0x0008, 0x0060, "CS", "OT");

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.BadTransferSyntax, ex.Code);
        Assert.Equal(b.TransferSyntaxOffset, ex.Offset);
        Assert.True(ex.Message.Length < 400, "the message must not echo the whole value");
    }

    [Fact]
    public void Read_WhenTransferSyntaxUidIsPaddedWithNulOrSpace_ShouldRead()
    {
        var nul = DicomBytes.Part10([.. Encoding.ASCII.GetBytes(DicomBytes.ImplicitLE), 0], DicomBytes.ImplicitLE).Text(0x0008, 0x0060, "CS", "OT");
        var space = DicomBytes.Part10([.. Encoding.ASCII.GetBytes(DicomBytes.ImplicitLE), (byte)' '], DicomBytes.ImplicitLE).Text(0x0008, 0x0060, "CS", "OT");

        Assert.Equal(TransferSyntax.ImplicitVRLittleEndian, DicomFile.Read(nul.ToArray()).TransferSyntax);
        Assert.Equal("OT", DicomFile.Read(space.ToArray()).Dataset.GetString(Modality));
    }

    [Fact]
    public void Read_WhenTransferSyntaxIsUnknownButWellFormed_ShouldReadAsExplicitLittleEndianAndWarn()
    {
        var b = DicomBytes.Part10("1.2.3.4.5").Text(0x0008, 0x0060, "CS", "OT");

        var file = DicomFile.Read(b.ToArray());

        Assert.False(file.TransferSyntax.IsKnown);
        Assert.Equal("OT", file.Dataset.GetString(Modality));
        Assert.Contains(file.Warnings, w => w.Contains("1.2.3.4.5", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_WhenMetaHasNoTransferSyntaxUid_ShouldThrowBadTransferSyntaxAtTheEndOfTheMeta()
    {
        var b = new DicomBytes().Preamble().Meta(transferSyntaxValue: null).Text(0x0008, 0x0060, "CS", "OT");

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.BadTransferSyntax, ex.Code);
        Assert.Equal(b.MetaEnd, ex.Offset);
        Assert.Equal(DicomTag.TransferSyntaxUid, ex.Tag);
    }

    [Fact]
    public void Read_WhenMetaHasNoGroupLength_ShouldStillReadIt()
    {
        var b = new DicomBytes().Preamble().Meta(Encoding.ASCII.GetBytes(DicomBytes.ExplicitLE), withGroupLength: false).Text(0x0008, 0x0060, "CS", "OT");

        var file = DicomFile.Read(b.ToArray());

        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, file.TransferSyntax);
        Assert.Equal(3, file.FileMeta.Count);
        Assert.Equal("OT", file.Dataset.GetString(Modality));
    }

    [Theory]
    [InlineData(true, false, false, "Explicit VR Little Endian")]
    [InlineData(true, false, true, "Explicit VR Little Endian")]
    [InlineData(false, false, false, "Implicit VR Little Endian")]
    [InlineData(false, false, true, "Implicit VR Little Endian")]
    [InlineData(true, true, false, "Explicit VR Big Endian (Retired)")]
    [InlineData(true, true, true, "Explicit VR Big Endian (Retired)")]
    public void Read_WhenThereIsNoMeta_ShouldGuessTheSyntaxFromTheFirstElementAndWarn(bool explicitVR, bool bigEndian, bool preamble, string name)
    {
        var b = new DicomBytes(explicitVR, bigEndian);
        if (preamble)
        {
            b.Preamble();
        }

        b.Text(0x0008, 0x0060, "CS", "OT").UInt16s(0x0028, 0x0010, 300);

        var file = DicomFile.Read(b.ToArray());

        Assert.Equal(name, file.TransferSyntax.Name);
        Assert.Equal(0, file.FileMeta.Count);
        Assert.Equal(preamble, file.HasPreamble);
        Assert.True(file.Dataset.TryGetUInt16(new DicomTag(0x0028, 0x0010), out var rows) && rows == 300);
        Assert.Contains(file.Warnings, w => w.Contains("No file meta information", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_WhenTheMetaSaysExplicitButTheDataSetIsImplicit_ShouldReadItAsImplicitAndWarn()
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Raw(new DicomBytes(explicitVR: false).Text(0x0008, 0x0060, "CS", "OT").ToArray());

        var file = DicomFile.Read(b.ToArray());

        Assert.Equal("OT", file.Dataset.GetString(Modality));
        Assert.Contains(file.Warnings, w => w.Contains("implicit VR although", StringComparison.Ordinal));
    }

    public static TheoryData<string, byte[]> NotDicomInputs() => new()
    {
        { "empty", [] },
        { "one byte", [0x08] },
        { "seven bytes", [0x08, 0x00, 0x60, 0x00, (byte)'C', (byte)'S', 2] },
        { "PDF", Encoding.ASCII.GetBytes("%PDF-1.7\n%\u00e2\u00e3\n1 0 obj << /Type /Catalog >> endobj\n") },
        { "PNG", [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52, 0, 0, 1, 0, 0, 0, 1, 0, 8, 0, 0, 0, 0] },
        { "JPEG", [0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0, 1, 1, 0, 0, 1, 0, 1, 0, 0] },
        { "ZIP", [(byte)'P', (byte)'K', 3, 4, 20, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] },
        { "JSON", Encoding.UTF8.GetBytes("{\"00100010\":{\"vr\":\"PN\",\"Value\":[{\"Alphabetic\":\"Doe^John\"}]}}") },
        { "text", Encoding.UTF8.GetBytes("This is not a DICOM file, it is a text file with some words in it.\n") },
        { "HTML error page", Encoding.UTF8.GetBytes("<html><body><h1>502 Bad Gateway</h1></body></html>") },
        { "random", Random(1000, 7) },
        { "random, 64 KiB", Random(65536, 11) },
    };

    [Theory]
    [MemberData(nameof(NotDicomInputs))]
    public void Read_WhenInputIsNotDicom_ShouldThrowNotDicom(string what, byte[] bytes)
    {
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(bytes));

        Assert.True(ex.Code == DicomErrorCodes.NotDicom, $"{what}: {ex.Code} ({ex.Message})");
        Assert.Equal(0, ex.Offset);
        Assert.Null(ex.Tag);
    }

    [Fact]
    public void Read_WhenDicmIsFollowedByGarbage_ShouldThrowNotDicomAfterThePrefix()
    {
        var b = new DicomBytes().Preamble().Raw(Encoding.ASCII.GetBytes("this is no data set at all"));

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.NotDicom, ex.Code);
        Assert.Equal(132, ex.Offset);
    }

    [Fact]
    public void Read_WhenMetaIsImplicitVR_ShouldThrowInvalidVR()
    {
        var b = new DicomBytes(explicitVR: false).Preamble();
        b.Element(0x0002, 0x0010, "UI", Encoding.ASCII.GetBytes(DicomBytes.ImplicitLE + "\0"));

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray()));

        Assert.Equal(DicomErrorCodes.InvalidVR, ex.Code);
        Assert.Equal(132, ex.Offset);
        Assert.Equal(DicomTag.TransferSyntaxUid, ex.Tag);
    }

    [Fact]
    public void Read_WhenInputExceedsMaxInputBytes_ShouldThrowTooLarge()
    {
        var bytes = Samples.ExplicitLittleEndian();
        var options = new DicomReadOptions { MaxInputBytes = bytes.Length - 1 };

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(bytes, options));

        Assert.Equal(DicomErrorCodes.TooLarge, ex.Code);
        Assert.Equal(0, ex.Offset);
        Assert.Equal(Samples.TopLevelElements, DicomFile.Read(bytes, options with { MaxInputBytes = bytes.Length }).Dataset.Count);
    }

    [Fact]
    public void ReadHeader_WhenFileExceedsMaxInputBytes_ShouldThrowTooLargeWithoutReadingIt()
    {
        using var dir = new TempDir();
        var path = dir.Write("big.dcm", Samples.ExplicitLittleEndian());

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.ReadHeader(path, new DicomReadOptions { MaxInputBytes = 100 }));

        Assert.Equal(DicomErrorCodes.TooLarge, ex.Code);
    }

    private static byte[] Random(int length, int seed)
    {
        var bytes = new byte[length];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }
}
