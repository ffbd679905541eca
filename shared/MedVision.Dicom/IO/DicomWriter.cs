using System.Buffers.Binary;

namespace MedVision.Dicom.IO;

/// <summary>
/// Writes Part 10 files in explicit VR little endian (or the encapsulated syntax the pixel data is in):
/// preamble, DICM, the file meta group with a recomputed group length, then the data set with every value padded
/// to even length and any group length element recomputed. Sequences and items are written with undefined length.
/// </summary>
public static class DicomWriter
{
    /// <summary>Identifies MedVision as the writer (a UUID-derived OID under 2.25, PS3.5 §B.2: no registration needed).</summary>
    public const string ImplementationClassUid = "2.25.227441867978017470575564327471195460956";

    public const string ImplementationVersionName = "MEDVISION_1";

    private const int MaxWriteDepth = 256;

    public static byte[] Write(DicomFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = new MemoryStream();
        Write(file, stream);
        return stream.ToArray();
    }

    public static void Write(DicomFile file, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(stream);
        var syntax = OutputSyntax(file);
        var meta = BuildMeta(file, syntax);

        Span<byte> preamble = stackalloc byte[128];
        preamble.Clear();
        if (file.HasPreamble)
        {
            file.Preamble.Span[..Math.Min(128, file.Preamble.Length)].CopyTo(preamble);
        }

        stream.Write(preamble);
        stream.Write("DICM"u8);
        WriteDataset(stream, meta, 0);

        // Group 0002 belongs to the meta alone: written after it, a stray (0002,xxxx) of the data set would be read
        // back as meta (a (0002,0010) there would even change the transfer syntax), so it is not written.
        WriteDataset(stream, file.Dataset, 0, skipFileMetaGroup: true);
    }

    /// <summary>Writes a bare data set (no preamble or meta) in explicit VR little endian.</summary>
    public static byte[] WriteDataset(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        using var stream = new MemoryStream();
        WriteDataset(stream, dataset, 0);
        return stream.ToArray();
    }

    /// <summary>
    /// Native pixel data is rewritten as explicit VR little endian; encapsulated data keeps its syntax. The data set
    /// is always encoded explicit VR little endian, so only a syntax that says so is kept: encapsulated pixel data in
    /// an implicit VR, big endian or deflated file (which no standard syntax allows) is written under explicit VR
    /// little endian, never under a UID that contradicts the bytes.
    /// </summary>
    public static TransferSyntax OutputSyntax(DicomFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var syntax = file.TransferSyntax;
        var pixelsEncapsulated = file.Dataset.TryGet(DicomTag.PixelData, out var pixels) && pixels.IsEncapsulated;
        var encapsulatedSyntax = syntax.IsEncapsulated && syntax.IsExplicitVR && !syntax.IsBigEndian && !syntax.IsDeflated;
        return encapsulatedSyntax && (pixelsEncapsulated || !file.Dataset.Contains(DicomTag.PixelData))
            ? syntax
            : TransferSyntax.ExplicitVRLittleEndian;
    }

    private static DicomDataset BuildMeta(DicomFile file, TransferSyntax syntax)
    {
        var meta = file.FileMeta.Clone();
        meta.SetBytes(DicomTag.FileMetaInformationVersion, DicomVR.OB, meta.TryGet(DicomTag.FileMetaInformationVersion, out var v) ? v.Bytes : new byte[] { 0, 1 });
        CopyUid(file.Dataset, new DicomTag(0x0008, 0x0016), meta, DicomTag.MediaStorageSopClassUid);
        CopyUid(file.Dataset, new DicomTag(0x0008, 0x0018), meta, DicomTag.MediaStorageSopInstanceUid);
        meta.SetString(DicomTag.TransferSyntaxUid, DicomVR.UI, syntax.Uid);
        if (!meta.Contains(DicomTag.ImplementationClassUid))
        {
            meta.SetString(DicomTag.ImplementationClassUid, DicomVR.UI, ImplementationClassUid);
            meta.SetString(DicomTag.ImplementationVersionName, DicomVR.SH, ImplementationVersionName);
        }

        meta.SetBytes(DicomTag.FileMetaInformationGroupLength, DicomVR.UL, new byte[4]);
        return meta;
    }

    /// <summary>
    /// Copies the first value of a UID element of the data set into the meta byte for byte (padding trimmed, then
    /// NUL-padded to even length). A malformed UID (non-ASCII bytes, a wrong VR) is archived as it came, never
    /// re-encoded or refused: the writer must not fail on a file the reader accepted, and
    /// <see cref="DicomDataset.SetString"/> throws for non-ASCII UI text.
    /// </summary>
    private static void CopyUid(DicomDataset dataset, DicomTag from, DicomDataset meta, DicomTag to)
    {
        if (!dataset.TryGet(from, out var element) || element.Items is not null || element.Fragments is not null)
        {
            return;
        }

        var value = element.Bytes.Span;
        var separator = value.IndexOf((byte)'\\');
        if (separator >= 0)
        {
            value = value[..separator];
        }

        value = value.TrimEnd("\0 "u8).TrimStart((byte)' ');
        if (value.IsEmpty)
        {
            return;
        }

        var bytes = new byte[value.Length + (value.Length & 1)];
        value.CopyTo(bytes);
        meta.SetBytes(to, DicomVR.UI, bytes);
    }

    private static void WriteDataset(Stream stream, DicomDataset dataset, int depth, bool skipFileMetaGroup = false)
    {
        if (depth > MaxWriteDepth)
        {
            throw new InvalidOperationException($"Sequences nest deeper than {MaxWriteDepth} levels; refusing to write.");
        }

        foreach (var element in dataset)
        {
            if (skipFileMetaGroup && element.Tag.Group == 0x0002)
            {
                continue;
            }

            if (element.Tag.IsGroupLength)
            {
                // Recompute: the sum of the encoded sizes of the rest of the group.
                long size = 0;
                foreach (var other in dataset)
                {
                    if (other.Tag.Group == element.Tag.Group && !other.Tag.IsGroupLength)
                    {
                        size += EncodedSize(other, depth);
                    }
                }

                WriteHeader(stream, element.Tag, DicomVR.UL, 4);
                WriteUInt32(stream, checked((uint)size));
                continue;
            }

            WriteElement(stream, element, depth);
        }
    }

    private static void WriteElement(Stream stream, DicomElement element, int depth)
    {
        if (element.Items is { } items)
        {
            WriteHeader(stream, element.Tag, DicomVR.SQ, 0xFFFFFFFF);
            foreach (var item in items)
            {
                WriteItemHeader(stream, DicomTag.Item, 0xFFFFFFFF);
                WriteDataset(stream, item, depth + 1);
                WriteItemHeader(stream, DicomTag.ItemDelimitationItem, 0);
            }

            WriteItemHeader(stream, DicomTag.SequenceDelimitationItem, 0);
            return;
        }

        if (element.Fragments is { } fragments)
        {
            WriteHeader(stream, element.Tag, element.VR == DicomVR.OW ? DicomVR.OW : DicomVR.OB, 0xFFFFFFFF);
            WriteItemHeader(stream, DicomTag.Item, (uint)Even(fragments.OffsetTable.Length));
            WritePadded(stream, fragments.OffsetTable.Span, 0);
            foreach (var fragment in fragments.Fragments)
            {
                WriteItemHeader(stream, DicomTag.Item, (uint)Even(fragment.Length));
                WritePadded(stream, fragment.Span, 0);
            }

            WriteItemHeader(stream, DicomTag.SequenceDelimitationItem, 0);
            return;
        }

        var vr = WritableVR(element);
        var bytes = element.Bytes.Span;
        WriteHeader(stream, element.Tag, vr, (uint)Even(bytes.Length));
        WritePadded(stream, bytes, element.VR.PaddingByte());
    }

    /// <summary>A short-length VR whose value does not fit 16 bits can only be written as UN.</summary>
    private static DicomVR WritableVR(DicomElement element) =>
        !element.VR.HasLongLength() && Even(element.Bytes.Length) > 0xFFFF ? DicomVR.UN
        : element.VR == DicomVR.None ? DicomVR.UN
        : element.VR;

    internal static long EncodedSize(DicomElement element, int depth)
    {
        if (element.Items is { } items)
        {
            long size = 12 + 8;
            foreach (var item in items)
            {
                size += 16;
                foreach (var child in item)
                {
                    size += child.Tag.IsGroupLength ? 12 : EncodedSize(child, depth + 1);
                }
            }

            return size;
        }

        if (element.Fragments is { } fragments)
        {
            long size = 12 + 8 + Even(fragments.OffsetTable.Length) + 8;
            foreach (var fragment in fragments.Fragments)
            {
                size += 8 + Even(fragment.Length);
            }

            return size;
        }

        var vr = WritableVR(element);
        return (vr.HasLongLength() ? 12 : 8) + Even(element.Bytes.Length);
    }

    private static int Even(int length) => length + (length & 1);

    private static void WriteHeader(Stream stream, DicomTag tag, DicomVR vr, uint length)
    {
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(header, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], tag.Element);
        header[4] = (byte)((ushort)vr >> 8);
        header[5] = (byte)vr;
        if (vr.HasLongLength())
        {
            header[6] = 0;
            header[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], length);
            stream.Write(header);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)length);
            stream.Write(header[..8]);
        }
    }

    private static void WriteItemHeader(Stream stream, DicomTag tag, uint length)
    {
        Span<byte> header = stackalloc byte[8];
        BinaryPrimitives.WriteUInt16LittleEndian(header, tag.Group);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], tag.Element);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], length);
        stream.Write(header);
    }

    private static void WriteUInt32(Stream stream, uint value)
    {
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        stream.Write(bytes);
    }

    private static void WritePadded(Stream stream, ReadOnlySpan<byte> bytes, byte pad)
    {
        stream.Write(bytes);
        if ((bytes.Length & 1) == 1)
        {
            stream.WriteByte(pad);
        }
    }
}
