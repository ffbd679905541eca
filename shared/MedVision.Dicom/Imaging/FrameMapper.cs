using System.Buffers.Binary;

namespace MedVision.Dicom.Imaging;

/// <summary>
/// Which fragments of encapsulated pixel data (PS3.5 §A.4) make up each frame: the Extended Offset Table
/// (7FE0,0001/0002) when present, else the Basic Offset Table, else one fragment per frame when the counts agree, else
/// all fragments for a single frame, else (JPEG family) a new frame at each fragment that starts with SOI.
/// </summary>
internal static class FrameMapper
{
    /// <param name="First">Index of the frame's first fragment.</param>
    /// <param name="Count">Number of fragments.</param>
    /// <param name="Length">Bytes of the frame when an Extended Offset Table Lengths value gives it, else -1 (all fragment bytes).</param>
    public readonly record struct FrameFragments(int First, int Count, long Length);

    public static FrameFragments[] Map(DicomDataset dataset, DicomElement pixelData, int frames, PixelEncoding encoding)
    {
        var fragments = pixelData.Fragments!;
        var count = fragments.Fragments.Count;
        if (count == 0)
        {
            throw Bad("Encapsulated Pixel Data has no fragments", pixelData);
        }

        string? tableProblem = null;
        if (dataset.TryGet(DicomTag.ExtendedOffsetTable, out var eot) && !eot.Bytes.IsEmpty)
        {
            var offsets = ReadUInt64(eot.Bytes.Span);
            var lengths = dataset.TryGet(DicomTag.ExtendedOffsetTableLengths, out var eotl) ? ReadUInt64(eotl.Bytes.Span) : null;
            if (FromOffsets(fragments, offsets, lengths, frames, "Extended Offset Table", out var map, out tableProblem))
            {
                return map;
            }
        }
        else if (!fragments.OffsetTable.IsEmpty)
        {
            var bot = fragments.BasicOffsets();
            var offsets = new ulong[bot.Count];
            for (var i = 0; i < offsets.Length; i++)
            {
                offsets[i] = bot[i];
            }

            if (FromOffsets(fragments, offsets, null, frames, "Basic Offset Table", out var map, out tableProblem))
            {
                return map;
            }
        }

        if (count == frames)
        {
            return [.. Enumerable.Range(0, frames).Select(i => new FrameFragments(i, 1, -1))];
        }

        if (frames == 1)
        {
            return [new FrameFragments(0, count, -1)];
        }

        if (encoding is PixelEncoding.JpegBaseline or PixelEncoding.JpegExtended or PixelEncoding.JpegLossless or PixelEncoding.JpegLs)
        {
            var starts = new List<int>();
            for (var i = 0; i < count; i++)
            {
                if (fragments.Fragments[i].Span is [0xFF, 0xD8, ..])
                {
                    starts.Add(i);
                }
            }

            if (starts.Count == frames && starts[0] == 0)
            {
                var map = new FrameFragments[frames];
                for (var f = 0; f < frames; f++)
                {
                    var end = f + 1 < frames ? starts[f + 1] : count;
                    map[f] = new FrameFragments(starts[f], end - starts[f], -1);
                }

                return map;
            }
        }

        var why = count < frames
            ? $"{count} fragments cannot hold {frames} frames (Number of Frames)"
            : $"cannot tell which of the {count} fragments belong to each of the {frames} frames";
        throw Bad(tableProblem is null ? $"Encapsulated Pixel Data: {why}" : $"Encapsulated Pixel Data: {tableProblem}, and {why}", pixelData);
    }

    private static bool FromOffsets(DicomFragments fragments, ulong[] offsets, ulong[]? lengths, int frames, string table,
        out FrameFragments[] map, out string? problem)
    {
        map = [];
        if (offsets.Length != frames)
        {
            problem = $"the {table} has {offsets.Length} entries for {frames} frames";
            return false;
        }

        if (lengths is not null && lengths.Length != frames)
        {
            problem = $"the Extended Offset Table Lengths has {lengths.Length} entries for {frames} frames";
            return false;
        }

        var itemOffsets = fragments.FragmentItemOffsets();
        var firstFragment = new int[frames];
        var at = 0;
        for (var f = 0; f < frames; f++)
        {
            // Offsets are strictly increasing, so one forward walk over the fragments finds them all.
            while (at < itemOffsets.Count && (ulong)itemOffsets[at] < offsets[f])
            {
                at++;
            }

            if (at >= itemOffsets.Count || (ulong)itemOffsets[at] != offsets[f] || (f > 0 && at <= firstFragment[f - 1]))
            {
                problem = $"the {table} offset {offsets[f]} of frame {f} is not the start of a fragment after the previous frame's";
                return false;
            }

            firstFragment[f] = at;
        }

        map = new FrameFragments[frames];
        for (var f = 0; f < frames; f++)
        {
            var end = f + 1 < frames ? firstFragment[f + 1] : fragments.Fragments.Count;
            long length = -1;
            if (lengths is not null)
            {
                long available = 0;
                for (var i = firstFragment[f]; i < end; i++)
                {
                    available += fragments.Fragments[i].Length;
                }

                if (lengths[f] > (ulong)available)
                {
                    problem = $"the Extended Offset Table Lengths gives frame {f} {lengths[f]} bytes, its fragments hold {available}";
                    return false;
                }

                length = (long)lengths[f];
            }

            map[f] = new FrameFragments(firstFragment[f], end - firstFragment[f], length);
        }

        problem = null;
        return true;
    }

    private static ulong[] ReadUInt64(ReadOnlySpan<byte> bytes)
    {
        var values = new ulong[bytes.Length / 8];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = BinaryPrimitives.ReadUInt64LittleEndian(bytes[(8 * i)..]);
        }

        return values;
    }

    private static DicomFormatException Bad(string message, DicomElement element) =>
        new(DicomErrorCodes.BadPixelData, message, element.SourceOffset, element.Tag);
}
