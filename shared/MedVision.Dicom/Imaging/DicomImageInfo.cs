using MedVision.Imaging;

namespace MedVision.Dicom.Imaging;

/// <summary>Pixel Spacing (0028,0030): physical distance between the centres of adjacent rows and columns, in mm.</summary>
public readonly record struct PixelSpacing(double Row, double Column);

/// <summary>
/// The grayscale transforms in force for one frame: the Modality LUT as rescale (C.11.1) and the VOI windows (C.11.2),
/// from the frame's functional groups when the object has them, else from the top-level attributes.
/// </summary>
/// <param name="Windows">Valid windows only (width ≥ 1 for LINEAR, &gt; 0 otherwise), in file order.</param>
/// <param name="WindowExplanations">Window Center &amp; Width Explanation (0028,1055), aligned with the file's windows where given.</param>
public sealed record DicomFrameTransform(
    double RescaleSlope,
    double RescaleIntercept,
    string? RescaleType,
    IReadOnlyList<WindowLevel> Windows,
    IReadOnlyList<string> WindowExplanations);

/// <summary>
/// The Image Pixel module and the grayscale transform attributes of a data set (PS3.3 C.7.6.3, C.11), checked for
/// consistency. Inconsistent values that would make pixel access unsafe raise <see cref="DicomFormatException"/> with
/// <see cref="DicomErrorCodes.BadPixelData"/> and the offending tag; harmless deviations are tolerated and reported in
/// <see cref="Warnings"/>.
/// </summary>
public sealed class DicomImageInfo
{
    private readonly DicomDataset dataset;
    private readonly DicomDataset? sharedGroups;
    private readonly IReadOnlyList<DicomDataset> perFrameGroups;
    private readonly DicomFrameTransform topLevel;

    private DicomImageInfo(DicomDataset dataset, List<string> warnings)
    {
        this.dataset = dataset;
        Warnings = warnings;
        sharedGroups = dataset.GetItems(PixelTags.SharedFunctionalGroupsSequence) is [var shared, ..] ? shared : null;
        perFrameGroups = dataset.GetItems(PixelTags.PerFrameFunctionalGroupsSequence);
        topLevel = null!;

        Rows = RequirePositive(dataset, PixelTags.Rows, "Rows");
        Columns = RequirePositive(dataset, PixelTags.Columns, "Columns");

        var photometric = dataset.GetFirstString(PixelTags.PhotometricInterpretation)?.ToUpperInvariant();
        var samples = dataset.TryGetUInt16(PixelTags.SamplesPerPixel, out var s) ? s : -1;
        if (photometric is null)
        {
            // ACR-NEMA files carry no Photometric Interpretation; DCMTK assumes MONOCHROME2 for one sample.
            photometric = samples is -1 or 1 ? "MONOCHROME2" : samples == 3 ? "RGB" : "";
            warnings.Add($"Photometric Interpretation (0028,0004) is missing; assuming {photometric}.");
        }

        if (samples == -1)
        {
            samples = IsColorPhotometric(photometric) ? 3 : 1;
            warnings.Add($"Samples per Pixel (0028,0002) is missing; assuming {samples} for {photometric}.");
        }

        PhotometricInterpretation = photometric;
        SamplesPerPixel = samples;
        var expectedSamples = photometric switch
        {
            "MONOCHROME1" or "MONOCHROME2" or "PALETTE COLOR" => 1,
            "RGB" or "YBR_FULL" or "YBR_FULL_422" or "YBR_PARTIAL_422" or "YBR_PARTIAL_420" or "YBR_ICT" or "YBR_RCT" => 3,
            _ => throw Bad($"Photometric Interpretation '{photometric}' is not supported", PixelTags.PhotometricInterpretation),
        };
        if (samples != expectedSamples)
        {
            throw Bad($"Samples per Pixel is {samples} but Photometric Interpretation {photometric} needs {expectedSamples}", PixelTags.SamplesPerPixel);
        }

        if (!dataset.TryGetUInt16(PixelTags.BitsAllocated, out var allocated))
        {
            throw Bad("Bits Allocated is missing", PixelTags.BitsAllocated);
        }

        if (allocated is not (1 or 8 or 16 or 32))
        {
            throw Bad($"Bits Allocated is {allocated}; 1, 8, 16 or 32 are supported", PixelTags.BitsAllocated);
        }

        BitsAllocated = allocated;
        if (!dataset.TryGetUInt16(PixelTags.BitsStored, out var stored))
        {
            stored = allocated;
            warnings.Add($"Bits Stored (0028,0101) is missing; assuming Bits Allocated ({allocated}).");
        }

        if (stored < 1 || stored > allocated)
        {
            throw Bad($"Bits Stored is {stored}; it must be between 1 and Bits Allocated ({allocated})", PixelTags.BitsStored);
        }

        BitsStored = stored;
        if (!dataset.TryGetUInt16(PixelTags.HighBit, out var high))
        {
            high = (ushort)(stored - 1);
        }
        else if (high < stored - 1 || high >= allocated)
        {
            warnings.Add($"High Bit (0028,0102) is {high}, impossible for {stored} bits stored in {allocated}; using {stored - 1}.");
            high = (ushort)(stored - 1);
        }

        HighBit = high;
        PixelRepresentation = dataset.TryGetUInt16(PixelTags.PixelRepresentation, out var representation) ? representation : 0;
        if (PixelRepresentation is not (0 or 1))
        {
            throw Bad($"Pixel Representation is {PixelRepresentation}; it must be 0 or 1", PixelTags.PixelRepresentation);
        }

        PlanarConfiguration = samples > 1 && dataset.TryGetUInt16(PixelTags.PlanarConfiguration, out var planar) ? planar : 0;
        if (PlanarConfiguration is not (0 or 1))
        {
            throw Bad($"Planar Configuration is {PlanarConfiguration}; it must be 0 or 1", PixelTags.PlanarConfiguration);
        }

        if (dataset.Contains(PixelTags.NumberOfFrames))
        {
            if (!dataset.TryGetInt32(PixelTags.NumberOfFrames, out var frames) || frames < 0)
            {
                throw Bad($"Number of Frames '{dataset.GetString(PixelTags.NumberOfFrames)}' is not a frame count", PixelTags.NumberOfFrames);
            }

            if (frames == 0)
            {
                warnings.Add("Number of Frames (0028,0008) is 0; reading one frame.");
                frames = 1;
            }

            NumberOfFrames = frames;
        }
        else
        {
            NumberOfFrames = 1;
        }

        var frameSamples = (long)Rows * Columns * SamplesPerPixel;
        if (frameSamples > int.MaxValue / 4)
        {
            throw new DicomFormatException(DicomErrorCodes.TooLarge, $"A frame of {Rows}x{Columns}x{SamplesPerPixel} samples is larger than MedVision decodes", -1, PixelTags.Rows);
        }

        VoiLutFunction = ParseFunction(dataset.GetFirstString(PixelTags.VoiLutFunction), warnings);
        topLevel = ReadTransform(dataset, null, warnings);
        RescaleSlope = topLevel.RescaleSlope;
        RescaleIntercept = topLevel.RescaleIntercept;
        RescaleType = topLevel.RescaleType;
        Windows = topLevel.Windows;
        WindowExplanations = topLevel.WindowExplanations;

        var modalityItems = dataset.GetItems(PixelTags.ModalityLutSequence);
        if (modalityItems.Count > 0)
        {
            ModalityLut = DicomLut.TryParse(modalityItems[0], IsSigned, modality: true, out var problem)
                ?? throw Bad($"Modality LUT Sequence is unusable: {problem}", PixelTags.ModalityLutSequence);
        }

        var voiLuts = new List<DicomLut>();
        foreach (var item in dataset.GetItems(PixelTags.VoiLutSequence))
        {
            // VOI LUT input is the modality output, which is signed when rescaled signed pixels (no Modality LUT) are.
            if (DicomLut.TryParse(item, IsSigned && ModalityLut is null, modality: false, out var problem) is { } lut)
            {
                voiLuts.Add(lut);
            }
            else
            {
                warnings.Add($"VOI LUT Sequence item ignored: {problem}.");
            }
        }

        VoiLuts = voiLuts;
        PixelSpacing = ReadSpacing(dataset)
            ?? (sharedGroups is not null ? ReadSpacing(FirstItem(sharedGroups, PixelTags.PixelMeasuresSequence)) : null)
            ?? (perFrameGroups.Count > 0 ? ReadSpacing(FirstItem(perFrameGroups[0], PixelTags.PixelMeasuresSequence)) : null);
    }

    public int Rows { get; }

    public int Columns { get; }

    public int SamplesPerPixel { get; }

    /// <summary>1, 8, 16 or 32.</summary>
    public int BitsAllocated { get; }

    public int BitsStored { get; }

    /// <summary>High Bit as used: Bits Stored - 1 when the file's value was impossible (see <see cref="Warnings"/>).</summary>
    public int HighBit { get; }

    /// <summary>0 unsigned, 1 two's complement.</summary>
    public int PixelRepresentation { get; }

    public bool IsSigned => PixelRepresentation == 1;

    /// <summary>Upper-case, e.g. MONOCHROME2, RGB, YBR_FULL_422.</summary>
    public string PhotometricInterpretation { get; }

    /// <summary>0 colour-by-pixel, 1 colour-by-plane (0 for one sample per pixel).</summary>
    public int PlanarConfiguration { get; }

    public int NumberOfFrames { get; }

    /// <summary>Rescale Slope (0028,1053) of the top level (1 when absent); frames of enhanced objects may differ: <see cref="GetFrameTransform"/>.</summary>
    public double RescaleSlope { get; }

    public double RescaleIntercept { get; }

    public string? RescaleType { get; }

    /// <summary>The top-level windows (Window Center/Width pairs, each with <see cref="VoiLutFunction"/>).</summary>
    public IReadOnlyList<WindowLevel> Windows { get; }

    public IReadOnlyList<string> WindowExplanations { get; }

    /// <summary>VOI LUT Function (0028,1056): LINEAR when absent.</summary>
    public VoiFunction VoiLutFunction { get; }

    /// <summary>The first item of the Modality LUT Sequence (0028,3000); when present it replaces rescale.</summary>
    public DicomLut? ModalityLut { get; }

    /// <summary>The usable items of the VOI LUT Sequence (0028,3010).</summary>
    public IReadOnlyList<DicomLut> VoiLuts { get; }

    /// <summary>Pixel Spacing of the top level, else of the functional groups' Pixel Measures; null when none.</summary>
    public PixelSpacing? PixelSpacing { get; }

    /// <summary>Deviations that were tolerated (no patient data).</summary>
    public IReadOnlyList<string> Warnings { get; }

    public bool IsMonochrome => PhotometricInterpretation is "MONOCHROME1" or "MONOCHROME2";

    /// <summary>Bytes of one sample in memory (1 for Bits Allocated 1 and 8, else 2 or 4).</summary>
    public int BytesPerSample => BitsAllocated <= 8 ? 1 : BitsAllocated / 8;

    /// <summary>Right shift that brings the stored bits to bit 0: High Bit + 1 - Bits Stored.</summary>
    public int StoredBitShift => HighBit + 1 - BitsStored;

    /// <summary>Bits one native (uncompressed) frame occupies; YBR_FULL_422 stores two samples per pixel.</summary>
    public long NativeFrameBits =>
        (long)Rows * Columns * (PhotometricInterpretation == "YBR_FULL_422" ? 2 : SamplesPerPixel) * BitsAllocated;

    /// <summary>Reads and checks the pixel description of <paramref name="dataset"/>.</summary>
    /// <exception cref="DicomFormatException">Missing or inconsistent Image Pixel attributes (<see cref="DicomErrorCodes.BadPixelData"/>).</exception>
    public static DicomImageInfo FromDataset(DicomDataset dataset)
    {
        ArgumentNullException.ThrowIfNull(dataset);
        return new DicomImageInfo(dataset, []);
    }

    /// <summary>
    /// Rescale and windows of one frame: its Per-Frame Functional Groups item, else the Shared Functional Groups, else
    /// the top-level attributes (PS3.3 C.7.6.16; Pixel Value Transformation and Frame VOI LUT macros).
    /// </summary>
    public DicomFrameTransform GetFrameTransform(int frame)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(frame);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(frame, NumberOfFrames);
        if (sharedGroups is null && perFrameGroups.Count == 0)
        {
            return topLevel;
        }

        var perFrame = frame < perFrameGroups.Count ? perFrameGroups[frame] : null;
        var pixelValue = FirstItem(perFrame, PixelTags.PixelValueTransformationSequence)
            ?? FirstItem(sharedGroups, PixelTags.PixelValueTransformationSequence);
        var voi = FirstItem(perFrame, PixelTags.FrameVoiLutSequence) ?? FirstItem(sharedGroups, PixelTags.FrameVoiLutSequence);
        if (pixelValue is null && voi is null)
        {
            return topLevel;
        }

        var ignored = new List<string>();
        var rescale = pixelValue is null ? topLevel : ReadTransform(pixelValue, null, ignored);
        var windows = voi is null ? topLevel : ReadTransform(voi, ParseFunction(voi.GetFirstString(PixelTags.VoiLutFunction), ignored), ignored);
        return new DicomFrameTransform(rescale.RescaleSlope, rescale.RescaleIntercept, rescale.RescaleType, windows.Windows, windows.WindowExplanations);
    }

    internal DicomDataset Dataset => dataset;

    internal static bool IsColorPhotometric(string photometric) => photometric is "RGB" or "YBR_FULL" or "YBR_FULL_422"
        or "YBR_PARTIAL_422" or "YBR_PARTIAL_420" or "YBR_ICT" or "YBR_RCT";

    internal static DicomFormatException Bad(string message, DicomTag tag) =>
        new(DicomErrorCodes.BadPixelData, message, -1, tag);

    private DicomFrameTransform ReadTransform(DicomDataset source, VoiFunction? function, List<string> warnings)
    {
        var slope = 1.0;
        var intercept = 0.0;
        if (source.Contains(PixelTags.RescaleSlope))
        {
            if (source.TryGetDouble(PixelTags.RescaleSlope, out var m) && double.IsFinite(m) && m != 0)
            {
                slope = m;
            }
            else
            {
                warnings.Add($"Rescale Slope (0028,1053) '{source.GetString(PixelTags.RescaleSlope)}' is unusable; using 1.");
            }
        }

        if (source.Contains(PixelTags.RescaleIntercept))
        {
            if (source.TryGetDouble(PixelTags.RescaleIntercept, out var b) && double.IsFinite(b))
            {
                intercept = b;
            }
            else
            {
                warnings.Add($"Rescale Intercept (0028,1052) '{source.GetString(PixelTags.RescaleIntercept)}' is unusable; using 0.");
            }
        }

        var voiFunction = function ?? VoiLutFunction;
        var windows = new List<WindowLevel>();
        var explanations = source.GetStrings(PixelTags.WindowCenterWidthExplanation);
        var hasCenters = source.TryGetNumbers(PixelTags.WindowCenter, out var centers);
        var hasWidths = source.TryGetNumbers(PixelTags.WindowWidth, out var widths);
        if (source.Contains(PixelTags.WindowCenter) || source.Contains(PixelTags.WindowWidth))
        {
            if (!hasCenters || !hasWidths)
            {
                warnings.Add("Window Center/Width (0028,1050/1051) do not parse as numbers; ignoring the windows.");
            }
            else
            {
                if (centers.Length != widths.Length)
                {
                    warnings.Add($"{centers.Length} window centres but {widths.Length} widths; using the first {Math.Min(centers.Length, widths.Length)} pairs.");
                }

                for (var i = 0; i < Math.Min(centers.Length, widths.Length); i++)
                {
                    var (c, w) = (centers[i], widths[i]);
                    var valid = double.IsFinite(c) && double.IsFinite(w) && (voiFunction == VoiFunction.Linear ? w >= 1 : w > 0);
                    if (valid)
                    {
                        windows.Add(new WindowLevel(c, w, voiFunction));
                    }
                    else
                    {
                        warnings.Add($"Window {i + 1} (centre {c}, width {w}) is invalid for {voiFunction}; ignored.");
                    }
                }
            }
        }

        return new DicomFrameTransform(slope, intercept, source.GetString(PixelTags.RescaleType), windows, explanations);
    }

    private static VoiFunction ParseFunction(string? text, List<string> warnings)
    {
        switch (text?.ToUpperInvariant())
        {
            case null or "" or "LINEAR":
                return VoiFunction.Linear;
            case "LINEAR_EXACT":
                return VoiFunction.LinearExact;
            case "SIGMOID":
                return VoiFunction.Sigmoid;
            default:
                warnings.Add($"VOI LUT Function '{text}' is unknown; using LINEAR.");
                return VoiFunction.Linear;
        }
    }

    private static DicomDataset? FirstItem(DicomDataset? parent, DicomTag sequence) =>
        parent?.GetItems(sequence) is [var first, ..] ? first : null;

    private static PixelSpacing? ReadSpacing(DicomDataset? source) =>
        source is not null && source.TryGetNumbers(PixelTags.PixelSpacing, out var v) && v.Length >= 2
            && v[0] > 0 && v[1] > 0 && double.IsFinite(v[0]) && double.IsFinite(v[1])
            ? new PixelSpacing(v[0], v[1])
            : null;

    private static int RequirePositive(DicomDataset dataset, DicomTag tag, string name)
    {
        if (!dataset.TryGetUInt16(tag, out var value))
        {
            throw Bad($"{name} is missing", tag);
        }

        if (value == 0)
        {
            throw Bad($"{name} is 0", tag);
        }

        return value;
    }
}
