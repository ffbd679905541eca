namespace MedVision.Dicom.Deidentification;

/// <summary>What was done, as counts only: a log of these carries no patient data.</summary>
/// <param name="Removed">Standard attributes removed (X), counting a removed sequence once.</param>
/// <param name="PrivateRemoved">Private attributes (odd groups, creators included) removed.</param>
/// <param name="Emptied">Attributes given a zero-length value (Z) or a sequence emptied.</param>
/// <param name="Replaced">Attributes given a dummy value (D).</param>
/// <param name="Cleaned">Attributes cleaned (C): dates shifted, text with identifiers struck out.</param>
/// <param name="UidsReplaced">UID values replaced from the UID map (U, and D on a UI).</param>
public readonly record struct DeidentificationCounts(int Removed, int PrivateRemoved, int Emptied, int Replaced, int Cleaned, int UidsReplaced);

/// <summary>The outcome of de-identifying one instance.</summary>
/// <param name="File">The de-identified file: a new object; the input is not changed. Pixel data is the input's, byte for byte.</param>
/// <param name="BurnedInAnnotation">
/// True when the pixels may show identifying text: Burned In Annotation (0028,0301) is YES, or it is absent in an
/// instance of a kind that often has it (US, secondary capture, photographs, scanned documents). Pixel data is never
/// changed: such an instance needs the Clean Pixel Data option done elsewhere, or a person's review.
/// </param>
/// <param name="Warnings">What the caller should know, naming tags and never values.</param>
public sealed record DeidentificationResult(DicomFile File, DeidentificationCounts Counts, bool BurnedInAnnotation, IReadOnlyList<string> Warnings);
