using System.Buffers.Binary;
using System.Text;

namespace MedVision.Dicom.Tests.Pixels;

/// <summary>Small data sets built in memory for pixel unit and error tests.</summary>
public static class PixelTestData
{
    public static readonly DicomTag Rows = new(0x0028, 0x0010);
    public static readonly DicomTag Columns = new(0x0028, 0x0011);
    public static readonly DicomTag SamplesPerPixel = new(0x0028, 0x0002);
    public static readonly DicomTag Photometric = new(0x0028, 0x0004);
    public static readonly DicomTag PlanarConfiguration = new(0x0028, 0x0006);
    public static readonly DicomTag NumberOfFrames = new(0x0028, 0x0008);
    public static readonly DicomTag BitsAllocated = new(0x0028, 0x0100);
    public static readonly DicomTag BitsStored = new(0x0028, 0x0101);
    public static readonly DicomTag HighBit = new(0x0028, 0x0102);
    public static readonly DicomTag PixelRepresentation = new(0x0028, 0x0103);
    public static readonly DicomTag WindowCenter = new(0x0028, 0x1050);
    public static readonly DicomTag WindowWidth = new(0x0028, 0x1051);
    public static readonly DicomTag RescaleIntercept = new(0x0028, 0x1052);
    public static readonly DicomTag RescaleSlope = new(0x0028, 0x1053);
    public static readonly DicomTag VoiLutFunction = new(0x0028, 0x1056);

    /// <summary>A grayscale image pixel module without pixel data.</summary>
    public static DicomDataset Gray(int rows, int columns, int allocated = 16, int stored = 16, int? highBit = null, bool signed = false,
        int frames = 1, string photometric = "MONOCHROME2")
    {
        var ds = new DicomDataset();
        ds.SetUInt16(SamplesPerPixel, 1);
        ds.SetString(Photometric, DicomVR.CS, photometric);
        if (frames != 1)
        {
            ds.SetString(NumberOfFrames, DicomVR.IS, frames.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        ds.SetUInt16(Rows, (ushort)rows);
        ds.SetUInt16(Columns, (ushort)columns);
        ds.SetUInt16(BitsAllocated, (ushort)allocated);
        ds.SetUInt16(BitsStored, (ushort)stored);
        ds.SetUInt16(HighBit, (ushort)(highBit ?? (stored - 1)));
        ds.SetUInt16(PixelRepresentation, signed ? (ushort)1 : (ushort)0);
        return ds;
    }

    public static DicomFile Native(DicomDataset ds, byte[] pixels)
    {
        ds.SetBytes(DicomTag.PixelData, DicomVR.OW, pixels);
        return new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian);
    }

    public static DicomFile Encapsulated(DicomDataset ds, TransferSyntax syntax, byte[][] fragments, uint[]? basicOffsets = null)
    {
        var table = new byte[(basicOffsets?.Length ?? 0) * 4];
        for (var i = 0; i < (basicOffsets?.Length ?? 0); i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(table.AsSpan(4 * i), basicOffsets![i]);
        }

        var element = DicomElement.Encapsulated(DicomTag.PixelData, DicomVR.OB,
            new DicomFragments(table, fragments.Select(f => (ReadOnlyMemory<byte>)f).ToList()));
        ds.AddOrUpdate(element);
        return new DicomFile(new DicomDataset(), ds, syntax);
    }

    public static byte[] UInt16Bytes(IEnumerable<int> values)
    {
        var list = values.ToList();
        var bytes = new byte[list.Count * 2];
        for (var i = 0; i < list.Count; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), (ushort)list[i]);
        }

        return bytes;
    }

    /// <summary>An RLE frame: header for <paramref name="segments"/> then the segments as given.</summary>
    public static byte[] RleFrame(params byte[][] segments)
    {
        var header = new byte[64];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)segments.Length);
        var offset = 64;
        for (var i = 0; i < segments.Length; i++)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header.AsSpan(4 + (4 * i)), (uint)offset);
            offset += segments[i].Length;
        }

        return [.. header, .. segments.SelectMany(s => s)];
    }

    /// <summary>PackBits of <paramref name="data"/> as literal runs only (valid, if not small).</summary>
    public static byte[] Literal(ReadOnlySpan<byte> data)
    {
        var result = new List<byte>();
        for (var i = 0; i < data.Length; i += 128)
        {
            var n = Math.Min(128, data.Length - i);
            result.Add((byte)(n - 1));
            result.AddRange(data.Slice(i, n).ToArray());
        }

        return [.. result];
    }

    public static string Ascii(byte[] bytes) => Encoding.ASCII.GetString(bytes);
}
