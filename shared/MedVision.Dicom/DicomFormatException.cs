using MedVision.Imaging;

namespace MedVision.Dicom;

/// <summary>
/// Malformed or hostile DICOM input. <see cref="ImageDecodeException.Code"/> is stable for machines; the message
/// names the problem, the byte offset and the tag for humans. It derives from <see cref="ImageDecodeException"/>
/// so every caller that already rejects undecodable images rejects bad DICOM the same way.
/// </summary>
public sealed class DicomFormatException : ImageDecodeException
{
    public DicomFormatException()
        : this(DicomErrorCodes.Malformed, "The DICOM data is malformed.", -1, null)
    {
    }

    public DicomFormatException(string message)
        : this(DicomErrorCodes.Malformed, message, -1, null)
    {
    }

    public DicomFormatException(string message, Exception innerException)
        : base(DicomErrorCodes.Malformed, message, innerException)
    {
        Offset = -1;
    }

    public DicomFormatException(string code, string message, long offset, DicomTag? tag, Exception? innerException = null)
        : base(code, Describe(message, offset, tag), innerException)
    {
        Offset = offset;
        Tag = tag;
    }

    /// <summary>Byte offset in the file (in the inflated data set for deflated files) where the problem is; -1 when not tied to one.</summary>
    public long Offset { get; }

    /// <summary>The element being read, when known.</summary>
    public DicomTag? Tag { get; }

    private static string Describe(string message, long offset, DicomTag? tag) =>
        (offset, tag) switch
        {
            ( < 0, null) => message,
            ( < 0, { } t) => $"{message} (element {t})",
            (_, null) => $"{message} (at offset {offset})",
            (_, { } t) => $"{message} (element {t} at offset {offset})",
        };
}

/// <summary>Stable machine codes of <see cref="DicomFormatException"/>.</summary>
public static class DicomErrorCodes
{
    /// <summary>Generic structural problem (unexpected delimiter, item outside a sequence, bad fragment item).</summary>
    public const string Malformed = "dicom.malformed";

    /// <summary>Neither a Part 10 file ("DICM" at 128) nor a data set stream we can recognise.</summary>
    public const string NotDicom = "dicom.not_dicom";

    /// <summary>The data ends inside an element header, a value or an open sequence.</summary>
    public const string Truncated = "dicom.truncated";

    /// <summary>A value length larger than the bytes that remain (0xFFFFFFFE and friends).</summary>
    public const string LengthExceedsData = "dicom.length_exceeds_data";

    /// <summary>Undefined length (0xFFFFFFFF) on an element that cannot have one.</summary>
    public const string UndefinedLength = "dicom.undefined_length";

    /// <summary>Explicit VR bytes that are not a VR of the standard.</summary>
    public const string InvalidVR = "dicom.invalid_vr";

    /// <summary>Transfer Syntax UID missing or not a UID.</summary>
    public const string BadTransferSyntax = "dicom.bad_transfer_syntax";

    /// <summary>Sequences nested deeper than <see cref="DicomReadOptions.MaxDepth"/>.</summary>
    public const string TooDeep = "dicom.nesting_too_deep";

    /// <summary>More items (all sequences together) than <see cref="DicomReadOptions.MaxItems"/>.</summary>
    public const string TooManyItems = "dicom.too_many_items";

    /// <summary>More pixel data fragments than <see cref="DicomReadOptions.MaxFragments"/>.</summary>
    public const string TooManyFragments = "dicom.too_many_fragments";

    /// <summary>Input, one element, or the inflated data set beyond the configured byte limits (a deflate bomb ends here).</summary>
    public const string TooLarge = "dicom.too_large";

    /// <summary>The deflated data set does not inflate.</summary>
    public const string BadDeflate = "dicom.bad_deflate";

    /// <summary>Pixel data absent or inconsistent with the image pixel module (rows, columns, bits, frames).</summary>
    public const string BadPixelData = "dicom.bad_pixel_data";

    /// <summary>Pixel data in a transfer syntax MedVision archives but does not decode (JPEG-LS, JPEG 2000, MPEG...).</summary>
    public const string UnsupportedTransferSyntax = "dicom.unsupported_transfer_syntax";
}
