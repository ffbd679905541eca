namespace MedVision.Dicom.Deidentification;

/// <summary>The Retain Longitudinal Temporal Information options of PS3.15 §E.3.6.</summary>
public enum LongitudinalTemporalRetention
{
    /// <summary>Basic Profile: dates and times are removed, emptied or replaced by dummies.</summary>
    None = 0,

    /// <summary>Full Dates option (113106): dates and times are kept as they are.</summary>
    FullDates,

    /// <summary>
    /// Modified Dates option (113107): every date (DA, and the date part of DT) of the table's date rows is shifted by
    /// one whole-day offset per study (or patient, see <see cref="DeidentificationOptions.DateShiftScope"/>), so
    /// intervals survive exactly; times of day (TM, the time part of DT) are unchanged, a whole-day shift not moving
    /// them.
    /// </summary>
    ModifiedDates,
}

/// <summary>Which instances share one date offset under the Modified Dates option.</summary>
public enum DateShiftScope
{
    /// <summary>One offset per (original) Study Instance UID.</summary>
    Study = 0,

    /// <summary>One offset per (original) Patient ID, so intervals between a patient's studies survive too.</summary>
    Patient,
}

/// <summary>
/// The profile options of PS3.15 §E.3 that the de-identifier implements, and how compound actions resolve. The Clean
/// Pixel Data, Clean Recognizable Visual Features, Clean Graphics and Retain Safe Private options are not offered:
/// pixel data is never changed, overlays and curves are removed, and every private attribute is removed.
/// </summary>
public sealed record DeidentificationOptions
{
    /// <summary>The Basic Application Level Confidentiality Profile with no option.</summary>
    public static DeidentificationOptions Basic { get; } = new();

    public LongitudinalTemporalRetention RetainLongitudinalTemporalInformation { get; init; }

    public DateShiftScope DateShiftScope { get; init; }

    /// <summary>Retain Patient Characteristics option (113108): sex, age, size, weight, smoking and pregnancy status...</summary>
    public bool RetainPatientCharacteristics { get; init; }

    /// <summary>Retain Device Identity option (113109).</summary>
    public bool RetainDeviceIdentity { get; init; }

    /// <summary>Retain Institution Identity option (113112).</summary>
    public bool RetainInstitutionIdentity { get; init; }

    /// <summary>Retain UIDs option (113110): no UID is replaced.</summary>
    public bool RetainUids { get; init; }

    /// <summary>
    /// Clean Descriptors option (113105): descriptions and comments are kept with every identifying value of the data
    /// set (names, IDs, dates, ...) struck out, instead of being removed. Identifiers that appear nowhere else in the
    /// data set cannot be recognised, so use it only where descriptions are known to be free text of the modality.
    /// </summary>
    public bool CleanDescriptors { get; init; }

    /// <summary>Clean Structured Content option (113104): content, acquisition context and specimen preparation sequences are cleaned rather than replaced.</summary>
    public bool CleanStructuredContent { get; init; }

    public CompoundActionPolicy CompoundActions { get; init; }

    /// <summary>A pseudonym for Patient's Name (0010,0010) in place of the empty value; null for the Basic Profile's empty name.</summary>
    public string? PatientName { get; init; }

    /// <summary>A pseudonym for Patient ID (0010,0020) in place of the dummy; null for the default dummy.</summary>
    public string? PatientId { get; init; }
}
