using System.Buffers.Binary;

namespace MedVision.Dicom.Imaging;

/// <summary>
/// A lookup table of the Modality LUT or VOI LUT module (PS3.3 C.11.1, C.11.2): LUT Descriptor (0028,3002) and
/// LUT Data (0028,3006). Inputs below <see cref="FirstMapped"/> map to the first entry, inputs past the end to the last.
/// </summary>
public sealed class DicomLut
{
    private readonly ushort[] entries;

    internal DicomLut(int firstMapped, int bitsPerEntry, ushort[] entries, string? explanation, string? type)
    {
        FirstMapped = firstMapped;
        BitsPerEntry = bitsPerEntry;
        this.entries = entries;
        Explanation = explanation;
        Type = type;
    }

    /// <summary>Number of entries (descriptor value 1; 0 there means 65536).</summary>
    public int EntryCount => entries.Length;

    /// <summary>The input value the first entry maps (descriptor value 2).</summary>
    public int FirstMapped { get; }

    /// <summary>Significant bits of each entry (descriptor value 3, corrected when the data uses more bits).</summary>
    public int BitsPerEntry { get; }

    /// <summary>LUT Explanation (0028,3003).</summary>
    public string? Explanation { get; }

    /// <summary>Modality LUT Type (0028,3004), e.g. "HU"; null for VOI LUTs.</summary>
    public string? Type { get; }

    public ReadOnlySpan<ushort> Entries => entries;

    /// <summary>The largest value an entry can have: 2^<see cref="BitsPerEntry"/> - 1.</summary>
    public int MaxOutput => (1 << BitsPerEntry) - 1;

    /// <summary>The entry for <paramref name="input"/>, clamped to the table as PS3.3 C.11.1.1.1 prescribes.</summary>
    public int Lookup(long input)
    {
        var index = input - FirstMapped;
        return entries[index < 0 ? 0 : index >= entries.Length ? entries.Length - 1 : (int)index];
    }

    /// <summary>
    /// Reads one LUT item. The first-mapped value is signed when the descriptor's VR is SS or, for US/OW/UN
    /// descriptors (implicit VR files cannot tell), when <paramref name="signedInput"/> says the input is signed.
    /// Returns null with a reason when the item is unusable.
    /// </summary>
    internal static DicomLut? TryParse(DicomDataset item, bool signedInput, bool modality, out string? problem) =>
        TryParse(item, PixelTags.LutDescriptor, PixelTags.LutData, signedInput, modality, out problem);

    /// <summary>Reads a LUT from any descriptor/data pair (also the Palette Color LUTs, C.7.6.3.1.5).</summary>
    internal static DicomLut? TryParse(DicomDataset item, DicomTag descriptorTag, DicomTag dataTag, bool signedInput, bool modality, out string? problem)
    {
        problem = null;
        if (!item.TryGet(descriptorTag, out var descriptor) || descriptor.Bytes.Length < 6)
        {
            problem = $"LUT Descriptor {descriptorTag} is missing or has fewer than 3 values";
            return null;
        }

        var d = descriptor.Bytes.Span;
        var count = BinaryPrimitives.ReadUInt16LittleEndian(d);
        var firstRaw = BinaryPrimitives.ReadUInt16LittleEndian(d[2..]);
        var bits = (int)BinaryPrimitives.ReadUInt16LittleEndian(d[4..]);
        var entryCount = count == 0 ? 65536 : count;
        int first = descriptor.VR == DicomVR.SS || signedInput ? (short)firstRaw : firstRaw;
        if (bits is < 1 or > 16)
        {
            problem = $"LUT Descriptor {descriptorTag} gives {bits} bits per entry; 8 or 16 are allowed";
            return null;
        }

        if (!item.TryGet(dataTag, out var data) || data.Bytes.IsEmpty)
        {
            problem = $"LUT Data {dataTag} is missing or empty";
            return null;
        }

        var bytes = data.Bytes.Span;
        var table = new ushort[entryCount];
        if (bytes.Length >= entryCount * 2)
        {
            for (var i = 0; i < table.Length; i++)
            {
                table[i] = BinaryPrimitives.ReadUInt16LittleEndian(bytes[(2 * i)..]);
            }
        }
        else if (bits <= 8 && bytes.Length >= entryCount)
        {
            // 8-bit entries packed two per 16-bit word (PS3.3 C.11.1.1.1 allows it for OW data).
            for (var i = 0; i < table.Length; i++)
            {
                table[i] = bytes[i];
            }
        }
        else
        {
            problem = $"LUT Data {dataTag} holds {bytes.Length} bytes, too few for {entryCount} entries";
            return null;
        }

        // Some writers declare fewer bits than the entries use; widen to what the data needs (as DCMTK's +Mm does).
        var max = 0;
        foreach (var v in table)
        {
            max = Math.Max(max, v);
        }

        var needed = max == 0 ? 1 : 32 - int.LeadingZeroCount(max);
        if (needed > bits)
        {
            bits = needed;
        }

        var explanation = item.GetString(PixelTags.LutExplanation);
        var type = modality ? item.GetString(PixelTags.ModalityLutType) : null;
        return new DicomLut(first, bits, table, explanation, type);
    }
}
