using System.Buffers.Binary;
using MedVision.Core.Classification;
using MedVision.Dicom;
using MedVision.Imaging;
using MedVision.Models;

namespace MedVision.Cli;

/// <summary>`medvision make-samples`: writes the synthetic study set that the repo's samples/ folder holds.</summary>
public static class MakeSamplesCommand
{
    public static int Run(string directory, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(output);
        Directory.CreateDirectory(directory);
        foreach (var sample in SyntheticStudies.SampleSet())
        {
            var path = Path.Combine(directory, sample.Name + ".png");
            File.WriteAllBytes(path, PngEncoder.Encode(sample.Image));
            output.WriteLine($"wrote {path} ({sample.Modality.WireName()}, {(sample.HasFinding ? "with" : "without")} a planted finding)");
            if (sample.Modality == Modality.Ct)
            {
                var dicom = Path.Combine(directory, sample.Name + "-dicom.dcm");
                File.WriteAllBytes(dicom, CtAsDicom(sample.Image, sample.Name));
                output.WriteLine($"wrote {dicom} (the same study as a 12-bit CT in Hounsfield units, DICOM Part 10)");
            }

            if (sample.Modality == Modality.Ultrasound)
            {
                // Ultrasound consoles commonly export JPEG: the same study as a baseline JPEG exercises that path.
                var jpeg = Path.Combine(directory, sample.Name + "-jpeg.jpg");
                File.WriteAllBytes(jpeg, JpegEncoder.Encode(sample.Image, new JpegEncodeOptions(90)));
                output.WriteLine($"wrote {jpeg} (the same study as a quality-90 baseline JPEG)");
            }
        }

        return 0;
    }

    /// <summary>
    /// The CT study as a DICOM CT image: stored = 8 × grey (12 bits), rescale −1024 (so HU = 8 × grey − 1024) and a
    /// window that maps that range back onto 0–255. Fixed UIDs under 2.25 keep the file byte-for-byte reproducible.
    /// </summary>
    public static byte[] CtAsDicom(Raster image, string name)
    {
        ArgumentNullException.ThrowIfNull(image);
        var gray = image.ToGray8();
        var ds = new DicomDataset();
        void Text(ushort group, ushort element, DicomVR vr, string value) => ds.SetString(new DicomTag(group, element), vr, value);
        Text(0x0008, 0x0005, DicomVR.CS, "ISO_IR 192");
        Text(0x0008, 0x0008, DicomVR.CS, "ORIGINAL\\PRIMARY\\AXIAL");
        Text(0x0008, 0x0016, DicomVR.UI, "1.2.840.10008.5.1.4.1.1.2");
        Text(0x0008, 0x0018, DicomVR.UI, "2.25.301000000000000000000000000000003");
        Text(0x0008, 0x0020, DicomVR.DA, "20260101");
        Text(0x0008, 0x0030, DicomVR.TM, "090000");
        Text(0x0008, 0x0050, DicomVR.SH, "SAMPLE-301");
        Text(0x0008, 0x0060, DicomVR.CS, "CT");
        Text(0x0008, 0x0070, DicomVR.LO, "MedVision synthetic sample");
        Text(0x0008, 0x0090, DicomVR.PN, "");
        Text(0x0008, 0x1030, DicomVR.LO, "Synthetic abdomen CT (not a patient)");
        Text(0x0010, 0x0010, DicomVR.PN, "Sample^Synthetic");
        Text(0x0010, 0x0020, DicomVR.LO, name);
        Text(0x0010, 0x0030, DicomVR.DA, "");
        Text(0x0010, 0x0040, DicomVR.CS, "O");
        Text(0x0018, 0x0015, DicomVR.CS, "ABDOMEN");
        Text(0x0018, 0x0050, DicomVR.DS, "5");
        Text(0x0018, 0x0060, DicomVR.DS, "120");
        Text(0x0018, 0x5100, DicomVR.CS, "FFS");
        Text(0x0020, 0x000D, DicomVR.UI, "2.25.301000000000000000000000000000001");
        Text(0x0020, 0x000E, DicomVR.UI, "2.25.301000000000000000000000000000002");
        Text(0x0020, 0x0010, DicomVR.SH, "301");
        Text(0x0020, 0x0011, DicomVR.IS, "1");
        Text(0x0020, 0x0012, DicomVR.IS, "1");
        Text(0x0020, 0x0013, DicomVR.IS, "1");
        Text(0x0020, 0x0032, DicomVR.DS, "-125\\-125\\0");
        Text(0x0020, 0x0037, DicomVR.DS, "1\\0\\0\\0\\1\\0");
        Text(0x0020, 0x0052, DicomVR.UI, "2.25.301000000000000000000000000000004");
        Text(0x0020, 0x1040, DicomVR.LO, "");
        ds.SetUInt16(new DicomTag(0x0028, 0x0002), 1);
        Text(0x0028, 0x0004, DicomVR.CS, "MONOCHROME2");
        ds.SetUInt16(new DicomTag(0x0028, 0x0010), (ushort)gray.Height);
        ds.SetUInt16(new DicomTag(0x0028, 0x0011), (ushort)gray.Width);
        Text(0x0028, 0x0030, DicomVR.DS, "0.78125\\0.78125");
        ds.SetUInt16(new DicomTag(0x0028, 0x0100), 16);
        ds.SetUInt16(new DicomTag(0x0028, 0x0101), 12);
        ds.SetUInt16(new DicomTag(0x0028, 0x0102), 11);
        ds.SetUInt16(new DicomTag(0x0028, 0x0103), 0);
        Text(0x0028, 0x1050, DicomVR.DS, "-4");
        Text(0x0028, 0x1051, DicomVR.DS, "2048");
        Text(0x0028, 0x1052, DicomVR.DS, "-1024");
        Text(0x0028, 0x1053, DicomVR.DS, "1");
        Text(0x0028, 0x1054, DicomVR.LO, "HU");
        var pixels = new byte[gray.Width * gray.Height * 2];
        for (var i = 0; i < gray.Width * gray.Height; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(pixels.AsSpan(2 * i), (ushort)(gray.Data[i] * 8));
        }

        ds.SetBytes(DicomTag.PixelData, DicomVR.OW, pixels);
        return new DicomFile(new DicomDataset(), ds, TransferSyntax.ExplicitVRLittleEndian).ToBytes();
    }
}
