using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using MedVision.Dicom.Dictionary;

namespace MedVision.Dicom.IO;

/// <summary>
/// Parses Part 10 files and bare data sets from memory. Sequences are parsed with an explicit stack, not recursion,
/// so hostile nesting ends in a <see cref="DicomFormatException"/> at <see cref="DicomReadOptions.MaxDepth"/> and
/// never in a stack overflow. Every length is checked against the bytes that remain before it is used.
/// </summary>
internal sealed class DicomReader
{
    private const uint UndefinedLength = 0xFFFFFFFF;
    private static readonly DicomTag PixelRepresentation = new(0x0028, 0x0103);

    private readonly DicomReadOptions options;
    private readonly List<string> warnings = [];
    private ReadOnlyMemory<byte> data;
    private int pos;
    private bool inflated;
    private int itemCount;
    private int fragmentCount;
    private bool oddLengthWarned;

    private DicomReader(ReadOnlyMemory<byte> data, DicomReadOptions options)
    {
        this.data = data;
        this.options = options;
    }

    /// <summary>Set when a header-only read ran out of bytes: the caller retries with more of the file.</summary>
    internal bool NeedsMoreData { get; private set; }

    /// <summary>Header-only reads of a file prefix: running out of bytes asks for more instead of failing.</summary>
    internal bool IsPrefix { get; init; }

    public static DicomFile Read(ReadOnlyMemory<byte> bytes, DicomReadOptions? options = null) =>
        new DicomReader(bytes, options ?? DicomReadOptions.Default).ReadFile();

    /// <summary>Reads from a prefix of a file; null when the prefix ended before the header did.</summary>
    internal static DicomFile? TryReadPrefix(ReadOnlyMemory<byte> prefix, DicomReadOptions options)
    {
        var reader = new DicomReader(prefix, options) { IsPrefix = true };
        try
        {
            return reader.ReadFile();
        }
        catch (DicomFormatException) when (reader.NeedsMoreData)
        {
            return null;
        }
    }

    private DicomFile ReadFile()
    {
        if (data.Length > options.MaxInputBytes)
        {
            throw new DicomFormatException(DicomErrorCodes.TooLarge, $"The input is {data.Length} bytes; the limit is {options.MaxInputBytes}.", 0, null);
        }

        var span = data.Span;
        ReadOnlyMemory<byte> preamble = default;
        var hasPreamble = false;
        if (span.Length >= 132 && span.Slice(128, 4).SequenceEqual("DICM"u8))
        {
            preamble = data[..128];
            hasPreamble = true;
            pos = 132;
        }
        else if (IsPrefix && span.Length < 132)
        {
            throw NeedMore(0);
        }

        var meta = new DicomDataset();
        ReadFileMeta(meta);

        TransferSyntax syntax;
        if (meta.TryGet(DicomTag.TransferSyntaxUid, out var tsElement))
        {
            var uid = Encoding.ASCII.GetString(tsElement.Bytes.Span).TrimEnd('\0', ' ').Trim();
            if (!TransferSyntax.IsWellFormedUid(uid))
            {
                throw new DicomFormatException(DicomErrorCodes.BadTransferSyntax,
                    $"Transfer Syntax UID '{Printable(uid)}' is not a UID", tsElement.SourceOffset, DicomTag.TransferSyntaxUid);
            }

            syntax = TransferSyntax.FromUid(uid);
            if (!syntax.IsKnown)
            {
                warnings.Add($"Transfer syntax {uid} is not known; reading the data set as explicit VR little endian.");
            }
        }
        else
        {
            if (meta.Count > 0)
            {
                throw new DicomFormatException(DicomErrorCodes.BadTransferSyntax,
                    "The file meta information has no Transfer Syntax UID (0002,0010)", pos, DicomTag.TransferSyntaxUid);
            }

            syntax = GuessSyntax(hasPreamble);
            warnings.Add($"No file meta information; the data set was read as {syntax.Name}.");
        }

        if (syntax.IsDeflated)
        {
            Inflate();
        }

        var dataset = new DicomDataset();
        var explicitVR = syntax.IsExplicitVR;
        if (explicitVR && !syntax.IsBigEndian && LooksImplicit())
        {
            // A common writer bug: meta says explicit, the data set is implicit. DCMTK detects it the same way.
            warnings.Add($"The data set is implicit VR although the transfer syntax ({syntax.Uid}) says explicit; read as implicit.");
            explicitVR = false;
        }

        var stopped = ParseDataset(dataset, explicitVR, syntax.IsBigEndian);
        return new DicomFile(meta, dataset, syntax, preamble, hasPreamble, warnings, stopped);
    }

    // ---- file meta -------------------------------------------------------------------------------------------

    private void ReadFileMeta(DicomDataset meta)
    {
        var span = data.Span;
        long groupEnd = -1;
        while (true)
        {
            if (span.Length - pos < 8)
            {
                if (IsPrefix)
                {
                    throw NeedMore(pos);
                }

                // The group length promised more, or a group 0002 tag has begun: the file was cut, not meta-less.
                if (groupEnd > span.Length || (span.Length - pos >= 2 && BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]) == 0x0002))
                {
                    throw Truncated(pos, null, "The data ends inside the file meta information");
                }

                return;
            }

            var group = BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]);
            if (group != 0x0002 || (groupEnd >= 0 && pos >= groupEnd && !LooksExplicitAt(pos)))
            {
                return;
            }

            var start = pos;
            var tag = new DicomTag(group, BinaryPrimitives.ReadUInt16LittleEndian(span[(pos + 2)..]));
            if (!DicomVRInfo.TryParse(span[pos + 4], span[pos + 5], out var vr))
            {
                throw new DicomFormatException(DicomErrorCodes.InvalidVR,
                    $"File meta information must be explicit VR; found VR bytes 0x{span[pos + 4]:X2}{span[pos + 5]:X2}", start, tag);
            }

            if (vr == DicomVR.SQ)
            {
                throw new DicomFormatException(DicomErrorCodes.Malformed, "File meta elements cannot be sequences", start, tag);
            }

            uint length;
            if (vr.HasLongLength())
            {
                Need(12, start, tag);
                length = BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 8)..]);
                pos += 12;
            }
            else
            {
                length = BinaryPrimitives.ReadUInt16LittleEndian(span[(pos + 6)..]);
                pos += 8;
            }

            if (length == UndefinedLength)
            {
                throw new DicomFormatException(DicomErrorCodes.UndefinedLength, "File meta elements cannot have undefined length", start, tag);
            }

            CheckFits(length, data.Length, start, tag);
            var value = data.Slice(pos, (int)length);
            pos += (int)length;
            meta.AddOrUpdate(DicomElement.FromBytes(tag, vr, value, start));
            if (tag == DicomTag.FileMetaInformationGroupLength && length == 4)
            {
                groupEnd = pos + (long)BinaryPrimitives.ReadUInt32LittleEndian(value.Span);
            }
        }
    }

    private TransferSyntax GuessSyntax(bool hasPreamble)
    {
        var span = data.Span;
        if (span.Length - pos < 8)
        {
            if (IsPrefix || hasPreamble)
            {
                throw Truncated(pos, null, "The file ends right after the DICM prefix");
            }

            throw new DicomFormatException(DicomErrorCodes.NotDicom, "Not DICOM: no file meta information and no data set", pos, null);
        }

        var groupLE = BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]);
        var groupBE = BinaryPrimitives.ReadUInt16BigEndian(span[pos..]);
        var validVR = DicomVRInfo.TryParse(span[pos + 4], span[pos + 5], out _);

        // Eight zero bytes would be (0000,0000) with length 0, which no command group has: zeros are not DICOM.
        if (groupLE is >= 0x0008 and <= 0x0010 || (groupLE == 0x0000 && !validVR && !AllZero(span.Slice(pos, 8))))
        {
            return validVR ? TransferSyntax.ExplicitVRLittleEndian : TransferSyntax.ImplicitVRLittleEndian;
        }

        if (groupBE is >= 0x0008 and <= 0x0010 && validVR)
        {
            return TransferSyntax.ExplicitVRBigEndian;
        }

        throw new DicomFormatException(DicomErrorCodes.NotDicom,
            hasPreamble ? "The file has a DICM preamble but neither file meta information nor a recognisable data set"
                        : "Not DICOM: no \"DICM\" prefix and no recognisable data set", pos, null);
    }

    private bool LooksImplicit()
    {
        var span = data.Span;
        if (span.Length - pos < 8)
        {
            return false;
        }

        var group = BinaryPrimitives.ReadUInt16LittleEndian(span[pos..]);
        return group is >= 0x0008 and <= 0x0010 && !DicomVRInfo.TryParse(span[pos + 4], span[pos + 5], out _);
    }

    private bool LooksExplicitAt(int at)
    {
        var span = data.Span;
        return span.Length - at >= 6 && DicomVRInfo.TryParse(span[at + 4], span[at + 5], out _);
    }

    private void Inflate()
    {
        var start = pos;
        using var input = new MemoryStream(data[pos..].ToArray(), writable: false);
        using var inflater = new DeflateStream(input, CompressionMode.Decompress);

        // Growing chunks, not a MemoryStream: a bomb costs at most the limit (plus one chunk) before it is refused,
        // where doubling a MemoryStream cost about 2.5 times the limit (640 MiB for the default 256 MiB).
        var limit = Math.Min(options.MaxInflatedBytes, Array.MaxLength);
        var chunks = new List<byte[]>();
        var chunk = Array.Empty<byte>();
        var used = 0;
        long total = 0;
        var buffer = new byte[81920];
        try
        {
            int n;
            while ((n = inflater.Read(buffer, 0, buffer.Length)) > 0)
            {
                if (total + n > limit)
                {
                    throw new DicomFormatException(DicomErrorCodes.TooLarge,
                        $"The deflated data set inflates beyond {limit} bytes", start, null);
                }

                for (var copied = 0; copied < n;)
                {
                    if (used == chunk.Length)
                    {
                        chunk = new byte[Math.Min(4 << 20, 64 << 10 << Math.Min(chunks.Count, 6))];
                        chunks.Add(chunk);
                        used = 0;
                    }

                    var take = Math.Min(n - copied, chunk.Length - used);
                    buffer.AsSpan(copied, take).CopyTo(chunk.AsSpan(used));
                    used += take;
                    copied += take;
                }

                total += n;
            }
        }
        catch (InvalidDataException ex)
        {
            throw new DicomFormatException(DicomErrorCodes.BadDeflate, $"The deflated data set is corrupt: {ex.Message}", start, null, ex);
        }

        var inflatedBytes = new byte[total];
        var at = 0;
        foreach (var part in chunks)
        {
            var take = (int)Math.Min(part.Length, total - at);
            part.AsSpan(0, take).CopyTo(inflatedBytes.AsSpan(at));
            at += take;
        }

        data = inflatedBytes;
        pos = 0;
        inflated = true;
    }

    // ---- data set --------------------------------------------------------------------------------------------

    private sealed class Frame
    {
        public bool IsSequence;
        public DicomDataset Dataset = null!;         // the item being filled, or the data set that owns the sequence
        public List<DicomDataset>? Items;            // sequence frames only
        public DicomTag Tag;                         // the sequence's tag (for messages)
        public long End;                             // -1: undefined length
        public long Limit;                           // nearest defined end (or end of data)
        public bool ExplicitVR;
        public bool BigEndian;
        public int Depth;
        public long Start;
    }

    /// <summary>Returns true when the read stopped before Pixel Data.</summary>
    private bool ParseDataset(DicomDataset root, bool explicitVR, bool bigEndian)
    {
        var stack = new List<Frame>
        {
            new() { Dataset = root, End = data.Length, Limit = data.Length, ExplicitVR = explicitVR, BigEndian = bigEndian },
        };
        var span = data.Span;

        while (stack.Count > 0)
        {
            var f = stack[^1];
            if (f.End >= 0 && pos >= f.End)
            {
                if (pos > f.End)
                {
                    throw Error(DicomErrorCodes.Malformed, $"Content overruns the defined length of {(f.IsSequence ? "sequence" : "item")} {f.Tag}", f.Start, f.Tag);
                }

                if (IsPrefix && stack.Count == 1)
                {
                    throw NeedMore(pos); // the prefix ended on an element boundary; the data set goes on
                }

                stack.RemoveAt(stack.Count - 1);
                continue;
            }

            if (f.IsSequence)
            {
                ReadSequenceChild(stack, f, span);
                continue;
            }

            // An element (or a delimiter) inside an item or the top-level data set.
            var start = pos;
            if (span.Length - pos < 4)
            {
                if (stack.Count == 1 && !IsPrefix && span.Length - pos < 4 && pos < span.Length && AllZero(span[pos..]))
                {
                    warnings.Add($"{span.Length - pos} stray zero byte(s) at the end of the file were ignored.");
                    pos = span.Length;
                    continue;
                }

                throw Truncated(start, null, stack.Count > 1 ? $"The data ends inside item of {f.Tag}" : "The data ends inside an element tag");
            }

            var tag = ReadTag(span, f.BigEndian);
            if (tag.Group == 0xFFFE)
            {
                if (tag == DicomTag.ItemDelimitationItem && f.End < 0 && stack.Count > 1)
                {
                    Need(8, start, tag);
                    pos += 8;
                    stack.RemoveAt(stack.Count - 1);
                    continue;
                }

                throw Error(DicomErrorCodes.Malformed, $"Unexpected delimiter {tag} {(stack.Count > 1 ? "inside an item" : "in the data set")}", start, tag);
            }

            DicomVR vr;
            uint length;
            if (f.ExplicitVR)
            {
                Need(8, start, tag);
                if (!DicomVRInfo.TryParse(span[pos + 4], span[pos + 5], out vr))
                {
                    throw Error(DicomErrorCodes.InvalidVR, $"Invalid VR bytes 0x{span[pos + 4]:X2}{span[pos + 5]:X2}", start, tag);
                }

                if (vr.HasLongLength())
                {
                    Need(12, start, tag);
                    length = ReadUInt32(span[(pos + 8)..], f.BigEndian);
                    pos += 12;
                }
                else
                {
                    length = ReadUInt16(span[(pos + 6)..], f.BigEndian);
                    pos += 8;
                }
            }
            else
            {
                Need(8, start, tag);
                length = ReadUInt32(span[(pos + 4)..], f.BigEndian);
                pos += 8;
                vr = ImplicitVR(tag, f.Dataset);
            }

            if (tag == DicomTag.PixelData && options.StopBeforePixelData && stack.Count == 1)
            {
                pos = start;
                return true;
            }

            if (length == UndefinedLength)
            {
                if (vr is DicomVR.SQ or DicomVR.UN)
                {
                    // UN of undefined length is a sequence encoded implicit VR little endian (PS3.5 §6.2.2).
                    var implicitInside = vr == DicomVR.UN;
                    PushSequence(stack, f, tag, start, -1, implicitInside ? false : f.ExplicitVR, implicitInside ? false : f.BigEndian);
                    continue;
                }

                if (tag == DicomTag.PixelData || (vr is DicomVR.OB or DicomVR.OW && tag.Group == 0x7FE0))
                {
                    f.Dataset.AddOrUpdate(DicomElement.Encapsulated(tag, vr, ReadFragments(span, start, tag, f.Limit), start));
                    continue;
                }

                throw Error(DicomErrorCodes.UndefinedLength, $"Undefined length on a {vr.Code()} element; only sequences and encapsulated pixel data may have one", start, tag);
            }

            CheckFits(length, f.Limit, start, tag);
            if (vr == DicomVR.SQ)
            {
                PushSequence(stack, f, tag, start, pos + length, f.ExplicitVR, f.BigEndian);
                continue;
            }

            if ((length & 1) == 1 && !oddLengthWarned)
            {
                oddLengthWarned = true;
                warnings.Add($"Element {tag} at offset {start} has odd length {length}; odd lengths are kept as read.");
            }

            var value = data.Slice(pos, (int)length);
            if (f.BigEndian && vr.SwapUnit() > 1)
            {
                value = Swap(value.Span, vr.SwapUnit());
            }

            pos += (int)length;
            f.Dataset.AddOrUpdate(DicomElement.FromBytes(tag, vr, value, start));
        }

        return false;
    }

    private void ReadSequenceChild(List<Frame> stack, Frame f, ReadOnlySpan<byte> span)
    {
        var start = pos;
        if (span.Length - pos < 8)
        {
            throw Truncated(start, f.Tag, $"The data ends inside sequence {f.Tag}");
        }

        var tag = ReadTag(span, f.BigEndian);
        var length = ReadUInt32(span[(pos + 4)..], f.BigEndian);
        pos += 8;
        if (tag == DicomTag.SequenceDelimitationItem)
        {
            if (f.End >= 0)
            {
                warnings.Add($"Sequence {f.Tag} has a defined length and a delimiter; the delimiter was ignored.");
            }

            stack.RemoveAt(stack.Count - 1);
            return;
        }

        if (tag != DicomTag.Item)
        {
            throw Error(DicomErrorCodes.Malformed, $"Expected an item in sequence {f.Tag}, found {tag}", start, f.Tag);
        }

        if (++itemCount > options.MaxItems)
        {
            throw Error(DicomErrorCodes.TooManyItems, $"More than {options.MaxItems} sequence items", start, f.Tag);
        }

        var item = new DicomDataset(f.Dataset);
        f.Items!.Add(item);
        long end = -1;
        var limit = f.Limit;
        if (length != UndefinedLength)
        {
            CheckFits(length, f.Limit, start, f.Tag);
            end = pos + length;
            limit = end;
        }

        stack.Add(new Frame
        {
            Dataset = item, Tag = f.Tag, End = end, Limit = limit, ExplicitVR = f.ExplicitVR, BigEndian = f.BigEndian,
            Depth = f.Depth, Start = start,
        });
    }

    private void PushSequence(List<Frame> stack, Frame parent, DicomTag tag, int start, long end, bool explicitVR, bool bigEndian)
    {
        var depth = parent.Depth + 1;
        if (depth > options.MaxDepth)
        {
            throw Error(DicomErrorCodes.TooDeep, $"Sequences nest deeper than {options.MaxDepth} levels", start, tag);
        }

        var items = new List<DicomDataset>();
        parent.Dataset.AddOrUpdate(DicomElement.SequenceOf(tag, items, start));
        stack.Add(new Frame
        {
            IsSequence = true, Dataset = parent.Dataset, Items = items, Tag = tag, End = end,
            Limit = end >= 0 ? end : parent.Limit, ExplicitVR = explicitVR, BigEndian = bigEndian, Depth = depth,
            Start = start,
        });
    }

    private DicomFragments ReadFragments(ReadOnlySpan<byte> span, int elementStart, DicomTag tag, long limit)
    {
        ReadOnlyMemory<byte>? offsetTable = null;
        var fragments = new List<ReadOnlyMemory<byte>>();
        while (true)
        {
            var start = pos;
            if (limit - pos < 8)
            {
                throw Truncated(start, tag, $"The data ends inside the encapsulated pixel data of {tag}");
            }

            var itemTag = ReadTag(span, bigEndian: false);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(span[(pos + 4)..]);
            pos += 8;
            if (itemTag == DicomTag.SequenceDelimitationItem)
            {
                return new DicomFragments(offsetTable ?? ReadOnlyMemory<byte>.Empty, fragments);
            }

            if (itemTag != DicomTag.Item)
            {
                throw Error(DicomErrorCodes.Malformed, $"Expected a fragment item in encapsulated pixel data, found {itemTag}", start, tag);
            }

            if (length == UndefinedLength)
            {
                throw Error(DicomErrorCodes.UndefinedLength, "A pixel data fragment has undefined length", start, tag);
            }

            CheckFits(length, limit, start, tag);
            var value = data.Slice(pos, (int)length);
            pos += (int)length;
            if (offsetTable is null)
            {
                offsetTable = value;
                continue;
            }

            if (++fragmentCount > options.MaxFragments)
            {
                throw Error(DicomErrorCodes.TooManyFragments, $"More than {options.MaxFragments} pixel data fragments", start, tag);
            }

            fragments.Add(value);
        }
    }

    private static DicomVR ImplicitVR(DicomTag tag, DicomDataset owner)
    {
        var vr = DicomDictionary.ImplicitVR(tag);
        if (vr == DicomVR.US && DicomDictionary.TryGetVR(tag, out _, out var alternate) && alternate == DicomVR.SS
            && owner.TryGetUInt16(PixelRepresentation, out var representation) && representation == 1)
        {
            // "US or SS" elements follow Pixel Representation (PS3.5 Annex A.1 c).
            return DicomVR.SS;
        }

        return vr;
    }

    // ---- primitives ------------------------------------------------------------------------------------------

    private DicomTag ReadTag(ReadOnlySpan<byte> span, bool bigEndian) =>
        new(ReadUInt16(span[pos..], bigEndian), ReadUInt16(span[(pos + 2)..], bigEndian));

    private static ushort ReadUInt16(ReadOnlySpan<byte> s, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private static uint ReadUInt32(ReadOnlySpan<byte> s, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);

    private static byte[] Swap(ReadOnlySpan<byte> value, int unit)
    {
        var copy = value.ToArray();
        var whole = copy.Length - (copy.Length % unit);
        for (var i = 0; i < whole; i += unit)
        {
            copy.AsSpan(i, unit).Reverse();
        }

        return copy;
    }

    private static bool AllZero(ReadOnlySpan<byte> s) => s.IndexOfAnyExcept((byte)0) < 0;

    private void Need(int bytes, int start, DicomTag? tag)
    {
        if (data.Length - pos < bytes)
        {
            throw Truncated(start, tag, "The data ends inside an element header");
        }
    }

    private void CheckFits(uint length, long limit, int start, DicomTag? tag)
    {
        if (length > limit - pos)
        {
            if (IsPrefix && limit == data.Length)
            {
                throw NeedMore(start);
            }

            // A plausible length that runs past the end of the input is a file cut short (an interrupted upload);
            // a length beyond its enclosing item or sequence, or beyond any input we accept, is a bad length.
            if (limit == data.Length && length <= options.MaxInputBytes)
            {
                throw Error(DicomErrorCodes.Truncated,
                    $"The data ends inside a value: length {length} (0x{length:X8}), {Math.Max(0, limit - pos)} bytes remain", start, tag);
            }

            throw Error(DicomErrorCodes.LengthExceedsData,
                $"Value length {length} (0x{length:X8}) exceeds the {Math.Max(0, limit - pos)} bytes that remain", start, tag);
        }
    }

    private DicomFormatException Truncated(int start, DicomTag? tag, string message) =>
        IsPrefix ? NeedMore(start) : Error(DicomErrorCodes.Truncated, message, start, tag);

    private DicomFormatException NeedMore(int start)
    {
        NeedsMoreData = true;
        return new DicomFormatException(DicomErrorCodes.Truncated, "The header continues past the bytes read so far", start, null);
    }

    private DicomFormatException Error(string code, string message, long start, DicomTag? tag) =>
        new(code, inflated ? message + " (offset in the inflated data set)" : message, start, tag);

    private static string Printable(string s) =>
        string.Concat(s.Take(64).Select(c => c is >= ' ' and <= '~' ? c : '?'));
}
