using System.Text;

namespace MedVision.Dicom.Dictionary;

/// <summary>One data element of the standard's data dictionary (PS3.6 §6).</summary>
/// <param name="Tag">The tag; for repeating groups such as (60xx,3000), the first (lowest) member.</param>
/// <param name="VR">The VR to use when the encoding does not say (implicit VR); UN when unknown.</param>
/// <param name="AlternateVR">The second VR of "US or SS" / "OB or OW" entries; None otherwise.</param>
/// <param name="VM">Value multiplicity as the standard writes it ("1", "1-n", "2-2n").</param>
public readonly record struct DicomDictionaryEntry(DicomTag Tag, string Keyword, string Name, DicomVR VR, DicomVR AlternateVR, string VM, bool Retired);

/// <summary>
/// The standard data dictionary, generated from DCMTK's dicom.dic into DicomDictionary.Generated.cs (see
/// scripts/gen-dicom-dictionary.py for the layout). The tables are RVA statics mapped from the assembly, so nothing is
/// built at start-up: a lookup is a binary search (then a short scan of the repeating patterns), and strings are made
/// only for the entry asked for.
/// </summary>
/// <remarks>
/// For "OB or OW" data (pixel, overlay, waveform, LUT data) <see cref="DicomDictionaryEntry.VR"/> is OW, what an
/// implicit VR stream means (PS3.5 §A.1), and the alternate is OB (US for LUT data); for "US or SS" it is US and
/// the reader resolves SS from Pixel Representation. Items and delimiters (FFFE,E000/E00D/E0DD) have no VR
/// (<see cref="DicomVR.None"/>). Names are the keyword split into words: dicom.dic carries no names.
/// </remarks>
public static partial class DicomDictionary
{
    /// <summary>Finds a tag, including repeating groups (50xx, 60xx, 7Fxx), group lengths and private creators.</summary>
    /// <remarks>
    /// Group lengths and private creators follow DCMTK's catch-all rules and report the tag asked for, with the
    /// keywords dcmdump prints (GenericGroupLength, PrivateGroupLength, PrivateCreator, and Illegal… for the
    /// odd groups 0001-0007, which the standard forbids). Other private data elements are not found.
    /// </remarks>
    public static bool TryGet(DicomTag tag, out DicomDictionaryEntry entry)
    {
        var index = IndexOf(tag.Value);
        if (index >= 0)
        {
            entry = EntryAt(index);
            return true;
        }

        var catchAll = CatchAllOf(tag);
        if (catchAll is { } keyword)
        {
            var vr = keyword.EndsWith("GroupLength", StringComparison.Ordinal) ? DicomVR.UL : DicomVR.LO;
            var name = keyword switch
            {
                "PrivateGroupLength" => "Private Group Length",
                "IllegalGroupLength" => "Illegal Group Length",
                "GenericGroupLength" => "Generic Group Length",
                "PrivateCreator" => "Private Creator",
                _ => "Illegal Private Creator",
            };
            entry = new DicomDictionaryEntry(tag, keyword, name, vr, DicomVR.None, "1", false);
            return true;
        }

        entry = default;
        return false;
    }

    /// <summary>The VR an implicit-VR stream means for this tag; UN for unknown and private data elements.</summary>
    /// <remarks>Called per element while reading, so it allocates nothing.</remarks>
    public static DicomVR ImplicitVR(DicomTag tag)
    {
        TryGetVR(tag, out var vr, out _);
        return vr;
    }

    /// <summary>
    /// VR and alternate VR of a tag, as <see cref="TryGet"/> would give them, without making the entry's strings:
    /// for per-element questions such as "is this US or SS?". False (UN, None) when the tag is not in the dictionary.
    /// </summary>
    public static bool TryGetVR(DicomTag tag, out DicomVR vr, out DicomVR alternateVR)
    {
        var index = IndexOf(tag.Value);
        if (index >= 0)
        {
            vr = (DicomVR)VRs[index];
            alternateVR = (DicomVR)AlternateVRs[index];
            return true;
        }

        alternateVR = DicomVR.None;
        vr = tag.IsGroupLength ? DicomVR.UL : IsCreatorElement(tag) ? DicomVR.LO : DicomVR.UN;
        return vr != DicomVR.UN;
    }

    /// <summary>The tag of a keyword (case-sensitive, as the standard spells it: "PatientName").</summary>
    /// <remarks>Repeating groups answer their first member: "OverlayData" is (6000,3000).</remarks>
    public static bool TryGetTag(string keyword, out DicomTag tag)
    {
        ArgumentNullException.ThrowIfNull(keyword);
        var order = KeywordOrder;
        int low = 0, high = order.Length - 1;
        while (low <= high)
        {
            var middle = (int)((uint)(low + high) >> 1);
            var comparison = DictionaryText.CompareOrdinal(KeywordBytes(order[middle]), keyword);
            if (comparison == 0)
            {
                tag = new DicomTag(Tags[order[middle]]);
                return true;
            }

            if (comparison < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        tag = default;
        return false;
    }

    /// <summary>Keyword of a tag, or null when it is not in the dictionary.</summary>
    public static string? KeywordOf(DicomTag tag)
    {
        var index = IndexOf(tag.Value);
        return index >= 0 ? Encoding.ASCII.GetString(KeywordBytes(index)) : CatchAllOf(tag);
    }

    /// <summary>The entry at a position in the table (0 to <see cref="Count"/> - 1): exact tags in tag order, then the repeating patterns.</summary>
    public static DicomDictionaryEntry EntryAt(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
        var keyword = KeywordBytes(index);
        var name = DictionaryText.Field(Text[(TextOffsets[index] + keyword.Length + 1)..]);
        var attributes = Attributes[index];
        return new DicomDictionaryEntry(
            new DicomTag(Tags[index]),
            Encoding.ASCII.GetString(keyword),
            Encoding.ASCII.GetString(name),
            (DicomVR)VRs[index],
            (DicomVR)AlternateVRs[index],
            VMs(attributes & VMIndexMask),
            (attributes & RetiredFlag) != 0);
    }

    /// <summary>Entry index of an exact tag or, failing that, of the repeating pattern it belongs to; -1 if neither.</summary>
    private static int IndexOf(uint tag)
    {
        var index = Tags[..ExactCount].BinarySearch(tag);
        if (index >= 0)
        {
            return index;
        }

        // Patterns never claim a group length: (1000,xxx0) must not swallow (1000,0000).
        if ((tag & 0xFFFF) == 0)
        {
            return -1;
        }

        var masks = PatternMasks;
        var firsts = Tags[ExactCount..];
        for (var i = 0; i < masks.Length; i++)
        {
            if ((tag & masks[i]) == (firsts[i] & masks[i]))
            {
                return ExactCount + i;
            }
        }

        return -1;
    }

    /// <summary>DCMTK's catch-all keyword for group lengths and private creators, or null.</summary>
    private static string? CatchAllOf(DicomTag tag)
    {
        var illegalGroup = tag.Group is 0x0001 or 0x0003 or 0x0005 or 0x0007;
        if (tag.IsGroupLength)
        {
            return tag.IsPrivate ? "PrivateGroupLength" : illegalGroup ? "IllegalGroupLength" : "GenericGroupLength";
        }

        if (IsCreatorElement(tag))
        {
            return illegalGroup ? "IllegalPrivateCreator" : "PrivateCreator";
        }

        return null;
    }

    /// <summary>(gggg,0010-00FF) in an odd group: a private creator, or its look-alike in the illegal groups 0001-0007.</summary>
    private static bool IsCreatorElement(DicomTag tag) =>
        tag.IsPrivateCreator || (tag.Group is 0x0001 or 0x0003 or 0x0005 or 0x0007 && tag.Element is >= 0x0010 and <= 0x00FF);

    private static ReadOnlySpan<byte> KeywordBytes(int index) => DictionaryText.Field(Text[TextOffsets[index]..]);
}
