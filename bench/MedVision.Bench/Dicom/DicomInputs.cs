namespace MedVision.Bench.Dicom;

/// <summary>
/// The DICOM benchmark inputs, made at run time in a temp dir: pydicom/numpy write the native files
/// (Dicom/make_dicom_inputs.py, fixed seeds and UIDs), DCMTK compresses them (dcmcrle; dcmcjpeg +ee for JPEG extended
/// 12-bit, +e1 for JPEG lossless SV1; +un keeps the SOP Instance UID so the files do not change from run to run).
/// </summary>
internal sealed class DicomInputs
{
    private DicomInputs(string directory, int slices)
    {
        Directory = directory;
        Radiograph = Path.Combine(directory, "dx.dcm");
        WindowImage = Path.Combine(directory, "window.dcm");
        Tiny = Path.Combine(directory, "tiny.dcm");
        CtSlices = [.. Enumerable.Range(0, slices).Select(i => Path.Combine(directory, "ct", $"ct_{i:000}.dcm"))];
    }

    public string Directory { get; }

    /// <summary>3000x2500 DX, 16 bits allocated, 12 stored, MONOCHROME2 (15 MB).</summary>
    public string Radiograph { get; }

    /// <summary>3056x2544 DX, 16 bits allocated and stored (7.8 MP).</summary>
    public string WindowImage { get; }

    /// <summary>8x8 CT slice: the start-up floor of the DCMTK tools.</summary>
    public string Tiny { get; }

    /// <summary>512x512 CT slices, 16 allocated, 12 stored, rescale intercept -1024.</summary>
    public IReadOnlyList<string> CtSlices { get; }

    public string TypicalCt => CtSlices[0];

    public static DicomInputs Make(string directory, int slices)
    {
        var script = Path.Combine(AppContext.BaseDirectory, "Dicom", "make_dicom_inputs.py");
        BenchTiming.Run("/usr/bin/python3", script, directory, slices.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var inputs = new DicomInputs(directory, slices);
        foreach (var source in new[] { inputs.Radiograph, inputs.TypicalCt, inputs.Tiny })
        {
            foreach (var codec in Enum.GetValues<Codec>())
            {
                var target = inputs.Compressed(source, codec);
                _ = codec switch
                {
                    Codec.Rle => BenchTiming.Run("dcmcrle", source, target),
                    Codec.JpegExtended12 => BenchTiming.Run("dcmcjpeg", "+ee", "+un", source, target),
                    Codec.JpegLosslessSv1 => BenchTiming.Run("dcmcjpeg", "+e1", "+un", source, target),
                    _ => throw new ArgumentOutOfRangeException(nameof(slices)),
                };
            }
        }

        return inputs;
    }

    /// <summary>Where the compressed copy of <paramref name="native"/> lives.</summary>
    public string Compressed(string native, Codec codec) =>
        Path.Combine(Directory, $"{Path.GetFileNameWithoutExtension(native)}.{Suffix(codec)}.dcm");

    private static string Suffix(Codec codec) => codec switch
    {
        Codec.Rle => "rle",
        Codec.JpegExtended12 => "jpeg12",
        _ => "jpegll",
    };
}

internal enum Codec
{
    Rle,
    JpegExtended12,
    JpegLosslessSv1,
}
