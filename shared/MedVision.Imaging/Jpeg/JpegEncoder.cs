using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace MedVision.Imaging;

/// <summary>Chroma sampling of colour JPEGs. Gray input always becomes a single-component JPEG.</summary>
public enum JpegSubsampling
{
    /// <summary>Chroma at full resolution (all components 1x1).</summary>
    Yuv444,

    /// <summary>Chroma halved in both directions (luma 2x2): the usual choice for previews and photos.</summary>
    Yuv420,
}

/// <param name="Quality">1..100, scaled from the Annex K tables exactly as libjpeg does (cjpeg -quality).</param>
/// <param name="Subsampling">Chroma sampling for colour input; ignored for gray.</param>
/// <param name="WriteJfif">Write the APP0 JFIF marker, which tells readers the colour space is YCbCr.</param>
public sealed record JpegEncodeOptions(int Quality = 85, JpegSubsampling Subsampling = JpegSubsampling.Yuv420, bool WriteJfif = true);

/// <summary>
/// Baseline sequential JPEG writer (ITU-T T.81 SOF0, Annex K quantization and Huffman tables), for compact
/// previews. Gray and GrayAlpha become one-component JPEGs; Rgb and Rgba become JFIF YCbCr. Alpha is
/// composited over black; 16-bit samples are rounded to 8 bits (v * 255 / 65535). Partial blocks at the
/// right and bottom edges are padded by replicating the last column/row, which avoids edge ringing.
/// </summary>
public static partial class JpegEncoder
{
    // The per-row and per-block loops below are marked AggressiveOptimization: previews are often encoded once per process (CLI, Lambda),
    // where tier-0 code would otherwise double the first call's time.

    /// <summary>Largest width or height a SOF0 header can express (16-bit fields).</summary>
    public const int MaxDimension = 65535;

    private const byte Soi = 0xD8;
    private const byte Eoi = 0xD9;
    private const byte App0 = 0xE0;
    private const byte Dqt = 0xDB;
    private const byte Sof0 = 0xC0;
    private const byte Dht = 0xC4;
    private const byte Sos = 0xDA;

    /// <exception cref="ArgumentOutOfRangeException">Quality outside 1..100 or an unknown subsampling.</exception>
    /// <exception cref="ArgumentException">Width or height above <see cref="MaxDimension"/>.</exception>
    public static byte[] Encode(Raster image, JpegEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new JpegEncodeOptions();
        if (options.Quality is < 1 or > 100)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), options.Quality, $"JPEG quality must be between 1 and 100; got {options.Quality}.");
        }

        if (!Enum.IsDefined(options.Subsampling))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Subsampling, "Unknown JPEG subsampling.");
        }

        if (image.Width > MaxDimension || image.Height > MaxDimension)
        {
            throw new ArgumentException(
                $"JPEG frames are at most {MaxDimension}x{MaxDimension} pixels; got {image.Width}x{image.Height}.",
                nameof(image));
        }

        var gray = image.Color is ColorModel.Gray or ColorModel.GrayAlpha;
        var halfChroma = !gray && options.Subsampling == JpegSubsampling.Yuv420;
        var luminance = ScaleQuantization(LuminanceQuantization, options.Quality);
        var chrominance = ScaleQuantization(ChrominanceQuantization, options.Quality);

        // Rough guess at the output size (about 2 bits per pixel); the writer grows if it is exceeded.
        using var writer = new BlockWriter((int)Math.Min((long)image.Width * image.Height / 4, 1 << 26) + 1024);
        WriteHeaders(writer, image, options.WriteJfif, gray, halfChroma, luminance, chrominance);
        if (gray)
        {
            EncodeGray(writer, image, Reciprocals(luminance));
        }
        else
        {
            EncodeColor(writer, image, halfChroma, Reciprocals(luminance), Reciprocals(chrominance));
        }

        writer.FlushBits();
        WriteMarker(writer, Eoi);
        return writer.ToArray();
    }

    private static void WriteHeaders(
        BlockWriter writer, Raster image, bool jfif, bool gray, bool halfChroma, byte[] luminance, byte[] chrominance)
    {
        WriteMarker(writer, Soi);
        if (jfif)
        {
            // JFIF 1.01, no density units, 1:1 aspect, no thumbnail (same fields cjpeg writes).
            WriteMarker(writer, App0);
            writer.WriteUInt16(16);
            writer.WriteBytes("JFIF\0"u8);
            writer.WriteBytes([1, 1, 0, 0, 1, 0, 1, 0, 0]);
        }

        // One segment per table, in libjpeg's order, so headers compare byte for byte with cjpeg's.
        WriteQuantization(writer, 0, luminance);
        if (!gray)
        {
            WriteQuantization(writer, 1, chrominance);
        }

        var components = gray ? 1 : 3;
        WriteMarker(writer, Sof0);
        writer.WriteUInt16(8 + (3 * components));
        writer.WriteByte(8); // sample precision
        writer.WriteUInt16(image.Height);
        writer.WriteUInt16(image.Width);
        writer.WriteByte((byte)components);
        writer.WriteBytes([1, (byte)(halfChroma ? 0x22 : 0x11), 0]);
        if (!gray)
        {
            writer.WriteBytes([2, 0x11, 1]);
            writer.WriteBytes([3, 0x11, 1]);
        }

        WriteHuffman(writer, 0x00, DcLuminanceBits, DcLuminanceValues);
        WriteHuffman(writer, 0x10, AcLuminanceBits, AcLuminanceValues);
        if (!gray)
        {
            WriteHuffman(writer, 0x01, DcChrominanceBits, DcChrominanceValues);
            WriteHuffman(writer, 0x11, AcChrominanceBits, AcChrominanceValues);
        }

        WriteMarker(writer, Sos);
        writer.WriteUInt16(6 + (2 * components));
        writer.WriteByte((byte)components);
        writer.WriteBytes([1, 0x00]);
        if (!gray)
        {
            writer.WriteBytes([2, 0x11]);
            writer.WriteBytes([3, 0x11]);
        }

        writer.WriteBytes([0, 63, 0]); // full spectral range, no successive approximation: sequential
    }

    private static void WriteMarker(BlockWriter writer, byte marker)
    {
        writer.WriteByte(0xFF);
        writer.WriteByte(marker);
    }

    private static void WriteQuantization(BlockWriter writer, byte tableId, byte[] table)
    {
        WriteMarker(writer, Dqt);
        writer.WriteUInt16(2 + 1 + 64);
        writer.WriteByte(tableId); // 8-bit entries
        for (var k = 0; k < 64; k++)
        {
            writer.WriteByte(table[ZigzagToNatural[k]]);
        }
    }

    private static void WriteHuffman(BlockWriter writer, byte classAndId, ReadOnlySpan<byte> bits, ReadOnlySpan<byte> values)
    {
        WriteMarker(writer, Dht);
        writer.WriteUInt16(2 + 1 + 16 + values.Length);
        writer.WriteByte(classAndId);
        writer.WriteBytes(bits);
        writer.WriteBytes(values);
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EncodeGray(BlockWriter writer, Raster image, float[] reciprocals)
    {
        // A single-component scan is non-interleaved: its MCU is one 8x8 block (A.2.2).
        var blocksAcross = (image.Width + 7) / 8;
        var stride = blocksAcross * 8;
        var strip = new byte[stride * 8];
        var lastDc = 0;
        for (var y0 = 0; y0 < image.Height; y0 += 8)
        {
            for (var r = 0; r < 8; r++)
            {
                var row = strip.AsSpan(r * stride, stride);
                if (y0 + r < image.Height)
                {
                    FillGrayRow(image, y0 + r, row);
                }
                else
                {
                    strip.AsSpan((r - 1) * stride, stride).CopyTo(row); // replicate the bottom row
                }
            }

            for (var bx = 0; bx < blocksAcross; bx++)
            {
                writer.EncodeBlock(strip, bx * 8, stride, reciprocals, DcLuminanceCodes, AcLuminanceCodes, ref lastDc);
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EncodeColor(BlockWriter writer, Raster image, bool halfChroma, float[] lumaReciprocals, float[] chromaReciprocals)
    {
        var mcuSize = halfChroma ? 16 : 8;
        var mcusAcross = (image.Width + mcuSize - 1) / mcuSize;
        var stride = mcusAcross * mcuSize;
        var luma = new byte[stride * mcuSize];
        var blue = new byte[stride * mcuSize];
        var red = new byte[stride * mcuSize];
        var chromaStride = halfChroma ? stride / 2 : stride;
        var blueHalf = halfChroma ? new byte[chromaStride * 8] : blue;
        var redHalf = halfChroma ? new byte[chromaStride * 8] : red;
        var rgb = new byte[image.Width * 3];
        int lastY = 0, lastCb = 0, lastCr = 0;

        for (var y0 = 0; y0 < image.Height; y0 += mcuSize)
        {
            for (var r = 0; r < mcuSize; r++)
            {
                var o = r * stride;
                if (y0 + r < image.Height)
                {
                    var source = Rgb8Row(image, y0 + r, rgb);
                    ConvertRow(source, luma.AsSpan(o, stride), blue.AsSpan(o, stride), red.AsSpan(o, stride), image.Width);
                }
                else
                {
                    luma.AsSpan(o - stride, stride).CopyTo(luma.AsSpan(o));
                    blue.AsSpan(o - stride, stride).CopyTo(blue.AsSpan(o));
                    red.AsSpan(o - stride, stride).CopyTo(red.AsSpan(o));
                }
            }

            if (halfChroma)
            {
                Downsample(blue, blueHalf, stride);
                Downsample(red, redHalf, stride);
            }

            for (var mx = 0; mx < mcusAcross; mx++)
            {
                var x = mx * mcuSize;
                writer.EncodeBlock(luma, x, stride, lumaReciprocals, DcLuminanceCodes, AcLuminanceCodes, ref lastY);
                if (halfChroma)
                {
                    // MCU order for H=V=2 luma: the four Y blocks left-to-right, top-to-bottom (A.2.3).
                    writer.EncodeBlock(luma, x + 8, stride, lumaReciprocals, DcLuminanceCodes, AcLuminanceCodes, ref lastY);
                    writer.EncodeBlock(luma, x + (8 * stride), stride, lumaReciprocals, DcLuminanceCodes, AcLuminanceCodes, ref lastY);
                    writer.EncodeBlock(luma, x + 8 + (8 * stride), stride, lumaReciprocals, DcLuminanceCodes, AcLuminanceCodes, ref lastY);
                }

                var cx = halfChroma ? x / 2 : x;
                writer.EncodeBlock(blueHalf, cx, chromaStride, chromaReciprocals, DcChrominanceCodes, AcChrominanceCodes, ref lastCb);
                writer.EncodeBlock(redHalf, cx, chromaStride, chromaReciprocals, DcChrominanceCodes, AcChrominanceCodes, ref lastCr);
            }
        }
    }

    /// <summary>One row as 8-bit gray (alpha composited over black), right edge replicated to the row's end.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FillGrayRow(Raster image, int y, Span<byte> row)
    {
        var width = image.Width;
        if (image.BitDepth == 8)
        {
            var data = image.Data.AsSpan(y * width * image.Channels, width * image.Channels);
            if (image.Color == ColorModel.Gray)
            {
                data.CopyTo(row);
            }
            else
            {
                for (var x = 0; x < width; x++)
                {
                    row[x] = Over8(data[2 * x], data[(2 * x) + 1]);
                }
            }
        }
        else
        {
            var data = image.Samples16.Slice(y * width * image.Channels, width * image.Channels);
            if (image.Color == ColorModel.Gray)
            {
                for (var x = 0; x < width; x++)
                {
                    row[x] = Raster.To8(data[x]);
                }
            }
            else
            {
                for (var x = 0; x < width; x++)
                {
                    row[x] = Over16(data[2 * x], data[(2 * x) + 1]);
                }
            }
        }

        row[width..].Fill(row[width - 1]);
    }

    /// <summary>One row as packed 8-bit RGB with alpha composited over black; 8-bit Rgb is returned in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ReadOnlySpan<byte> Rgb8Row(Raster image, int y, byte[] scratch)
    {
        var width = image.Width;
        var channels = image.Channels;
        if (image.BitDepth == 8)
        {
            var data = image.Data.AsSpan(y * width * channels, width * channels);
            if (image.Color == ColorModel.Rgb)
            {
                return data;
            }

            for (var x = 0; x < width; x++)
            {
                var alpha = data[(4 * x) + 3];
                scratch[3 * x] = Over8(data[4 * x], alpha);
                scratch[(3 * x) + 1] = Over8(data[(4 * x) + 1], alpha);
                scratch[(3 * x) + 2] = Over8(data[(4 * x) + 2], alpha);
            }
        }
        else
        {
            var data = image.Samples16.Slice(y * width * channels, width * channels);
            for (var x = 0; x < width; x++)
            {
                var s = x * channels;
                if (image.Color == ColorModel.Rgb)
                {
                    scratch[3 * x] = Raster.To8(data[s]);
                    scratch[(3 * x) + 1] = Raster.To8(data[s + 1]);
                    scratch[(3 * x) + 2] = Raster.To8(data[s + 2]);
                }
                else
                {
                    var alpha = data[s + 3];
                    scratch[3 * x] = Over16(data[s], alpha);
                    scratch[(3 * x) + 1] = Over16(data[s + 1], alpha);
                    scratch[(3 * x) + 2] = Over16(data[s + 2], alpha);
                }
            }
        }

        return scratch;
    }

    /// <summary>
    /// JFIF full-range RGB to YCbCr with libjpeg's 16-bit fixed-point coefficients and rounding (jccolor.c),
    /// then the right edge replicated to the end of each output row.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void ConvertRow(ReadOnlySpan<byte> rgb, Span<byte> luma, Span<byte> blue, Span<byte> red, int width)
    {
        const int Half = 1 << 15;
        const int Offset = (128 << 16) + Half - 1;
        var x = Avx2.IsSupported ? ConvertRowAvx2(rgb, luma, blue, red, width) : 0;
        for (; x < width; x++)
        {
            int r = rgb[3 * x];
            int g = rgb[(3 * x) + 1];
            int b = rgb[(3 * x) + 2];
            luma[x] = (byte)(((19595 * r) + (38470 * g) + (7471 * b) + Half) >> 16);
            blue[x] = (byte)(((-11059 * r) - (21709 * g) + (32768 * b) + Offset) >> 16);
            red[x] = (byte)(((32768 * r) - (27439 * g) - (5329 * b) + Offset) >> 16);
        }

        luma[width..].Fill(luma[width - 1]);
        blue[width..].Fill(blue[width - 1]);
        red[width..].Fill(red[width - 1]);
    }

    /// <summary>The same arithmetic as the scalar loop, eight pixels at a time; returns how many pixels it did.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int ConvertRowAvx2(ReadOnlySpan<byte> rgb, Span<byte> luma, Span<byte> blue, Span<byte> red, int width)
    {
        // Two overlapping 16-byte loads put pixels 0-3 and 4-7 at the start of each 128-bit lane, so an
        // in-lane byte shuffle can gather R, G and B into separate dwords.
        var gather = Vector256.Create(
            (byte)0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, 0x80, 0x80, 0x80, 0x80,
            0, 3, 6, 9, 1, 4, 7, 10, 2, 5, 8, 11, 0x80, 0x80, 0x80, 0x80);
        var interleave = Vector256.Create(0, 4, 1, 5, 2, 6, 3, 7);
        var half = Vector256.Create(1 << 15);
        var offset = Vector256.Create((128 << 16) + (1 << 15) - 1);
        ref var source = ref MemoryMarshal.GetReference(rgb);
        var x = 0;
        for (; x + 8 <= width && (3 * x) + 28 <= rgb.Length; x += 8)
        {
            var pixels = Vector256.Create(
                Vector128.LoadUnsafe(ref source, (nuint)(3 * x)),
                Vector128.LoadUnsafe(ref source, (nuint)((3 * x) + 12)));
            var planar = Avx2.PermuteVar8x32(Avx2.Shuffle(pixels, gather).AsInt32(), interleave).AsByte();
            var r = Avx2.ConvertToVector256Int32(planar.GetLower());
            var g = Avx2.ConvertToVector256Int32(Sse2.ShiftRightLogical128BitLane(planar.GetLower(), 8));
            var b = Avx2.ConvertToVector256Int32(planar.GetUpper());

            var y = ((r * 19595) + (g * 38470) + (b * 7471) + half) >> 16;
            var cb = ((b * 32768) - (r * 11059) - (g * 21709) + offset) >> 16;
            var cr = ((r * 32768) - (g * 27439) - (b * 5329) + offset) >> 16;

            // Pack to bytes: per lane [y cb cr cr], then dword interleave puts y0-7, cb0-7, cr0-7 in order.
            var words = Avx2.PackUnsignedSaturate(Avx2.PackSignedSaturate(y, cb), Avx2.PackSignedSaturate(cr, cr));
            var packed = Avx2.PermuteVar8x32(words.AsInt32(), interleave).AsUInt64();
            MemoryMarshal.Write(luma[x..], packed.GetElement(0));
            MemoryMarshal.Write(blue[x..], packed.GetElement(1));
            MemoryMarshal.Write(red[x..], packed.GetElement(2));
        }

        return x;
    }

    /// <summary>2x2 box average of a 16-row strip into 8 rows, with libjpeg's alternating 1,2 rounding bias.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Downsample(byte[] full, byte[] half, int stride)
    {
        var halfStride = stride / 2;
        for (var r = 0; r < 8; r++)
        {
            var top = full.AsSpan(2 * r * stride, stride);
            var bottom = full.AsSpan(((2 * r) + 1) * stride, stride);
            var output = half.AsSpan(r * halfStride, halfStride);
            var x = 0;
            if (Avx2.IsSupported)
            {
                // pmaddubsw against ones sums horizontal byte pairs into 16-bit lanes, 16 outputs per step.
                var ones = Vector256.Create((sbyte)1);
                var bias = Vector256.Create((short)1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2);
                for (; x + 16 <= halfStride; x += 16)
                {
                    var sums = Avx2.MultiplyAddAdjacent(Vector256.Create<byte>(top.Slice(2 * x, 32)), ones)
                        + Avx2.MultiplyAddAdjacent(Vector256.Create<byte>(bottom.Slice(2 * x, 32)), ones)
                        + bias;
                    var averaged = Avx2.ShiftRightLogical(sums, 2);
                    var bytes = Avx2.Permute4x64(Avx2.PackUnsignedSaturate(averaged, averaged).AsUInt64(), 0b_11_01_10_00);
                    bytes.GetLower().AsByte().CopyTo(output[x..]);
                }
            }

            for (; x < halfStride; x++)
            {
                var sum = top[2 * x] + top[(2 * x) + 1] + bottom[2 * x] + bottom[(2 * x) + 1];
                output[x] = (byte)((sum + 1 + (x & 1)) >> 2);
            }
        }
    }

    private static byte Over8(int value, int alpha) => (byte)(((value * alpha) + 127) / 255);

    // Compositing and 16-to-8 rounding in one step: value * alpha / 65535^2 * 255, nearest.
    private static byte Over16(int value, int alpha)
    {
        const long Full = 65535L * 65535L;
        return (byte)(((long)value * alpha * 255 + (Full / 2)) / Full);
    }
}
