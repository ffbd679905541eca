using System.Text.Json.Serialization;
using MedVision.Core.Classification;
using MedVision.Dicom.Metadata;

namespace MedVision.Core.Images;

/// <summary>
/// The DICOM header facts kept on an image record (the "dicom" object): what the FHIR ImagingStudy and Patient,
/// the report and the classify stage use. Read once at upload, so later stages never parse the header again.
/// </summary>
public sealed record DicomInfo
{
    public string? PatientId { get; init; }
    public string? PatientName { get; init; }
    /// <summary>ISO 8601 date (YYYY-MM-DD).</summary>
    public string? PatientBirthDate { get; init; }
    public string? PatientSex { get; init; }
    public string? StudyInstanceUid { get; init; }
    public string? SeriesInstanceUid { get; init; }
    public string? SopInstanceUid { get; init; }
    public string? SopClassUid { get; init; }
    /// <summary>ISO 8601 local date-time of the study (Study Date + Study Time).</summary>
    public string? StudyDateTime { get; init; }
    public string? StudyDescription { get; init; }
    public string? SeriesDescription { get; init; }
    public int? SeriesNumber { get; init; }
    public int? InstanceNumber { get; init; }
    public string? AccessionNumber { get; init; }
    /// <summary>The DICOM Modality code as stored (CR, DX, MR, CT, US, MG, ...).</summary>
    public string? Modality { get; init; }
    public string? BodyPart { get; init; }
    public int? Rows { get; init; }
    public int? Columns { get; init; }
    public int NumberOfFrames { get; init; } = 1;
    [JsonPropertyName("pixel_spacing_mm")] public IReadOnlyList<double>? PixelSpacing { get; init; }
    public string? Manufacturer { get; init; }
    public string? TransferSyntaxUid { get; init; }
    public bool BurnedInAnnotation { get; init; }

    /// <summary>The pipeline modality a DICOM Modality code names: CR/DX (and DR, RG, PX) → X-ray, MR → MRI, CT → CT, US → ultrasound.</summary>
    public static bool TryMapModality(string? code, out Modality modality)
    {
        (var known, modality) = code?.Trim().ToUpperInvariant() switch
        {
            "CR" or "DX" or "DR" or "RG" or "PX" => (true, Classification.Modality.XRay),
            "MR" => (true, Classification.Modality.Mri),
            "CT" => (true, Classification.Modality.Ct),
            "US" => (true, Classification.Modality.Ultrasound),
            _ => (false, default(Modality)),
        };
        return known;
    }

    public static DicomInfo From(DicomStudyMetadata m)
    {
        ArgumentNullException.ThrowIfNull(m);
        return new DicomInfo
        {
            PatientId = m.PatientId,
            PatientName = m.PatientName,
            PatientBirthDate = m.PatientBirthDateIso,
            PatientSex = m.PatientSex,
            StudyInstanceUid = m.StudyInstanceUid,
            SeriesInstanceUid = m.SeriesInstanceUid,
            SopInstanceUid = m.SopInstanceUid,
            SopClassUid = m.SopClassUid,
            StudyDateTime = m.StudyDateTimeIso,
            StudyDescription = m.StudyDescription,
            SeriesDescription = m.SeriesDescription,
            SeriesNumber = m.SeriesNumber,
            InstanceNumber = m.InstanceNumber,
            AccessionNumber = m.AccessionNumber,
            Modality = m.Modality,
            BodyPart = m.BodyPartExamined,
            Rows = m.Rows,
            Columns = m.Columns,
            NumberOfFrames = m.NumberOfFrames,
            PixelSpacing = m.PixelSpacing,
            Manufacturer = m.Manufacturer,
            TransferSyntaxUid = m.TransferSyntaxUid,
            BurnedInAnnotation = m.BurnedInAnnotation,
        };
    }
}
