using System.Collections.ObjectModel;

namespace MedVision.Dicom.Deidentification;

/// <summary>
/// PS3.15 Table E.1-1 as data (generated into DeidentificationProfile.Generated.cs by scripts/gen-deid-profile.py
/// from data/ps3.15-table-E.1-1.csv). Only the table: applying it is the de-identifier's job.
/// </summary>
public static partial class DeidentificationProfile
{
    /// <summary>Every row of the table: single tags in ascending order, then the patterns, most specific first.</summary>
    /// <remarks>A read-only view, so no caller can edit the profile for everyone else.</remarks>
    public static ReadOnlyCollection<DeidentificationRule> Rules => new(Table);

    /// <summary>
    /// The rule for a tag: its own row if it has one, else the most specific pattern that matches it ((60xx,3000)
    /// before the private-attributes rule); false when the table does not mention it.
    /// </summary>
    public static bool TryFind(DicomTag tag, out DeidentificationRule rule)
    {
        var low = 0;
        var high = ExactRuleCount - 1;
        var value = tag.Value;
        while (low <= high)
        {
            var middle = (int)((uint)(low + high) >> 1);
            var candidate = Table[middle].TagValue;
            if (candidate == value)
            {
                rule = Table[middle];
                return true;
            }

            if (candidate < value)
            {
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }

        for (var i = ExactRuleCount; i < Table.Length; i++)
        {
            if (Table[i].Matches(tag))
            {
                rule = Table[i];
                return true;
            }
        }

        rule = default;
        return false;
    }

    /// <summary>The rule for a tag (see <see cref="TryFind"/>), or null when the table does not mention it.</summary>
    public static DeidentificationRule? Find(DicomTag tag) => TryFind(tag, out var rule) ? rule : null;
}
