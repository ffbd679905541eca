using System.Diagnostics;
using MedVision.Dicom.Deidentification;
using MedVision.Dicom.Imaging;
using MedVision.Dicom.IO;
using MedVision.Dicom.Tests.BadInput;

namespace MedVision.Dicom.Tests.Fuzz;

/// <summary>
/// Bugs the fuzzer found outside the reader (writer, de-identifier meta, RLE allocation, renderer overflow), each
/// fixed; these tests keep them fixed.
/// </summary>
public sealed class FuzzFindingsTests
{
    private static readonly DicomTag Modality = new(0x0008, 0x0060);

    /// <summary>
    /// Was: BuildMeta copied (0008,0016)/(0008,0018) into the meta with SetString(UI), which rejects characters above
    /// 0x7E; the reader keeps whatever bytes the file had, so ToBytes threw ArgumentException.
    /// </summary>
    [Fact]
    public void ToBytes_WhenSopInstanceUidHasNonAsciiBytes_ShouldWriteWithoutThrowing()
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Element(0x0008, 0x0018, "UI", [(byte)'1', (byte)'.', 0xE9, 0x00]);
        var file = DicomFile.Read(b.ToArray());

        var written = file.ToBytes();

        Assert.Equal(4, DicomFile.Read(written).Dataset[new DicomTag(0x0008, 0x0018)].Length);
    }

    /// <summary>
    /// Was: DicomDeidentifier.BuildMeta wrote the SOP Class UID into the meta with SetString(UI), which threw
    /// ArgumentException for the non-ASCII bytes the reader accepted.
    /// </summary>
    [Fact]
    public void Deidentify_WhenSopClassUidHasNonAsciiBytes_ShouldNotThrow()
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Element(0x0008, 0x0016, "UI", [(byte)'1', (byte)'.', 0xFC, 0x00]);
        var file = DicomFile.Read(b.ToArray());

        var clean = new DicomDeidentifier().Deidentify(file).File;

        Assert.NotNull(DicomFile.Read(clean.ToBytes()));
    }

    /// <summary>
    /// Was: RleDecoder allocated the whole frame (Rows x Columns x samples x bytes, up to ~1 GB) before it looks at the
    /// segments: a 424-byte RLE file claiming 60000x8000 pixels costs ~457 MiB before BadPixelData. An RLE byte
    /// pair expands to at most 128 bytes, so a frame larger than 64x its fragment bytes can be refused up front.
    /// </summary>
    [Fact]
    public void Render_WhenATinyRleFrameClaimsMillionsOfPixels_ShouldRejectItWithoutAllocatingTheFrame()
    {
        var b = DicomBytes.Part10(DicomBytes.Rle).Text(0x0008, 0x0060, "CS", "OT");
        b.UInt16s(0x0028, 0x0002, 1).Text(0x0028, 0x0004, "CS", "MONOCHROME2").UInt16s(0x0028, 0x0010, 60000).UInt16s(0x0028, 0x0011, 8000);
        b.UInt16s(0x0028, 0x0100, 8).UInt16s(0x0028, 0x0101, 8).UInt16s(0x0028, 0x0102, 7).UInt16s(0x0028, 0x0103, 0);
        b.Encapsulated([.. DicomBytes.LE32(1), .. DicomBytes.LE32(64), .. new byte[56], 0, 7, 0x80, 0x80]);
        var file = DicomFile.Read(b.ToArray());
        var before = GC.GetAllocatedBytesForCurrentThread();

        var ex = Assert.Throws<DicomFormatException>(() => DicomRenderer.Render(file, 0));

        Assert.Equal(DicomErrorCodes.BadPixelData, ex.Code);
        Assert.InRange(GC.GetAllocatedBytesForCurrentThread() - before, 0, 16L << 20);
    }

    /// <summary>
    /// Was: an extreme but parseable Rescale Slope with a tiny Window Width made DicomRenderer build a window that is not
    /// finite; Windowing.Voi.Create then throws ArgumentException instead of a DicomFormatException (or a fallback
    /// window) for what is only bad input.
    /// </summary>
    [Fact]
    public void Render_WhenRescaleSlopeIsHugeAndWindowWidthTiny_ShouldNotThrowArgumentException()
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0060, "CS", "CT");
        b.UInt16s(0x0028, 0x0002, 1).Text(0x0028, 0x0004, "CS", "MONOCHROME2").UInt16s(0x0028, 0x0010, 2).UInt16s(0x0028, 0x0011, 2);
        b.UInt16s(0x0028, 0x0100, 16).UInt16s(0x0028, 0x0101, 12).UInt16s(0x0028, 0x0102, 11).UInt16s(0x0028, 0x0103, 0);
        b.Text(0x0028, 0x1050, "DS", "40").Text(0x0028, 0x1051, "DS", "0.0001").Text(0x0028, 0x1052, "DS", "-1024").Text(0x0028, 0x1053, "DS", "1e308");
        b.Element(0x7FE0, 0x0010, "OW", [0, 0, 1, 0, 0, 4, 255, 15]);
        var file = DicomFile.Read(b.ToArray());

        var failure = Record.Exception(() => DicomRenderer.Render(file, 0));

        Assert.True(failure is null or DicomFormatException, $"{failure?.GetType().Name}: {failure?.Message}");
    }

    /// <summary>
    /// Was: a (0002,xxxx) element in the data set sorted first and was written right after the new meta, so reading
    /// the output merged it into the meta: a stray (0002,0010) turned the rewritten file into "deflated".
    /// </summary>
    [Fact]
    public void ToBytes_WhenTheDataSetHoldsAGroup0002Element_ShouldKeepTheTransferSyntax()
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0060, "CS", "OT").Text(0x0002, 0x0010, "UI", DicomBytes.Deflated);
        var file = DicomFile.Read(b.ToArray());
        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, file.TransferSyntax);

        var again = DicomFile.Read(file.ToBytes());

        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, again.TransferSyntax);
        Assert.Equal("OT", again.Dataset.GetString(Modality));
    }

    /// <summary>
    /// Was: OutputSyntax kept the source syntax when the pixel data was encapsulated, but the data set is always
    /// written explicit VR little endian: an implicit (or big endian) file with encapsulated pixel data was rewritten
    /// under a Transfer Syntax UID that did not match its bytes.
    /// </summary>
    [Theory]
    [InlineData(DicomBytes.ImplicitLE)]
    [InlineData(DicomBytes.ExplicitBE)]
    public void ToBytes_WhenPixelDataIsEncapsulatedInANonExplicitLittleEndianFile_ShouldWriteAFileThatReadsBack(string syntax)
    {
        var b = DicomBytes.Part10(syntax).Text(0x0008, 0x0060, "CS", "OT");
        b.Header(0x7FE0, 0x0010, "OB", DicomBytes.Undefined).Raw(new DicomBytes().Item(0).Item(4).Raw(1, 2, 3, 4).SequenceEnd().ToArray());
        var file = DicomFile.Read(b.ToArray());

        var again = DicomFile.Read(file.ToBytes());

        Assert.Equal("OT", again.Dataset.GetString(Modality));
        Assert.Single(again.Dataset[DicomTag.PixelData].Fragments!.Fragments);
    }
}
