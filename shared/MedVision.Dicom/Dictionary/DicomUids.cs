using System.Text;

namespace MedVision.Dicom.Dictionary;

/// <summary>What a registered UID names (PS3.6 Annex A, UID Type column).</summary>
public enum DicomUidType : byte
{
    TransferSyntax = 0,
    SopClass = 1,
    MetaSopClass = 2,
    WellKnownSopInstance = 3,
}

/// <summary>A UID of the standard: Transfer Syntax, SOP Class, Meta SOP Class or Well-known SOP Instance.</summary>
/// <param name="Name">As PS3.6 writes it ("CT Image Storage"); empty for the few retired UIDs the standard no longer names.</param>
/// <param name="Keyword">The standard's keyword ("CTImageStorage"); empty where the name is.</param>
public readonly record struct DicomUidEntry(string Uid, string Name, DicomUidType Type, string Keyword, bool Retired);

/// <summary>
/// The standard's UID registry, generated from pydicom's transcription of PS3.6 Annex A into
/// DicomUids.Generated.cs by scripts/gen-dicom-uids.py. Lookups binary-search static data; strings are
/// made only for the entry found.
/// </summary>
public static partial class DicomUids
{
    public static bool TryGet(string uid, out DicomUidEntry entry)
    {
        ArgumentNullException.ThrowIfNull(uid);
        var index = IndexOf(uid);
        if (index < 0)
        {
            entry = default;
            return false;
        }

        // The UID field is the string just matched; the name and keyword follow it.
        var name = DictionaryText.Field(Text[(TextOffsets[index] + uid.Length + 1)..]);
        var keyword = DictionaryText.Field(Text[(TextOffsets[index] + uid.Length + 1 + name.Length + 1)..]);
        var attributes = Attributes[index];
        entry = new DicomUidEntry(
            uid,
            Encoding.UTF8.GetString(name),
            (DicomUidType)(attributes & TypeMask),
            Encoding.UTF8.GetString(keyword),
            (attributes & RetiredFlag) != 0);
        return true;
    }

    /// <summary>The UID's name ("CT Image Storage"), or null when it is not a UID of the standard.</summary>
    public static string? NameOf(string uid) => TryGet(uid, out var entry) ? entry.Name : null;

    private static int IndexOf(string uid)
    {
        var offsets = TextOffsets;
        int low = 0, high = offsets.Length - 1;
        while (low <= high)
        {
            var middle = (int)((uint)(low + high) >> 1);
            var comparison = DictionaryText.CompareOrdinal(DictionaryText.Field(Text[offsets[middle]..]), uid);
            if (comparison == 0)
            {
                return middle;
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

        return -1;
    }
}
