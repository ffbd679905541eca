namespace MedVision.Imaging;

/// <summary>
/// Resource ceilings a decoder enforces before allocating, so hostile headers cannot exhaust memory.
/// </summary>
public sealed record ImageLimits(
    int MaxWidth = 32768,
    int MaxHeight = 32768,
    long MaxPixels = 268_435_456,
    long MaxDecodedBytes = 1L << 30,
    int MaxChunks = 100_000)
{
    public static ImageLimits Default { get; } = new();
}
