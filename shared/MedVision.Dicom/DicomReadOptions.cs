namespace MedVision.Dicom;

/// <summary>
/// How much the reader trusts its input. Defaults suit untrusted uploads inside a Lambda (≤ 50 MB files):
/// each limit turns into a <see cref="DicomFormatException"/> with the offset and tag, never a crash.
/// </summary>
public sealed record DicomReadOptions
{
    public static DicomReadOptions Default { get; } = new();

    /// <summary>Stop before (7FE0,0010) Pixel Data: the header-only parse.</summary>
    public bool StopBeforePixelData { get; init; }

    /// <summary>
    /// Sequence nesting limit. Parsing is iterative, but every consumer that walks a data set recursively (writer,
    /// JSON, de-identification) relies on this cap to stay far from the stack limit.
    /// </summary>
    public int MaxDepth { get; init; } = 64;

    /// <summary>Items over all sequences of one file.</summary>
    public int MaxItems { get; init; } = 1_000_000;

    /// <summary>Fragments of encapsulated pixel data (one file).</summary>
    public int MaxFragments { get; init; } = 1_000_000;

    /// <summary>Largest input accepted (bytes).</summary>
    public long MaxInputBytes { get; init; } = 1L << 30;

    /// <summary>Largest inflated data set of a deflated file; stops deflate bombs.</summary>
    public long MaxInflatedBytes { get; init; } = 256L << 20;
}
