using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace MedVision.Dicom.Tests.BadInput;

/// <summary>
/// Hand-assembled DICOM bytes for the bad-input tests and fuzz seeds. Nothing here goes through our writer, so a
/// test can build exactly the malformed stream it means and knows every offset (<see cref="Position"/> before an
/// append is where that element's header starts).
/// </summary>
internal sealed class DicomBytes
{
    public const uint Undefined = 0xFFFFFFFF;

    public const string ExplicitLE = "1.2.840.10008.1.2.1";
    public const string ImplicitLE = "1.2.840.10008.1.2";
    public const string ExplicitBE = "1.2.840.10008.1.2.2";
    public const string Deflated = "1.2.840.10008.1.2.1.99";
    public const string Rle = "1.2.840.10008.1.2.5";

    private readonly List<byte> bytes = [];

    /// <summary>A stream whose data set elements are written explicit/implicit, little/big endian.</summary>
    public DicomBytes(bool explicitVR = true, bool bigEndian = false)
    {
        ExplicitVR = explicitVR;
        BigEndian = bigEndian;
    }

    public bool ExplicitVR { get; }

    public bool BigEndian { get; }

    /// <summary>Bytes written so far: the offset the next append starts at.</summary>
    public int Position => bytes.Count;

    /// <summary>
    /// 128-byte preamble, "DICM" and a file meta group (group length, version, the given Transfer Syntax UID, raw
    /// bytes, padded with NUL when odd) in explicit VR little endian; the data set that follows uses the syntax.
    /// </summary>
    public static DicomBytes Part10(string transferSyntaxUid) => Part10(Encoding.ASCII.GetBytes(transferSyntaxUid), transferSyntaxUid);

    public static DicomBytes Part10(byte[] transferSyntaxValue, string syntaxForDataset = ExplicitLE)
    {
        var b = new DicomBytes(syntaxForDataset != ImplicitLE, syntaxForDataset == ExplicitBE);
        b.Preamble();
        b.Meta(transferSyntaxValue);
        return b;
    }

    public DicomBytes Preamble()
    {
        bytes.AddRange(new byte[128]);
        bytes.AddRange("DICM"u8.ToArray());
        return this;
    }

    /// <summary>
    /// The file meta group, always explicit VR little endian: (0002,0000) with the right length, (0002,0001),
    /// (0002,0002), and (0002,0010) when given.
    /// </summary>
    public DicomBytes Meta(byte[]? transferSyntaxValue, bool withGroupLength = true)
    {
        var meta = new DicomBytes();
        meta.Element(0x0002, 0x0001, "OB", [0, 1]);
        meta.Text(0x0002, 0x0002, "UI", "1.2.840.10008.5.1.4.1.1.7");
        var tsAt = meta.Position;
        if (transferSyntaxValue is not null)
        {
            var value = transferSyntaxValue.Length % 2 == 1 ? [.. transferSyntaxValue, 0] : transferSyntaxValue;
            meta.Element(0x0002, 0x0010, "UI", value);
        }

        if (withGroupLength)
        {
            bytes.AddRange(new DicomBytes().Element(0x0002, 0x0000, "UL", LE32((uint)meta.Position)).ToArray());
        }

        TransferSyntaxOffset = transferSyntaxValue is null ? -1 : Position + tsAt;
        bytes.AddRange(meta.ToArray());
        MetaEnd = Position;
        return this;
    }

    /// <summary>Where the (0002,0010) element starts; -1 when the meta has none.</summary>
    public int TransferSyntaxOffset { get; private set; } = -1;

    /// <summary>Where the data set starts (the end of the meta group).</summary>
    public int MetaEnd { get; private set; }

    /// <summary>An element header (explicit or implicit per the stream) with any length, no value.</summary>
    public DicomBytes Header(ushort group, ushort element, string vr, uint length)
    {
        Tag(group, element);
        if (!ExplicitVR)
        {
            U32(length);
            return this;
        }

        bytes.Add((byte)vr[0]);
        bytes.Add((byte)vr[1]);
        if (IsLong(vr))
        {
            bytes.Add(0);
            bytes.Add(0);
            U32(length);
        }
        else
        {
            U16(checked((ushort)length));
        }

        return this;
    }

    /// <summary>Header plus value; the value is written as given (callers pass big-endian numbers for BE streams).</summary>
    public DicomBytes Element(ushort group, ushort element, string vr, ReadOnlySpan<byte> value)
    {
        Header(group, element, vr, (uint)value.Length);
        bytes.AddRange(value.ToArray());
        return this;
    }

    /// <summary>A string element padded to even length with a space (NUL for UI).</summary>
    public DicomBytes Text(ushort group, ushort element, string vr, string text)
    {
        var value = Encoding.Latin1.GetBytes(text);
        if (value.Length % 2 == 1)
        {
            value = [.. value, (byte)(vr == "UI" ? 0 : ' ')];
        }

        return Element(group, element, vr, value);
    }

    /// <summary>US values in the stream's byte order.</summary>
    public DicomBytes UInt16s(ushort group, ushort element, params ushort[] values)
    {
        var value = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(2 * i), values[i]);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(value.AsSpan(2 * i), values[i]);
            }
        }

        return Element(group, element, "US", value);
    }

    /// <summary>A sequence header (undefined length unless given).</summary>
    public DicomBytes Sequence(ushort group, ushort element, uint length = Undefined) => Header(group, element, "SQ", length);

    public DicomBytes Item(uint length = Undefined) => ItemTag(0xE000, length);

    public DicomBytes ItemEnd() => ItemTag(0xE00D, 0);

    public DicomBytes SequenceEnd() => ItemTag(0xE0DD, 0);

    /// <summary>An item/delimiter/fragment header (FFFE,eeee) in the stream's byte order.</summary>
    public DicomBytes ItemTag(ushort element, uint length)
    {
        Tag(0xFFFE, element);
        U32(length);
        return this;
    }

    /// <summary>Encapsulated pixel data: (7FE0,0010) OB undefined, an empty offset table, the fragments, a delimiter.</summary>
    public DicomBytes Encapsulated(params byte[][] fragments)
    {
        Header(0x7FE0, 0x0010, "OB", Undefined);
        Item(0);
        foreach (var fragment in fragments)
        {
            Item((uint)fragment.Length);
            Raw(fragment);
        }

        return SequenceEnd();
    }

    public DicomBytes Raw(params byte[] raw)
    {
        bytes.AddRange(raw);
        return this;
    }

    public DicomBytes Tag(ushort group, ushort element)
    {
        U16(group);
        U16(element);
        return this;
    }

    public DicomBytes U16(ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        if (BigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        }

        bytes.AddRange(b.ToArray());
        return this;
    }

    public DicomBytes U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        if (BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        }

        bytes.AddRange(b.ToArray());
        return this;
    }

    public byte[] ToArray() => [.. bytes];

    public static byte[] LE32(uint value)
    {
        var b = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        return b;
    }

    public static bool IsLong(string vr) => vr is "OB" or "OD" or "OF" or "OL" or "OV" or "OW" or "SQ" or "SV" or "UC" or "UN" or "UR" or "UT" or "UV";

    /// <summary>Raw deflate (no zlib header), as PS3.5 §A.5 requires.</summary>
    public static byte[] Deflate(ReadOnlySpan<byte> data)
    {
        using var output = new MemoryStream();
        using (var deflater = new DeflateStream(output, CompressionLevel.Optimal, leaveOpen: true))
        {
            deflater.Write(data);
        }

        return output.ToArray();
    }
}

/// <summary>Small valid files, one per syntax family, that the truncation tests cut and the fuzzer mutates.</summary>
internal static class Samples
{
    public const ushort Rows = 4;
    public const ushort Columns = 3;

    /// <summary>Number of top-level data set elements in every sample (the deflated one included).</summary>
    public const int TopLevelElements = 15;

    public static byte[] ExplicitLittleEndian() => Build(DicomBytes.Part10(DicomBytes.ExplicitLE), encapsulated: false);

    public static byte[] ImplicitLittleEndian() => Build(DicomBytes.Part10(DicomBytes.ImplicitLE), encapsulated: false);

    public static byte[] BigEndian() => Build(DicomBytes.Part10(DicomBytes.ExplicitBE), encapsulated: false);

    public static byte[] Encapsulated() => Build(DicomBytes.Part10(DicomBytes.Rle), encapsulated: true);

    public static byte[] Deflated()
    {
        var file = DicomBytes.Part10(DicomBytes.Deflated);
        var dataset = Build(new DicomBytes(), encapsulated: false);
        return [.. file.ToArray(), .. DicomBytes.Deflate(dataset)];
    }

    /// <summary>A bare data set (no preamble, no meta), explicit VR little endian.</summary>
    public static byte[] BareDataset() => Build(new DicomBytes(), encapsulated: false);

    public static IEnumerable<(string Name, byte[] Bytes)> All()
    {
        yield return ("explicit-le", ExplicitLittleEndian());
        yield return ("implicit-le", ImplicitLittleEndian());
        yield return ("explicit-be", BigEndian());
        yield return ("deflated", Deflated());
        yield return ("encapsulated-rle", Encapsulated());
        yield return ("bare-dataset", BareDataset());
    }

    /// <summary>
    /// Character set, UIDs, names, a sequence of undefined length holding an undefined-length item (with a nested
    /// defined-length sequence) and a defined-length item, image pixel module, then native or encapsulated pixels.
    /// </summary>
    private static byte[] Build(DicomBytes b, bool encapsulated)
    {
        b.Text(0x0008, 0x0005, "CS", "ISO_IR 100");
        b.Text(0x0008, 0x0016, "UI", "1.2.840.10008.5.1.4.1.1.7");
        b.Text(0x0008, 0x0018, "UI", "1.2.826.0.1.3680043.10.1234.99.3");
        b.Text(0x0008, 0x0060, "CS", "OT");

        // (0008,2218) Anatomic Region Sequence: undefined length, two items.
        b.Sequence(0x0008, 0x2218);
        b.Item();
        b.Text(0x0008, 0x0100, "SH", "T-D3000");
        b.Text(0x0008, 0x0102, "SH", "SRT");
        var code = new DicomBytes(b.ExplicitVR, b.BigEndian).Text(0x0008, 0x0100, "SH", "R-102C0").ToArray();
        var inner = new DicomBytes(b.ExplicitVR, b.BigEndian).Item((uint)code.Length).Raw(code).ToArray();
        b.Sequence(0x0008, 0x2220, (uint)inner.Length); // Anatomic Region Modifier Sequence, defined length
        b.Raw(inner);
        b.ItemEnd();
        var second = new DicomBytes(b.ExplicitVR, b.BigEndian).Text(0x0008, 0x0104, "LO", "Chest").ToArray();
        b.Item((uint)second.Length).Raw(second);
        b.SequenceEnd();

        b.Text(0x0010, 0x0010, "PN", "Müller^Jürgen");
        b.Text(0x0010, 0x0020, "LO", "PID-0099");

        b.UInt16s(0x0028, 0x0002, 1);
        b.Text(0x0028, 0x0004, "CS", "MONOCHROME2");
        b.UInt16s(0x0028, 0x0010, Rows);
        b.UInt16s(0x0028, 0x0011, Columns);
        b.UInt16s(0x0028, 0x0100, encapsulated ? (ushort)8 : (ushort)16);
        b.UInt16s(0x0028, 0x0101, encapsulated ? (ushort)8 : (ushort)12);
        b.UInt16s(0x0028, 0x0102, encapsulated ? (ushort)7 : (ushort)11);
        if (encapsulated)
        {
            // One RLE frame: header with one segment at offset 64, then 4 literal runs of 3 bytes (one per row).
            var frame = new List<byte>(DicomBytes.LE32(1));
            frame.AddRange(DicomBytes.LE32(64));
            frame.AddRange(new byte[56]);
            for (var row = 0; row < Rows; row++)
            {
                frame.Add(2); // literal run of 3
                frame.AddRange(new[] { (byte)(row * 10), (byte)((row * 10) + 1), (byte)((row * 10) + 2) });
            }

            b.Encapsulated([.. frame]);
        }
        else
        {
            var pixels = new ushort[Rows * Columns];
            for (var i = 0; i < pixels.Length; i++)
            {
                pixels[i] = (ushort)(i * 300);
            }

            // OW in the stream's byte order (implicit streams write the header without a VR).
            var value = new byte[pixels.Length * 2];
            for (var i = 0; i < pixels.Length; i++)
            {
                if (b.BigEndian)
                {
                    BinaryPrimitives.WriteUInt16BigEndian(value.AsSpan(2 * i), pixels[i]);
                }
                else
                {
                    BinaryPrimitives.WriteUInt16LittleEndian(value.AsSpan(2 * i), pixels[i]);
                }
            }

            b.Element(0x7FE0, 0x0010, "OW", value);
        }

        return b.ToArray();
    }
}
