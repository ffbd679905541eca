using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MedVision.Dicom.Tests.BadInput;

namespace MedVision.Dicom.Tests.Fuzz;

/// <summary>Where an element or item header starts, how its length field is laid out, and in which byte order.</summary>
internal readonly record struct FieldHeader(int Offset, HeaderKind Kind, bool BigEndian)
{
    /// <summary>Offset of the length field from the header start.</summary>
    public int LengthAt => Kind switch { HeaderKind.ExplicitShort => 6, HeaderKind.ExplicitLong => 8, _ => 4 };

    public int LengthSize => Kind == HeaderKind.ExplicitShort ? 2 : 4;

    public int Size => Kind == HeaderKind.ExplicitLong ? 12 : 8;
}

internal enum HeaderKind
{
    ExplicitShort,
    ExplicitLong,
    Implicit,
    Item,
}

/// <summary>
/// A seed ready for structure-aware mutation: for a deflated file, <see cref="Bytes"/> holds the meta followed by
/// the inflated data set (mutations then reach the parser instead of only breaking the deflate stream) and the
/// mutated body is deflated again from <see cref="DeflateFrom"/>.
/// </summary>
internal sealed record FuzzSeed(string Name, byte[] Bytes, IReadOnlyList<FieldHeader> Headers, int DeflateFrom, byte[] Original)
{
    public override string ToString() => Name;

    /// <summary>Reads the seed (it must read) and finds its element headers (from the parsed offsets) and item headers (by scanning).</summary>
    public static FuzzSeed Prepare(string name, byte[] file)
    {
        var parsed = DicomFile.Read(file);
        var syntax = parsed.TransferSyntax;
        var headers = new List<FieldHeader>();
        var metaEnd = 0;
        foreach (var element in parsed.FileMeta)
        {
            var at = (int)element.SourceOffset;
            var kind = element.VR.HasLongLength() ? HeaderKind.ExplicitLong : HeaderKind.ExplicitShort;
            headers.Add(new FieldHeader(at, kind, false));
            metaEnd = Math.Max(metaEnd, at + (kind == HeaderKind.ExplicitLong ? 12 : 8) + element.Length);
        }

        var bytes = file;
        var deflateFrom = -1;
        var datasetStart = parsed.FileMeta.Count > 0 ? metaEnd : (parsed.HasPreamble ? 132 : 0);
        if (syntax.IsDeflated)
        {
            using var inflater = new DeflateStream(new MemoryStream(file, metaEnd, file.Length - metaEnd), CompressionMode.Decompress);
            using var inflated = new MemoryStream();
            inflater.CopyTo(inflated);
            bytes = [.. file.AsSpan(0, metaEnd), .. inflated.ToArray()];
            deflateFrom = metaEnd;
        }

        var shift = syntax.IsDeflated ? metaEnd : 0;
        AddElements(parsed.Dataset, bytes, shift, syntax, headers);
        for (var i = datasetStart; i + 8 <= bytes.Length; i++)
        {
            if (bytes[i] == 0xFE && bytes[i + 1] == 0xFF && bytes[i + 3] == 0xE0 && bytes[i + 2] is 0x00 or 0x0D or 0xDD)
            {
                headers.Add(new FieldHeader(i, HeaderKind.Item, false));
            }
            else if (syntax.IsBigEndian && bytes[i] == 0xFF && bytes[i + 1] == 0xFE && bytes[i + 2] == 0xE0 && bytes[i + 3] is 0x00 or 0x0D or 0xDD)
            {
                headers.Add(new FieldHeader(i, HeaderKind.Item, true));
            }
        }

        headers.Sort((a, b) => a.Offset.CompareTo(b.Offset));
        return new FuzzSeed(name, bytes, headers, deflateFrom, file);
    }

    private static void AddElements(DicomDataset dataset, byte[] bytes, int shift, TransferSyntax syntax, List<FieldHeader> headers)
    {
        foreach (var element in dataset)
        {
            var at = (int)element.SourceOffset + shift;
            if (element.SourceOffset >= 0 && at + 8 <= bytes.Length)
            {
                var kind = !syntax.IsExplicitVR || !DicomVRInfo.TryParse(bytes[at + 4], bytes[at + 5], out var vr) ? HeaderKind.Implicit
                    : vr.HasLongLength() ? HeaderKind.ExplicitLong : HeaderKind.ExplicitShort;
                headers.Add(new FieldHeader(at, kind, syntax.IsBigEndian));
            }

            foreach (var item in element.Items ?? [])
            {
                AddElements(item, bytes, shift, syntax, headers);
            }
        }
    }
}

/// <summary>
/// DICOM-aware mutations: generic byte damage plus edits aimed at the parser (length fields set to extremes,
/// VR and tag swaps, sequences/items/delimiters inserted, element values replaced with hostile text and
/// numbers, elements deleted, duplicated, moved and spliced from other seeds). Every step is described so a
/// failing case can be read, and the same Random replays it exactly.
/// </summary>
internal static class DicomMutator
{
    /// <summary>Mutated inputs stay small so every case is cheap.</summary>
    public const int MaxSize = 256 * 1024;

    private static readonly uint[] ExtremeLengths =
    [
        0, 1, 2, 3, 4, 7, 8, 0xFF, 0xFFFF, 0x10000, 0x7FFFFFFF, 0x80000000, 0xFFFFFFF0, 0xFFFFFFFD, 0xFFFFFFFE, 0xFFFFFFFF,
    ];

    private static readonly string[] VRs =
    [
        "AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO", "LT", "OB", "OD", "OF", "OL", "OV", "OW", "PN", "SH",
        "SL", "SQ", "SS", "ST", "SV", "TM", "UC", "UI", "UL", "UN", "UR", "US", "UT", "UV", "ZZ", "ob", "\0\0", "\xFF\xFF",
    ];

    private static readonly uint[] Tags =
    [
        0x7FE00010, 0x7FE00008, 0x7FE00009, 0x7FE00001, 0x7FE00002, 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD, 0xFFFCFFFC,
        0x00020010, 0x00020000, 0x00020001, 0x00080005, 0x00080016, 0x00080018, 0x00080000, 0x00100010, 0x00100020,
        0x00280002, 0x00280004, 0x00280006, 0x00280008, 0x00280010, 0x00280011, 0x00280100, 0x00280101, 0x00280102,
        0x00280103, 0x00281050, 0x00281051, 0x00281052, 0x00281053, 0x00283000, 0x00283002, 0x00283006, 0x00283010,
        0x00281101, 0x00281201, 0x00880200, 0x00082218, 0x0040A730, 0x00091010, 0x00090010, 0x00190010, 0x00000000,
        0x00030001, 0x60003000, 0x60000010, 0x50003000,
    ];

    private static readonly string[] Texts =
    [
        "", " ", "\\", "\\\\\\\\", "1e309", "-1e309", "NaN", "Infinity", "-0", "0x10", "1,5", "99999999999999999999999",
        "-2147483649", "65536", "-1", "3\\-1\\0", "ISO 2022 IR 87", "ISO_IR 192", "\\ISO 2022 IR 87", "ISO 2022 IR 6\\ISO 2022 IR 87",
        "GB18030", "GBK", "ISO 2022 IR 149", "ISO_IR 13", "ISO 2022 IR 13\\ISO 2022 IR 87", "ISO_IR 100\\ISO_IR 144", "ISO_IR 999",
        "MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "CMYK", "",
        "Yamada^Tarou=\x1B$B;3ED\x1B(B^\x1B$BB@O:\x1B(B=\x1B$B$d$^$@\x1B(B^\x1B$B$?$m$&\x1B(B",
        "\x1B$)C\xC8\xAB^\xB1\xE6\xB5\xBF", "\x1B", "\x1B$", "\x1B$B", "\x1B(J\x8E", "\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80",
        "\xFF\xFE\xFD", "a\0b", "20240230", "240000.000000", "19000101000000.000000+2400",
    ];

    private static readonly ushort[] Numbers16 = [0, 1, 2, 3, 7, 8, 12, 15, 16, 17, 24, 31, 32, 33, 64, 0x7FFF, 0x8000, 0xFFFF];

    public static (byte[] Bytes, List<string> Steps) Mutate(FuzzSeed seed, Random random, IReadOnlyList<FuzzSeed> others)
    {
        var steps = new List<string>();

        // A quarter of the deflated cases damage the compressed stream itself; the rest edit the inflated data set.
        var raw = seed.DeflateFrom >= 0 && random.Next(4) == 0;
        var data = new List<byte>(raw ? seed.Original : seed.Bytes);
        var headers = raw ? seed.Headers.Where(h => h.Offset < seed.DeflateFrom).ToList() : [.. seed.Headers];
        if (raw)
        {
            steps.Add("mutate the compressed stream");
        }

        var rounds = 1 + random.Next(random.Next(6) == 0 ? 8 : 2);
        for (var r = 0; r < rounds && data.Count > 0; r++)
        {
            steps.Add(Step(data, headers, random, others));
            if (data.Count > MaxSize)
            {
                data.RemoveRange(MaxSize, data.Count - MaxSize);
            }
        }

        if (seed.DeflateFrom >= 0 && !raw && seed.DeflateFrom <= data.Count)
        {
            var body = DicomBytes.Deflate(data.Skip(seed.DeflateFrom).ToArray());
            data.RemoveRange(seed.DeflateFrom, data.Count - seed.DeflateFrom);
            data.AddRange(body);
            steps.Add($"deflate the data set again from {seed.DeflateFrom}");
        }

        return ([.. data], steps);
    }

    private static string Step(List<byte> data, List<FieldHeader> headers, Random random, IReadOnlyList<FuzzSeed> others)
    {
        var at = random.Next(data.Count);
        var header = headers.Count > 0 ? headers[random.Next(headers.Count)] : (FieldHeader?)null;
        switch (random.Next(18))
        {
            case 0:
                {
                    var bit = random.Next(8);
                    data[at] ^= (byte)(1 << bit);
                    return $"flip bit {bit} at {at}";
                }

            case 1:
                {
                    var value = (byte)(random.Next(3) == 0 ? random.Next(256) : new[] { 0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE }[random.Next(6)]);
                    data[at] = value;
                    return $"set byte {at} := 0x{value:X2}";
                }

            case 2:
            case 3:
            case 4:
                if (header is { } h && Fits(data, h.Offset + h.LengthAt, h.LengthSize))
                {
                    var remaining = (uint)Math.Max(0, data.Count - h.Offset - h.Size);
                    var current = ReadLength(data, h);
                    var value = random.Next(4) switch
                    {
                        0 => remaining + (uint)random.Next(-2, 3),
                        1 => current + (uint)random.Next(-3, 4),
                        _ => ExtremeLengths[random.Next(ExtremeLengths.Length)],
                    };
                    WriteLength(data, h, value);
                    return $"length of the {h.Kind} header at {h.Offset} := 0x{value:X8}";
                }

                goto case 0;
            case 5:
                {
                    // Delete a run, usually whole elements (from one header to a later one).
                    var (start, length) = Run(data, headers, random, at);
                    data.RemoveRange(start, length);
                    return $"delete {length} bytes at {start}";
                }

            case 6:
                {
                    var (start, length) = Run(data, headers, random, at);
                    var copy = data.GetRange(start, length);
                    var to = random.Next(2) == 0 ? start : Boundary(data, headers, random);
                    data.InsertRange(to, copy);
                    return $"duplicate {length} bytes from {start} at {to}";
                }

            case 7:
                {
                    var cut = random.Next(2) == 0 && header is { } near ? Math.Clamp(near.Offset + random.Next(0, 13), 0, data.Count) : at;
                    data.RemoveRange(cut, data.Count - cut);
                    return $"truncate at {cut}";
                }

            case 8:
                if (header is { Kind: HeaderKind.ExplicitShort or HeaderKind.ExplicitLong } e && Fits(data, e.Offset + 4, 2))
                {
                    var vr = VRs[random.Next(VRs.Length)];
                    data[e.Offset + 4] = (byte)vr[0];
                    data[e.Offset + 5] = (byte)vr[1];
                    return $"VR at {e.Offset} := {Printable(vr)}";
                }

                goto case 0;
            case 9:
                if (header is { } t && Fits(data, t.Offset, 4))
                {
                    var tag = random.Next(5) == 0 ? (uint)random.Next() : Tags[random.Next(Tags.Length)];
                    WriteTag(data, t.Offset, tag, t.BigEndian);
                    return $"tag at {t.Offset} := ({tag >> 16:X4},{tag & 0xFFFF:X4})";
                }

                goto case 0;
            case 10:
            case 11:
                {
                    var (what, bytes) = Structure(random, header?.BigEndian ?? false, header?.Kind is HeaderKind.Implicit);
                    var to = Boundary(data, headers, random);
                    data.InsertRange(to, bytes);
                    return $"insert {what} at {to}";
                }

            case 12:
                if (header is { Kind: not HeaderKind.Item } v)
                {
                    var (what, value) = Value(random, v.Kind == HeaderKind.ExplicitShort ? 0xFFFF : 4096);
                    if (ReplaceValue(data, v, value))
                    {
                        return $"value of the element at {v.Offset} := {what}";
                    }
                }

                goto case 2;
            case 16:
            case 17:
                {
                    // The image pixel module and its LUTs: what the renderer trusts to size and interpret frames.
                    var pixelHeaders = headers.Where(p => p.Kind != HeaderKind.Item && Fits(data, p.Offset, 8) && ReadTag(data, p) >> 16 == 0x0028).ToList();
                    if (pixelHeaders.Count > 0)
                    {
                        var p = pixelHeaders[random.Next(pixelHeaders.Count)];
                        var tag = ReadTag(data, p);
                        var (what, value) = PixelValue(random, tag, p);
                        if (ReplaceValue(data, p, value))
                        {
                            return $"({tag >> 16:X4},{tag & 0xFFFF:X4}) at {p.Offset} := {what}";
                        }
                    }

                    goto case 12;
                }
            case 13:
                if (others.Count > 0)
                {
                    // Splice whole elements from another seed at an element boundary.
                    var other = others[random.Next(others.Count)];
                    var otherData = new List<byte>(other.Bytes);
                    var (start, length) = Run(otherData, [.. other.Headers], random, random.Next(otherData.Count));
                    var to = Boundary(data, headers, random);
                    data.InsertRange(to, otherData.GetRange(start, length));
                    return $"splice {length} bytes from {other.Name}@{start} at {to}";
                }

                goto case 5;
            case 14:
                if (header is { Kind: HeaderKind.ExplicitShort } s && Fits(data, s.Offset, 8))
                {
                    // Rewrite a short explicit header as a long one of undefined length (SQ, UN, OB, UT...).
                    var vr = new[] { "SQ", "UN", "OB", "OW", "UT" }[random.Next(5)];
                    var longHeader = new byte[12];
                    data.CopyTo(s.Offset, longHeader, 0, 4);
                    longHeader[4] = (byte)vr[0];
                    longHeader[5] = (byte)vr[1];
                    BinaryPrimitives.WriteUInt32LittleEndian(longHeader.AsSpan(8), 0xFFFFFFFF);
                    data.RemoveRange(s.Offset, 8);
                    data.InsertRange(s.Offset, longHeader);
                    return $"header at {s.Offset} := {vr} of undefined length";
                }

                goto case 2;
            default:
                if (headers.Count >= 2)
                {
                    // Move an element before an earlier one: out-of-order tags and repeated tags.
                    var (start, length) = Run(data, headers, random, at);
                    var chunk = data.GetRange(start, length);
                    data.RemoveRange(start, length);
                    var to = Math.Min(Boundary(data, headers, random), data.Count);
                    data.InsertRange(to, chunk);
                    return $"move {length} bytes from {start} to {to}";
                }

                goto case 0;
        }
    }

    /// <summary>A value for an image pixel module element: numbers for the US ones (in the stream's byte order), text for IS/DS/CS.</summary>
    private static (string What, byte[] Bytes) PixelValue(Random random, uint tag, FieldHeader header)
    {
        switch (tag)
        {
            case 0x00280004:
                {
                    var text = new[] { "MONOCHROME1", "MONOCHROME2", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT", "PALETTE COLOR", "ARGB", "", "MONOCHROME2\\RGB" }[random.Next(11)];
                    return ($"\"{text}\"", Padded(text));
                }

            case 0x00280008 or 0x00281050 or 0x00281051 or 0x00281052 or 0x00281053:
                {
                    var text = new[] { "0", "1", "-1", "2", "3", "1000", "65535", "2147483647", "4294967296", "1e9", "1e308", "-1e308", "NaN", "0.0001", "1\\0" }[random.Next(15)];
                    return ($"\"{text}\"", Padded(text));
                }

            default:
                {
                    var values = new ushort[] { 0, 1, 2, 3, 4, 5, 7, 8, 9, 12, 15, 16, 17, 24, 31, 32, 33, 64, 255, 256, 4096, 8000, 0x7FFF, 0x8000, 0xFFFF };
                    var count = tag is 0x00283002 or 0x00281101 or 0x00281102 or 0x00281103 ? 3 : 1;
                    var bytes = new byte[count * 2];
                    for (var i = 0; i < count; i++)
                    {
                        var v = values[random.Next(values.Length)];
                        if (header.BigEndian)
                        {
                            BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(2 * i), v);
                        }
                        else
                        {
                            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), v);
                        }
                    }

                    return ($"US {Convert.ToHexString(bytes)}", bytes);
                }
        }
    }

    private static byte[] Padded(string text) => Encoding.ASCII.GetBytes(text.Length % 2 == 1 ? text + " " : text);

    /// <summary>Replaces an element's value and rewrites its length; false when the current length does not fit the data.</summary>
    private static bool ReplaceValue(List<byte> data, FieldHeader header, byte[] value)
    {
        if (!Fits(data, header.Offset + header.LengthAt, header.LengthSize))
        {
            return false;
        }

        var length = ReadLength(data, header);
        var valueAt = header.Offset + header.Size;
        if (length > (uint)(data.Count - valueAt) || (header.Kind == HeaderKind.ExplicitShort && value.Length > 0xFFFF))
        {
            return false;
        }

        data.RemoveRange(valueAt, (int)length);
        data.InsertRange(valueAt, value);
        WriteLength(data, header, (uint)value.Length);
        return true;
    }

    private static uint ReadTag(List<byte> data, FieldHeader header)
    {
        var b = new[] { data[header.Offset], data[header.Offset + 1], data[header.Offset + 2], data[header.Offset + 3] };
        return header.BigEndian
            ? ((uint)BinaryPrimitives.ReadUInt16BigEndian(b) << 16) | BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(2))
            : ((uint)BinaryPrimitives.ReadUInt16LittleEndian(b) << 16) | BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(2));
    }

    /// <summary>Sequences, items and delimiters: balanced, unbalanced, deep, and encapsulated pixel data.</summary>
    private static (string What, byte[] Bytes) Structure(Random random, bool bigEndian, bool implicitVR)
    {
        var b = new DicomBytes(!implicitVR, bigEndian);
        switch (random.Next(9))
        {
            case 0:
                b.Sequence(0x0008, 0x1115).Item();
                return ("an open SQ and item", b.ToArray());
            case 1:
                b.Item(random.Next(2) == 0 ? DicomBytes.Undefined : (uint)random.Next(64));
                return ("an item header", b.ToArray());
            case 2:
                b.ItemEnd();
                return ("an item delimiter", b.ToArray());
            case 3:
                b.SequenceEnd();
                return ("a sequence delimiter", b.ToArray());
            case 4:
                b.Sequence(0x0008, 0x1115).Item().ItemEnd().SequenceEnd();
                return ("an empty sequence", b.ToArray());
            case 5:
                {
                    var depth = 1 + random.Next(80);
                    for (var i = 0; i < depth; i++)
                    {
                        b.Sequence(0x0040, 0xA730).Item();
                    }

                    var close = random.Next(depth + 1);
                    for (var i = 0; i < close; i++)
                    {
                        b.ItemEnd().SequenceEnd();
                    }

                    return ($"{depth} nested sequences ({close} closed)", b.ToArray());
                }

            case 6:
                b.Header(0x0009, 0x1010, "UN", DicomBytes.Undefined).Item().Raw(new DicomBytes(explicitVR: false).Text(0x0008, 0x0100, "SH", "X").ToArray()).ItemEnd().SequenceEnd();
                return ("a UN sequence of undefined length", b.ToArray());
            case 7:
                {
                    var fragments = new byte[random.Next(4)][];
                    for (var i = 0; i < fragments.Length; i++)
                    {
                        fragments[i] = new byte[random.Next(9)];
                        random.NextBytes(fragments[i]);
                    }

                    b.Encapsulated(fragments);
                    return ($"encapsulated pixel data ({fragments.Length} fragments)", b.ToArray());
                }

            default:
                b.Header(0x7FE0, 0x0010, "OB", DicomBytes.Undefined).Item(0).Item(DicomBytes.Undefined);
                return ("a fragment of undefined length", b.ToArray());
        }
    }

    private static (string What, byte[] Bytes) Value(Random random, int max)
    {
        byte[] value;
        string what;
        switch (random.Next(4))
        {
            case 0:
            case 1:
                {
                    var text = Texts[random.Next(Texts.Length)];
                    value = Encoding.Latin1.GetBytes(text);
                    what = $"\"{Printable(text)}\"";
                    break;
                }

            case 2:
                {
                    var count = 1 + random.Next(4);
                    value = new byte[count * 2];
                    for (var i = 0; i < count; i++)
                    {
                        BinaryPrimitives.WriteUInt16LittleEndian(value.AsSpan(2 * i), Numbers16[random.Next(Numbers16.Length)]);
                    }

                    what = $"numbers {Convert.ToHexString(value)}";
                    break;
                }

            default:
                value = new byte[random.Next(random.Next(8) == 0 ? max : 32)];
                random.NextBytes(value);
                what = $"{value.Length} random bytes";
                break;
        }

        if (value.Length > max)
        {
            value = value[..max];
        }

        return (what, value);
    }

    /// <summary>A run to delete/copy: usually from one header to a later one (whole elements), else random bytes.</summary>
    private static (int Start, int Length) Run(List<byte> data, List<FieldHeader> headers, Random random, int at)
    {
        if (headers.Count >= 2 && random.Next(3) != 0)
        {
            var i = random.Next(headers.Count - 1);
            var j = Math.Min(headers.Count - 1, i + 1 + random.Next(3));
            var start = Math.Min(headers[i].Offset, data.Count);
            var end = Math.Min(random.Next(4) == 0 ? data.Count : headers[j].Offset, data.Count);
            return (start, Math.Max(0, end - start));
        }

        return (at, Math.Min(data.Count - at, 1 + random.Next(64)));
    }

    private static int Boundary(List<byte> data, List<FieldHeader> headers, Random random) =>
        headers.Count > 0 && random.Next(4) != 0 ? Math.Min(headers[random.Next(headers.Count)].Offset, data.Count) : random.Next(data.Count + 1);

    private static bool Fits(List<byte> data, int at, int size) => at >= 0 && at + size <= data.Count;

    private static uint ReadLength(List<byte> data, FieldHeader h)
    {
        var at = h.Offset + h.LengthAt;
        if (h.LengthSize == 2)
        {
            return h.BigEndian ? (uint)((data[at] << 8) | data[at + 1]) : (uint)(data[at] | (data[at + 1] << 8));
        }

        var b = new[] { data[at], data[at + 1], data[at + 2], data[at + 3] };
        return h.BigEndian ? BinaryPrimitives.ReadUInt32BigEndian(b) : BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    private static void WriteLength(List<byte> data, FieldHeader h, uint value)
    {
        var at = h.Offset + h.LengthAt;
        if (h.LengthSize == 2)
        {
            var v = (ushort)Math.Min(value, 0xFFFF);
            data[at] = h.BigEndian ? (byte)(v >> 8) : (byte)v;
            data[at + 1] = h.BigEndian ? (byte)v : (byte)(v >> 8);
            return;
        }

        Span<byte> b = stackalloc byte[4];
        if (h.BigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(b, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        }

        for (var i = 0; i < 4; i++)
        {
            data[at + i] = b[i];
        }
    }

    private static void WriteTag(List<byte> data, int at, uint tag, bool bigEndian)
    {
        var group = (ushort)(tag >> 16);
        var element = (ushort)tag;
        data[at] = bigEndian ? (byte)(group >> 8) : (byte)group;
        data[at + 1] = bigEndian ? (byte)group : (byte)(group >> 8);
        data[at + 2] = bigEndian ? (byte)(element >> 8) : (byte)element;
        data[at + 3] = bigEndian ? (byte)element : (byte)(element >> 8);
    }

    private static string Printable(string s) =>
        string.Concat(s.Take(40).Select(c => c is >= ' ' and <= '~' ? c.ToString() : $"\\x{(int)c:X2}"));
}
