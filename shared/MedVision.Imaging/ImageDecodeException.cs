namespace MedVision.Imaging;

/// <summary>
/// The only exception decoders throw for bad input. <see cref="Code"/> is stable for machines;
/// the message is for humans and may change.
/// </summary>
public class ImageDecodeException : Exception
{
    public const string DefaultCode = "image.invalid";

    public ImageDecodeException()
        : this(DefaultCode, "The image could not be decoded.")
    {
    }

    public ImageDecodeException(string message)
        : this(DefaultCode, message)
    {
    }

    public ImageDecodeException(string message, Exception innerException)
        : this(DefaultCode, message, innerException)
    {
    }

    public ImageDecodeException(string code, string message)
        : base(message)
    {
        Code = code;
    }

    public ImageDecodeException(string code, string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = code;
    }

    public string Code { get; }
}

/// <summary>Stable machine codes carried by <see cref="ImageDecodeException.Code"/> for PNG input.</summary>
public static class PngErrorCodes
{
    public const string BadSignature = "png.bad_signature";
    public const string BadCrc = "png.bad_crc";
    public const string Truncated = "png.truncated";
    public const string Unsupported = "png.unsupported";
    public const string TooLarge = "png.too_large";
    public const string BadHeader = "png.bad_header";
    public const string BadChunk = "png.bad_chunk";
    public const string BadPalette = "png.bad_palette";
    public const string BadFilter = "png.bad_filter";
    public const string Zlib = "png.zlib";
    public const string BadData = "png.bad_data";
}
