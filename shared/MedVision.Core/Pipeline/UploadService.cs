using System.Globalization;
using System.Text.Json;
using MedVision.Core.Images;
using MedVision.Core.Json;
using MedVision.Core.Ports;
using MedVision.Dicom;
using MedVision.Dicom.Metadata;
using MedVision.Imaging;

namespace MedVision.Core.Pipeline;

public sealed record UploadCommand
{
    public required string UserId { get; init; }
    public required ReadOnlyMemory<byte> Content { get; init; }
    public string? FileName { get; init; }
    public string? PatientId { get; init; }
    public string? AcquisitionDate { get; init; }
}

/// <summary>What the upload check learnt: the format, a DICOM file's header facts, a PNG/JPEG's decoded pixels.</summary>
public sealed record InspectedUpload(FileFormat Format, DicomInfo? Dicom, Raster? Decoded);

public sealed record UploadResult(string ImageId, ImageStatus Status, FileFormat FileFormat, long FileSizeBytes, string RetrievalUrl, string ExecutionId);

/// <summary>
/// Validates an upload by content (never by name or declared type), stores it (DICOM → archive,
/// PNG/JPEG → object store), records it, and starts the pipeline execution named after the image id.
/// </summary>
public sealed class UploadService(IObjectStore objects, IImageArchive archive, ImageLoader loader, StageTracker tracker, IWorkflow workflow, IIdGenerator ids)
{
    public async Task<UploadResult> UploadAsync(UploadCommand command, CancellationToken ct = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        var content = command.Content;
        if (string.IsNullOrWhiteSpace(command.UserId))
        {
            throw new ValidationException("request.user_missing", "The upload has no user id.");
        }

        if (content.Length == 0)
        {
            throw new InvalidImageException("image.empty", "The uploaded file is empty.");
        }

        if (content.Length > PipelineOptions.MaxUploadBytes)
        {
            throw new PayloadTooLargeException(
                $"The uploaded file is {content.Length} bytes; the limit is {PipelineOptions.MaxUploadBytes} bytes (50 MB).");
        }

        var inspected = Inspect(content);
        var format = inspected.Format;
        var acquisitionDate = NormalizeDate(command.AcquisitionDate) ?? inspected.Dicom?.StudyDateTime; // DICOM times are local: kept without an offset
        var patientId = NormalizePatientId(command.PatientId);

        var imageId = ids.NewId();
        var now = tracker.Time.GetUtcNow();
        string location;
        StorageType storageType;
        if (format == FileFormat.Dicom)
        {
            var set = await archive.StoreAsync(imageId, content, ct);
            location = set.ImageSetId;
            storageType = StorageType.HealthImaging;
        }
        else
        {
            location = ObjectKeys.Raw(imageId, format == FileFormat.Png ? "png" : "jpg");
            await objects.PutAsync(location, content, format == FileFormat.Png ? "image/png" : "image/jpeg", ct);
            storageType = StorageType.S3;
        }

        if (inspected.Decoded is { } decoded)
        {
            // The check above decoded the whole image: keep its rendition rather than decode it again in a stage.
            await loader.StoreRenditionAsync(imageId, decoded, ct);
        }

        var record = await tracker.RecordUploadAsync(
            new ImageRecord
            {
                ImageId = imageId,
                UserId = command.UserId,
                UploadTimestamp = now,
                FileFormat = format,
                FileSizeBytes = content.Length,
                FileName = SafeFileName(command.FileName),
                StorageType = storageType,
                StorageLocation = location,
                PatientId = patientId,
                AcquisitionDate = acquisitionDate,
                Dicom = inspected.Dicom,
                CreatedAt = now,
                UpdatedAt = now,
            },
            ct);

        var input = JsonSerializer.Serialize(
            new PipelineInput { ImageId = imageId, UserId = command.UserId, FileFormat = format },
            MedVisionJsonContext.Default.PipelineInput);
        var executionId = await workflow.StartAsync(imageId, input, ct);
        await tracker.AnnounceUploadAsync(record, ct);

        return new UploadResult(imageId, ImageStatus.Uploaded, format, content.Length, loader.UrlFor(record), executionId);
    }

    /// <summary>Spec Property 1: accept exactly DICOM, PNG and JPEG, judged by magic number.</summary>
    public static FileFormat Validate(ReadOnlyMemory<byte> content) => Inspect(content).Format;

    /// <summary>
    /// <see cref="Validate"/>, plus the header facts of a DICOM file or the decoded pixels of a PNG/JPEG. The whole
    /// DICOM file is parsed (not its pixels: a JPEG 2000 study is still archived), and a PNG/JPEG decoded in full, so
    /// a malformed file is a 400 now, not a failed run later.
    /// </summary>
    public static InspectedUpload Inspect(ReadOnlyMemory<byte> content)
    {
        var detected = ImageFormatDetector.Detect(content.Span);
        return detected == ImageFormat.Dicom
            ? new InspectedUpload(FileFormat.Dicom, ReadDicomHeader(content), null)
            : DecodeRaster(content.Span, detected);
    }

    private static DicomInfo ReadDicomHeader(ReadOnlyMemory<byte> content)
    {
        DicomFile file;
        try
        {
            file = DicomFile.Read(content);
        }
        catch (DicomFormatException ex)
        {
            throw new InvalidImageException(ex.Code, $"The DICOM file is malformed: {ex.Message}", ex);
        }

        if (!file.Dataset.Contains(DicomTag.PixelData))
        {
            throw new InvalidImageException("dicom.no_pixel_data", "The DICOM file has no Pixel Data (7FE0,0010); only images can be analysed.");
        }

        return DicomInfo.From(DicomStudyMetadata.From(file));
    }

    private static InspectedUpload DecodeRaster(ReadOnlySpan<byte> content, ImageFormat detected)
    {
        if (detected is not (ImageFormat.Png or ImageFormat.Jpeg))
        {
            throw new InvalidImageException(
                "image.unsupported_format",
                $"The file is not DICOM, PNG or JPEG (it starts with bytes {Convert.ToHexString(content[..Math.Min(8, content.Length)])}).");
        }

        try
        {
            return new InspectedUpload(detected == ImageFormat.Png ? FileFormat.Png : FileFormat.Jpeg, null, ImageCodec.Decode(content));
        }
        catch (ImageDecodeException ex)
        {
            throw new InvalidImageException(ex.Code, $"The {(detected == ImageFormat.Png ? "PNG" : "JPEG")} file is corrupt: {ex.Message}", ex);
        }
    }

    private static string? NormalizeDate(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed))
        {
            return value.Length <= 10 ? parsed.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) : parsed.ToString("O", CultureInfo.InvariantCulture);
        }

        throw new ValidationException("request.bad_acquisition_date", $"acquisition_date '{value}' is not an ISO 8601 date.");
    }

    private static string? NormalizePatientId(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var trimmed = value.Trim();
        if (trimmed.Length > 64 || !trimmed.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_'))
        {
            throw new ValidationException(
                "request.bad_patient_id", "patient_id must be an anonymized id of at most 64 letters, digits, '-', '.' or '_'.");
        }

        return trimmed;
    }

    private static string? SafeFileName(string? name) =>
        string.IsNullOrWhiteSpace(name) ? null : Path.GetFileName(name.Replace('\\', '/'));
}
