using MedVision.Core.Images;
using MedVision.Core.Ports;
using MedVision.Dicom;
using MedVision.Dicom.Imaging;
using MedVision.Imaging;

namespace MedVision.Core.Pipeline;

/// <summary>
/// Fetches an image's original bytes from wherever the upload put them, decodes them, and keeps the 8-bit working copy
/// the later stages share under preprocessed/, so no stage decodes what another already has.
/// </summary>
public sealed class ImageLoader(IObjectStore objects, IImageArchive archive)
{
    public async Task<byte[]> LoadOriginalAsync(ImageRecord record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        var bytes = record.StorageType == StorageType.S3
            ? (await objects.GetAsync(record.StorageLocation, ct))?.Content
            : await archive.GetAsync(record.StorageLocation, ct);
        return bytes ?? throw new NotFoundException(
            "image.original_missing", $"The original upload of image {record.ImageId} is missing from {record.StorageType.WireName()} storage.");
    }

    /// <summary>Where a client retrieves the original: the object store's URL or the archive's.</summary>
    public string UrlFor(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.StorageType == StorageType.S3 ? objects.UrlFor(record.StorageLocation) : archive.UrlFor(record.StorageLocation);
    }

    public async Task<Raster> LoadRasterAsync(ImageRecord record, CancellationToken ct)
    {
        var bytes = await LoadOriginalAsync(record, ct);
        return Decode(bytes, record.ImageId);
    }

    public static Raster Decode(byte[] bytes, string imageId)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        switch (ImageFormatDetector.Detect(bytes))
        {
            case ImageFormat.Dicom:
                return DecodeDicom(bytes, imageId);
            case ImageFormat.Unknown:
                throw new InvalidImageException("image.unsupported_format", $"Image {imageId} is not DICOM, PNG or JPEG.");
        }

        try
        {
            return ImageCodec.Decode(bytes);
        }
        catch (ImageDecodeException ex)
        {
            throw new InvalidImageException(ex.Code, $"Image {imageId} could not be decoded: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The 8-bit rendition of the first frame: Modality LUT (rescale), then the file's VOI window (or VOI LUT, else a
    /// window from the data's range), MONOCHROME1 inverted; colour photometrics become RGB.
    /// </summary>
    private static Raster DecodeDicom(byte[] bytes, string imageId)
    {
        try
        {
            return DicomRenderer.Render(DicomFile.Read(bytes));
        }
        catch (DicomFormatException ex) when (ex.Code == DicomErrorCodes.UnsupportedTransferSyntax)
        {
            // Archived and kept, but no decoder here (JPEG-LS, JPEG 2000, MPEG): 422, not a corrupt file.
            throw new UnsupportedImageException(ex.Code, $"Image {imageId} is stored, but cannot be analysed: {ex.Message}");
        }
        catch (ImageDecodeException ex)
        {
            throw new InvalidImageException(ex.Code, $"Image {imageId} could not be decoded: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The 8-bit grayscale rendition at the original resolution, from the working copy under preprocessed/ so later
    /// stages and retries do not decode (or render DICOM) again. Each model route scales it to its own input size.
    /// </summary>
    public async Task<Raster> LoadRenditionAsync(ImageRecord record, CancellationToken ct)
    {
        var copy = await LoadWorkingCopyAsync(record, ct);
        return copy.Color == ColorModel.Gray ? copy : copy.ToGray8();
    }

    /// <summary>
    /// The working copy under preprocessed/: the original at full resolution in 8 bits, gray when the original is gray
    /// (DICOM after its window) and RGB when it has colour, so the heatmap draws on the same pixels as a fresh decode
    /// of the original would give (<see cref="Raster.ToRgb8"/>) without decoding a 16-bit file again. Built from the
    /// original when missing or damaged.
    /// </summary>
    public async Task<Raster> LoadWorkingCopyAsync(ImageRecord record, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = ObjectKeys.Preprocessed(record.ImageId);
        if (await objects.GetAsync(key, ct) is { } cached)
        {
            try
            {
                return PngDecoder.Decode(cached.Content);
            }
            catch (ImageDecodeException)
            {
                // A damaged cache entry is rebuilt from the original, never trusted.
            }
        }

        return await StoreWorkingCopyAsync(record.ImageId, await LoadRasterAsync(record, ct), ct);
    }

    /// <summary>Keeps the working copy of an image decoded elsewhere (the upload check), so no later stage decodes it again.</summary>
    public async Task<Raster> StoreRenditionAsync(string imageId, Raster decoded, CancellationToken ct)
    {
        var copy = await StoreWorkingCopyAsync(imageId, decoded, ct);
        return copy.Color == ColorModel.Gray ? copy : copy.ToGray8();
    }

    private async Task<Raster> StoreWorkingCopyAsync(string imageId, Raster decoded, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        var copy = decoded.Color is ColorModel.Rgb or ColorModel.Rgba ? decoded.ToRgb8() : decoded.ToGray8();
        await objects.PutAsync(
            ObjectKeys.Preprocessed(imageId), PngEncoder.Encode(copy, new PngEncodeOptions(System.IO.Compression.CompressionLevel.Fastest)), "image/png", ct);
        return copy;
    }
}
