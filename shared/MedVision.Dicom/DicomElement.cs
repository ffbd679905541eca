namespace MedVision.Dicom;

/// <summary>
/// One data element. Exactly one of three value kinds: bytes (<see cref="Bytes"/>, always little endian, as stored
/// after any byte swapping of a big-endian source), a sequence (<see cref="Items"/>), or encapsulated pixel data
/// (<see cref="Fragments"/>). Values read from memory are slices of the input, not copies.
/// </summary>
public sealed class DicomElement
{
    private DicomElement(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> bytes, List<DicomDataset>? items, DicomFragments? fragments, long offset)
    {
        Tag = tag;
        VR = vr;
        Bytes = bytes;
        Items = items;
        Fragments = fragments;
        SourceOffset = offset;
    }

    public DicomTag Tag { get; }

    public DicomVR VR { get; }

    /// <summary>The value bytes, little endian; empty for sequences and encapsulated pixel data.</summary>
    public ReadOnlyMemory<byte> Bytes { get; }

    /// <summary>The items of a sequence (VR SQ); null for other elements.</summary>
    public List<DicomDataset>? Items { get; }

    /// <summary>Encapsulated pixel data; null for other elements.</summary>
    public DicomFragments? Fragments { get; }

    /// <summary>Where the element's header starts in the source (-1 for elements made in code).</summary>
    public long SourceOffset { get; }

    public bool IsSequence => Items is not null;

    public bool IsEncapsulated => Fragments is not null;

    /// <summary>Value length in bytes (bytes kind only; odd when the source was odd).</summary>
    public int Length => Bytes.Length;

    public static DicomElement FromBytes(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> bytes, long offset = -1)
    {
        if (vr == DicomVR.SQ)
        {
            throw new ArgumentException($"{tag}: a sequence needs items, not bytes.", nameof(vr));
        }

        return new(tag, vr, bytes, null, null, offset);
    }

    public static DicomElement Sequence(DicomTag tag, IEnumerable<DicomDataset> items, long offset = -1)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new(tag, DicomVR.SQ, ReadOnlyMemory<byte>.Empty, [.. items], null, offset);
    }

    internal static DicomElement SequenceOf(DicomTag tag, List<DicomDataset> items, long offset) =>
        new(tag, DicomVR.SQ, ReadOnlyMemory<byte>.Empty, items, null, offset);

    public static DicomElement Encapsulated(DicomTag tag, DicomVR vr, DicomFragments fragments, long offset = -1)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        return new(tag, vr, ReadOnlyMemory<byte>.Empty, null, fragments, offset);
    }

    /// <summary>A deep copy: new item data sets, shared (immutable) byte values.</summary>
    public DicomElement Clone(DicomDataset? parent = null) =>
        Items is null
            ? new(Tag, VR, Bytes, null, Fragments, SourceOffset)
            : new(Tag, VR, ReadOnlyMemory<byte>.Empty, Items.Select(i => i.Clone(parent)).ToList(), null, SourceOffset);

    public override string ToString() =>
        Items is not null ? $"{Tag} SQ ({Items.Count} items)"
        : Fragments is not null ? $"{Tag} {VR.Code()} ({Fragments.Fragments.Count} fragments)"
        : $"{Tag} {VR.Code()} ({Bytes.Length} bytes)";
}

/// <summary>Encapsulated pixel data (PS3.5 §A.4): the Basic Offset Table item and the fragments, as stored.</summary>
public sealed class DicomFragments
{
    public DicomFragments(ReadOnlyMemory<byte> offsetTable, IReadOnlyList<ReadOnlyMemory<byte>> fragments)
    {
        ArgumentNullException.ThrowIfNull(fragments);
        OffsetTable = offsetTable;
        Fragments = fragments;
    }

    /// <summary>The Basic Offset Table's bytes (often empty): 32-bit offsets of each frame's first fragment item.</summary>
    public ReadOnlyMemory<byte> OffsetTable { get; }

    public IReadOnlyList<ReadOnlyMemory<byte>> Fragments { get; }

    /// <summary>Offsets of the Basic Offset Table (item starts, measured from the first fragment's item tag).</summary>
    public IReadOnlyList<uint> BasicOffsets()
    {
        var span = OffsetTable.Span;
        var result = new uint[span.Length / 4];
        for (var i = 0; i < result.Length; i++)
        {
            result[i] = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(span[(i * 4)..]);
        }

        return result;
    }

    /// <summary>Where each fragment's item tag starts, measured as the Basic Offset Table measures (8-byte item headers).</summary>
    public IReadOnlyList<long> FragmentItemOffsets()
    {
        var offsets = new long[Fragments.Count];
        long at = 0;
        for (var i = 0; i < offsets.Length; i++)
        {
            offsets[i] = at;
            at += 8 + Fragments[i].Length;
        }

        return offsets;
    }

    public long TotalLength => Fragments.Sum(f => (long)f.Length);
}
