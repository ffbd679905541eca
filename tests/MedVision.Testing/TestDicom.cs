using System.Buffers.Binary;
using MedVision.Dicom;

namespace MedVision.Testing;

/// <summary>
/// Small synthetic DICOM files for pipeline tests: a native explicit-VR-LE image with the patient, study and image
/// pixel modules filled in. The pixels are a smooth ramp with one bright disc, so analyzers have something to find.
/// (Oracle tests of the DICOM library itself use files made by DCMTK, GDCM and pydicom instead.)
/// </summary>
public static class TestDicom
{
    public const string StudyUid = "1.2.826.0.1.3680043.10.1234.77.1";
    public const string SeriesUid = "1.2.826.0.1.3680043.10.1234.77.2";
    public const string SopUid = "1.2.826.0.1.3680043.10.1234.77.3";

    public static byte[] Image(string modality = "CT", int rows = 96, int columns = 96, bool signed16 = true)
    {
        var ds = new DicomDataset();
        ds.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 192");
        ds.SetString(new DicomTag(0x0008, 0x0016), DicomVR.UI, modality == "CT" ? "1.2.840.10008.5.1.4.1.1.2" : "1.2.840.10008.5.1.4.1.1.7");
        ds.SetString(new DicomTag(0x0008, 0x0018), DicomVR.UI, SopUid);
        ds.SetString(new DicomTag(0x0008, 0x0020), DicomVR.DA, "20240131");
        ds.SetString(new DicomTag(0x0008, 0x0030), DicomVR.TM, "101112");
        ds.SetString(new DicomTag(0x0008, 0x0050), DicomVR.SH, "ACC-77");
        ds.SetString(new DicomTag(0x0008, 0x0060), DicomVR.CS, modality);
        ds.SetString(new DicomTag(0x0008, 0x0070), DicomVR.LO, "MedVision Test");
        ds.SetString(new DicomTag(0x0008, 0x1030), DicomVR.LO, "Chest CT");
        ds.SetString(new DicomTag(0x0010, 0x0010), DicomVR.PN, "Doe^Jane");
        ds.SetString(new DicomTag(0x0010, 0x0020), DicomVR.LO, "MRN-77");
        ds.SetString(new DicomTag(0x0010, 0x0030), DicomVR.DA, "19700101");
        ds.SetString(new DicomTag(0x0010, 0x0040), DicomVR.CS, "F");
        ds.SetString(new DicomTag(0x0018, 0x0015), DicomVR.CS, "CHEST");
        ds.SetString(new DicomTag(0x0020, 0x000D), DicomVR.UI, StudyUid);
        ds.SetString(new DicomTag(0x0020, 0x000E), DicomVR.UI, SeriesUid);
        ds.SetString(new DicomTag(0x0020, 0x0011), DicomVR.IS, "3");
        ds.SetString(new DicomTag(0x0020, 0x0013), DicomVR.IS, "1");
        ds.SetUInt16(new DicomTag(0x0028, 0x0002), 1);
        ds.SetString(new DicomTag(0x0028, 0x0004), DicomVR.CS, "MONOCHROME2");
        ds.SetUInt16(new DicomTag(0x0028, 0x0010), (ushort)rows);
        ds.SetUInt16(new DicomTag(0x0028, 0x0011), (ushort)columns);
        ds.SetString(new DicomTag(0x0028, 0x0030), DicomVR.DS, "0.7\\0.7");
        ds.SetUInt16(new DicomTag(0x0028, 0x0100), 16);
        ds.SetUInt16(new DicomTag(0x0028, 0x0101), 12);
        ds.SetUInt16(new DicomTag(0x0028, 0x0102), 11);
        ds.SetUInt16(new DicomTag(0x0028, 0x0103), (ushort)(signed16 ? 1 : 0));
        if (signed16)
        {
            ds.SetString(new DicomTag(0x0028, 0x1050), DicomVR.DS, "40");
            ds.SetString(new DicomTag(0x0028, 0x1051), DicomVR.DS, "400");
            ds.SetString(new DicomTag(0x0028, 0x1052), DicomVR.DS, "-1024");
            ds.SetString(new DicomTag(0x0028, 0x1053), DicomVR.DS, "1");
        }

        var pixels = new byte[rows * columns * 2];
        for (var y = 0; y < rows; y++)
        {
            for (var x = 0; x < columns; x++)
            {
                // Soft tissue (~ +40 HU) with a dense disc (~ +300 HU) right of centre.
                var dx = x - (columns * 0.65);
                var dy = y - (rows * 0.45);
                var inDisc = (dx * dx) + (dy * dy) < rows * columns / 64.0;
                var hu = inDisc ? 300 : 20 + ((x + y) % 40);
                var stored = signed16 ? hu + 1024 : Math.Clamp(hu + 1024, 0, 4095);
                BinaryPrimitives.WriteInt16LittleEndian(pixels.AsSpan(2 * ((y * columns) + x)), (short)stored);
            }
        }

        ds.SetBytes(DicomTag.PixelData, DicomVR.OW, pixels);
        return new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).ToBytes();
    }
}
