using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MedVision.Dicom.IO;

namespace MedVision.Dicom.Tests;

/// <summary>
/// One minimal, hand-assembled byte stream per reader feature: Part 10 framing, bare data sets, the native
/// transfer syntaxes, deflate, sequence and item lengths, nesting, encapsulated pixel data, private tags, UN
/// holding a sequence, and the header-only read.
/// </summary>
public sealed class ReaderTests
{
    private static readonly DicomTag PatientName = new(0x0010, 0x0010);
    private static readonly DicomTag Rows = new(0x0028, 0x0010);
    private static readonly DicomTag CodeValue = new(0x0008, 0x0100);
    private static readonly DicomTag CodeMeaning = new(0x0008, 0x0104);
    private static readonly DicomTag ReferencedImageSequence = new(0x0008, 0x1140);
    private static readonly DicomTag ContentSequence = new(0x0040, 0xA730);
    private static readonly Enc LE = new(explicitVR: true, bigEndian: false);
    private static readonly Enc Implicit = new(explicitVR: false, bigEndian: false);
    private static readonly Enc BE = new(explicitVR: true, bigEndian: true);

    [Fact]
    public void Read_WhenPreambleAndDicm_ShouldKeepPreambleAndReadMetaAndDataset()
    {
        var preamble = Enumerable.Range(0, 128).Select(i => (byte)i).ToArray();
        var bytes = Concat(preamble, "DICM"u8.ToArray(), Meta(Ts.ExplicitLE), LE.Text(PatientName, "PN", "Doe^Jane"));

        var file = DicomFile.Read(bytes);

        Assert.True(file.HasPreamble);
        Assert.Equal(preamble, file.Preamble.ToArray());
        Assert.Equal(Ts.ExplicitLE, file.TransferSyntax.Uid);
        Assert.Equal("1.2.840.10008.5.1.4.1.1.7", file.FileMeta.GetString(DicomTag.MediaStorageSopClassUid));
        Assert.Equal("Doe^Jane", file.Dataset.GetString(PatientName));
        Assert.Empty(file.Warnings);
    }

    [Fact]
    public void Read_WhenMetaWithoutPreamble_ShouldReadMetaAndDataset()
    {
        var file = DicomFile.Read(Concat(Meta(Ts.ImplicitLE), Implicit.Text(PatientName, "PN", "Doe^Jane")));

        Assert.False(file.HasPreamble);
        Assert.Equal(Ts.ImplicitLE, file.TransferSyntax.Uid);
        Assert.Equal(DicomVR.PN, file.Dataset[PatientName].VR);
        Assert.Equal("Doe^Jane", file.Dataset.GetString(PatientName));
    }

    [Theory]
    [InlineData(true, false, Ts.ExplicitLE)]
    [InlineData(false, false, Ts.ImplicitLE)]
    [InlineData(true, true, Ts.ExplicitBE)]
    public void Read_WhenBareDatasetWithoutPreambleOrMeta_ShouldRecogniseItsSyntax(bool explicitVR, bool bigEndian, string expected)
    {
        var enc = new Enc(explicitVR, bigEndian);
        var bytes = Concat(enc.Text(new DicomTag(0x0008, 0x0060), "CS", "CT"), enc.Text(PatientName, "PN", "Doe^Jane"), enc.UInt16(Rows, 512));

        var file = DicomFile.Read(bytes);

        Assert.False(file.HasPreamble);
        Assert.Empty(file.FileMeta);
        Assert.Equal(expected, file.TransferSyntax.Uid);
        Assert.Equal("Doe^Jane", file.Dataset.GetString(PatientName));
        Assert.True(file.Dataset.TryGetUInt16(Rows, out var rows));
        Assert.Equal(512, rows);
        Assert.Contains(file.Warnings, w => w.Contains("No file meta information", StringComparison.Ordinal));
    }

    [Fact]
    public void Read_WhenImplicitVR_ShouldTakeVRsFromTheDictionary()
    {
        var bytes = Part10(Ts.ImplicitLE,
            Implicit.Element(new DicomTag(0x0008, 0x0000), "UL", U32(26)),
            Implicit.Text(new DicomTag(0x0008, 0x0016), "UI", "1.2.840.10008.5.1.4.1.1.7"),
            Implicit.Text(new DicomTag(0x0009, 0x0010), "LO", "ACME"),
            Implicit.Element(new DicomTag(0x0009, 0x1001), "UN", [1, 2, 3, 4]),
            Implicit.Text(PatientName, "PN", "Doe^Jane"),
            Implicit.UInt16(Rows, 512),
            Implicit.UInt16(new DicomTag(0x0028, 0x0103), 1),
            Implicit.Element(new DicomTag(0x0028, 0x0106), "SS", [0x18, 0xFC]));

        var ds = DicomFile.Read(bytes).Dataset;

        Assert.Equal(DicomVR.UL, ds[new DicomTag(0x0008, 0x0000)].VR);
        Assert.Equal(DicomVR.UI, ds[new DicomTag(0x0008, 0x0016)].VR);
        Assert.Equal(DicomVR.LO, ds[new DicomTag(0x0009, 0x0010)].VR); // private creator
        Assert.Equal(DicomVR.UN, ds[new DicomTag(0x0009, 0x1001)].VR); // private data: unknown
        Assert.Equal(DicomVR.PN, ds[PatientName].VR);
        Assert.Equal(DicomVR.US, ds[Rows].VR);
        Assert.Equal(DicomVR.SS, ds[new DicomTag(0x0028, 0x0106)].VR); // "US or SS" follows Pixel Representation 1
        Assert.True(ds.TryGetDouble(new DicomTag(0x0028, 0x0106), out var smallest));
        Assert.Equal(-1000, smallest);
    }

    [Fact]
    public void Read_WhenExplicitBigEndian_ShouldSwapEveryBinaryVRAndNoOther()
    {
        var bytes = Part10(Ts.ExplicitBE,
            BE.Element(new DicomTag(0x0008, 0x0309), "UL", [0x01, 0x02, 0x03, 0x04]),
            BE.Element(new DicomTag(0x0008, 0x1163), "FD", [0x3F, 0xF0, 0, 0, 0, 0, 0, 0]),
            BE.Element(new DicomTag(0x0009, 0x1001), "OB", [0x01, 0x02, 0x03, 0x04]),
            BE.Element(new DicomTag(0x0009, 0x1002), "UN", [0x01, 0x02, 0x03, 0x04]),
            BE.Text(PatientName, "PN", "Doe^Jane"),
            BE.Element(new DicomTag(0x0018, 0x0013), "FL", [0x3F, 0xC0, 0x00, 0x00]),
            BE.Element(new DicomTag(0x0018, 0x6020), "SL", [0xFF, 0xFF, 0xFF, 0xFB]),
            BE.Element(new DicomTag(0x0018, 0x9219), "SS", [0xFE, 0xD4]),
            BE.Element(new DicomTag(0x0028, 0x0009), "AT", [0x00, 0x18, 0x10, 0x63]),
            BE.Element(Rows, "US", [0x02, 0x00]),
            BE.Element(new DicomTag(0x0066, 0x0016), "OF", [0x3F, 0x80, 0x00, 0x00]),
            BE.Element(new DicomTag(0x0066, 0x0022), "OD", [0x40, 0, 0, 0, 0, 0, 0, 0]),
            BE.Element(new DicomTag(0x0066, 0x0040), "OL", [0x00, 0x00, 0x01, 0x00]),
            BE.Element(new DicomTag(0x0072, 0x0081), "OV", [0, 0, 0, 0, 0, 0, 0x01, 0x02]),
            BE.Element(new DicomTag(0x0072, 0x0082), "SV", [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE]),
            BE.Element(new DicomTag(0x0072, 0x0083), "UV", [0, 0, 0, 0, 0, 0, 0, 0x07]),
            BE.Element(new DicomTag(0x7FE0, 0x0010), "OW", [0x12, 0x34, 0xAB, 0xCD]));

        var file = DicomFile.Read(bytes);
        var ds = file.Dataset;

        Assert.Equal(Ts.ExplicitBE, file.TransferSyntax.Uid);
        Assert.Equal(0x01020304u, BinaryPrimitives.ReadUInt32LittleEndian(ds[new DicomTag(0x0008, 0x0309)].Bytes.Span));
        Assert.Equal(1.0, BinaryPrimitives.ReadDoubleLittleEndian(ds[new DicomTag(0x0008, 0x1163)].Bytes.Span));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, ds[new DicomTag(0x0009, 0x1001)].Bytes.ToArray()); // OB: bytes, no order
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, ds[new DicomTag(0x0009, 0x1002)].Bytes.ToArray()); // UN: bytes, no order
        Assert.Equal("Doe^Jane", ds.GetString(PatientName));
        Assert.Equal(1.5f, BinaryPrimitives.ReadSingleLittleEndian(ds[new DicomTag(0x0018, 0x0013)].Bytes.Span));
        Assert.Equal(-5, BinaryPrimitives.ReadInt32LittleEndian(ds[new DicomTag(0x0018, 0x6020)].Bytes.Span));
        Assert.Equal(-300, BinaryPrimitives.ReadInt16LittleEndian(ds[new DicomTag(0x0018, 0x9219)].Bytes.Span));
        Assert.Equal(new byte[] { 0x18, 0x00, 0x63, 0x10 }, ds[new DicomTag(0x0028, 0x0009)].Bytes.ToArray()); // AT: two 16-bit halves
        Assert.Equal(512, BinaryPrimitives.ReadUInt16LittleEndian(ds[Rows].Bytes.Span));
        Assert.Equal(1f, BinaryPrimitives.ReadSingleLittleEndian(ds[new DicomTag(0x0066, 0x0016)].Bytes.Span));
        Assert.Equal(2.0, BinaryPrimitives.ReadDoubleLittleEndian(ds[new DicomTag(0x0066, 0x0022)].Bytes.Span));
        Assert.Equal(256u, BinaryPrimitives.ReadUInt32LittleEndian(ds[new DicomTag(0x0066, 0x0040)].Bytes.Span));
        Assert.Equal(0x0102ul, BinaryPrimitives.ReadUInt64LittleEndian(ds[new DicomTag(0x0072, 0x0081)].Bytes.Span));
        Assert.Equal(-2L, BinaryPrimitives.ReadInt64LittleEndian(ds[new DicomTag(0x0072, 0x0082)].Bytes.Span));
        Assert.Equal(7ul, BinaryPrimitives.ReadUInt64LittleEndian(ds[new DicomTag(0x0072, 0x0083)].Bytes.Span));
        Assert.Equal(new byte[] { 0x34, 0x12, 0xCD, 0xAB }, ds[DicomTag.PixelData].Bytes.ToArray());
    }

    [Fact]
    public void Read_WhenDeflated_ShouldInflateTheDataset()
    {
        var dataset = Concat(LE.Text(PatientName, "PN", "Doe^Jane"), LE.Sequence(ContentSequence, defined: false, LE.Item(defined: false, LE.Text(CodeValue, "SH", "X1"))), LE.UInt16(Rows, 512));
        using var compressed = new MemoryStream();
        using (var deflate = new DeflateStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflate.Write(dataset);
        }

        var file = DicomFile.Read(Concat(Preamble(), Meta(Ts.Deflated), compressed.ToArray()));

        Assert.True(file.TransferSyntax.IsDeflated);
        Assert.Equal("Doe^Jane", file.Dataset.GetString(PatientName));
        Assert.Equal("X1", file.Dataset.GetItems(ContentSequence)[0].GetString(CodeValue));
        Assert.True(file.Dataset.TryGetUInt16(Rows, out var rows));
        Assert.Equal(512, rows);
    }

    [Theory]
    [InlineData(true, true, true)]
    [InlineData(true, false, true)]
    [InlineData(false, true, true)]
    [InlineData(false, false, true)]
    [InlineData(true, true, false)]
    [InlineData(false, false, false)]
    [InlineData(false, true, false)]
    public void Read_WhenSequenceAndItemLengthsAreDefinedOrUndefined_ShouldReadTheSameItems(bool sequenceDefined, bool itemsDefined, bool explicitVR)
    {
        var enc = new Enc(explicitVR, bigEndian: false);
        var bytes = Part10(explicitVR ? Ts.ExplicitLE : Ts.ImplicitLE,
            enc.Sequence(ContentSequence, sequenceDefined,
                enc.Item(itemsDefined, enc.Text(CodeValue, "SH", "A1"), enc.Text(CodeMeaning, "LO", "first")),
                enc.Item(itemsDefined),
                enc.Item(itemsDefined, enc.Text(CodeValue, "SH", "C3"))),
            enc.Text(new DicomTag(0x0040, 0xA040), "CS", "CONTAINER"));

        var ds = DicomFile.Read(bytes).Dataset;

        var items = ds.GetItems(ContentSequence);
        Assert.Equal(3, items.Count);
        Assert.Equal("A1", items[0].GetString(CodeValue));
        Assert.Equal("first", items[0].GetString(CodeMeaning));
        Assert.Empty(items[1]);
        Assert.Equal("C3", items[2].GetString(CodeValue));
        Assert.Same(ds, items[0].Parent);
        Assert.Equal("CONTAINER", ds.GetString(new DicomTag(0x0040, 0xA040))); // the element after the sequence
    }

    [Fact]
    public void Read_WhenSequenceIsEmpty_ShouldHaveNoItems()
    {
        var bytes = Part10(Ts.ExplicitLE, LE.Sequence(ReferencedImageSequence, defined: true), LE.Sequence(ContentSequence, defined: false), LE.Text(new DicomTag(0x0040, 0xA040), "CS", "TEXT"));

        var ds = DicomFile.Read(bytes).Dataset;

        Assert.True(ds[ReferencedImageSequence].IsSequence);
        Assert.Empty(ds.GetItems(ReferencedImageSequence));
        Assert.Empty(ds.GetItems(ContentSequence));
        Assert.Equal("TEXT", ds.GetString(new DicomTag(0x0040, 0xA040)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_WhenSequencesNestTwelveDeep_ShouldKeepEveryLevel(bool explicitVR)
    {
        var enc = new Enc(explicitVR, bigEndian: false);
        var level = enc.Text(CodeValue, "SH", "L12");
        for (var depth = 12; depth >= 1; depth--)
        {
            var defined = depth % 2 == 0;
            level = enc.Sequence(ContentSequence, defined, enc.Item(defined, enc.Text(CodeMeaning, "LO", $"level {depth}"), level));
        }

        var ds = DicomFile.Read(Part10(explicitVR ? Ts.ExplicitLE : Ts.ImplicitLE, level)).Dataset;

        for (var depth = 1; depth <= 12; depth++)
        {
            var items = ds.GetItems(ContentSequence);
            Assert.Single(items);
            ds = items[0];
            Assert.Equal($"level {depth}", ds.GetString(CodeMeaning));
        }

        Assert.Equal("L12", ds.GetString(CodeValue));
    }

    [Fact]
    public void Read_WhenSequencesNestBeyondMaxDepth_ShouldThrowTooDeep()
    {
        var level = LE.Text(CodeValue, "SH", "X");
        for (var depth = 0; depth < 5; depth++)
        {
            level = LE.Sequence(ContentSequence, defined: false, LE.Item(defined: false, level));
        }

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(Part10(Ts.ExplicitLE, level), new DicomReadOptions { MaxDepth = 4 }));

        Assert.Equal(DicomErrorCodes.TooDeep, ex.Code);
    }

    [Fact]
    public void Read_WhenEncapsulatedPixelData_ShouldReadOffsetTableFragmentsAndExtendedOffsetTable()
    {
        byte[] frame1a = [0xFF, 0xD8, 1, 2], frame1b = [3, 4, 0xFF, 0xD9], frame2 = [0xFF, 0xD8, 5, 6, 0xFF, 0xD9];
        var bot = Concat(U32(0), U32(24));
        var bytes = Part10(Ts.JpegBaseline,
            LE.UInt16(Rows, 2),
            LE.Element(DicomTag.ExtendedOffsetTable, "OV", Concat(U64(0), U64(24))),
            LE.Element(DicomTag.ExtendedOffsetTableLengths, "OV", Concat(U64(8), U64(6))),
            LE.Fragments(bot, frame1a, frame1b, frame2));

        var ds = DicomFile.Read(bytes).Dataset;

        var pixels = ds[DicomTag.PixelData];
        Assert.True(pixels.IsEncapsulated);
        Assert.Equal(DicomVR.OB, pixels.VR);
        Assert.Equal(new uint[] { 0, 24 }, pixels.Fragments!.BasicOffsets());
        Assert.Equal(3, pixels.Fragments.Fragments.Count);
        Assert.Equal(frame1a, pixels.Fragments.Fragments[0].ToArray());
        Assert.Equal(frame1b, pixels.Fragments.Fragments[1].ToArray());
        Assert.Equal(frame2, pixels.Fragments.Fragments[2].ToArray());
        Assert.Equal(new long[] { 0, 12, 24 }, pixels.Fragments.FragmentItemOffsets());
        Assert.Equal(DicomVR.OV, ds[DicomTag.ExtendedOffsetTable].VR);
        Assert.Equal(16, ds[DicomTag.ExtendedOffsetTableLengths].Length);
    }

    [Fact]
    public void Read_WhenOffsetTableIsEmpty_ShouldHaveNoOffsets()
    {
        var ds = DicomFile.Read(Part10(Ts.Rle, LE.Fragments([], [1, 2, 3, 4]))).Dataset;

        var fragments = ds[DicomTag.PixelData].Fragments!;
        Assert.True(fragments.OffsetTable.IsEmpty);
        Assert.Empty(fragments.BasicOffsets());
        Assert.Single(fragments.Fragments);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Read_WhenPrivateTags_ShouldKeepCreatorsDataAndPrivateSequences(bool explicitVR)
    {
        var enc = new Enc(explicitVR, bigEndian: false);
        var bytes = Part10(explicitVR ? Ts.ExplicitLE : Ts.ImplicitLE,
            enc.Text(new DicomTag(0x0029, 0x0010), "LO", "ACME 1.0"),
            enc.Text(new DicomTag(0x0029, 0x0011), "LO", "OTHER"),
            enc.Element(new DicomTag(0x0029, 0x1001), explicitVR ? "OB" : "UN", [9, 8, 7, 6]),
            enc.Sequence(new DicomTag(0x0029, 0x1002), defined: false, enc.Item(defined: false, enc.Text(CodeValue, "SH", "P1"))),
            enc.Element(new DicomTag(0x0029, 0x1101), explicitVR ? "LO" : "UN", "second"u8.ToArray()));

        var ds = DicomFile.Read(bytes).Dataset;

        Assert.Equal("ACME 1.0", ds.GetString(new DicomTag(0x0029, 0x0010)));
        Assert.Equal(DicomVR.LO, ds[new DicomTag(0x0029, 0x0011)].VR);
        Assert.Equal(explicitVR ? DicomVR.OB : DicomVR.UN, ds[new DicomTag(0x0029, 0x1001)].VR);
        Assert.Equal(new byte[] { 9, 8, 7, 6 }, ds[new DicomTag(0x0029, 0x1001)].Bytes.ToArray());
        Assert.Equal("P1", ds.GetItems(new DicomTag(0x0029, 0x1002))[0].GetString(CodeValue));
        Assert.Equal("second"u8.ToArray(), ds[new DicomTag(0x0029, 0x1101)].Bytes.ToArray());
        Assert.True(new DicomTag(0x0029, 0x1101).IsPrivate);
    }

    [Fact]
    public void Read_WhenUNHasUndefinedLength_ShouldReadItsItemsAsImplicitVRLittleEndian()
    {
        // CP-246: an explicit VR writer that did not know the tag sent a sequence as UN; its content stays implicit VR.
        var inner = Implicit.Sequence(ReferencedImageSequence, defined: true,
            Implicit.Item(defined: true, Implicit.Text(new DicomTag(0x0008, 0x1150), "UI", "1.2.840.10008.5.1.4.1.1.7")));
        var un = LE.Element(new DicomTag(0x0029, 0x1010), "UN",
            Concat(Implicit.Item(defined: false, Implicit.Text(CodeValue, "SH", "U1"), inner, Implicit.Element(new DicomTag(0x0029, 0x1001), "UN", [1, 2])),
                Implicit.Item(defined: true, Implicit.UInt16(Rows, 7)),
                SequenceDelimiter()),
            undefinedLength: true);
        var bytes = Part10(Ts.ExplicitLE, LE.Text(new DicomTag(0x0029, 0x0010), "LO", "ACME"), un, LE.Text(new DicomTag(0x0029, 0x1011), "LO", "after"));

        var ds = DicomFile.Read(bytes).Dataset;

        var element = ds[new DicomTag(0x0029, 0x1010)];
        Assert.True(element.IsSequence);
        Assert.Equal(2, element.Items!.Count);
        Assert.Equal(DicomVR.SH, element.Items[0][CodeValue].VR);
        Assert.Equal("U1", element.Items[0].GetString(CodeValue));
        Assert.Equal("1.2.840.10008.5.1.4.1.1.7", element.Items[0].GetItems(ReferencedImageSequence)[0].GetString(new DicomTag(0x0008, 0x1150)));
        Assert.Equal(DicomVR.UN, element.Items[0][new DicomTag(0x0029, 0x1001)].VR);
        Assert.True(element.Items[1].TryGetUInt16(Rows, out var rows));
        Assert.Equal(7, rows);
        Assert.Equal("after", ds.GetString(new DicomTag(0x0029, 0x1011)));
    }

    [Fact]
    public void Read_WhenUNHasDefinedLength_ShouldKeepTheBytes()
    {
        var payload = Implicit.Item(defined: true, Implicit.Text(CodeValue, "SH", "B1"));
        var ds = DicomFile.Read(Part10(Ts.ExplicitLE, LE.Element(new DicomTag(0x0018, 0x0050), "UN", "2.5 "u8.ToArray()), LE.Element(new DicomTag(0x0029, 0x1010), "UN", payload))).Dataset;

        Assert.Equal(DicomVR.UN, ds[new DicomTag(0x0018, 0x0050)].VR);
        Assert.Equal("2.5 "u8.ToArray(), ds[new DicomTag(0x0018, 0x0050)].Bytes.ToArray());
        Assert.False(ds[new DicomTag(0x0029, 0x1010)].IsSequence);
        Assert.Equal(payload, ds[new DicomTag(0x0029, 0x1010)].Bytes.ToArray());
    }

    [Fact]
    public void ReadHeader_WhenFileIs15MB_ShouldStopBeforePixelDataWithoutReadingIt()
    {
        const int pixelBytes = 15 * 1024 * 1024;
        var header = Part10(Ts.ExplicitLE, LE.Text(PatientName, "PN", "Doe^Jane"), LE.UInt16(Rows, 2560), PixelDataHeader(pixelBytes));
        using var temp = new TempFile();
        using (var stream = File.Create(temp.Path))
        {
            stream.Write(header);
            stream.SetLength(header.Length + pixelBytes); // sparse: the pixel data is never written
        }

        var file = DicomFile.ReadHeader(temp.Path);

        Assert.True(file.StoppedBeforePixelData);
        Assert.False(file.Dataset.Contains(DicomTag.PixelData));
        Assert.Equal("Doe^Jane", file.Dataset.GetString(PatientName));
        Assert.True(DicomFile.Open(temp.Path).Dataset.Contains(DicomTag.PixelData));
    }

    [Fact]
    public void ReadHeader_WhenFileIsCutRightAfterThePixelDataHeader_ShouldReadTheHeaderWhileOpenFailsTruncated()
    {
        // The 15 MB of pixel data the header announces are not there: a header-only read must not need them.
        var bytes = Part10(Ts.ExplicitLE, LE.Text(PatientName, "PN", "Doe^Jane"), LE.UInt16(Rows, 2560), PixelDataHeader(15 * 1024 * 1024));
        using var temp = new TempFile();
        File.WriteAllBytes(temp.Path, bytes);

        var header = DicomFile.ReadHeader(temp.Path);
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Open(temp.Path));

        Assert.True(header.StoppedBeforePixelData);
        Assert.Equal("Doe^Jane", header.Dataset.GetString(PatientName));
        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(bytes.Length - 12, ex.Offset);
        Assert.Equal(DicomTag.PixelData, ex.Tag);
    }

    [Theory]
    [InlineData(DicomFile.HeaderFirstReadBytes)]
    [InlineData(DicomFile.HeaderFirstReadBytes * 4)]
    public void ReadHeader_WhenPixelDataStartsOnAReadChunkBoundary_ShouldStillStopBeforePixelData(int pixelDataOffset)
    {
        // The first read is HeaderFirstReadBytes, then 4× that: a prefix that ends exactly where an element ends must not look
        // like the whole data set.
        var head = Concat(Part10(Ts.ExplicitLE, LE.Text(PatientName, "PN", "Doe^Jane")), LE.Text(new DicomTag(0x0029, 0x0010), "LO", "FILLER"));
        var fillerLength = pixelDataOffset - head.Length - 12;
        var bytes = Concat(head, LE.Element(new DicomTag(0x0029, 0x1001), "OB", new byte[fillerLength]));
        Assert.Equal(pixelDataOffset, bytes.Length);
        bytes = Concat(bytes, PixelDataHeader(1024 * 1024), new byte[1024 * 1024]);
        using var temp = new TempFile();
        File.WriteAllBytes(temp.Path, bytes);

        var file = DicomFile.ReadHeader(temp.Path);

        Assert.True(file.StoppedBeforePixelData);
        Assert.Equal(fillerLength, file.Dataset[new DicomTag(0x0029, 0x1001)].Length);
        Assert.False(file.Dataset.Contains(DicomTag.PixelData));
    }

    [Fact]
    public void ReadHeader_WhenDeflatedFileIsLargerThanTheFirstRead_ShouldReadTheWholeDataset()
    {
        var noise = new byte[300 * 1024];
        new Random(7).NextBytes(noise); // incompressible, so the deflated stream is larger than the first read
        var dataset = Concat(LE.Text(PatientName, "PN", "Doe^Jane"), LE.Element(new DicomTag(0x0029, 0x1001), "OB", noise), LE.UInt16(Rows, 2), LE.Element(DicomTag.PixelData, "OW", new byte[8]));
        using var compressed = new MemoryStream();
        using (var deflate = new DeflateStream(compressed, CompressionLevel.Fastest, leaveOpen: true))
        {
            deflate.Write(dataset);
        }

        using var temp = new TempFile();
        File.WriteAllBytes(temp.Path, Concat(Preamble(), Meta(Ts.Deflated), compressed.ToArray()));

        var file = DicomFile.ReadHeader(temp.Path);

        Assert.True(file.StoppedBeforePixelData);
        Assert.True(file.Dataset.TryGetUInt16(Rows, out var rows));
        Assert.Equal(2, rows);
        Assert.Equal(noise.Length, file.Dataset[new DicomTag(0x0029, 0x1001)].Length);
    }

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void ReadHeader_WhenCorpusFile_ShouldEqualOpenUpToPixelData(string name)
    {
        if (!TestCorpus.Require(_ => { }))
        {
            return;
        }

        var path = TestCorpus.Get(name).Path;
        var whole = DicomFile.Open(path);
        var header = DicomFile.ReadHeader(path);

        Assert.Equal(whole.Dataset.Contains(DicomTag.PixelData), header.StoppedBeforePixelData);
        Assert.Equal(whole.TransferSyntax.Uid, header.TransferSyntax.Uid);
        Assert.Equal(whole.FileMeta.Select(e => e.Tag), header.FileMeta.Select(e => e.Tag));
        var expected = new DicomDataset();
        foreach (var element in whole.Dataset.Where(e => e.Tag < DicomTag.PixelData))
        {
            expected.AddOrUpdate(element.Clone());
        }

        Assert.Equal(expected.Select(e => e.Tag), header.Dataset.Select(e => e.Tag));
        Assert.Equal(DicomWriter.WriteDataset(expected), DicomWriter.WriteDataset(header.Dataset)); // same values, all the way down
    }

    [Fact]
    public void Open_WhenFileIsLargerThanTheInputLimit_ShouldRefuseItBeforeReadingIt()
    {
        // Regression: Open read the whole file before checking MaxInputBytes, so a 3 GB upload failed with an
        // IOException from File.ReadAllBytes (or exhausted memory) instead of the reader's TooLarge error.
        using var temp = new TempFile();
        using (var stream = File.Create(temp.Path))
        {
            stream.Write(Part10(Ts.ExplicitLE, LE.Text(PatientName, "PN", "Doe^Jane")));
            stream.SetLength(3L << 30); // sparse
        }

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Open(temp.Path));

        Assert.Equal(DicomErrorCodes.TooLarge, ex.Code);
    }

    // ---- byte assembly ---------------------------------------------------------------------------------------

    internal static class Ts
    {
        public const string ImplicitLE = "1.2.840.10008.1.2";
        public const string ExplicitLE = "1.2.840.10008.1.2.1";
        public const string Deflated = "1.2.840.10008.1.2.1.99";
        public const string ExplicitBE = "1.2.840.10008.1.2.2";
        public const string JpegBaseline = "1.2.840.10008.1.2.4.50";
        public const string Rle = "1.2.840.10008.1.2.5";
    }

    internal static byte[] Preamble() => Concat(new byte[128], "DICM"u8.ToArray());

    /// <summary>A file meta group (explicit VR LE) with its group length, version, SOP class and the syntax.</summary>
    internal static byte[] Meta(string syntax)
    {
        var content = Concat(
            LE.Element(DicomTag.FileMetaInformationVersion, "OB", [0, 1]),
            LE.Text(DicomTag.MediaStorageSopClassUid, "UI", "1.2.840.10008.5.1.4.1.1.7"),
            LE.Text(DicomTag.TransferSyntaxUid, "UI", syntax));
        return Concat(LE.Element(DicomTag.FileMetaInformationGroupLength, "UL", U32((uint)content.Length)), content);
    }

    internal static byte[] Part10(string syntax, params byte[][] dataset) => Concat([Preamble(), Meta(syntax), .. dataset]);

    internal static byte[] PixelDataHeader(uint length) => Concat(
        [0xE0, 0x7F, 0x10, 0x00], "OW"u8.ToArray(), [0, 0], U32(length));

    internal static byte[] PixelDataHeader(int length) => PixelDataHeader((uint)length);

    internal static byte[] SequenceDelimiter() => Concat([0xFE, 0xFF, 0xDD, 0xE0], U32(0));

    internal static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        return bytes;
    }

    internal static byte[] U64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    internal static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];

    /// <summary>Element encoder for one transfer syntax; values are passed in the byte order of that syntax.</summary>
    internal sealed class Enc(bool explicitVR, bool bigEndian)
    {
        private const uint Undefined = 0xFFFFFFFF;

        public byte[] Element(DicomTag tag, string vr, byte[] value, bool undefinedLength = false)
        {
            var length = undefinedLength ? Undefined : (uint)value.Length;
            var header = new List<byte>();
            header.AddRange(U16(tag.Group));
            header.AddRange(U16(tag.Element));
            if (!explicitVR)
            {
                header.AddRange(U32BE(length));
            }
            else if (DicomVRInfo.TryParse(vr, out var parsed) && parsed.HasLongLength())
            {
                header.AddRange(Encoding.ASCII.GetBytes(vr));
                header.AddRange(new byte[2]);
                header.AddRange(U32BE(length));
            }
            else
            {
                header.AddRange(Encoding.ASCII.GetBytes(vr));
                header.AddRange(U16((ushort)length));
            }

            return [.. header, .. value];
        }

        /// <summary>A string value padded to even length (NUL for UI, space otherwise).</summary>
        public byte[] Text(DicomTag tag, string vr, string text)
        {
            var bytes = Encoding.Latin1.GetBytes(text);
            if (bytes.Length % 2 == 1)
            {
                bytes = [.. bytes, vr == "UI" ? (byte)0 : (byte)' '];
            }

            return Element(tag, vr, bytes);
        }

        public byte[] UInt16(DicomTag tag, params ushort[] values) => Element(tag, "US", [.. values.SelectMany(U16)]);

        public byte[] Sequence(DicomTag tag, bool defined, params byte[][] items)
        {
            var content = Concat(items);
            return defined
                ? Element(tag, "SQ", content)
                : Element(tag, "SQ", Concat(content, Delimiter(0xE0DD)), undefinedLength: true);
        }

        public byte[] Item(bool defined, params byte[][] elements)
        {
            var content = Concat(elements);
            return Concat(U16(0xFFFE), U16(0xE000), U32BE(defined ? (uint)content.Length : Undefined), content, defined ? [] : Delimiter(0xE00D));
        }

        /// <summary>Encapsulated Pixel Data (always explicit VR little endian): the offset table item, the fragments, the delimiter.</summary>
        public byte[] Fragments(byte[] offsetTable, params byte[][] fragments)
        {
            var items = new List<byte>(Concat(U16(0xFFFE), U16(0xE000), U32BE((uint)offsetTable.Length), offsetTable));
            foreach (var fragment in fragments)
            {
                items.AddRange(Concat(U16(0xFFFE), U16(0xE000), U32BE((uint)fragment.Length), fragment));
            }

            items.AddRange(Delimiter(0xE0DD));
            return Element(DicomTag.PixelData, "OB", [.. items], undefinedLength: true);
        }

        private byte[] Delimiter(ushort element) => Concat(U16(0xFFFE), U16(element), U32BE(0));

        private byte[] U16(ushort value)
        {
            var bytes = new byte[2];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
            }

            return bytes;
        }

        /// <summary>A 32-bit length in this syntax's byte order.</summary>
        private byte[] U32BE(uint value)
        {
            var bytes = new byte[4];
            if (bigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
            }

            return bytes;
        }
    }

    internal sealed class TempFile : IDisposable
    {
        public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"medvision-reader-{Guid.NewGuid():N}.dcm");

        public void Dispose() => File.Delete(Path);
    }
}
