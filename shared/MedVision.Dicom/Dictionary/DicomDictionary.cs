namespace MedVision.Dicom.Dictionary;

/// <summary>One data element of the standard's data dictionary (PS3.6 §6).</summary>
/// <param name="Tag">The tag; for repeating groups such as (60xx,3000), the first (lowest) member.</param>
/// <param name="VR">The VR to use when the encoding does not say (implicit VR); UN when unknown.</param>
/// <param name="AlternateVR">The second VR of "US or SS" / "OB or OW" entries; None otherwise.</param>
/// <param name="VM">Value multiplicity as the standard writes it ("1", "1-n", "2-2n").</param>
public readonly record struct DicomDictionaryEntry(DicomTag Tag, string Keyword, string Name, DicomVR VR, DicomVR AlternateVR, string VM, bool Retired);

/// <summary>
/// TEMPORARY CONTRACT (being replaced by the generated dictionary): the lookups the reader, writer and tools use.
/// </summary>
public static class DicomDictionary
{
    /// <summary>Finds a tag, including repeating groups (50xx, 60xx, 7Fxx), group lengths and private creators.</summary>
    public static bool TryGet(DicomTag tag, out DicomDictionaryEntry entry)
    {
        entry = default;
        return false;
    }

    /// <summary>The VR an implicit-VR stream means for this tag; UN for unknown and private data elements.</summary>
    public static DicomVR ImplicitVR(DicomTag tag)
    {
        if (tag.IsGroupLength)
        {
            return DicomVR.UL;
        }

        if (tag.IsPrivateCreator)
        {
            return DicomVR.LO;
        }

        return TryGet(tag, out var e) ? e.VR : DicomVR.UN;
    }

    public static bool TryGetTag(string keyword, out DicomTag tag)
    {
        tag = default;
        return false;
    }

    /// <summary>Keyword of a tag, or null when it is not in the dictionary.</summary>
    public static string? KeywordOf(DicomTag tag) => TryGet(tag, out var e) ? e.Keyword : null;
}
