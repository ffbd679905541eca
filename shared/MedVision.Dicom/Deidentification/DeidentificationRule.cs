namespace MedVision.Dicom.Deidentification;

/// <summary>
/// One row of PS3.15 Table E.1-1: what the Basic Application Level Confidentiality Profile does with an attribute,
/// and what each profile option changes that to. Actions are the table's codes: D (dummy value), Z (zero length or
/// dummy), X (remove), K (keep), C (clean), U (replace UID consistently), and compounds such as X/Z ("X unless
/// Type 1 or 2 requires Z") or X/Z/U* (PS3.15 §E.1.1 explains them). An option's action is null when the option
/// leaves the Basic Profile action in force.
/// </summary>
/// <param name="TagValue">The tag, or the fixed bits of a pattern such as (60xx,3000).</param>
/// <param name="TagMask">The bits of a tag that must equal <paramref name="TagValue"/>; FFFFFFFF for a single tag.</param>
public readonly record struct DeidentificationRule(
    uint TagValue,
    uint TagMask,
    string Name,
    string BasicAction,
    string? RetainLongFullDates = null,
    string? RetainLongModifiedDates = null,
    string? RetainPatientCharacteristics = null,
    string? RetainUids = null,
    string? RetainDeviceIdentity = null,
    string? RetainInstitutionIdentity = null,
    string? CleanDescriptors = null,
    string? CleanStructuredContent = null,
    string? CleanGraphics = null,
    string? RetainSafePrivate = null)
{
    /// <summary>True for a single tag, false for a pattern (repeating group, private attributes).</summary>
    public bool IsExact => TagMask == uint.MaxValue;

    public bool Matches(DicomTag tag) => (tag.Value & TagMask) == TagValue;
}
