using System.Globalization;

namespace MedVision.Dicom.Metadata;

/// <summary>
/// What the pipeline needs from a DICOM header: identity, study/series/instance, acquisition and image geometry —
/// everything the FHIR ImagingStudy, Patient and the report use. Absent or empty attributes are null.
/// </summary>
public sealed record DicomStudyMetadata
{
    public string? PatientId { get; init; }
    public string? PatientName { get; init; }
    /// <summary>DA value as stored (YYYYMMDD).</summary>
    public string? PatientBirthDate { get; init; }
    /// <summary>M, F, O or null.</summary>
    public string? PatientSex { get; init; }
    public string? StudyInstanceUid { get; init; }
    public string? SeriesInstanceUid { get; init; }
    public string? SopInstanceUid { get; init; }
    public string? SopClassUid { get; init; }
    public string? StudyDate { get; init; }
    public string? StudyTime { get; init; }
    public string? StudyDescription { get; init; }
    public string? SeriesDescription { get; init; }
    public int? SeriesNumber { get; init; }
    public int? InstanceNumber { get; init; }
    public string? AccessionNumber { get; init; }
    /// <summary>The Modality (0008,0060) code as stored: CR, DX, MR, CT, US, MG, ...</summary>
    public string? Modality { get; init; }
    public string? BodyPartExamined { get; init; }
    public int? Rows { get; init; }
    public int? Columns { get; init; }
    public int NumberOfFrames { get; init; } = 1;
    /// <summary>Row spacing then column spacing in mm (Pixel Spacing, else Imager Pixel Spacing).</summary>
    public IReadOnlyList<double>? PixelSpacing { get; init; }
    public string? Manufacturer { get; init; }
    public string? ManufacturerModelName { get; init; }
    public string? InstitutionName { get; init; }
    public string? PhotometricInterpretation { get; init; }
    public int? BitsStored { get; init; }
    public string TransferSyntaxUid { get; init; } = "";
    /// <summary>Burned In Annotation (0028,0301) is YES: identifying text may be in the pixels.</summary>
    public bool BurnedInAnnotation { get; init; }

    /// <summary>Study Date + Study Time as an ISO 8601 local date-time ("2024-01-31T10:11:12"), or the date alone; null when absent or malformed.</summary>
    public string? StudyDateTimeIso => FormatDateTime(StudyDate, StudyTime);

    /// <summary>Patient's Birth Date as ISO 8601 (YYYY-MM-DD) or null when absent or malformed.</summary>
    public string? PatientBirthDateIso => FormatDate(PatientBirthDate);

    public static DicomStudyMetadata From(DicomFile file)
    {
        ArgumentNullException.ThrowIfNull(file);
        var ds = file.Dataset;
        var spacing = Numbers(ds, Tags.PixelSpacing) ?? Numbers(ds, Tags.ImagerPixelSpacing);
        return new DicomStudyMetadata
        {
            PatientId = ds.GetString(Tags.PatientId).NullIfEmpty(),
            PatientName = ds.GetString(Tags.PatientName).NullIfEmpty(),
            PatientBirthDate = ds.GetFirstString(Tags.PatientBirthDate),
            PatientSex = ds.GetFirstString(Tags.PatientSex)?.ToUpperInvariant(),
            StudyInstanceUid = ds.GetFirstString(Tags.StudyInstanceUid),
            SeriesInstanceUid = ds.GetFirstString(Tags.SeriesInstanceUid),
            SopInstanceUid = ds.GetFirstString(Tags.SopInstanceUid) ?? file.FileMeta.GetFirstString(DicomTag.MediaStorageSopInstanceUid),
            SopClassUid = ds.GetFirstString(Tags.SopClassUid) ?? file.FileMeta.GetFirstString(DicomTag.MediaStorageSopClassUid),
            StudyDate = ds.GetFirstString(Tags.StudyDate),
            StudyTime = ds.GetFirstString(Tags.StudyTime),
            StudyDescription = ds.GetString(Tags.StudyDescription).NullIfEmpty(),
            SeriesDescription = ds.GetString(Tags.SeriesDescription).NullIfEmpty(),
            SeriesNumber = ds.TryGetInt32(Tags.SeriesNumber, out var series) ? series : null,
            InstanceNumber = ds.TryGetInt32(Tags.InstanceNumber, out var instance) ? instance : null,
            AccessionNumber = ds.GetString(Tags.AccessionNumber).NullIfEmpty(),
            Modality = ds.GetFirstString(Tags.Modality)?.ToUpperInvariant(),
            BodyPartExamined = ds.GetFirstString(Tags.BodyPartExamined),
            Rows = ds.TryGetInt32(Tags.Rows, out var rows) ? rows : null,
            Columns = ds.TryGetInt32(Tags.Columns, out var columns) ? columns : null,
            NumberOfFrames = ds.TryGetInt32(Tags.NumberOfFrames, out var frames) && frames > 0 ? frames : 1,
            PixelSpacing = spacing,
            Manufacturer = ds.GetString(Tags.Manufacturer).NullIfEmpty(),
            ManufacturerModelName = ds.GetString(Tags.ManufacturerModelName).NullIfEmpty(),
            InstitutionName = ds.GetString(Tags.InstitutionName).NullIfEmpty(),
            PhotometricInterpretation = ds.GetFirstString(Tags.PhotometricInterpretation),
            BitsStored = ds.TryGetInt32(Tags.BitsStored, out var bits) ? bits : null,
            TransferSyntaxUid = file.TransferSyntax.Uid,
            BurnedInAnnotation = string.Equals(ds.GetFirstString(Tags.BurnedInAnnotation), "YES", StringComparison.OrdinalIgnoreCase),
        };
    }

    private static double[]? Numbers(DicomDataset ds, DicomTag tag) =>
        ds.TryGetNumbers(tag, out var values) && values.Length == 2 && values.All(v => v > 0 && double.IsFinite(v)) ? values : null;

    internal static string? FormatDate(string? da)
    {
        if (da is null)
        {
            return null;
        }

        // DA is YYYYMMDD; ACR-NEMA's YYYY.MM.DD still turns up in old archives.
        var digits = da.Replace(".", "", StringComparison.Ordinal);
        return digits.Length == 8 && DateTime.TryParseExact(digits, "yyyyMMdd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date)
            ? date.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)
            : null;
    }

    internal static string? FormatDateTime(string? da, string? tm)
    {
        var date = FormatDate(da);
        if (date is null || tm is null)
        {
            return date;
        }

        // TM is HH[MM[SS[.F{1,6}]]]; ACR-NEMA wrote HH:MM:SS.
        var t = tm.Replace(":", "", StringComparison.Ordinal);
        var dot = t.IndexOf('.', StringComparison.Ordinal);
        var whole = dot >= 0 ? t[..dot] : t;
        if (whole.Length is not (2 or 4 or 6) || !whole.All(char.IsAsciiDigit))
        {
            return date;
        }

        var hh = int.Parse(whole[..2], CultureInfo.InvariantCulture);
        var mm = whole.Length >= 4 ? int.Parse(whole[2..4], CultureInfo.InvariantCulture) : 0;
        var ss = whole.Length == 6 ? int.Parse(whole[4..6], CultureInfo.InvariantCulture) : 0;
        return hh < 24 && mm < 60 && ss < 60 ? $"{date}T{hh:00}:{mm:00}:{ss:00}" : date;
    }

    private static class Tags
    {
        public static readonly DicomTag SopClassUid = new(0x0008, 0x0016);
        public static readonly DicomTag SopInstanceUid = new(0x0008, 0x0018);
        public static readonly DicomTag StudyDate = new(0x0008, 0x0020);
        public static readonly DicomTag StudyTime = new(0x0008, 0x0030);
        public static readonly DicomTag AccessionNumber = new(0x0008, 0x0050);
        public static readonly DicomTag Modality = new(0x0008, 0x0060);
        public static readonly DicomTag Manufacturer = new(0x0008, 0x0070);
        public static readonly DicomTag InstitutionName = new(0x0008, 0x0080);
        public static readonly DicomTag StudyDescription = new(0x0008, 0x1030);
        public static readonly DicomTag SeriesDescription = new(0x0008, 0x103E);
        public static readonly DicomTag ManufacturerModelName = new(0x0008, 0x1090);
        public static readonly DicomTag PatientName = new(0x0010, 0x0010);
        public static readonly DicomTag PatientId = new(0x0010, 0x0020);
        public static readonly DicomTag PatientBirthDate = new(0x0010, 0x0030);
        public static readonly DicomTag PatientSex = new(0x0010, 0x0040);
        public static readonly DicomTag BodyPartExamined = new(0x0018, 0x0015);
        public static readonly DicomTag ImagerPixelSpacing = new(0x0018, 0x1164);
        public static readonly DicomTag StudyInstanceUid = new(0x0020, 0x000D);
        public static readonly DicomTag SeriesInstanceUid = new(0x0020, 0x000E);
        public static readonly DicomTag SeriesNumber = new(0x0020, 0x0011);
        public static readonly DicomTag InstanceNumber = new(0x0020, 0x0013);
        public static readonly DicomTag PhotometricInterpretation = new(0x0028, 0x0004);
        public static readonly DicomTag NumberOfFrames = new(0x0028, 0x0008);
        public static readonly DicomTag Rows = new(0x0028, 0x0010);
        public static readonly DicomTag Columns = new(0x0028, 0x0011);
        public static readonly DicomTag PixelSpacing = new(0x0028, 0x0030);
        public static readonly DicomTag BitsStored = new(0x0028, 0x0101);
        public static readonly DicomTag BurnedInAnnotation = new(0x0028, 0x0301);
    }
}

internal static class StringExtensions
{
    public static string? NullIfEmpty(this string? value) => string.IsNullOrEmpty(value) ? null : value;
}
