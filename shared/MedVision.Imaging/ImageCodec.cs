namespace MedVision.Imaging;

/// <summary>What <see cref="ImageCodec.ReadInfo"/> tells about a file without decoding its pixels.</summary>
public sealed record ImageInfo(ImageFormat Format, int Width, int Height, int BitDepth, string Color, string Details);

/// <summary>
/// One entry point for every raster format the product reads and writes. The format is always decided
/// by magic number (spec Property 1), never by file name or declared content type.
/// </summary>
public static class ImageCodec
{
    public const string UnsupportedCode = "image.unsupported_format";

    public static ImageInfo ReadInfo(ReadOnlySpan<byte> data, ImageLimits? limits = null)
    {
        switch (ImageFormatDetector.Detect(data))
        {
            case ImageFormat.Png:
                var png = PngDecoder.ReadInfo(data, limits);
                return new ImageInfo(
                    ImageFormat.Png, png.Width, png.Height, png.BitDepth, png.ColorTypeName, png.Interlaced ? "Adam7 interlaced" : "non-interlaced");
            case ImageFormat.Jpeg:
                var jpeg = JpegDecoder.ReadInfo(data, new JpegDecodeOptions(limits));
                return new ImageInfo(
                    ImageFormat.Jpeg, jpeg.Width, jpeg.Height, jpeg.Precision, jpeg.ColorSpace,
                    $"{jpeg.Process.ToString().ToLowerInvariant()}, {jpeg.Components} component(s), sampling {jpeg.Subsampling}, " +
                    $"EXIF orientation {jpeg.Orientation}, restart interval {jpeg.RestartInterval}");
            case ImageFormat.Dicom:
                throw new ImageDecodeException(UnsupportedCode, "DICOM files are recognised but not yet readable by the imaging library.");
            default:
                throw new ImageDecodeException(UnsupportedCode, "Not a PNG, JPEG or DICOM file (unrecognised magic number).");
        }
    }

    /// <summary>Decodes PNG or JPEG (EXIF orientation applied) to a raster.</summary>
    public static Raster Decode(ReadOnlySpan<byte> data, ImageLimits? limits = null) => ImageFormatDetector.Detect(data) switch
    {
        ImageFormat.Png => PngDecoder.Decode(data, limits),
        ImageFormat.Jpeg => JpegDecoder.Decode(data, new JpegDecodeOptions(limits)),
        ImageFormat.Dicom => throw new ImageDecodeException(UnsupportedCode, "DICOM files are recognised but not yet readable by the imaging library."),
        _ => throw new ImageDecodeException(UnsupportedCode, "Not a PNG, JPEG or DICOM file (unrecognised magic number)."),
    };

    /// <summary>Encodes as PNG (lossless) or baseline JPEG at <paramref name="jpegQuality"/>.</summary>
    public static byte[] Encode(Raster image, ImageFormat format, int jpegQuality = 85) => format switch
    {
        ImageFormat.Png => PngEncoder.Encode(image),
        ImageFormat.Jpeg => JpegEncoder.Encode(image, new JpegEncodeOptions(jpegQuality)),
        _ => throw new ArgumentException($"Cannot encode {format}; PNG and JPEG are supported.", nameof(format)),
    };
}
