namespace MedVision.Imaging;

/// <summary>The coding process named by a JPEG frame's SOF marker.</summary>
public enum JpegProcess
{
    Baseline,
    ExtendedSequential,
    Progressive,
    Lossless,
}

/// <summary>
/// What a JPEG header says. <see cref="Width"/> and <see cref="Height"/> are the stored frame size, before
/// <see cref="Orientation"/> (EXIF 1..8, 1 when absent) is applied; a decoded raster of orientation 5..8 is transposed.
/// </summary>
/// <param name="ColorSpace">"gray", "ycbcr", "rgb", "cmyk" or "ycck", decided as libjpeg does (JFIF, Adobe, component ids);
/// a 3-component lossless image without JFIF/Adobe markers is "rgb".</param>
/// <param name="Precision">Sample precision P from the SOF: 8 or 12 for DCT processes, 2..16 for lossless.</param>
/// <param name="Subsampling">"4:4:4", "4:2:0", "4:2:2", "4:4:0", "4:1:1", "4:1:0", "4:0:0" for gray, else "h2v2,h1v1,...".</param>
public sealed record JpegInfo(
    int Width,
    int Height,
    int Components,
    int Precision,
    JpegProcess Process,
    int Orientation,
    int RestartInterval,
    string ColorSpace,
    string Subsampling);

/// <param name="Limits">Size ceilings checked from the SOF before anything proportional to the image is allocated.</param>
/// <param name="ApplyExifOrientation">Rotate/flip the raster so it displays upright per the EXIF orientation tag.</param>
/// <param name="MaxScans">Caps SOS segments, so a flood of tiny progressive scans cannot multiply the work.</param>
/// <param name="MaxSegments">Caps marker segments of any kind, so endless APPn/COM runs end quickly.</param>
/// <param name="ConvertColor">
/// True (default): 3- and 4-component DCT images are converted to RGB from the colour space the header implies
/// (<see cref="JpegInfo.ColorSpace"/>). False: the decoded components come back unconverted (still upsampled to full
/// size) as an RGB raster for 3 components and an RGBA-shaped raster for 4, e.g. for DICOM images whose Photometric
/// Interpretation says the JPEG holds RGB (or YBR that the caller converts itself). Lossless images are never converted.
/// </param>
public sealed record JpegDecodeOptions(
    ImageLimits? Limits = null,
    bool ApplyExifOrientation = true,
    int MaxScans = 1000,
    int MaxSegments = 10_000,
    bool ConvertColor = true);

/// <summary>Stable machine codes carried by <see cref="ImageDecodeException.Code"/> for JPEG input.</summary>
public static class JpegErrorCodes
{
    /// <summary>Does not start with SOI (FF D8).</summary>
    public const string BadSignature = "jpeg.bad_signature";

    /// <summary>The data ends inside a segment, before any scan, or before the first scan is complete.</summary>
    public const string Truncated = "jpeg.truncated";

    /// <summary>
    /// Hierarchical or arithmetic-coded processes, lossless frames whose components are subsampled, or a component
    /// layout with no RGB meaning (2 components). Baseline/extended/progressive 8-bit, extended/progressive 12-bit and
    /// Huffman lossless (SOF3, precision 2..16) are supported.
    /// </summary>
    public const string Unsupported = "jpeg.unsupported";

    /// <summary>Beyond <see cref="ImageLimits"/>.</summary>
    public const string TooLarge = "jpeg.too_large";

    /// <summary>
    /// Bad or missing frame header, quantization table or frame parameter, including a sample precision the process does
    /// not allow (baseline 8; extended/progressive 8 or 12; lossless 2..16) and, for lossless scans, a predictor outside
    /// 1..7 or a point transform not below the precision.
    /// </summary>
    public const string BadHeader = "jpeg.bad_header";

    /// <summary>Invalid Huffman table, a scan naming an undefined one, or a code that is not in its table.</summary>
    public const string BadHuffman = "jpeg.bad_huffman";

    /// <summary>Where a marker was required something else was found, or an unknown/misplaced marker.</summary>
    public const string BadMarker = "jpeg.bad_marker";

    /// <summary>A segment whose length disagrees with its content.</summary>
    public const string BadSegment = "jpeg.bad_segment";

    /// <summary>An SOS header that does not fit the frame (unknown component, bad spectral/approximation parameters).</summary>
    public const string BadScan = "jpeg.bad_scan";

    /// <summary>More SOS segments than <see cref="JpegDecodeOptions.MaxScans"/>.</summary>
    public const string TooManyScans = "jpeg.too_many_scans";

    /// <summary>More marker segments than <see cref="JpegDecodeOptions.MaxSegments"/>.</summary>
    public const string TooManySegments = "jpeg.too_many_segments";

    /// <summary>Entropy-coded data that cannot be right (e.g. an unexpected marker inside the first scan).</summary>
    public const string BadData = "jpeg.bad_data";
}

/// <summary>
/// JPEG decoder written from ITU-T T.81: baseline and extended sequential Huffman (SOF0/SOF1) and progressive
/// (SOF2), 8-bit samples, sampling factors 1..4, restart markers with resynchronisation, JFIF, Adobe APP14 and
/// EXIF orientation. Output matches libjpeg-turbo's djpeg defaults: the exact ISLOW integer IDCT, "fancy"
/// triangle upsampling for h2v1/h1v2/h2v2 chroma, and libjpeg's fixed-point YCbCr to RGB.
/// Also 12-bit extended/progressive (SOF1/SOF2) into a 16-bit raster of 0..4095, reproducing IJG libjpeg 6b's
/// 12-bit build as DCMTK uses it (ISLOW with PASS1_BITS 1, its range limiting, h2v1/h2v2 fancy upsampling and
/// replication elsewhere, YCbCr tables centred on 2048); and Huffman lossless (SOF3, T.81 Annex H: predictors 1..7,
/// point transform, precision 2..16, restart intervals) into an 8-bit raster for precision up to 8, else 16-bit,
/// with components returned as coded (no colour conversion) and samples shifted left by the point transform.
/// Bad input only ever surfaces as <see cref="ImageDecodeException"/> with a code from <see cref="JpegErrorCodes"/>.
/// </summary>
/// <remarks>
/// Leniency, as in libjpeg: a missing EOI is accepted; bytes between a scan's data and the next marker are skipped;
/// a corrupt restart interval is zero-filled and decoding resynchronises at the next RSTn; a progressive image whose
/// data ends after its first complete scan renders from the scans present. A stream that ends before its first scan
/// (every scan, for sequential images) is complete fails with <see cref="JpegErrorCodes.Truncated"/>.
/// </remarks>
public static partial class JpegDecoder
{
    public static JpegInfo ReadInfo(ReadOnlySpan<byte> jpeg, JpegDecodeOptions? options = null) =>
        Guard(jpeg, options, infoOnly: true).Info!;

    public static Raster Decode(ReadOnlySpan<byte> jpeg, JpegDecodeOptions? options = null) =>
        Guard(jpeg, options, infoOnly: false).Raster!;

    private static Result Guard(ReadOnlySpan<byte> jpeg, JpegDecodeOptions? options, bool infoOnly)
    {
        options ??= new JpegDecodeOptions();
        try
        {
            var parser = new Parser(jpeg, options, infoOnly);
            return parser.Run();
        }
        catch (OutOfMemoryException ex)
        {
            // Only reachable when a caller raised the limits beyond what the process can hold.
            throw new ImageDecodeException(JpegErrorCodes.TooLarge, "JPEG could not be decoded: out of memory.", ex);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or OverflowException
                                       or InvalidOperationException or NullReferenceException or DivideByZeroException)
        {
            // Defence in depth: a decoder bug on hostile input must still look like bad input to callers.
            throw new ImageDecodeException(JpegErrorCodes.BadData, $"JPEG data is malformed: {ex.Message}", ex);
        }
    }

    private static ImageDecodeException Fail(string code, string message) => new(code, message);

    private sealed record Result(JpegInfo? Info, Raster? Raster);
}
