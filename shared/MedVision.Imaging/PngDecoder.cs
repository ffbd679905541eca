using System.Buffers;
using System.Buffers.Binary;
using System.IO.Compression;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace MedVision.Imaging;

/// <summary>
/// Strict, allocation-bounded PNG decoder. Every color type and bit depth, Adam7, all filters.
/// Bad input only ever surfaces as <see cref="ImageDecodeException"/> with a code from <see cref="PngErrorCodes"/>.
/// </summary>
/// <summary>IHDR facts: ColorType is the PNG code (0 gray, 2 RGB, 3 palette, 4 gray+alpha, 6 RGBA).</summary>
public sealed record PngInfo(int Width, int Height, int BitDepth, int ColorType, bool Interlaced)
{
    public string ColorTypeName => ColorType switch
    {
        0 => "gray",
        2 => "rgb",
        3 => "palette",
        4 => "gray+alpha",
        6 => "rgba",
        _ => $"type {ColorType}",
    };
}

public static class PngDecoder
{
    private const int SignatureLength = 8;
    private const int ChunkOverhead = 12; // length + type + CRC

    // Adam7 pass origins and strides, in the order the passes are stored.
    private static readonly int[] PassXStart = [0, 4, 0, 2, 0, 1, 0];
    private static readonly int[] PassYStart = [0, 0, 4, 0, 2, 0, 1];
    private static readonly int[] PassXStep = [8, 8, 4, 4, 2, 2, 1];
    private static readonly int[] PassYStep = [8, 8, 8, 4, 4, 2, 2];

    internal static ReadOnlySpan<byte> Signature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];

    public static Raster Decode(ReadOnlySpan<byte> png, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        try
        {
            return DecodeCore(png, limits);
        }
        catch (OutOfMemoryException ex)
        {
            // Only reachable when a caller raised the limits beyond what the process can hold.
            throw new ImageDecodeException(PngErrorCodes.TooLarge, "PNG could not be decoded: out of memory.", ex);
        }
        catch (Exception ex) when (ex is IndexOutOfRangeException or ArgumentException or InvalidDataException
                                       or OverflowException or InvalidOperationException or IOException)
        {
            // Defence in depth: a decoder bug on hostile input must still look like bad input to callers.
            throw new ImageDecodeException(PngErrorCodes.BadData, $"PNG data is malformed: {ex.Message}", ex);
        }
    }

    /// <summary>Reads the IHDR facts (validating signature, IHDR CRC and limits) without inflating pixel data.</summary>
    public static PngInfo ReadInfo(ReadOnlySpan<byte> png, ImageLimits? limits = null)
    {
        limits ??= ImageLimits.Default;
        CheckSignature(png);
        if (png.Length < SignatureLength + ChunkOverhead + 13)
        {
            throw Fail(PngErrorCodes.Truncated, $"PNG ends at offset {png.Length}, before its IHDR chunk is complete.");
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(png[SignatureLength..]);
        if (!png.Slice(SignatureLength + 4, 4).SequenceEqual("IHDR"u8) || length != 13)
        {
            throw Fail(PngErrorCodes.BadHeader, "PNG must start with a 13-byte IHDR chunk.");
        }

        var stored = BinaryPrimitives.ReadUInt32BigEndian(png[(SignatureLength + 8 + 13)..]);
        if (stored != Crc32.Compute(png.Slice(SignatureLength + 4, 17)))
        {
            throw Fail(PngErrorCodes.BadCrc, $"PNG chunk IHDR at offset {SignatureLength} has a bad CRC.");
        }

        var header = Header.Parse(png.Slice(SignatureLength + 8, 13), limits);
        return new PngInfo(header.Width, header.Height, header.BitDepth, header.ColorType, header.Interlaced);
    }

    private static Raster DecodeCore(ReadOnlySpan<byte> png, ImageLimits limits)
    {
        CheckSignature(png);

        Header? header = null;
        byte[]? palette = null;
        byte[]? transparency = null;
        var idat = new List<(int Offset, int Length)>();
        long compressedLength = 0;
        var idatClosed = false;
        var chunkCount = 0;
        var pos = SignatureLength;

        while (true)
        {
            if (png.Length - pos < ChunkOverhead)
            {
                throw Fail(PngErrorCodes.Truncated, png.Length == pos
                    ? $"PNG ends at offset {pos} without an IEND chunk."
                    : $"PNG ends at offset {png.Length} inside the chunk header that starts at offset {pos}.");
            }

            var declared = BinaryPrimitives.ReadUInt32BigEndian(png[pos..]);
            var type = png.Slice(pos + 4, 4);
            if (!IsValidChunkType(type))
            {
                throw Fail(PngErrorCodes.BadChunk, $"PNG chunk at offset {pos} has an invalid type code {Convert.ToHexString(type)}.");
            }

            var name = Encoding.ASCII.GetString(type);
            if (declared > int.MaxValue)
            {
                throw Fail(PngErrorCodes.BadChunk, $"PNG chunk {name} at offset {pos} declares length {declared}, above the 2^31-1 maximum.");
            }

            if (++chunkCount > limits.MaxChunks)
            {
                throw Fail(PngErrorCodes.TooLarge, $"PNG has more than {limits.MaxChunks} chunks.");
            }

            var length = (int)declared;
            if (png.Length - pos - ChunkOverhead < length)
            {
                throw Fail(PngErrorCodes.Truncated,
                    $"PNG chunk {name} at offset {pos} declares {length} data bytes but only {png.Length - pos - ChunkOverhead} remain.");
            }

            var data = png.Slice(pos + 8, length);
            var stored = BinaryPrimitives.ReadUInt32BigEndian(png[(pos + 8 + length)..]);
            var computed = Crc32.Compute(png.Slice(pos + 4, length + 4));
            if (stored != computed)
            {
                throw Fail(PngErrorCodes.BadCrc,
                    $"PNG chunk {name} at offset {pos} has a bad CRC (stored 0x{stored:X8}, computed 0x{computed:X8}).");
            }

            if (chunkCount == 1 && name != "IHDR")
            {
                throw Fail(PngErrorCodes.BadHeader, $"PNG must start with an IHDR chunk, found {name} at offset {pos}.");
            }

            if (idat.Count > 0 && name != "IDAT")
            {
                idatClosed = true;
            }

            switch (name)
            {
                case "IHDR":
                    if (header is not null)
                    {
                        throw Fail(PngErrorCodes.BadChunk, $"PNG has a second IHDR chunk at offset {pos}.");
                    }

                    header = Header.Parse(data, limits);
                    break;

                case "PLTE":
                    palette = ParsePalette(data, header!, palette, idat.Count > 0, pos);
                    break;

                case "tRNS":
                    transparency = ParseTransparency(data, header!, palette, transparency, idat.Count > 0, pos);
                    break;

                case "IDAT":
                    if (idatClosed)
                    {
                        throw Fail(PngErrorCodes.BadChunk, $"PNG chunk IDAT at offset {pos} is not consecutive with the earlier IDAT chunks.");
                    }

                    idat.Add((pos + 8, length));
                    compressedLength += length;
                    break;

                case "IEND":
                    return BuildImage(png, header!, palette, transparency, idat, compressedLength);

                default:
                    // Bit 5 of the first letter clear (upper case) marks a chunk we may not ignore.
                    if ((type[0] & 0x20) == 0)
                    {
                        throw Fail(PngErrorCodes.Unsupported, $"PNG critical chunk {name} at offset {pos} is not supported.");
                    }

                    break;
            }

            pos += ChunkOverhead + length;
        }
    }

    private static void CheckSignature(ReadOnlySpan<byte> png)
    {
        var sig = Signature;
        var n = Math.Min(png.Length, sig.Length);
        if (!png[..n].SequenceEqual(sig[..n]))
        {
            throw Fail(PngErrorCodes.BadSignature, "Data does not start with the 8-byte PNG signature.");
        }

        if (n < sig.Length)
        {
            throw Fail(PngErrorCodes.Truncated, $"PNG is only {png.Length} bytes long, shorter than its signature.");
        }
    }

    private static bool IsValidChunkType(ReadOnlySpan<byte> type)
    {
        foreach (var b in type)
        {
            if (b is not ((>= (byte)'A' and <= (byte)'Z') or (>= (byte)'a' and <= (byte)'z')))
            {
                return false;
            }
        }

        return true;
    }

    private static byte[] ParsePalette(ReadOnlySpan<byte> data, Header header, byte[]? existing, bool afterIdat, int pos)
    {
        if (existing is not null || afterIdat)
        {
            throw Fail(PngErrorCodes.BadChunk, $"PNG chunk PLTE at offset {pos} is duplicated or comes after IDAT.");
        }

        if (header.ColorType is 0 or 4)
        {
            throw Fail(PngErrorCodes.BadChunk, $"PNG chunk PLTE at offset {pos} is not allowed for gray color type {header.ColorType}.");
        }

        var entries = data.Length / 3;
        var maxEntries = header.ColorType == 3 ? 1 << header.BitDepth : 256;
        if (data.Length % 3 != 0 || entries == 0 || entries > maxEntries)
        {
            throw Fail(PngErrorCodes.BadPalette,
                $"PNG chunk PLTE at offset {pos} has length {data.Length}; expected a multiple of 3 with 1 to {maxEntries} entries.");
        }

        return data.ToArray();
    }

    private static byte[] ParseTransparency(
        ReadOnlySpan<byte> data, Header header, byte[]? palette, byte[]? existing, bool afterIdat, int pos)
    {
        if (existing is not null || afterIdat)
        {
            throw Fail(PngErrorCodes.BadChunk, $"PNG chunk tRNS at offset {pos} is duplicated or comes after IDAT.");
        }

        switch (header.ColorType)
        {
            case 3:
                if (palette is null)
                {
                    throw Fail(PngErrorCodes.BadChunk, $"PNG chunk tRNS at offset {pos} comes before PLTE.");
                }

                if (data.Length > palette.Length / 3)
                {
                    throw Fail(PngErrorCodes.BadPalette,
                        $"PNG chunk tRNS at offset {pos} has {data.Length} entries but the palette has only {palette.Length / 3}.");
                }

                break;
            case 0 when data.Length != 2:
            case 2 when data.Length != 6:
                throw Fail(PngErrorCodes.BadChunk, $"PNG chunk tRNS at offset {pos} has wrong length {data.Length} for color type {header.ColorType}.");
            case 4 or 6:
                throw Fail(PngErrorCodes.BadChunk, $"PNG chunk tRNS at offset {pos} is not allowed for color type {header.ColorType}, which already has alpha.");
        }

        return data.ToArray();
    }

    private static Raster BuildImage(
        ReadOnlySpan<byte> png, Header header, byte[]? palette, byte[]? transparency,
        List<(int Offset, int Length)> idat, long compressedLength)
    {
        if (header.ColorType == 3 && palette is null)
        {
            throw Fail(PngErrorCodes.BadPalette, "PNG uses palette color type 3 but has no PLTE chunk.");
        }

        if (idat.Count == 0)
        {
            throw Fail(PngErrorCodes.BadChunk, "PNG has no IDAT chunk.");
        }

        // One contiguous zlib stream for the runtime's inflater (zlib-ng); IDAT chunks split it anywhere.
        var compressed = ArrayPool<byte>.Shared.Rent((int)compressedLength);
        try
        {
            var at = 0;
            foreach (var (offset, length) in idat)
            {
                png.Slice(offset, length).CopyTo(compressed.AsSpan(at));
                at += length;
            }

            var color = header.OutputColor(transparency is not null);
            var raster = new Raster(header.Width, header.Height, color, header.OutputDepth, NewPixels(header, color));
            var writer = new RowWriter(header, raster, palette, transparency);
            if (!header.Interlaced && writer.IsDirect)
            {
                // No write can fail, so each row is inflated, unfiltered and stored while it is still in cache, and the
                // whole inflated image is never held.
                StreamRows(compressed, at, header, writer);
                return raster;
            }

            return BuildFromInflated(Inflate(compressed, at, (int)header.InflatedBytes), header, raster, writer);
        }
        finally
        {
            // Cleared: pooled buffers outlive this call, and image bytes are patient data.
            ArrayPool<byte>.Shared.Return(compressed, clearArray: true);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // once per image, with the row loop inside: see PngFilters
    private static void StreamRows(byte[] compressed, int length, Header header, RowWriter writer)
    {
        var stride = (int)header.RowBytes(header.Width);
        var rowLength = stride + 1;
        // Rows are inflated a band at a time (one call into zlib per band, the band still in cache when it is
        // unfiltered); slot 0 keeps the last row of the previous band as the first row's prior.
        var bandRows = Math.Clamp((256 * 1024) / rowLength, 1, header.Height);
        var buffer = ArrayPool<byte>.Shared.Rent(rowLength * (bandRows + 1));
        try
        {
            using var input = new MemoryStream(compressed, 0, length, writable: false);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            long read = 0;
            for (var y0 = 0; y0 < header.Height; y0 += bandRows)
            {
                var count = Math.Min(bandRows, header.Height - y0);
                var band = buffer.AsSpan(rowLength, rowLength * count);
                var n = zlib.ReadAtLeast(band, band.Length, throwOnEndOfStream: false);
                read += n;
                if (n < band.Length)
                {
                    throw Fail(PngErrorCodes.Truncated, $"PNG image data inflates to {read} bytes; the header requires {header.InflatedBytes}.");
                }

                for (var j = 0; j < count; j++)
                {
                    var row = buffer.AsSpan((j + 1) * rowLength, rowLength);
                    var prior = y0 + j == 0 ? [] : buffer.AsSpan((j * rowLength) + 1, stride);
                    UnfilterLine(row[0], row[1..], prior, header.FilterUnit, y0 + j, 0);
                    writer.WriteRow(row[1..], y0 + j);
                }

                buffer.AsSpan(count * rowLength, rowLength).CopyTo(buffer);
            }

            ProbeEnd(zlib, header.InflatedBytes);
        }
        catch (InvalidDataException ex)
        {
            throw new ImageDecodeException(PngErrorCodes.Zlib, $"PNG image data is not a valid zlib stream: {ex.Message}", ex);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer, clearArray: true);
        }
    }

    /// <summary>Palette, tRNS, sub-byte depths and Adam7: the whole stream is inflated first, then unfiltered and written.</summary>
    private static Raster BuildFromInflated(byte[] raw, Header header, Raster raster, RowWriter writer)
    {
        if (!header.Interlaced)
        {
            var stride = (int)header.RowBytes(header.Width);
            Unfilter(raw, header.Width, header.Height, header, 0);
            for (var y = 0; y < header.Height; y++)
            {
                writer.Write(raw.AsSpan((y * (stride + 1)) + 1, stride), header.Width, y, 0, 1);
            }

            return raster;
        }

        var passOffset = 0;
        for (var p = 0; p < 7; p++)
        {
            var (pw, ph) = Header.PassSize(header.Width, header.Height, p);
            if (pw == 0 || ph == 0)
            {
                continue; // empty passes carry no filter bytes at all
            }

            var stride = (int)header.RowBytes(pw);
            var passRaw = raw.AsSpan(passOffset, ph * (stride + 1));
            Unfilter(passRaw, pw, ph, header, p + 1);
            for (var j = 0; j < ph; j++)
            {
                writer.Write(passRaw.Slice((j * (stride + 1)) + 1, stride), pw,
                    PassYStart[p] + (j * PassYStep[p]), PassXStart[p], PassXStep[p]);
            }

            passOffset += ph * (stride + 1);
        }

        return raster;
    }

    /// <summary>
    /// The raster's buffer. Every layout writes every byte of it (Adam7's passes cover each pixel once), and a failure
    /// throws before the raster escapes, so it need not be zeroed first.
    /// </summary>
    private static byte[] NewPixels(Header header, ColorModel color) =>
        GC.AllocateUninitializedArray<byte>(header.Width * header.Height * Raster.ChannelCount(color) * (header.OutputDepth / 8));

    private static byte[] Inflate(byte[] compressed, int length, int expected)
    {
        var raw = GC.AllocateUninitializedArray<byte>(expected);
        try
        {
            using var input = new MemoryStream(compressed, 0, length, writable: false);
            using var zlib = new ZLibStream(input, CompressionMode.Decompress);
            var read = zlib.ReadAtLeast(raw, expected, throwOnEndOfStream: false);
            if (read < expected)
            {
                throw Fail(PngErrorCodes.Truncated, $"PNG image data inflates to {read} bytes; the header requires {expected}.");
            }

            ProbeEnd(zlib, expected);
        }
        catch (InvalidDataException ex)
        {
            throw new ImageDecodeException(PngErrorCodes.Zlib, $"PNG image data is not a valid zlib stream: {ex.Message}", ex);
        }

        return raw;
    }

    /// <summary>
    /// One probe byte is enough to catch a stream that keeps going; we never inflate past expected + 1, which is what
    /// makes decompression bombs harmless.
    /// </summary>
    private static void ProbeEnd(ZLibStream zlib, long expected)
    {
        Span<byte> probe = stackalloc byte[1];
        if (zlib.Read(probe) != 0)
        {
            throw Fail(PngErrorCodes.Zlib, $"PNG image data inflates to more than the {expected} bytes the header requires.");
        }
    }

    /// <summary>Reverses the per-row filters in place. <paramref name="pass"/> is 0 for non-interlaced, 1-7 for Adam7.</summary>
    private static void Unfilter(Span<byte> raw, int width, int rows, Header header, int pass)
    {
        var stride = (int)header.RowBytes(width);
        for (var y = 0; y < rows; y++)
        {
            UnfilterRow(raw, y, stride, header.FilterUnit, pass);
        }
    }

    /// <summary>Reverses row <paramref name="y"/>'s filter in place; the rows before it are already unfiltered.</summary>
    private static void UnfilterRow(Span<byte> raw, int y, int stride, int bpp, int pass)
    {
        var offset = y * (stride + 1);
        UnfilterLine(raw[offset], raw.Slice(offset + 1, stride), y == 0 ? [] : raw.Slice(offset - stride, stride), bpp, y, pass);
    }

    /// <summary>Reverses one line's filter in place; <paramref name="prior"/> is the unfiltered line above, empty for the first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UnfilterLine(byte filter, Span<byte> line, ReadOnlySpan<byte> prior, int bpp, int y, int pass)
    {
        switch (filter)
        {
            case 0:
                break;
            case 1:
                PngFilters.UndoSub(line, bpp);
                break;
            case 2:
                if (!prior.IsEmpty)
                {
                    PngFilters.UndoUp(line, prior);
                }

                break;
            case 3:
                PngFilters.UndoAverage(line, prior, bpp);
                break;
            case 4:
                PngFilters.UndoPaeth(line, prior, bpp);
                break;
            default:
                throw Fail(PngErrorCodes.BadFilter, pass == 0
                    ? $"PNG row {y} uses unknown filter type {filter}."
                    : $"PNG row {y} of interlace pass {pass} uses unknown filter type {filter}.");
        }
    }

    internal static int Paeth(int a, int b, int c)
    {
        var p = a + b - c;
        var pa = Math.Abs(p - a);
        var pb = Math.Abs(p - b);
        var pc = Math.Abs(p - c);
        if (pa <= pb && pa <= pc)
        {
            return a;
        }

        return pb <= pc ? b : c;
    }

    private static ImageDecodeException Fail(string code, string message) => new(code, message);

    /// <summary>IHDR fields plus the sizes derived from them, validated against the limits.</summary>
    private sealed class Header
    {
        private Header(int width, int height, int bitDepth, int colorType, bool interlaced)
        {
            Width = width;
            Height = height;
            BitDepth = bitDepth;
            ColorType = colorType;
            Interlaced = interlaced;
        }

        public int Width { get; }

        public int Height { get; }

        public int BitDepth { get; }

        public int ColorType { get; }

        public bool Interlaced { get; }

        public int SamplesPerPixel => ColorType switch
        {
            0 or 3 => 1,
            4 => 2,
            2 => 3,
            _ => 4,
        };

        public int BitsPerPixel => SamplesPerPixel * BitDepth;

        /// <summary>Byte distance used by the Sub/Avg/Paeth filters: one whole pixel, at least one byte.</summary>
        public int FilterUnit => Math.Max(1, BitsPerPixel / 8);

        public int OutputDepth => BitDepth == 16 ? 16 : 8;

        public long InflatedBytes { get; private set; }

        public long RowBytes(long width) => ((width * BitsPerPixel) + 7) / 8;

        public ColorModel OutputColor(bool hasTransparency) => ColorType switch
        {
            0 => hasTransparency ? ColorModel.GrayAlpha : ColorModel.Gray,
            4 => ColorModel.GrayAlpha,
            2 or 3 => hasTransparency ? ColorModel.Rgba : ColorModel.Rgb,
            _ => ColorModel.Rgba,
        };

        public static (int Width, int Height) PassSize(int width, int height, int pass)
        {
            var w = width > PassXStart[pass] ? (width - PassXStart[pass] + PassXStep[pass] - 1) / PassXStep[pass] : 0;
            var h = height > PassYStart[pass] ? (height - PassYStart[pass] + PassYStep[pass] - 1) / PassYStep[pass] : 0;
            return (w, h);
        }

        public static Header Parse(ReadOnlySpan<byte> data, ImageLimits limits)
        {
            if (data.Length != 13)
            {
                throw Fail(PngErrorCodes.BadHeader, $"PNG IHDR chunk has length {data.Length}; it must be 13.");
            }

            var width = BinaryPrimitives.ReadUInt32BigEndian(data);
            var height = BinaryPrimitives.ReadUInt32BigEndian(data[4..]);
            int bitDepth = data[8];
            int colorType = data[9];
            if (width == 0 || height == 0 || width > int.MaxValue || height > int.MaxValue)
            {
                throw Fail(PngErrorCodes.BadHeader, $"PNG IHDR declares invalid dimensions {width}x{height}; each must be 1 to 2^31-1.");
            }

            var depthOk = colorType switch
            {
                0 => bitDepth is 1 or 2 or 4 or 8 or 16,
                3 => bitDepth is 1 or 2 or 4 or 8,
                2 or 4 or 6 => bitDepth is 8 or 16,
                _ => throw Fail(PngErrorCodes.BadHeader, $"PNG IHDR declares unknown color type {colorType}."),
            };
            if (!depthOk)
            {
                throw Fail(PngErrorCodes.BadHeader, $"PNG IHDR declares bit depth {bitDepth}, which color type {colorType} does not allow.");
            }

            if (data[10] != 0 || data[11] != 0)
            {
                throw Fail(PngErrorCodes.Unsupported,
                    $"PNG IHDR declares compression method {data[10]} and filter method {data[11]}; only 0 and 0 exist.");
            }

            if (data[12] > 1)
            {
                throw Fail(PngErrorCodes.Unsupported, $"PNG IHDR declares unknown interlace method {data[12]}.");
            }

            // Refuse oversized images before anything proportional to their size is allocated.
            if (width > limits.MaxWidth || height > limits.MaxHeight || (long)width * height > limits.MaxPixels)
            {
                throw Fail(PngErrorCodes.TooLarge,
                    $"PNG is {width}x{height}, beyond the limits of {limits.MaxWidth}x{limits.MaxHeight} and {limits.MaxPixels} pixels.");
            }

            var header = new Header((int)width, (int)height, bitDepth, colorType, data[12] == 1);
            header.InflatedBytes = header.ComputeInflatedBytes();
            // tRNS is not known yet, so count the alpha channel it could add.
            var outputChannels = colorType is 0 or 4 ? 2 : 4;
            var outputBytes = (long)header.Width * header.Height * outputChannels * (header.OutputDepth / 8);
            var largest = Math.Max(header.InflatedBytes, outputBytes);
            if (largest > limits.MaxDecodedBytes || largest > Array.MaxLength)
            {
                throw Fail(PngErrorCodes.TooLarge,
                    $"PNG {width}x{height} needs up to {largest} decoded bytes, beyond the limit of {Math.Min(limits.MaxDecodedBytes, Array.MaxLength)}.");
            }

            return header;
        }

        private long ComputeInflatedBytes()
        {
            if (!Interlaced)
            {
                return Height * (1 + RowBytes(Width));
            }

            long total = 0;
            for (var p = 0; p < 7; p++)
            {
                var (w, h) = PassSize(Width, Height, p);
                if (w > 0 && h > 0)
                {
                    total += h * (1 + RowBytes(w));
                }
            }

            return total;
        }
    }

    /// <summary>Turns unfiltered scanline bytes into raster pixels, expanding palettes, transparency and low depths.</summary>
    private sealed class RowWriter
    {
        private readonly Header header;
        private readonly Raster raster;
        private readonly byte[]? palette;
        private readonly byte[]? transparency;
        private readonly int channels;

        public RowWriter(Header header, Raster raster, byte[]? palette, byte[]? transparency)
        {
            this.header = header;
            this.raster = raster;
            this.palette = palette;
            this.transparency = transparency;
            channels = raster.Channels;
        }

        /// <summary>
        /// True when a scanline maps onto a raster row without lookups that can fail: 8 or 16 bits per sample, no
        /// palette, no tRNS key. Such rows are copied (8-bit) or byte-swapped (16-bit) whole by <see cref="WriteRow"/>.
        /// </summary>
        public bool IsDirect => header.BitDepth >= 8 && header.ColorType != 3 && transparency is null;

        /// <summary>One whole non-interlaced row, for <see cref="IsDirect"/> layouts.</summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void WriteRow(ReadOnlySpan<byte> line, int y)
        {
            var rowBytes = raster.Width * channels * (raster.BitDepth / 8);
            var dst = raster.Data.AsSpan(y * rowBytes, rowBytes);
            if (header.BitDepth == 8 || !BitConverter.IsLittleEndian)
            {
                line[..rowBytes].CopyTo(dst);
            }
            else
            {
                // PNG stores 16-bit samples big-endian; the raster keeps native order (vectorised swap).
                BinaryPrimitives.ReverseEndianness(
                    MemoryMarshal.Cast<byte, ushort>(line[..rowBytes]), MemoryMarshal.Cast<byte, ushort>(dst));
            }
        }

        public void Write(ReadOnlySpan<byte> line, int count, int y, int x0, int xStep)
        {
            var depth = header.BitDepth;
            var data8 = raster.Data.AsSpan();
            var data16 = raster.BitDepth == 16 ? MemoryMarshal.Cast<byte, ushort>(data8) : [];
            var max = raster.MaxValue;
            var lowScale = depth < 8 ? 255 / ((1 << depth) - 1) : 1; // exact for 1, 2 and 4 bits
            for (var i = 0; i < count; i++)
            {
                var dst = ((y * raster.Width) + x0 + (i * xStep)) * channels;
                switch (header.ColorType)
                {
                    case 0:
                    {
                        var v = ReadSample(line, i, depth);
                        Put(data8, data16, dst, v * lowScale);
                        if (transparency is not null)
                        {
                            var key = (transparency[0] << 8) | transparency[1];
                            Put(data8, data16, dst + 1, v == key ? 0 : max);
                        }

                        break;
                    }

                    case 2:
                    {
                        var r = ReadSample(line, i * 3, depth);
                        var g = ReadSample(line, (i * 3) + 1, depth);
                        var b = ReadSample(line, (i * 3) + 2, depth);
                        Put(data8, data16, dst, r);
                        Put(data8, data16, dst + 1, g);
                        Put(data8, data16, dst + 2, b);
                        if (transparency is not null)
                        {
                            var t = transparency;
                            var opaque = r != ((t[0] << 8) | t[1]) || g != ((t[2] << 8) | t[3]) || b != ((t[4] << 8) | t[5]);
                            Put(data8, data16, dst + 3, opaque ? max : 0);
                        }

                        break;
                    }

                    case 3:
                    {
                        var index = ReadSample(line, i, depth);
                        if (index * 3 >= palette!.Length)
                        {
                            throw Fail(PngErrorCodes.BadPalette,
                                $"PNG pixel ({x0 + (i * xStep)}, {y}) uses palette index {index} but the palette has {palette.Length / 3} entries.");
                        }

                        data8[dst] = palette[index * 3];
                        data8[dst + 1] = palette[(index * 3) + 1];
                        data8[dst + 2] = palette[(index * 3) + 2];
                        if (transparency is not null)
                        {
                            data8[dst + 3] = index < transparency.Length ? transparency[index] : byte.MaxValue;
                        }

                        break;
                    }

                    default:
                        for (var c = 0; c < channels; c++)
                        {
                            Put(data8, data16, dst + c, ReadSample(line, (i * channels) + c, depth));
                        }

                        break;
                }
            }
        }

        private static void Put(Span<byte> data8, Span<ushort> data16, int index, int value)
        {
            if (data16.IsEmpty)
            {
                data8[index] = (byte)value;
            }
            else
            {
                data16[index] = (ushort)value;
            }
        }

        private static int ReadSample(ReadOnlySpan<byte> line, int sampleIndex, int depth)
        {
            switch (depth)
            {
                case 8:
                    return line[sampleIndex];
                case 16:
                    return (line[sampleIndex * 2] << 8) | line[(sampleIndex * 2) + 1];
                default:
                    var bit = sampleIndex * depth;
                    var shift = 8 - depth - (bit & 7); // samples are packed most-significant bits first
                    return (line[bit >> 3] >> shift) & ((1 << depth) - 1);
            }
        }
    }
}
