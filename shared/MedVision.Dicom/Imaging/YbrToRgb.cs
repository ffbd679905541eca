namespace MedVision.Dicom.Imaging;

/// <summary>
/// YCbCr → RGB for 8-bit samples (PS3.3 C.7.6.3.1.2), in 16-bit fixed point with one rounding, through per-value
/// tables. YBR_FULL uses the JFIF/libjpeg coefficients (1.402, 0.34414, 0.71414, 1.772), so native YBR_FULL renders
/// exactly as libjpeg converts a YCbCr JPEG; YBR_PARTIAL uses the inverse of PS3.3's partial-range forward matrix.
/// </summary>
internal sealed class YbrToRgb
{
    private const int Bits = 16;
    private const int Half = 1 << (Bits - 1);

    private readonly int[] y = new int[256];
    private readonly int[] crR = new int[256];
    private readonly int[] cbG = new int[256];
    private readonly int[] crG = new int[256];
    private readonly int[] cbB = new int[256];

    private YbrToRgb(double yScale, int yOffset, double rCr, double gCb, double gCr, double bCb)
    {
        for (var i = 0; i < 256; i++)
        {
            y[i] = Fix(yScale) * (i - yOffset);
            crR[i] = Fix(rCr) * (i - 128);
            cbG[i] = -Fix(gCb) * (i - 128);
            crG[i] = -Fix(gCr) * (i - 128);
            cbB[i] = Fix(bCb) * (i - 128);
        }
    }

    /// <summary>Full range: R = Y + 1.402 (Cr-128), G = Y - 0.34414 (Cb-128) - 0.71414 (Cr-128), B = Y + 1.772 (Cb-128).</summary>
    public static YbrToRgb Full { get; } = new(1.0, 0, 1.40200, 0.34414, 0.71414, 1.77200);

    /// <summary>
    /// Partial range (Y 16..235, C 16..240): inverse of Y = .2568R + .5041G + .0979B + 16, Cb = -.1482R - .2910G + .4392B + 128,
    /// Cr = .4392R - .3678G - .0714B + 128.
    /// </summary>
    public static YbrToRgb Partial { get; } = new(1.1644, 16, 1.5960, 0.3918, 0.8130, 2.0172);

    public static byte[] Convert(byte[] ybr, int pixels, YbrToRgb table)
    {
        var rgb = GC.AllocateUninitializedArray<byte>(pixels * 3);
        var (y, crR, cbG, crG, cbB) = (table.y, table.crR, table.cbG, table.crG, table.cbB);
        for (var i = 0; i < pixels * 3; i += 3)
        {
            var yy = y[ybr[i]] + Half;
            var cb = ybr[i + 1];
            var cr = ybr[i + 2];
            rgb[i] = Clamp((yy + crR[cr]) >> Bits);
            rgb[i + 1] = Clamp((yy + cbG[cb] + crG[cr]) >> Bits);
            rgb[i + 2] = Clamp((yy + cbB[cb]) >> Bits);
        }

        return rgb;
    }

    /// <summary>YBR_RCT (reversible colour transform of JPEG 2000): G = Y - floor((Cb + Cr) / 4), R = Cr + G, B = Cb + G (chroma centred on 128).</summary>
    public static byte[] ConvertRct(byte[] ybr, int pixels)
    {
        var rgb = GC.AllocateUninitializedArray<byte>(pixels * 3);
        for (var i = 0; i < pixels * 3; i += 3)
        {
            var cb = ybr[i + 1] - 128;
            var cr = ybr[i + 2] - 128;
            var g = ybr[i] - ((cb + cr) >> 2);
            rgb[i] = Clamp(cr + g);
            rgb[i + 1] = Clamp(g);
            rgb[i + 2] = Clamp(cb + g);
        }

        return rgb;
    }

    private static int Fix(double x) => (int)((x * (1 << Bits)) + 0.5);

    private static byte Clamp(int v) => (uint)v <= 255 ? (byte)v : v < 0 ? (byte)0 : (byte)255;
}
