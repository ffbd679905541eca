using System.Buffers.Binary;
using System.Text;
using MedVision.Dicom.IO;
using MedVision.Testing;
using Xunit.Abstractions;
using static MedVision.Dicom.Tests.ReaderTests;

namespace MedVision.Dicom.Tests;

/// <summary>
/// The writer's contract: Part 10 explicit VR little endian (or the encapsulated syntax of the pixel data), values
/// padded to even length, (0002,0000) always written, any other group length recomputed, sequences and items of
/// undefined length.
/// </summary>
public sealed class WriterTests(ITestOutputHelper output)
{
    private static readonly DicomTag SopClassUid = new(0x0008, 0x0016);
    private static readonly DicomTag SopInstanceUid = new(0x0008, 0x0018);
    private static readonly DicomTag PatientName = new(0x0010, 0x0010);
    private static readonly DicomTag CodeValue = new(0x0008, 0x0100);
    private static readonly DicomTag ContentSequence = new(0x0040, 0xA730);
    private static readonly Enc LE = new(explicitVR: true, bigEndian: false);

    [Fact]
    public void Write_WhenFileMetaIsEmpty_ShouldWriteTheRequiredMetaWithItsGroupLength()
    {
        var ds = new DicomDataset();
        ds.SetString(SopClassUid, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.SetString(SopInstanceUid, DicomVR.UI, "1.2.3.4.5");

        var bytes = new DicomFile(new DicomDataset(), ds, TransferSyntax.ImplicitVRLittleEndian).ToBytes();
        var file = DicomFile.Read(bytes);

        Assert.True(bytes.AsSpan(0, 128).IndexOfAnyExcept((byte)0) < 0);
        Assert.Equal("DICM"u8.ToArray(), bytes[128..132]);
        Assert.Equal([0x02, 0x00, 0x00, 0x00, (byte)'U', (byte)'L', 4, 0], bytes[132..140]); // (0002,0000) UL first
        var metaEnd = file.Dataset[SopClassUid].SourceOffset;
        Assert.Equal((uint)(metaEnd - 144), BinaryPrimitives.ReadUInt32LittleEndian(bytes.AsSpan(140)));
        Assert.Equal(new byte[] { 0, 1 }, file.FileMeta[DicomTag.FileMetaInformationVersion].Bytes.ToArray());
        Assert.Equal("1.2.840.10008.5.1.4.1.1.7", file.FileMeta.GetString(DicomTag.MediaStorageSopClassUid));
        Assert.Equal("1.2.3.4.5", file.FileMeta.GetString(DicomTag.MediaStorageSopInstanceUid));
        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian.Uid, file.FileMeta.GetString(DicomTag.TransferSyntaxUid));
        Assert.Equal(DicomWriter.ImplementationClassUid, file.FileMeta.GetString(DicomTag.ImplementationClassUid));
        Assert.Equal(DicomWriter.ImplementationVersionName, file.FileMeta.GetString(DicomTag.ImplementationVersionName));
    }

    [Fact]
    public void Write_WhenSopInstanceUidIsNotAscii_ShouldCopyItsBytesIntoTheMeta()
    {
        // Regression (found by the random round trip): the writer re-encoded (0008,0018) for (0002,0003) with
        // SetString, which throws ArgumentException for non-ASCII text, so a file the reader accepted could not be written.
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomElement.FromBytes(SopClassUid, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7\0"u8.ToArray()));
        ds.AddOrUpdate(DicomElement.FromBytes(SopInstanceUid, DicomVR.UI, new byte[] { (byte)'1', (byte)'.', 0xE9, (byte)'2', 0xFF }));

        var file = DicomFile.Read(new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).ToBytes());

        Assert.Equal(new byte[] { (byte)'1', (byte)'.', 0xE9, (byte)'2', 0xFF, 0 }, file.FileMeta[DicomTag.MediaStorageSopInstanceUid].Bytes.ToArray());
        Assert.Equal(new byte[] { (byte)'1', (byte)'.', 0xE9, (byte)'2', 0xFF, 0 }, file.Dataset[SopInstanceUid].Bytes.ToArray());
        Assert.Equal("1.2.840.10008.5.1.4.1.1.7", file.FileMeta.GetString(DicomTag.MediaStorageSopClassUid));
    }

    [Fact]
    public void Write_WhenValuesHaveOddLength_ShouldPadThemWithTheVRsPaddingByte()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomElement.FromBytes(SopInstanceUid, DicomVR.UI, "1.2.3"u8.ToArray()));
        ds.AddOrUpdate(DicomElement.FromBytes(new DicomTag(0x0009, 0x1001), DicomVR.OB, new byte[] { 1, 2, 3 }));
        ds.AddOrUpdate(DicomElement.FromBytes(new DicomTag(0x0009, 0x1002), DicomVR.UN, new byte[] { 4 }));
        ds.AddOrUpdate(DicomElement.FromBytes(PatientName, DicomVR.PN, "Doe^J"u8.ToArray()));
        ds.AddOrUpdate(DicomElement.FromBytes(new DicomTag(0x0010, 0x4000), DicomVR.LT, "odd"u8.ToArray()));

        var file = DicomFile.Read(new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).ToBytes());

        Assert.Empty(file.Warnings); // no odd length left
        Assert.Equal("1.2.3\0"u8.ToArray(), file.Dataset[SopInstanceUid].Bytes.ToArray());
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, file.Dataset[new DicomTag(0x0009, 0x1001)].Bytes.ToArray());
        Assert.Equal(new byte[] { 4, 0 }, file.Dataset[new DicomTag(0x0009, 0x1002)].Bytes.ToArray());
        Assert.Equal("Doe^J "u8.ToArray(), file.Dataset[PatientName].Bytes.ToArray());
        Assert.Equal("odd "u8.ToArray(), file.Dataset[new DicomTag(0x0010, 0x4000)].Bytes.ToArray());
    }

    [Fact]
    public void Write_WhenSequences_ShouldWriteUndefinedLengthsWithDelimiters()
    {
        var item = new DicomDataset();
        item.SetString(CodeValue, DicomVR.SH, "A1");
        var ds = new DicomDataset();
        ds.SetSequence(ContentSequence, [item, new DicomDataset()]);

        var bytes = DicomWriter.WriteDataset(ds);

        byte[] expected =
        [
            0x40, 0x00, 0x30, 0xA7, (byte)'S', (byte)'Q', 0, 0, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,
            0x08, 0x00, 0x00, 0x01, (byte)'S', (byte)'H', 2, 0, (byte)'A', (byte)'1',
            0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0,
            0xFE, 0xFF, 0x00, 0xE0, 0xFF, 0xFF, 0xFF, 0xFF,
            0xFE, 0xFF, 0x0D, 0xE0, 0, 0, 0, 0,
            0xFE, 0xFF, 0xDD, 0xE0, 0, 0, 0, 0,
        ];
        Assert.Equal(expected, bytes);
    }

    [Fact]
    public void Write_WhenGroupLengthsArePresent_ShouldRecomputeEachFromItsEncodedGroup()
    {
        var item = new DicomDataset();
        item.SetBytes(new DicomTag(0x0008, 0x0000), DicomVR.UL, new byte[4]);
        item.SetString(CodeValue, DicomVR.SH, "A1");
        item.SetString(new DicomTag(0x0008, 0x0104), DicomVR.LO, "odd");
        item.SetString(new DicomTag(0x0040, 0xA040), DicomVR.CS, "TEXT");
        var ds = new DicomDataset();
        ds.SetBytes(new DicomTag(0x0008, 0x0000), DicomVR.UL, new byte[] { 1, 0, 0, 0 });
        ds.SetString(SopClassUid, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.SetSequence(new DicomTag(0x0008, 0x1140), [item]);
        ds.AddOrUpdate(DicomElement.FromBytes(new DicomTag(0x0008, 0x1150), DicomVR.UI, "1.2.3"u8.ToArray()));
        ds.SetBytes(new DicomTag(0x0010, 0x0000), DicomVR.UL, new byte[4]);
        ds.SetString(PatientName, DicomVR.PN, "Doe^Jane");
        ds.SetBytes(new DicomTag(0x0029, 0x0000), DicomVR.UL, new byte[4]);
        ds.AddOrUpdate(DicomElement.FromBytes(new DicomTag(0x0029, 0x1001), DicomVR.UN, new byte[70_001]));
        ds.SetBytes(DicomTag.PixelData, DicomVR.OW, new byte[4]);

        var file = DicomFile.Read(new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).ToBytes());
        var read = file.Dataset;

        // A group runs from the end of its group length element (12 bytes) to the start of the next group.
        Assert.Equal(read[new DicomTag(0x0010, 0x0000)].SourceOffset - read[new DicomTag(0x0008, 0x0000)].SourceOffset - 12, GroupLength(read, 0x0008));
        Assert.Equal(read[new DicomTag(0x0029, 0x0000)].SourceOffset - read[new DicomTag(0x0010, 0x0000)].SourceOffset - 12, GroupLength(read, 0x0010));
        Assert.Equal(read[DicomTag.PixelData].SourceOffset - read[new DicomTag(0x0029, 0x0000)].SourceOffset - 12, GroupLength(read, 0x0029));
        var readItem = read.GetItems(new DicomTag(0x0008, 0x1140))[0];
        Assert.Equal(readItem[new DicomTag(0x0040, 0xA040)].SourceOffset - readItem[new DicomTag(0x0008, 0x0000)].SourceOffset - 12, GroupLength(readItem, 0x0008));
    }

    [Fact]
    public void Write_WhenGroupLengthsArePresent_ShouldAgreeWithDcmtksRecalculation()
    {
        if (!TestCorpus.Require(output.WriteLine, "dcmconv", "dcmdump"))
        {
            return;
        }

        // DCMTK recomputes the group lengths of our output for the same encoding (explicit VR LE, undefined lengths).
        using var ours = new TempFile();
        using var dcmtk = new TempFile();
        File.WriteAllBytes(ours.Path, DicomFile.Open(TestCorpus.Get("ct-16s-undefined-grouplen.dcm").Path).ToBytes());
        ExternalTools.RunOk("dcmconv", "+te", "-e", "+g=", ours.Path, dcmtk.Path);

        var written = GroupLengths(DcmdumpParser.Dump(ours.Path).Listing!.Dataset, "");
        var recomputed = GroupLengths(DcmdumpParser.Dump(dcmtk.Path).Listing!.Dataset, "");
        Assert.True(written.Count >= 8, $"expected group lengths in several groups and items, found {written.Count}");
        Assert.Equal(recomputed, written);
    }

    [Fact]
    public void Write_WhenShortVRValueExceeds64KiB_ShouldWriteItAsUN()
    {
        var ds = new DicomDataset();
        ds.AddOrUpdate(DicomElement.FromBytes(new DicomTag(0x0010, 0x4000), DicomVR.LT, Encoding.ASCII.GetBytes(new string('x', 70_000))));

        var read = DicomFile.Read(new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).ToBytes()).Dataset;

        Assert.Equal(DicomVR.UN, read[new DicomTag(0x0010, 0x4000)].VR);
        Assert.Equal(70_000, read[new DicomTag(0x0010, 0x4000)].Length);
    }

    [Fact]
    public void Write_WhenSourceIsBigEndian_ShouldWriteExplicitLittleEndianWithTheSameValues()
    {
        var be = new Enc(explicitVR: true, bigEndian: true);
        var source = DicomFile.Read(Part10(Ts.ExplicitBE, be.Text(PatientName, "PN", "Doe^Jane"), be.UInt16(new DicomTag(0x0028, 0x0010), 512), be.Element(DicomTag.PixelData, "OW", [0x12, 0x34])));

        var bytes = source.ToBytes();
        var written = DicomFile.Read(bytes);

        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian.Uid, written.TransferSyntax.Uid);
        Assert.True(written.Dataset.TryGetUInt16(new DicomTag(0x0028, 0x0010), out var rows));
        Assert.Equal(512, rows);
        Assert.Equal(new byte[] { 0x34, 0x12 }, written.Dataset[DicomTag.PixelData].Bytes.ToArray());
        Assert.Equal([0x10, 0x00, 0x10, 0x00, (byte)'P', (byte)'N', 8, 0], bytes.AsSpan((int)written.Dataset[PatientName].SourceOffset, 8).ToArray());
    }

    [Fact]
    public void Write_WhenPixelDataIsEncapsulated_ShouldKeepItsSyntaxOffsetTableAndFragments()
    {
        var source = DicomFile.Read(Part10(Ts.Rle, LE.Fragments(U32(0), [1, 2, 3, 4], [5, 6])));

        var written = DicomFile.Read(source.ToBytes());

        Assert.Equal(Ts.Rle, written.TransferSyntax.Uid);
        var fragments = written.Dataset[DicomTag.PixelData].Fragments!;
        Assert.Equal(new uint[] { 0 }, fragments.BasicOffsets());
        Assert.Equal(2, fragments.Fragments.Count);
        Assert.Equal(new byte[] { 5, 6 }, fragments.Fragments[1].ToArray());
    }

    [Fact]
    public void Write_WhenTheDatasetHoldsAGroup0002Element_ShouldLeaveItOutAndKeepTheSyntax()
    {
        // Regression (fuzz finding): a (0002,0010) in the data set sorted first and was written right after the new
        // meta, so reading the output took it for meta and the file turned "deflated".
        var modality = new DicomTag(0x0008, 0x0060);
        var source = DicomFile.Read(Part10(Ts.ExplicitLE, LE.Text(modality, "CS", "OT"), LE.Text(DicomTag.TransferSyntaxUid, "UI", Ts.Deflated)));
        Assert.True(source.Dataset.Contains(DicomTag.TransferSyntaxUid));

        var written = DicomFile.Read(source.ToBytes());

        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian.Uid, written.TransferSyntax.Uid);
        Assert.Equal("OT", written.Dataset.GetString(modality));
        Assert.DoesNotContain(written.Dataset, e => e.Tag.Group == 0x0002);
    }

    [Theory]
    [InlineData(Ts.ImplicitLE)]
    [InlineData(Ts.ExplicitBE)]
    public void Write_WhenEncapsulatedPixelDataIsInAnImplicitOrBigEndianFile_ShouldWriteItUnderExplicitLittleEndian(string syntax)
    {
        // Regression (fuzz finding): OutputSyntax kept the source syntax whenever the pixel data was encapsulated, so
        // explicit VR little endian bytes went out under an implicit VR or big endian Transfer Syntax UID.
        var enc = new Enc(explicitVR: syntax != Ts.ImplicitLE, bigEndian: syntax == Ts.ExplicitBE);
        byte[] item = [0xFE, 0xFF, 0x00, 0xE0];
        var fragments = Concat(item, U32(0), item, U32(4), [1, 2, 3, 4], [0xFE, 0xFF, 0xDD, 0xE0], U32(0));
        var source = DicomFile.Read(Part10(syntax, enc.Text(new DicomTag(0x0008, 0x0060), "CS", "OT"), enc.Element(DicomTag.PixelData, "OB", fragments, undefinedLength: true)));
        Assert.True(source.Dataset[DicomTag.PixelData].IsEncapsulated);

        var written = DicomFile.Read(source.ToBytes());

        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian, DicomWriter.OutputSyntax(source));
        Assert.Equal(TransferSyntax.ExplicitVRLittleEndian.Uid, written.TransferSyntax.Uid);
        Assert.Equal("OT", written.Dataset.GetString(new DicomTag(0x0008, 0x0060)));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, Assert.Single(written.Dataset[DicomTag.PixelData].Fragments!.Fragments).ToArray());
    }

    private static long GroupLength(DicomDataset ds, ushort group) =>
        BinaryPrimitives.ReadUInt32LittleEndian(ds[new DicomTag(group, 0x0000)].Bytes.Span);

    /// <summary>Path of every group length element in a listing (items included) to the value printed.</summary>
    private static Dictionary<string, string> GroupLengths(DumpDataset dataset, string path)
    {
        var result = new Dictionary<string, string>();
        foreach (var element in dataset.Elements)
        {
            if (element.Tag.IsGroupLength)
            {
                result[path + element.Tag] = element.Value;
            }

            for (var i = 0; i < (element.Items?.Count ?? 0); i++)
            {
                foreach (var (key, value) in GroupLengths(element.Items![i], $"{path}{element.Tag}[{i}]."))
                {
                    result[key] = value;
                }
            }
        }

        return result;
    }
}
