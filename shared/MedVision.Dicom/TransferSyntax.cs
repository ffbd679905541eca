namespace MedVision.Dicom;

/// <summary>How pixel data of a transfer syntax is stored, which decides whether we can decode it.</summary>
public enum PixelEncoding
{
    Native,
    Rle,
    JpegBaseline,
    JpegExtended,
    JpegLossless,
    JpegLs,
    Jpeg2000,
    Mpeg,
    Other,
}

/// <summary>
/// A transfer syntax (PS3.5 §10, PS3.6 Annex A): byte order, VR encoding and pixel encapsulation. Unknown UIDs
/// still get an instance (<see cref="IsKnown"/> false) so a file in a future syntax can be archived unchanged.
/// </summary>
public sealed class TransferSyntax
{
    private TransferSyntax(string uid, string name, bool explicitVR, bool bigEndian, bool deflated, PixelEncoding pixels, bool known = true)
    {
        Uid = uid;
        Name = name;
        IsExplicitVR = explicitVR;
        IsBigEndian = bigEndian;
        IsDeflated = deflated;
        Pixels = pixels;
        IsKnown = known;
    }

    public string Uid { get; }
    public string Name { get; }
    public bool IsExplicitVR { get; }
    public bool IsBigEndian { get; }
    public bool IsDeflated { get; }
    public PixelEncoding Pixels { get; }
    public bool IsKnown { get; }
    public bool IsEncapsulated => Pixels != PixelEncoding.Native;

    /// <summary>Pixel encodings MedVision decodes for analysis; others are archived and answered with a clear error.</summary>
    public bool IsDecodable => Pixels is PixelEncoding.Native or PixelEncoding.Rle or PixelEncoding.JpegBaseline
        or PixelEncoding.JpegExtended or PixelEncoding.JpegLossless;

    public override string ToString() => $"{Name} ({Uid})";

    public static readonly TransferSyntax ImplicitVRLittleEndian = new("1.2.840.10008.1.2", "Implicit VR Little Endian", false, false, false, PixelEncoding.Native);
    public static readonly TransferSyntax ExplicitVRLittleEndian = new("1.2.840.10008.1.2.1", "Explicit VR Little Endian", true, false, false, PixelEncoding.Native);
    public static readonly TransferSyntax EncapsulatedUncompressedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.98", "Encapsulated Uncompressed Explicit VR Little Endian", true, false, false, PixelEncoding.Other);
    public static readonly TransferSyntax DeflatedExplicitVRLittleEndian = new("1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", true, false, true, PixelEncoding.Native);
    public static readonly TransferSyntax ExplicitVRBigEndian = new("1.2.840.10008.1.2.2", "Explicit VR Big Endian (Retired)", true, true, false, PixelEncoding.Native);
    public static readonly TransferSyntax JpegBaseline8Bit = new("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, false, false, PixelEncoding.JpegBaseline);
    public static readonly TransferSyntax JpegExtended12Bit = new("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, false, false, PixelEncoding.JpegExtended);
    public static readonly TransferSyntax JpegLossless = new("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", true, false, false, PixelEncoding.JpegLossless);
    public static readonly TransferSyntax JpegLosslessSV1 = new("1.2.840.10008.1.2.4.70", "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14 [Selection Value 1])", true, false, false, PixelEncoding.JpegLossless);
    public static readonly TransferSyntax JpegLsLossless = new("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless Image Compression", true, false, false, PixelEncoding.JpegLs);
    public static readonly TransferSyntax JpegLsNearLossless = new("1.2.840.10008.1.2.4.81", "JPEG-LS Lossy (Near-Lossless) Image Compression", true, false, false, PixelEncoding.JpegLs);
    public static readonly TransferSyntax Jpeg2000Lossless = new("1.2.840.10008.1.2.4.90", "JPEG 2000 Image Compression (Lossless Only)", true, false, false, PixelEncoding.Jpeg2000);
    public static readonly TransferSyntax Jpeg2000 = new("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression", true, false, false, PixelEncoding.Jpeg2000);
    public static readonly TransferSyntax Htj2kLossless = new("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 Image Compression (Lossless Only)", true, false, false, PixelEncoding.Jpeg2000);
    public static readonly TransferSyntax Htj2kLosslessRpcl = new("1.2.840.10008.1.2.4.202", "High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)", true, false, false, PixelEncoding.Jpeg2000);
    public static readonly TransferSyntax Htj2k = new("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000 Image Compression", true, false, false, PixelEncoding.Jpeg2000);
    public static readonly TransferSyntax Mpeg2MainProfile = new("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level", true, false, false, PixelEncoding.Mpeg);
    public static readonly TransferSyntax Mpeg4HighProfile = new("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", true, false, false, PixelEncoding.Mpeg);
    public static readonly TransferSyntax RleLossless = new("1.2.840.10008.1.2.5", "RLE Lossless", true, false, false, PixelEncoding.Rle);

    private static readonly TransferSyntax[] Known =
    [
        ImplicitVRLittleEndian, ExplicitVRLittleEndian, EncapsulatedUncompressedExplicitVRLittleEndian,
        DeflatedExplicitVRLittleEndian, ExplicitVRBigEndian, JpegBaseline8Bit, JpegExtended12Bit, JpegLossless,
        JpegLosslessSV1, JpegLsLossless, JpegLsNearLossless, Jpeg2000Lossless, Jpeg2000, Htj2kLossless,
        Htj2kLosslessRpcl, Htj2k, Mpeg2MainProfile, Mpeg4HighProfile, RleLossless,
    ];

    public static IReadOnlyList<TransferSyntax> All => Known;

    /// <summary>Looks a UID up. A well-formed unknown UID yields an explicit-VR little-endian encapsulated syntax (PS3.5 §A.4 says all later ones are).</summary>
    public static TransferSyntax FromUid(string uid)
    {
        ArgumentNullException.ThrowIfNull(uid);
        foreach (var ts in Known)
        {
            if (ts.Uid == uid)
            {
                return ts;
            }
        }

        return new TransferSyntax(uid, "Unknown transfer syntax", true, false, false, PixelEncoding.Other, known: false);
    }

    /// <summary>Other JPEG processes of the retired 1.2.840.10008.1.2.4.5x–6x range are JPEG too, but we only accept the ones above.</summary>
    public static bool IsWellFormedUid(string uid) =>
        uid.Length is > 0 and <= 64 && uid.All(c => c is '.' or (>= '0' and <= '9')) && !uid.StartsWith('.') && !uid.EndsWith('.') && !uid.Contains("..", StringComparison.Ordinal);
}
