namespace MedVision.Imaging;

/// <summary>Container formats recognised by <see cref="ImageFormatDetector"/>.</summary>
public enum ImageFormat
{
    Unknown,
    Png,
    Jpeg,
    Dicom,
}

/// <summary>Sniffs an image format from its leading bytes; never trusts file names or declared types.</summary>
public static class ImageFormatDetector
{
    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    private static ReadOnlySpan<byte> DicmMagic => "DICM"u8;

    // Part 10 files carry a 128-byte preamble before "DICM".
    private const int DicomPreambleLength = 128;

    public static ImageFormat Detect(ReadOnlySpan<byte> data)
    {
        if (data.StartsWith(PngSignature))
        {
            return ImageFormat.Png;
        }

        if (data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF)
        {
            return ImageFormat.Jpeg;
        }

        if (data.Length >= DicomPreambleLength + DicmMagic.Length
            && data.Slice(DicomPreambleLength, DicmMagic.Length).SequenceEqual(DicmMagic))
        {
            return ImageFormat.Dicom;
        }

        return LooksLikeBareDicom(data) ? ImageFormat.Dicom : ImageFormat.Unknown;
    }

    public static string MediaType(ImageFormat format) => format switch
    {
        ImageFormat.Png => "image/png",
        ImageFormat.Jpeg => "image/jpeg",
        ImageFormat.Dicom => "application/dicom",
        _ => "application/octet-stream",
    };

    // A preamble-less stream starts directly with a data element: group (LE ushort), element (LE ushort),
    // then in explicit VR little endian a two-letter upper-case VR. Only the file-meta (0002) and
    // identifying (0008) groups plausibly come first, which keeps false positives on random data low.
    private static bool LooksLikeBareDicom(ReadOnlySpan<byte> data)
    {
        if (data.Length < 6)
        {
            return false;
        }

        var group = data[0] | (data[1] << 8);
        if (group is not (0x0002 or 0x0008))
        {
            return false;
        }

        // Element numbers in these groups are small (< 0x0100 for 0002); require a zero high byte for 0002.
        if (group == 0x0002 && data[3] != 0x00)
        {
            return false;
        }

        return IsUpperAscii(data[4]) && IsUpperAscii(data[5]) && IsKnownVr(data[4], data[5]);
    }

    private static bool IsUpperAscii(byte b) => b is >= (byte)'A' and <= (byte)'Z';

    // Checking against the real VR list rejects most random upper-case text that happens to follow 02 00/08 00.
    private static bool IsKnownVr(byte first, byte second)
    {
        ReadOnlySpan<byte> vrs = "AEASATCSDADSDTFLFDISLOLTOBODOFOLOVOWPNSHSLSQSSSTSVTMUCUIULUNURUSUTUV"u8;
        for (var i = 0; i < vrs.Length; i += 2)
        {
            if (vrs[i] == first && vrs[i + 1] == second)
            {
                return true;
            }
        }

        return false;
    }
}
