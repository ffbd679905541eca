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
    [JsonPropertyName("patient_id")] public string? PatientId { get; init; }
    [JsonPropertyName("patient_name")] public string? PatientName { get; init; }
    /// <summary>ISO 8601 date (YYYY-MM-DD).</summary>
    [JsonPropertyName("patient_birth_date")] public string? PatientBirthDate { get; init; }
    [JsonPropertyName("patient_sex")] public string? PatientSex { get; init; }
    [JsonPropertyName("study_instance_uid")] public string? StudyInstanceUid { get; init; }
    [JsonPropertyName("series_instance_uid")] public string? SeriesInstanceUid { get; init; }
    [JsonPropertyName("sop_instance_uid")] public string? SopInstanceUid { get; init; }
    [JsonPropertyName("sop_class_uid")] public string? SopClassUid { get; init; }
    /// <summary>ISO 8601 local date-time of the study (Study Date + Study Time).</summary>
    [JsonPropertyName("study_date_time")] public string? StudyDateTime { get; init; }
    [JsonPropertyName("study_description")] public string? StudyDescription { get; init; }
    [JsonPropertyName("series_description")] public string? SeriesDescription { get; init; }
    [JsonPropertyName("series_number")] public int? SeriesNumber { get; init; }
    [JsonPropertyName("instance_number")] public int? InstanceNumber { get; init; }
    [JsonPropertyName("accession_number")] public string? AccessionNumber { get; init; }
    /// <summary>The DICOM Modality code as stored (CR, DX, MR, CT, US, MG, ...).</summary>
    [JsonPropertyName("modality")] public string? Modality { get; init; }
    [JsonPropertyName("body_part")] public string? BodyPart { get; init; }
    [JsonPropertyName("rows")] public int? Rows { get; init; }
    [JsonPropertyName("columns")] public int? Columns { get; init; }
    [JsonPropertyName("number_of_frames")] public int NumberOfFrames { get; init; } = 1;
    [JsonPropertyName("pixel_spacing_mm")] public IReadOnlyList<double>? PixelSpacing { get; init; }
    [JsonPropertyName("manufacturer")] public string? Manufacturer { get; init; }
    [JsonPropertyName("transfer_syntax_uid")] public string? TransferSyntaxUid { get; init; }
    [JsonPropertyName("burned_in_annotation")] public bool BurnedInAnnotation { get; init; }

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
