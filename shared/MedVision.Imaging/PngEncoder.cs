using System.Buffers.Binary;
using System.IO.Compression;

namespace MedVision.Imaging;

/// <param name="Level">
/// zlib effort. Optimal (the default) uses zlib level 5 and the adaptive filter: about the size of libpng's default (level 6).
/// Fastest uses zlib level 2 and a single fixed filter (Average): for previews, a little larger. SmallestSize is level 9;
/// NoCompression writes stored blocks.
/// </param>
/// <param name="AdaptiveFilter">
/// Pick the best filter per row (smaller files) instead of always None (faster). With <see cref="CompressionLevel.Fastest"/>
/// a fixed Average filter is used instead of the per-row choice.
/// </param>
/// <param name="ZlibLevel">When set (0–9), overrides the zlib level <paramref name="Level"/> maps to.</param>
public sealed record PngEncodeOptions(CompressionLevel Level = CompressionLevel.Optimal, bool AdaptiveFilter = true, int? ZlibLevel = null);

/// <summary>Lossless PNG writer for Gray, GrayAlpha, Rgb and Rgba rasters at 8 or 16 bits, non-interlaced.</summary>
/// <remarks>
/// Large images are filtered and deflated in parallel, pigz-style: the filtered scanlines are cut into row bands of a
/// fixed size (so the output depends only on the input, never on the core count or thread timing), each band becomes
/// its own raw deflate stream ended by a sync flush (byte-aligned, not final), and the bands are concatenated behind
/// one zlib header and the Adler-32 of the whole. Each band also picks, from a sample, between LZ77 at the chosen
/// level and Huffman-only coding: noisy radiographs compress better (and much faster) without string matching.
/// </remarks>
public static partial class PngEncoder
{
    // IDAT is split so no chunk grows unbounded and readers with small buffers cope.
    private const int MaxIdatLength = 1 << 16;

    // Filtered bytes per parallel band: large enough that restarting the 32 kB window costs nothing measurable.
    private const int BandBytes = 512 * 1024;

    // Bytes of each band compressed both ways to choose LZ77 or Huffman-only.
    private const int StrategySampleBytes = 32 * 1024;

    public static byte[] Encode(Raster image, PngEncodeOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(image);
        options ??= new PngEncodeOptions();
        var level = ZlibLevelOf(options);
        var filter = FilterModeOf(options);

        var bands = CompressBands(image, level, filter, out var adler);
        long deflateLength = 0;
        foreach (var band in bands)
        {
            deflateLength += band.Length;
        }

        var zlibLength = 2 + deflateLength + 4;
        var idatCount = Math.Max(1, (zlibLength + MaxIdatLength - 1) / MaxIdatLength);
        var total = PngDecoder.Signature.Length + (12 + 13) + (idatCount * 12) + zlibLength + 12;
        if (total > Array.MaxLength)
        {
            throw new InvalidOperationException($"The encoded PNG would be {total} bytes, more than an array can hold.");
        }

        var output = new byte[total];
        var span = output.AsSpan();
        PngDecoder.Signature.CopyTo(span);
        var pos = PngDecoder.Signature.Length;

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteUInt32BigEndian(header, (uint)image.Width);
        BinaryPrimitives.WriteUInt32BigEndian(header[4..], (uint)image.Height);
        header[8] = (byte)image.BitDepth;
        header[9] = ColorType(image.Color);
        header[10] = 0; // deflate
        header[11] = 0; // adaptive filtering method
        header[12] = 0; // no interlace
        pos = WriteChunk(span, pos, "IHDR"u8, header);

        // Lay the zlib stream out where it will sit once the IDAT framing is added: write it contiguously after the
        // first IDAT header, then shift each later 64 kB piece right to make room for the framing in between.
        var zlibStart = pos + 8;
        var z = zlibStart;
        span[z++] = 0x78;
        span[z++] = ZlibFlags(level);
        foreach (var band in bands)
        {
            band.Span.CopyTo(span[z..]);
            z += band.Length;
        }

        BinaryPrimitives.WriteUInt32BigEndian(span[z..], adler);
        FrameIdats(output, pos, (int)zlibLength, (int)idatCount);
        pos += (int)(zlibLength + (idatCount * 12));
        pos = WriteChunk(span, pos, "IEND"u8, []);
        return pos == output.Length ? output : throw new InvalidOperationException("PNG length miscomputed.");
    }

    private static byte ColorType(ColorModel color) => color switch
    {
        ColorModel.Gray => 0,
        ColorModel.Rgb => 2,
        ColorModel.GrayAlpha => 4,
        ColorModel.Rgba => 6,
        _ => throw new ArgumentOutOfRangeException(nameof(color), color, "Unknown color model."),
    };

    private static int ZlibLevelOf(PngEncodeOptions options)
    {
        if (options.ZlibLevel is { } explicitLevel)
        {
            return explicitLevel is >= 0 and <= 9
                ? explicitLevel
                : throw new ArgumentOutOfRangeException(nameof(options), explicitLevel, "ZlibLevel must be 0 to 9.");
        }

        return options.Level switch
        {
            CompressionLevel.NoCompression => 0,
            CompressionLevel.Fastest => 2, // zlib-ng's level 1 uses static Huffman codes only: far larger on radiographs
            CompressionLevel.SmallestSize => 9,
            _ => 5, // within 1–2 % of level 6's size on overlays at well over twice its speed
        };
    }

    private static FilterMode FilterModeOf(PngEncodeOptions options) => options switch
    {
        { AdaptiveFilter: false } => FilterMode.None,
        { Level: CompressionLevel.Fastest, ZlibLevel: null } => FilterMode.Average,
        _ => FilterMode.Adaptive,
    };

    // FLEVEL bits of the zlib header are informational; they follow zlib's own mapping.
    private static byte ZlibFlags(int level) => level switch
    {
        <= 1 => 0x01,
        <= 5 => 0x5E,
        6 => 0x9C,
        _ => 0xDA,
    };

    /// <summary>Filters and deflates the image in row bands; returns the raw deflate bytes of each band in order.</summary>
    private static ReadOnlyMemory<byte>[] CompressBands(Raster image, int level, FilterMode filter, out uint adler)
    {
        var bpp = image.Channels * (image.BitDepth / 8);
        var stride = image.Width * bpp;
        var rowBytes = stride + 1;
        var rowsPerBand = Math.Max(1, BandBytes / rowBytes);
        var bandCount = (image.Height + rowsPerBand - 1) / rowsPerBand;
        var results = new ReadOnlyMemory<byte>[bandCount];
        var adlers = new uint[bandCount];
        var lengths = new long[bandCount];

        void Band(int b)
        {
            var first = b * rowsPerBand;
            var last = Math.Min(image.Height, first + rowsPerBand);
            var filtered = new byte[(last - first) * rowBytes];
            FilterRows(image, first, last, bpp, filter, filtered);
            adlers[b] = Adler32.Update(1, filtered);
            lengths[b] = filtered.Length;
            results[b] = Deflate(filtered, level, final: b == bandCount - 1);
        }

        if (bandCount == 1)
        {
            Band(0);
        }
        else
        {
            Parallel.For(0, bandCount, Band);
        }

        adler = adlers[0];
        for (var b = 1; b < bandCount; b++)
        {
            adler = Adler32.Combine(adler, adlers[b], lengths[b]);
        }

        return results;
    }

    /// <summary>
    /// Raw deflate of one band. A band that is not the last ends with a sync flush (an empty stored block: byte-aligned,
    /// BFINAL clear) so the next band's blocks can follow it directly; its bytes are taken before disposal, which would
    /// append a final block.
    /// </summary>
    private static ReadOnlyMemory<byte> Deflate(byte[] data, int level, bool final)
    {
        var strategy = ZLibCompressionStrategy.Default;
        if (level > 0)
        {
            var sampleLength = Math.Min(data.Length, StrategySampleBytes);
            var sample = data.AsMemory((data.Length - sampleLength) / 2, sampleLength);

            // A whole small band is tried at the real level; a sample of a large one at level ≤ 2 (cheap, and when
            // string matching pays at level 2 it pays at any higher level too).
            var sampleLevel = sampleLength == data.Length ? level : Math.Min(level, 2);
            var lz = DeflateOnce(sample, sampleLevel, ZLibCompressionStrategy.Default, final: true);
            var huffman = DeflateOnce(sample, sampleLevel, ZLibCompressionStrategy.HuffmanOnly, final: true);
            if (sampleLength == data.Length)
            {
                // The sample is the whole band: keep the smaller result outright.
                return final
                    ? (huffman.Length < lz.Length ? huffman : lz)
                    : DeflateOnce(data, level, huffman.Length < lz.Length ? ZLibCompressionStrategy.HuffmanOnly : ZLibCompressionStrategy.Default, final: false);
            }

            strategy = huffman.Length < lz.Length ? ZLibCompressionStrategy.HuffmanOnly : ZLibCompressionStrategy.Default;
        }

        return DeflateOnce(data, level, strategy, final);
    }

    private static ReadOnlyMemory<byte> DeflateOnce(ReadOnlyMemory<byte> data, int level, ZLibCompressionStrategy strategy, bool final)
    {
        var buffer = new MemoryStream((data.Length / 2) + 1024);
        var options = new ZLibCompressionOptions { CompressionLevel = level, CompressionStrategy = strategy };
        var deflate = new DeflateStream(buffer, options, leaveOpen: true);
        try
        {
            deflate.Write(data.Span);
            if (!final)
            {
                deflate.Flush();
                return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
            }
        }
        finally
        {
            deflate.Dispose();
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    /// <summary>Writes rows [first, last) filtered, each prefixed by its filter type byte, into <paramref name="output"/>.</summary>
    private static void FilterRows(Raster image, int first, int last, int bpp, FilterMode mode, Span<byte> output)
    {
        var stride = image.Width * bpp;
        var rowBytes = stride + 1;
        byte[]? swapCurrent = null;
        byte[]? swapPrevious = null;
        byte[]? candidate = null;
        byte[]? best = null;
        if (image.BitDepth == 16)
        {
            swapCurrent = new byte[stride];
            swapPrevious = new byte[stride];
            if (first > 0)
            {
                FillRow16(image, first - 1, swapPrevious);
            }
        }

        if (mode == FilterMode.Adaptive)
        {
            candidate = new byte[stride];
            best = new byte[stride];
        }

        var zeros = first == 0 ? new byte[stride] : null;
        for (var y = first; y < last; y++)
        {
            ReadOnlySpan<byte> row;
            ReadOnlySpan<byte> prior;
            if (swapCurrent is not null && swapPrevious is not null)
            {
                FillRow16(image, y, swapCurrent);
                row = swapCurrent;
                prior = y == 0 ? zeros : swapPrevious;
            }
            else
            {
                row = image.Data.AsSpan(y * stride, stride);
                prior = y == 0 ? zeros : image.Data.AsSpan((y - 1) * stride, stride);
            }

            var target = output.Slice((y - first) * rowBytes, rowBytes);
            switch (mode)
            {
                case FilterMode.None:
                    target[0] = 0;
                    row.CopyTo(target[1..]);
                    break;
                case FilterMode.Average:
                    target[0] = 3;
                    ApplyFilter(3, row, prior, bpp, target[1..]);
                    break;
                default:
                    target[0] = ChooseFilter(row, prior, bpp, ref candidate!, ref best!);
                    best.CopyTo(target[1..]);
                    break;
            }

            if (swapCurrent is not null)
            {
                (swapCurrent, swapPrevious) = (swapPrevious, swapCurrent);
            }
        }
    }

    /// <summary>Copies one 16-bit row in PNG byte order (big-endian samples).</summary>
    private static void FillRow16(Raster image, int y, Span<byte> row)
    {
        var count = row.Length / 2;
        var samples = image.Samples16.Slice(y * count, count);
        BinaryPrimitives.ReverseEndianness(samples, System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(row));
    }

    // The PNG spec's recommended heuristic: the filter whose output, read as signed bytes, has the smallest
    // sum of magnitudes tends to compress best. Leaves the winner in best and returns its type.
    private static byte ChooseFilter(ReadOnlySpan<byte> row, ReadOnlySpan<byte> prior, int bpp, ref byte[] candidate, ref byte[] best)
    {
        var bestScore = ulong.MaxValue;
        byte bestFilter = 0;
        for (byte filter = 0; filter <= 4; filter++)
        {
            ApplyFilter(filter, row, prior, bpp, candidate);
            var score = SumOfMagnitudes(candidate);
            if (score < bestScore)
            {
                bestScore = score;
                bestFilter = filter;
                (candidate, best) = (best, candidate);
            }
        }

        return bestFilter;
    }

    private static int WriteChunk(Span<byte> output, int pos, ReadOnlySpan<byte> type, ReadOnlySpan<byte> data)
    {
        BinaryPrimitives.WriteUInt32BigEndian(output[pos..], (uint)data.Length);
        type.CopyTo(output[(pos + 4)..]);
        data.CopyTo(output[(pos + 8)..]);
        var crc = Crc32.Compute(output.Slice(pos + 4, data.Length + 4));
        BinaryPrimitives.WriteUInt32BigEndian(output[(pos + 8 + data.Length)..], crc);
        return pos + 12 + data.Length;
    }

    /// <summary>
    /// The zlib stream sits at pos + 8 contiguously; moves its 64 kB pieces apart (last first, so nothing is overwritten
    /// before it moves) and fills in each IDAT's length, type and CRC. CRCs are computed in parallel.
    /// </summary>
    private static void FrameIdats(byte[] output, int pos, int zlibLength, int idatCount)
    {
        var zlibStart = pos + 8;
        for (var i = idatCount - 1; i >= 1; i--)
        {
            var from = zlibStart + (i * MaxIdatLength);
            var length = Math.Min(MaxIdatLength, zlibLength - (i * MaxIdatLength));
            var to = pos + (i * (MaxIdatLength + 12)) + 8;
            Buffer.BlockCopy(output, from, output, to, length);
        }

        void Frame(int i)
        {
            var length = Math.Min(MaxIdatLength, zlibLength - (i * MaxIdatLength));
            var at = pos + (i * (MaxIdatLength + 12));
            var span = output.AsSpan();
            BinaryPrimitives.WriteUInt32BigEndian(span[at..], (uint)length);
            "IDAT"u8.CopyTo(span[(at + 4)..]);
            var crc = Crc32.Compute(span.Slice(at + 4, length + 4));
            BinaryPrimitives.WriteUInt32BigEndian(span[(at + 8 + length)..], crc);
        }

        if (idatCount < 16)
        {
            for (var i = 0; i < idatCount; i++)
            {
                Frame(i);
            }
        }
        else
        {
            Parallel.For(0, idatCount, Frame);
        }
    }

    private enum FilterMode
    {
        None,
        Average,
        Adaptive,
    }
}
