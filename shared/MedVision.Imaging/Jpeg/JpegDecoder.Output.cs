using System.Buffers;
using System.Runtime.CompilerServices;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    // libjpeg's jdcolor.c fixed-point YCbCr->RGB (16 fraction bits, JFIF full range), so results match it exactly.
    private const int ColorScaleBits = 16;
    private static readonly int[] CrToR = BuildColorTable(1.40200, round: true);
    private static readonly int[] CbToB = BuildColorTable(1.77200, round: true);
    private static readonly int[] CrToG = BuildColorTable(-0.71414, round: false);
    private static readonly int[] CbToG = BuildCbToG();

    private static int[] BuildColorTable(double factor, bool round)
    {
        var table = new int[256];
        var fix = (int)((Math.Abs(factor) * (1 << ColorScaleBits)) + 0.5) * Math.Sign(factor);
        for (var i = 0; i < 256; i++)
        {
            var x = i - 128;
            table[i] = round ? ((fix * x) + (1 << (ColorScaleBits - 1))) >> ColorScaleBits : fix * x;
        }

        return table;
    }

    private static int[] BuildCbToG()
    {
        // Carries the rounding half so G needs one shift after adding the Cr term.
        var table = new int[256];
        var fix = (int)((0.34414 * (1 << ColorScaleBits)) + 0.5);
        for (var i = 0; i < 256; i++)
        {
            table[i] = (-fix * (i - 128)) + (1 << (ColorScaleBits - 1));
        }

        return table;
    }

    private static byte ClampByte(int v) => (uint)v <= 255 ? (byte)v : (v < 0 ? (byte)0 : (byte)255);

    private ref partial struct Parser
    {
        /// <summary>Sample reconstruction: finishes progressive blocks, upsamples, converts colour, applies orientation.</summary>
        private readonly Result Finish()
        {
            var f = frame!;
            foreach (var c in f.Components)
            {
                if (!f.Progressive && !c.Decoded)
                {
                    throw Fail(JpegErrorCodes.Truncated, $"JPEG ends before any scan codes component {c.Id}.");
                }
            }

            if (f.Progressive)
            {
                InverseTransformAll(f);
            }

            // "raw": components as decoded (upsampled, not converted); lossless is always raw.
            var colorSpace = f.Lossless || !options.ConvertColor ? "raw" : ColorSpace();
            var raster = f.Lossless ? LosslessRaster(f)
                : f.Dct12 ? (f.Components.Length == 1 ? ToGray12(f) : ToColor12(f, colorSpace))
                : f.Components.Length == 1 ? ToGray(f) : ToRgb(f, colorSpace);
            foreach (var c in f.Components)
            {
                if (c.PlanePooled)
                {
                    ArrayPool<byte>.Shared.Return(c.Plane!);
                    c.Plane = null;
                    c.PlanePooled = false;
                }
            }

            return new Result(null, options.ApplyExifOrientation ? Orient(raster, orientation) : raster);
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        private readonly void InverseTransformAll(Frame f)
        {
            Span<int> workspace = stackalloc int[64];
            foreach (var c in f.Components)
            {
                // A component no scan reached keeps zero coefficients; any table dequantises zeros to mid-gray.
                var quant = c.Quant ?? quantTables[c.QuantId] ?? new int[64];
                var coefficients = c.Coefficients!;
                var stride = c.Stride;
                if (c.Plane16 is { } plane16)
                {
                    for (var by = 0; by < c.BlocksPerColumn; by++)
                    {
                        for (var bx = 0; bx < c.BlocksPerLine; bx++)
                        {
                            var block = coefficients.AsSpan(((by * c.BlocksPerLine) + bx) * 64, 64);
                            Idct12.Islow(block, quant, workspace, plane16.AsSpan((by * 8 * stride) + (bx * 8)), stride);
                        }
                    }

                    continue;
                }

                var plane = c.Plane!;
                for (var by = 0; by < c.BlocksPerColumn; by++)
                {
                    for (var bx = 0; bx < c.BlocksPerLine; bx++)
                    {
                        var block = coefficients.AsSpan(((by * c.BlocksPerLine) + bx) * 64, 64);
                        Idct.Islow(block, quant, workspace, plane.AsSpan((by * 8 * stride) + (bx * 8)), stride);
                    }
                }
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Raster ToGray(Frame f)
    {
        var c = f.Components[0];
        var plane = c.Plane!;
        if (c.Stride == f.Width && plane.Length == f.Width * f.Height)
        {
            // Whole blocks in both directions: the plane already is the raster (it is not used after this).
            return new Raster(f.Width, f.Height, ColorModel.Gray, 8, plane);
        }

        var raster = new Raster(f.Width, f.Height, ColorModel.Gray, 8, GC.AllocateUninitializedArray<byte>(f.Width * f.Height)); // every row is copied in
        for (var y = 0; y < f.Height; y++)
        {
            plane.AsSpan(y * c.Stride, f.Width).CopyTo(raster.Data.AsSpan(y * f.Width, f.Width));
        }

        return raster;
    }

    private static Raster ToRgb(Frame f, string colorSpace)
    {
        // Unconverted 4-component data keeps all four channels; everything else becomes RGB.
        var channels = colorSpace == "raw" && f.Components.Length == 4 ? 4 : 3;
        var raster = new Raster(f.Width, f.Height, channels == 4 ? ColorModel.Rgba : ColorModel.Rgb, 8,
            GC.AllocateUninitializedArray<byte>(f.Width * f.Height * channels)); // fully written below
        ToRgbRows(f, colorSpace, raster.Data, 0, f.Height);
        return raster;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ToRgbRows(Frame f, string colorSpace, byte[] output, int firstRow, int endRow)
    {
        var width = f.Width;
        var n = f.Components.Length;
        var buffers = new byte[n][];
        var rows = new byte[n][];
        var offsets = new int[n];
        for (var i = 0; i < n; i++)
        {
            // Upsamplers write whole input-sample groups, so allow one group of overhang past the width.
            buffers[i] = new byte[width + (2 * f.MaxH) + 8];
        }

        var sums = new ushort[width + 2];
        for (var y = firstRow; y < endRow; y++)
        {
            for (var i = 0; i < n; i++)
            {
                rows[i] = ComponentRow(f, f.Components[i], y, buffers[i], sums, out offsets[i]);
            }

            var row0 = rows[0].AsSpan(offsets[0], width);
            var row1 = rows[1].AsSpan(offsets[1], width);
            var row2 = rows[2].AsSpan(offsets[2], width);

            if (colorSpace == "raw" && n == 4)
            {
                var row3 = rows[3].AsSpan(offsets[3], width);
                var dst4 = output.AsSpan(y * width * 4, width * 4);
                for (var x = 0; x < width; x++)
                {
                    dst4[4 * x] = row0[x];
                    dst4[(4 * x) + 1] = row1[x];
                    dst4[(4 * x) + 2] = row2[x];
                    dst4[(4 * x) + 3] = row3[x];
                }

                continue;
            }

            var dst = output.AsSpan(y * width * 3, width * 3);
            switch (colorSpace)
            {
                case "rgb" or "raw":
                    for (var x = 0; x < width; x++)
                    {
                        dst[3 * x] = row0[x];
                        dst[(3 * x) + 1] = row1[x];
                        dst[(3 * x) + 2] = row2[x];
                    }

                    break;
                case "ycbcr":
                    YccToRgbRow(row0, row1, row2, dst, width);
                    break;
                default:
                    CmykToRgb(row0, row1, row2, rows[3].AsSpan(offsets[3], width), dst, width, colorSpace == "ycck");
                    break;
            }
        }
    }

    /// <summary>
    /// A full-resolution row of a component, starting at <paramref name="offset"/> of the array returned: the plane
    /// row itself when it is not subsampled, a vectorised h2v2 fancy upsample, or <see cref="UpsampleRow"/> into
    /// <paramref name="buffer"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static byte[] ComponentRow(Frame f, Component c, int y, byte[] buffer, ushort[] sums, out int offset)
    {
        offset = 0;
        if (f.MaxH == c.H && f.MaxV == c.V)
        {
            offset = y * c.Stride;
            return c.Plane!;
        }

        if (f.MaxH == 2 * c.H && f.MaxV == 2 * c.V && c.SampleWidth > 2)
        {
            var plane = c.Plane!;
            var stride = c.Stride;
            var near = y >> 1;
            var far = (y & 1) == 0 ? Math.Max(near - 1, 0) : Math.Min(near + 1, c.SampleHeight - 1);
            H2V2FancyRow(plane.AsSpan(near * stride, c.SampleWidth), plane.AsSpan(far * stride, c.SampleWidth), buffer, c.SampleWidth, sums);
            return buffer;
        }

        UpsampleRow(f, c, y, buffer);
        return buffer;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void YccToRgb(ReadOnlySpan<byte> yRow, ReadOnlySpan<byte> cbRow, ReadOnlySpan<byte> crRow, Span<byte> dst, int width)
    {
        var crToR = CrToR;
        var cbToB = CbToB;
        var crToG = CrToG;
        var cbToG = CbToG;
        _ = yRow[width - 1];
        _ = cbRow[width - 1];
        _ = crRow[width - 1];
        _ = dst[(3 * width) - 1];
        for (var x = 0; x < width; x++)
        {
            int luma = yRow[x];
            int cb = cbRow[x];
            int cr = crRow[x];
            dst[3 * x] = ClampByte(luma + crToR[cr]);
            dst[(3 * x) + 1] = ClampByte(luma + ((cbToG[cb] + crToG[cr]) >> ColorScaleBits));
            dst[(3 * x) + 2] = ClampByte(luma + cbToB[cb]);
        }
    }

    /// <summary>
    /// Adobe CMYK JPEGs store inverted inks (255 = no ink), so R = C' * K' / 255. YCCK first goes YCC -> RGB and then,
    /// as libjpeg's ycck_cmyk_convert does, C' = 255 - R.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void CmykToRgb(ReadOnlySpan<byte> row0, ReadOnlySpan<byte> row1, ReadOnlySpan<byte> row2, ReadOnlySpan<byte> row3,
        Span<byte> dst, int width, bool ycck)
    {
        for (var x = 0; x < width; x++)
        {
            int c = row0[x];
            int m = row1[x];
            int ye = row2[x];
            int k = row3[x];
            if (ycck)
            {
                var luma = c;
                int cb = m;
                int cr = ye;
                c = 255 - ClampByte(luma + CrToR[cr]);
                m = 255 - ClampByte(luma + ((CbToG[cb] + CrToG[cr]) >> ColorScaleBits));
                ye = 255 - ClampByte(luma + CbToB[cb]);
            }

            dst[3 * x] = (byte)(((c * k) + 127) / 255);
            dst[(3 * x) + 1] = (byte)(((m * k) + 127) / 255);
            dst[(3 * x) + 2] = (byte)(((ye * k) + 127) / 255);
        }
    }

    /// <summary>
    /// One full-resolution row of a component. Mirrors libjpeg-turbo's jdsample.c choices: triangle ("fancy")
    /// filters for 2:1 horizontal (when the component is wider than 2 samples), 1:2 vertical and 2:2, replication
    /// for other integer ratios; non-integer ratios (which libjpeg rejects) use nearest neighbour.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpsampleRow(Frame f, Component c, int y, byte[] row)
    {
        var plane = c.Plane!;
        var stride = c.Stride;
        var width = f.Width;
        if (f.MaxH % c.H != 0 || f.MaxV % c.V != 0)
        {
            var sy = Math.Min((int)((long)y * c.V / f.MaxV), c.SampleHeight - 1);
            for (var x = 0; x < width; x++)
            {
                row[x] = plane[(sy * stride) + Math.Min((int)((long)x * c.H / f.MaxH), c.SampleWidth - 1)];
            }

            return;
        }

        var rh = f.MaxH / c.H;
        var rv = f.MaxV / c.V;
        var sampleWidth = c.SampleWidth;
        if (rv == 2 && (rh == 1 || (rh == 2 && sampleWidth > 2)))
        {
            // Vertical triangle: 3/4 of the nearest input row plus 1/4 of the next nearest (edge rows replicate).
            var near = y >> 1;
            var far = (y & 1) == 0 ? Math.Max(near - 1, 0) : Math.Min(near + 1, c.SampleHeight - 1);
            var nearRow = plane.AsSpan(near * stride, sampleWidth);
            var farRow = plane.AsSpan(far * stride, sampleWidth);
            if (rh == 1)
            {
                var bias = (y & 1) == 0 ? 1 : 2;
                for (var x = 0; x < width; x++)
                {
                    row[x] = (byte)(((nearRow[x] * 3) + farRow[x] + bias) >> 2);
                }
            }
            else
            {
                H2V2Fancy(nearRow, farRow, row, sampleWidth);
            }

            return;
        }

        var source = plane.AsSpan((y / rv) * stride, sampleWidth);
        if (rh == 1)
        {
            source[..width].CopyTo(row);
        }
        else if (rh == 2 && sampleWidth > 2)
        {
            H2V1Fancy(source, row, sampleWidth);
        }
        else
        {
            for (var x = 0; x < width; x++)
            {
                row[x] = source[x / rh];
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void H2V1Fancy(ReadOnlySpan<byte> input, Span<byte> output, int n)
    {
        _ = output[(2 * n) - 1];
        int first = input[0];
        output[0] = (byte)first;
        output[1] = (byte)(((first * 3) + input[1] + 2) >> 2);
        for (var i = 1; i < n - 1; i++)
        {
            var value = input[i] * 3;
            output[2 * i] = (byte)((value + input[i - 1] + 1) >> 2);
            output[(2 * i) + 1] = (byte)((value + input[i + 1] + 2) >> 2);
        }

        int last = input[n - 1];
        output[(2 * n) - 2] = (byte)(((last * 3) + input[n - 2] + 1) >> 2);
        output[(2 * n) - 1] = (byte)last;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void H2V2Fancy(ReadOnlySpan<byte> near, ReadOnlySpan<byte> far, Span<byte> output, int n)
    {
        _ = output[(2 * n) - 1];
        _ = far[n - 1];
        var thisSum = (near[0] * 3) + far[0];
        var nextSum = (near[1] * 3) + far[1];
        output[0] = (byte)(((thisSum * 4) + 8) >> 4);
        output[1] = (byte)(((thisSum * 3) + nextSum + 7) >> 4);
        var lastSum = thisSum;
        thisSum = nextSum;
        for (var i = 1; i < n - 1; i++)
        {
            nextSum = (near[i + 1] * 3) + far[i + 1];
            output[2 * i] = (byte)(((thisSum * 3) + lastSum + 8) >> 4);
            output[(2 * i) + 1] = (byte)(((thisSum * 3) + nextSum + 7) >> 4);
            lastSum = thisSum;
            thisSum = nextSum;
        }

        output[(2 * n) - 2] = (byte)(((thisSum * 3) + lastSum + 8) >> 4);
        output[(2 * n) - 1] = (byte)(((thisSum * 4) + 7) >> 4);
    }

    /// <summary>Turns the stored image upright for EXIF orientation 2..8 (1 returns it unchanged).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static Raster Orient(Raster src, int orientation)
    {
        if (orientation is < 2 or > 8)
        {
            return src;
        }

        var w = src.Width;
        var h = src.Height;
        var channels = src.Channels * (src.BitDepth / 8); // bytes per pixel
        var transposed = orientation >= 5;
        var dst = new Raster(transposed ? h : w, transposed ? w : h, src.Color, src.BitDepth);
        var dw = dst.Width;
        var dh = dst.Height;
        var s = src.Data;
        var d = dst.Data;
        for (var y = 0; y < dh; y++)
        {
            for (var x = 0; x < dw; x++)
            {
                // Source pixel shown at (x, y) after the transform.
                var (sx, sy) = orientation switch
                {
                    2 => (w - 1 - x, y),
                    3 => (w - 1 - x, h - 1 - y),
                    4 => (x, h - 1 - y),
                    5 => (y, x),
                    6 => (y, h - 1 - x),
                    7 => (w - 1 - y, h - 1 - x),
                    _ => (w - 1 - y, x),
                };
                var si = ((sy * w) + sx) * channels;
                var di = ((y * dw) + x) * channels;
                for (var ch = 0; ch < channels; ch++)
                {
                    d[di + ch] = s[si + ch];
                }
            }
        }

        return dst;
    }
}
