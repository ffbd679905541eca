namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    // Zigzag position -> natural (row-major) index. The 16 trailing 63s absorb a corrupt run that overshoots
    // the block, as libjpeg's table does, so the entropy loops need no extra bounds test.
    private static readonly byte[] NaturalOrder =
    [
        0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5,
        12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21, 28,
        35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51,
        58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
        63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63, 63,
    ];

    /// <summary>One frame component: header fields, geometry derived from them, and its decode buffers.</summary>
    private sealed class Component
    {
        public int Id { get; init; }

        public int Index { get; init; }

        public int H { get; init; }

        public int V { get; init; }

        public int QuantId { get; init; }

        /// <summary>Samples per line/column of this component: ceil(frame size * factor / max factor).</summary>
        public int SampleWidth { get; set; }

        public int SampleHeight { get; set; }

        /// <summary>Blocks a non-interleaved scan codes: ceil(sample size / 8).</summary>
        public int WidthInBlocks { get; set; }

        public int HeightInBlocks { get; set; }

        /// <summary>Blocks allocated: whole MCUs, which interleaved scans code even past the image edge.</summary>
        public int BlocksPerLine { get; set; }

        public int BlocksPerColumn { get; set; }

        /// <summary>Dequantisation table (natural order), latched when the component's first scan starts, as T.81 requires.</summary>
        public int[]? Quant { get; set; }

        /// <summary>Progressive only: all blocks' coefficients, natural order, not yet dequantised.</summary>
        public short[]? Coefficients { get; set; }

        /// <summary>Reconstructed samples, <see cref="BlocksPerLine"/> * 8 wide.</summary>
        public byte[]? Plane { get; set; }

        /// <summary>
        /// 12-bit DCT and lossless frames only (then <see cref="Plane"/> stays null): 12-bit DCT samples laid out like
        /// <see cref="Plane"/> (<see cref="Stride"/> wide), or lossless reconstructed samples before the point transform,
        /// one per image pixel (frame width wide).
        /// </summary>
        public ushort[]? Plane16 { get; set; }

        /// <summary>Lossless only: the point transform (Pt) of the scan that coded this component; output shifts left by it.</summary>
        public int PointTransform { get; set; }

        /// <summary>Whether <see cref="Plane"/> came from <see cref="System.Buffers.ArrayPool{T}.Shared"/> (and goes back after output).</summary>
        public bool PlanePooled { get; set; }

        public int Stride => BlocksPerLine * 8;

        public bool Decoded { get; set; }

        public int DcPredictor { get; set; }

        public HuffmanTable? DcTable { get; set; }

        public HuffmanTable? AcTable { get; set; }
    }

    /// <summary>The SOF header plus MCU geometry (DCT processes; lossless frames code one sample per data unit).</summary>
    private sealed class Frame
    {
        public required JpegProcess Process { get; init; }

        public required int Precision { get; init; }

        public required int Width { get; init; }

        public required int Height { get; init; }

        public required Component[] Components { get; init; }

        public int MaxH { get; init; }

        public int MaxV { get; init; }

        public int McusPerLine => DivCeil(Width, 8 * MaxH);

        public int McusPerColumn => DivCeil(Height, 8 * MaxV);

        public bool Progressive => Process == JpegProcess.Progressive;

        public bool Lossless => Process == JpegProcess.Lossless;

        /// <summary>A 12-bit DCT frame (extended or progressive): 16-bit planes, IJG's 12-bit IDCT and output tables.</summary>
        public bool Dct12 => Precision == 12 && Process != JpegProcess.Lossless;
    }

    /// <summary>An SOS header resolved against the frame.</summary>
    private sealed class Scan
    {
        public required Component[] Components { get; init; }

        public int Ss { get; init; }

        public int Se { get; init; }

        public int Ah { get; init; }

        public int Al { get; init; }

        public int RestartInterval { get; init; }

        /// <summary>1-based, for messages and for the "first scan must be complete" rule.</summary>
        public int Number { get; init; }
    }

    private static int DivCeil(int a, int b) => (int)(((long)a + b - 1) / b);
}
