using MedVision.Imaging;

namespace MedVision.Dicom.Imaging;

/// <summary>Where the VOI transformation of a grayscale rendition comes from.</summary>
public enum VoiSource
{
    /// <summary>The file's window <see cref="RenderOptions.WindowIndex"/> if it has one, else its VOI LUT, else <see cref="MinMax"/>.</summary>
    Auto,

    /// <summary>The file's window <see cref="RenderOptions.WindowIndex"/> (Window Center/Width, per frame for enhanced objects).</summary>
    Window,

    /// <summary>The file's VOI LUT Sequence item <see cref="RenderOptions.VoiLutIndex"/>.</summary>
    VoiLut,

    /// <summary>A LINEAR window from the frame's smallest to largest modality value (DCMTK's +Wm).</summary>
    MinMax,

    /// <summary>No VOI: the whole range the stored bits can represent (after the Modality LUT) maps onto 0–255.</summary>
    FullRange,
}

/// <summary>How <see cref="DicomRenderer"/> turns a frame into an 8-bit picture.</summary>
public sealed record RenderOptions
{
    public static RenderOptions Default { get; } = new();

    /// <summary>An explicit window in modality units; when set it wins over <see cref="Voi"/>.</summary>
    public WindowLevel? Window { get; init; }

    public VoiSource Voi { get; init; } = VoiSource.Auto;

    /// <summary>0-based index of the file's window to use (DCMTK's +Wi counts from 1).</summary>
    public int WindowIndex { get; init; }

    /// <summary>0-based index of the VOI LUT Sequence item to use.</summary>
    public int VoiLutIndex { get; init; }

    /// <summary>Apply the Modality LUT (rescale slope/intercept or the Modality LUT Sequence); DCMTK's +M / -M.</summary>
    public bool ApplyModalityLut { get; init; } = true;

    /// <summary>Invert the output; null inverts MONOCHROME1 only, as PS3.3 C.7.6.3.1.2 requires.</summary>
    public bool? Invert { get; init; }
}
