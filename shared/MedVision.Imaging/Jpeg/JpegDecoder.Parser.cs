using System.Buffers;
using System.Buffers.Binary;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    private const int MarkerSoi = 0xD8;
    private const int MarkerEoi = 0xD9;
    private const int MarkerSos = 0xDA;
    private const int MarkerDqt = 0xDB;
    private const int MarkerDnl = 0xDC;
    private const int MarkerDri = 0xDD;
    private const int MarkerDht = 0xC4;
    private const int MarkerDac = 0xCC;
    private const int MarkerRst0 = 0xD0;
    private const int MarkerRst7 = 0xD7;
    private const int MarkerApp0 = 0xE0;
    private const int MarkerApp15 = 0xEF;
    private const int MarkerCom = 0xFE;

    /// <summary>
    /// Marker-level parsing (T.81 Annex B). Table and frame state lives here; entropy decoding and sample
    /// reconstruction are separate steps it calls, so other processes can plug in at those seams.
    /// </summary>
    private ref partial struct Parser
    {
        private readonly ReadOnlySpan<byte> data;
        private readonly JpegDecodeOptions options;
        private readonly ImageLimits limits;
        private readonly bool infoOnly;
        private readonly int[]?[] quantTables = new int[]?[4];
        private readonly HuffmanTable?[] dcTables = new HuffmanTable?[4];
        private readonly HuffmanTable?[] acTables = new HuffmanTable?[4];
        private Frame? frame;
        private bool sawJfif;
        private bool sawAdobe;
        private int adobeTransform;
        private bool sawExif;
        private int orientation = 1;
        private int restartInterval;
        private int firstRestartInterval = -1;
        private int segments;
        private int scans;
        private bool buffersAllocated;
        private int pos;

        public Parser(ReadOnlySpan<byte> data, JpegDecodeOptions options, bool infoOnly)
        {
            this.data = data;
            this.options = options;
            limits = options.Limits ?? ImageLimits.Default;
            this.infoOnly = infoOnly;
        }

        public Result Run()
        {
            if (data.Length < 2 || data[0] != 0xFF || data[1] != MarkerSoi)
            {
                throw data.Length < 2 && (data.Length == 0 || data[0] == 0xFF)
                    ? Fail(JpegErrorCodes.Truncated, $"JPEG is only {data.Length} bytes long, shorter than its SOI marker.")
                    : Fail(JpegErrorCodes.BadSignature, "Data does not start with the JPEG SOI marker FF D8.");
            }

            pos = 2;
            var afterScan = false;
            while (true)
            {
                var markerOffset = pos;
                var marker = NextMarker(afterScan);
                if (marker < 0)
                {
                    // Data ends without EOI. Fine once a scan is complete (libjpeg warns and outputs); else truncated.
                    if (!infoOnly && scans > 0)
                    {
                        return Finish();
                    }

                    throw Fail(JpegErrorCodes.Truncated, $"JPEG ends at offset {data.Length} before {(frame is null ? "a frame header" : "any scan")}.");
                }

                markerOffset = pos - 2;
                afterScan = false;
                if (++segments > options.MaxSegments)
                {
                    throw Fail(JpegErrorCodes.TooManySegments, $"JPEG has more than {options.MaxSegments} marker segments (limit reached at offset {markerOffset}).");
                }

                switch (marker)
                {
                    case MarkerEoi:
                        if (frame is null)
                        {
                            throw Fail(JpegErrorCodes.Truncated, $"JPEG reaches EOI at offset {markerOffset} before any frame header.");
                        }

                        if (scans == 0)
                        {
                            throw Fail(JpegErrorCodes.Truncated, $"JPEG reaches EOI at offset {markerOffset} before any scan.");
                        }

                        return Finish();

                    case MarkerSoi:
                        throw Fail(JpegErrorCodes.BadMarker, $"JPEG has a second SOI marker at offset {markerOffset}.");

                    case >= MarkerRst0 and <= MarkerRst7:
                    case 0x01: // TEM
                        // Parameterless and meaningless outside entropy data; libjpeg ignores them too.
                        continue;
                }

                if (marker < 0xC0)
                {
                    throw Fail(JpegErrorCodes.BadMarker, $"JPEG has an invalid marker FF{marker:X2} at offset {markerOffset}.");
                }

                var segment = ReadSegment(marker, markerOffset);
                switch (marker)
                {
                    case 0xC0:
                    case 0xC1:
                    case 0xC2:
                    case 0xC3:
                        ParseFrame(marker, segment, markerOffset);
                        break;
                    case 0xC5 or 0xC6 or 0xC7:
                        throw Fail(JpegErrorCodes.Unsupported, $"hierarchical JPEG (SOF{marker - 0xC0}) at offset {markerOffset} is not supported.");
                    case >= 0xC9 and <= 0xCF when marker != MarkerDac:
                        throw Fail(JpegErrorCodes.Unsupported, $"arithmetic-coded JPEG (SOF{marker - 0xC0}) at offset {markerOffset} is not supported.");
                    case 0xDE or 0xDF:
                        throw Fail(JpegErrorCodes.Unsupported, $"hierarchical JPEG (marker FF{marker:X2}) at offset {markerOffset} is not supported.");
                    case MarkerDht:
                        ParseHuffmanTables(segment, markerOffset);
                        break;
                    case MarkerDqt:
                        ParseQuantTables(segment, markerOffset);
                        break;
                    case MarkerDri:
                        if (segment.Length != 2)
                        {
                            throw Fail(JpegErrorCodes.BadSegment, $"JPEG DRI segment at offset {markerOffset} has {segment.Length} data bytes, not 2.");
                        }

                        restartInterval = BinaryPrimitives.ReadUInt16BigEndian(segment);
                        if (scans == 0)
                        {
                            firstRestartInterval = restartInterval;
                        }

                        break;
                    case MarkerSos:
                        if (frame is null)
                        {
                            throw Fail(JpegErrorCodes.BadHeader, $"JPEG SOS at offset {markerOffset} comes before any frame header (SOF).");
                        }

                        if (infoOnly)
                        {
                            return new Result(BuildInfo(), null);
                        }

                        if (++scans > options.MaxScans)
                        {
                            throw Fail(JpegErrorCodes.TooManyScans, $"JPEG has more than {options.MaxScans} scans (limit reached at offset {markerOffset}).");
                        }

                        var scan = ParseScan(segment, markerOffset);
                        if (!DecodeScan(scan))
                        {
                            // A later progressive scan ran out of data: render what the earlier scans gave.
                            return Finish();
                        }

                        afterScan = true;
                        break;
                    case >= MarkerApp0 and <= MarkerApp15:
                        ParseApp(marker, segment);
                        break;
                    case MarkerCom or MarkerDac or MarkerDnl:
                        // DAC only matters to arithmetic coding (rejected at its SOF); DNL cannot occur since height 0 is refused.
                        break;
                    default:
                        throw Fail(JpegErrorCodes.BadMarker, $"JPEG has an unknown or misplaced marker FF{marker:X2} at offset {markerOffset}.");
                }
            }
        }

        /// <summary>
        /// Reads the next marker code, leaving <see cref="pos"/> after it; -1 at end of data. Between segments a marker
        /// must follow directly (fill 0xFF bytes allowed); after entropy data stray bytes are skipped, as libjpeg does.
        /// </summary>
        private int NextMarker(bool afterScan)
        {
            while (true)
            {
                if (pos >= data.Length)
                {
                    return -1;
                }

                if (data[pos] != 0xFF)
                {
                    if (!afterScan)
                    {
                        throw Fail(JpegErrorCodes.BadMarker, $"JPEG expects a marker at offset {pos} but finds byte 0x{data[pos]:X2}.");
                    }

                    var next = data[pos..].IndexOf((byte)0xFF);
                    if (next < 0)
                    {
                        pos = data.Length;
                        return -1;
                    }

                    pos += next;
                }

                while (pos < data.Length && data[pos] == 0xFF)
                {
                    pos++;
                }

                if (pos >= data.Length)
                {
                    return -1;
                }

                var code = data[pos++];
                if (code != 0)
                {
                    return code;
                }

                // FF00 is stuffing, not a marker: only possible in skipped entropy leftovers.
                if (!afterScan)
                {
                    throw Fail(JpegErrorCodes.BadMarker, $"JPEG has a stuffed byte FF00 at offset {pos - 2} where a marker belongs.");
                }
            }
        }

        private ReadOnlySpan<byte> ReadSegment(int marker, int markerOffset)
        {
            if (data.Length - pos < 2)
            {
                throw Fail(JpegErrorCodes.Truncated, $"JPEG ends at offset {data.Length} inside the length of segment FF{marker:X2} at offset {markerOffset}.");
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            if (length < 2)
            {
                throw Fail(JpegErrorCodes.BadSegment, $"JPEG segment FF{marker:X2} at offset {markerOffset} declares length {length}, below the minimum 2.");
            }

            if (data.Length - pos < length)
            {
                throw Fail(JpegErrorCodes.Truncated,
                    $"JPEG segment FF{marker:X2} at offset {markerOffset} declares {length} bytes but only {data.Length - pos} remain.");
            }

            var segment = data.Slice(pos + 2, length - 2);
            pos += length;
            return segment;
        }

        private void ParseFrame(int marker, ReadOnlySpan<byte> s, int offset)
        {
            if (frame is not null)
            {
                throw Fail(JpegErrorCodes.BadHeader, $"JPEG has a second frame header (SOF) at offset {offset}.");
            }

            if (s.Length < 6)
            {
                throw Fail(JpegErrorCodes.BadSegment, $"JPEG SOF at offset {offset} is {s.Length} bytes, shorter than its fixed 6-byte part.");
            }

            int precision = s[0];
            int height = BinaryPrimitives.ReadUInt16BigEndian(s[1..]);
            int width = BinaryPrimitives.ReadUInt16BigEndian(s[3..]);
            int count = s[5];
            if (s.Length != 6 + (3 * count))
            {
                throw Fail(JpegErrorCodes.BadSegment, $"JPEG SOF at offset {offset} has {s.Length} data bytes, not 6 + 3 x {count} components.");
            }

            var process = marker switch
            {
                0xC0 => JpegProcess.Baseline,
                0xC1 => JpegProcess.ExtendedSequential,
                0xC2 => JpegProcess.Progressive,
                _ => JpegProcess.Lossless,
            };
            switch (process)
            {
                case JpegProcess.Lossless when precision is < 2 or > 16:
                    throw Fail(JpegErrorCodes.BadHeader, $"JPEG lossless SOF3 at offset {offset} declares sample precision {precision}; lossless allows 2..16.");
                case JpegProcess.Baseline when precision != 8:
                    throw Fail(JpegErrorCodes.BadHeader, $"JPEG baseline SOF0 at offset {offset} declares sample precision {precision}; baseline allows only 8.");
                case JpegProcess.ExtendedSequential or JpegProcess.Progressive when precision is not (8 or 12):
                    throw Fail(JpegErrorCodes.BadHeader, $"JPEG SOF at offset {offset} declares sample precision {precision}; DCT processes allow 8 or 12.");
            }

            if (width == 0 || height == 0)
            {
                // Height 0 defers to a DNL marker after the first scan, which this decoder does not support.
                throw Fail(JpegErrorCodes.BadHeader, $"JPEG SOF at offset {offset} declares a {width}x{height} image; zero sizes (and DNL) are not supported.");
            }

            if (count is not (1 or 3 or 4))
            {
                throw count == 0 || count > 4
                    ? Fail(JpegErrorCodes.BadHeader, $"JPEG SOF at offset {offset} declares {count} components.")
                    : Fail(JpegErrorCodes.Unsupported, $"JPEG SOF at offset {offset} declares {count} components; only 1, 3 and 4 map to gray/RGB.");
            }

            if (width > limits.MaxWidth || height > limits.MaxHeight || (long)width * height > limits.MaxPixels)
            {
                throw Fail(JpegErrorCodes.TooLarge,
                    $"JPEG is {width}x{height}, beyond the limits of {limits.MaxWidth}x{limits.MaxHeight} and {limits.MaxPixels} pixels.");
            }

            var components = new Component[count];
            for (var i = 0; i < count; i++)
            {
                var c = s.Slice(6 + (3 * i), 3);
                int h = c[1] >> 4;
                int v = c[1] & 15;
                if (h is < 1 or > 4 || v is < 1 or > 4)
                {
                    throw Fail(JpegErrorCodes.BadHeader, $"JPEG SOF at offset {offset}: component {c[0]} has sampling factors {h}x{v}; each must be 1..4.");
                }

                if (c[2] > 3)
                {
                    throw Fail(JpegErrorCodes.BadHeader, $"JPEG SOF at offset {offset}: component {c[0]} names quantization table {c[2]}; ids are 0..3.");
                }

                for (var j = 0; j < i; j++)
                {
                    if (components[j].Id == c[0])
                    {
                        throw Fail(JpegErrorCodes.BadHeader, $"JPEG SOF at offset {offset} declares component id {c[0]} twice.");
                    }
                }

                components[i] = new Component { Id = c[0], Index = i, H = h, V = v, QuantId = c[2] };
            }

            if (process == JpegProcess.Lossless && count > 1 && components.Any(c => c.H != 1 || c.V != 1))
            {
                // Each sample is its own data unit, so subsampled components would need upsampling nobody in DICOM asks for.
                throw Fail(JpegErrorCodes.Unsupported,
                    $"JPEG lossless SOF3 at offset {offset} has subsampled components ({string.Join(',', components.Select(c => $"{c.H}x{c.V}"))}); only 1x1 is supported.");
            }

            var maxH = components.Max(c => c.H);
            var maxV = components.Max(c => c.V);
            var f = new Frame
            {
                Process = process,
                Precision = precision,
                Width = width,
                Height = height,
                Components = components,
                MaxH = maxH,
                MaxV = maxV,
            };

            // The raster: 1, 3 or (components as coded) 4 channels, 16-bit above 8-bit precision.
            var channels = count == 1 ? 1 : count == 4 && (f.Lossless || !options.ConvertColor) ? 4 : 3;
            var sampleBytes = precision > 8 ? 2 : 1;
            long bufferBytes = (long)width * height * channels * sampleBytes;
            foreach (var c in components)
            {
                c.SampleWidth = DivCeil(width * c.H, maxH);
                c.SampleHeight = DivCeil(height * c.V, maxV);
                c.WidthInBlocks = DivCeil(c.SampleWidth, 8);
                c.HeightInBlocks = DivCeil(c.SampleHeight, 8);
                c.BlocksPerLine = f.McusPerLine * c.H;
                c.BlocksPerColumn = f.McusPerColumn * c.V;

                // Element counts: DCT planes cover whole MCUs; a lossless plane is the image itself (16-bit samples).
                var planeSamples = f.Lossless ? (long)width * height : (long)c.BlocksPerLine * c.BlocksPerColumn * 64;
                var planeBytes = planeSamples * (f.Lossless || f.Dct12 ? 2 : 1);
                var coefficientBytes = f.Progressive ? planeSamples * 2 : 0;
                if (planeSamples > Array.MaxLength)
                {
                    throw Fail(JpegErrorCodes.TooLarge, $"JPEG {width}x{height} component {c.Id} needs a buffer larger than one array can hold.");
                }

                bufferBytes += planeBytes + coefficientBytes;
            }

            if (bufferBytes > limits.MaxDecodedBytes)
            {
                throw Fail(JpegErrorCodes.TooLarge,
                    $"JPEG {width}x{height} needs {bufferBytes} bytes of decode buffers, beyond the limit of {limits.MaxDecodedBytes}.");
            }

            frame = f;
        }

        private readonly void ParseHuffmanTables(ReadOnlySpan<byte> s, int offset)
        {
            var p = 0;
            while (p < s.Length)
            {
                if (s.Length - p < 17)
                {
                    throw Fail(JpegErrorCodes.BadSegment, $"JPEG DHT segment at offset {offset} ends inside a table header.");
                }

                int tc = s[p] >> 4;
                int th = s[p] & 15;
                if (tc > 1 || th > 3)
                {
                    throw Fail(JpegErrorCodes.BadHuffman, $"JPEG DHT at offset {offset} defines table class {tc} id {th}; class must be 0..1 and id 0..3.");
                }

                var counts = s.Slice(p + 1, 16);
                var total = 0;
                foreach (var n in counts)
                {
                    total += n;
                }

                if (total > 256)
                {
                    throw Fail(JpegErrorCodes.BadHuffman, $"JPEG DHT at offset {offset} declares {total} codes; at most 256 are possible.");
                }

                if (s.Length - p - 17 < total)
                {
                    throw Fail(JpegErrorCodes.BadSegment, $"JPEG DHT segment at offset {offset} declares {total} symbols but holds {s.Length - p - 17}.");
                }

                var table = HuffmanTable.Build(counts, s.Slice(p + 17, total), tc == 0, offset);
                if (tc == 0 && frame is { Lossless: false })
                {
                    // Lossless differences use category 16; a DCT frame already known cannot (DHT before SOF is checked at SOS).
                    RejectCategory16(table, offset);
                }

                (tc == 0 ? dcTables : acTables)[th] = table;
                p += 17 + total;
            }
        }

        private static void RejectCategory16(HuffmanTable dc, int offset)
        {
            if (dc.MaxSymbol > 15)
            {
                throw Fail(JpegErrorCodes.BadHuffman, $"JPEG DC Huffman table at offset {offset} has a magnitude category {dc.MaxSymbol} above 15.");
            }
        }

        private readonly void ParseQuantTables(ReadOnlySpan<byte> s, int offset)
        {
            var p = 0;
            while (p < s.Length)
            {
                int pq = s[p] >> 4;
                int tq = s[p] & 15;
                if (pq > 1 || tq > 3)
                {
                    throw Fail(JpegErrorCodes.BadHeader, $"JPEG DQT at offset {offset} defines table id {tq} with precision {pq}; ids are 0..3, precision 0..1.");
                }

                var size = pq == 0 ? 64 : 128;
                if (s.Length - p - 1 < size)
                {
                    throw Fail(JpegErrorCodes.BadSegment, $"JPEG DQT segment at offset {offset} ends inside table {tq}.");
                }

                var table = new int[64];
                for (var k = 0; k < 64; k++)
                {
                    table[NaturalOrder[k]] = pq == 0 ? s[p + 1 + k] : BinaryPrimitives.ReadUInt16BigEndian(s[(p + 1 + (2 * k))..]);
                }

                quantTables[tq] = table;
                p += 1 + size;
            }
        }

        private void ParseApp(int marker, ReadOnlySpan<byte> s)
        {
            if (marker == MarkerApp0 && s.StartsWith("JFIF\0"u8))
            {
                sawJfif = true;
            }
            else if (marker == MarkerApp0 + 14 && s.Length >= 12 && s.StartsWith("Adobe"u8))
            {
                sawAdobe = true;
                adobeTransform = s[11];
            }
            else if (marker == MarkerApp0 + 1 && !sawExif && s.StartsWith("Exif\0\0"u8))
            {
                // Only the first Exif block counts; a malformed one is ignored, as viewers do.
                sawExif = true;
                orientation = ExifOrientation(s[6..]);
            }
        }

        /// <summary>Tag 0x0112 of IFD0, either byte order; 1 when absent, malformed or out of range.</summary>
        private static int ExifOrientation(ReadOnlySpan<byte> tiff)
        {
            if (tiff.Length < 8)
            {
                return 1;
            }

            bool little;
            if (tiff[0] == 'I' && tiff[1] == 'I')
            {
                little = true;
            }
            else if (tiff[0] == 'M' && tiff[1] == 'M')
            {
                little = false;
            }
            else
            {
                return 1;
            }

            int U16(ReadOnlySpan<byte> t, int at) => little ? BinaryPrimitives.ReadUInt16LittleEndian(t[at..]) : BinaryPrimitives.ReadUInt16BigEndian(t[at..]);
            uint U32(ReadOnlySpan<byte> t, int at) => little ? BinaryPrimitives.ReadUInt32LittleEndian(t[at..]) : BinaryPrimitives.ReadUInt32BigEndian(t[at..]);

            if (U16(tiff, 2) != 42)
            {
                return 1;
            }

            var ifd = U32(tiff, 4);
            if (ifd > (uint)(tiff.Length - 2))
            {
                return 1;
            }

            var entries = U16(tiff, (int)ifd);
            for (var i = 0; i < entries; i++)
            {
                var at = (int)ifd + 2 + (12 * i);
                if (at + 12 > tiff.Length)
                {
                    return 1;
                }

                if (U16(tiff, at) == 0x0112)
                {
                    // SHORT (type 3), count 1: the value sits in the first two bytes of the value field.
                    var value = U16(tiff, at + 2) == 3 && U32(tiff, at + 4) == 1 ? U16(tiff, at + 8) : 1;
                    return value is >= 1 and <= 8 ? value : 1;
                }
            }

            return 1;
        }

        private Scan ParseScan(ReadOnlySpan<byte> s, int offset)
        {
            var f = frame!;
            if (s.Length < 1 || s[0] is < 1 or > 4 || s.Length != 4 + (2 * s[0]))
            {
                throw Fail(JpegErrorCodes.BadSegment, $"JPEG SOS at offset {offset} has {s.Length} data bytes for {(s.Length > 0 ? s[0] : 0)} components (1..4 allowed).");
            }

            int count = s[0];
            var components = new Component[count];
            var blocksPerMcu = 0;
            for (var i = 0; i < count; i++)
            {
                int id = s[1 + (2 * i)];
                var c = Array.Find(f.Components, x => x.Id == id)
                        ?? throw Fail(JpegErrorCodes.BadScan, $"JPEG SOS at offset {offset} names component {id}, which the frame does not declare.");
                if (Array.IndexOf(components, c) >= 0)
                {
                    throw Fail(JpegErrorCodes.BadScan, $"JPEG SOS at offset {offset} names component {id} twice.");
                }

                components[i] = c;
                int td = s[2 + (2 * i)] >> 4;
                int ta = s[2 + (2 * i)] & 15;
                if (td > 3 || ta > 3)
                {
                    throw Fail(JpegErrorCodes.BadHuffman, $"JPEG SOS at offset {offset}: component {id} names Huffman tables DC {td} / AC {ta}; ids are 0..3.");
                }

                c.DcTable = dcTables[td];
                c.AcTable = acTables[ta];
                blocksPerMcu += c.H * c.V;
            }

            var tail = s[(1 + (2 * count))..];
            int ss = tail[0];
            int se = tail[1];
            int ah = tail[2] >> 4;
            int al = tail[2] & 15;
            if (count > 1 && blocksPerMcu > 10)
            {
                throw Fail(JpegErrorCodes.BadScan, $"JPEG SOS at offset {offset} interleaves {blocksPerMcu} blocks per MCU; T.81 allows at most 10.");
            }

            if (f.Lossless)
            {
                return LosslessScan(components, ss, al, offset);
            }

            if (f.Progressive)
            {
                var bad = se > 63 || ss > se || (ss == 0 && se != 0) || (ss > 0 && count != 1) || al > 13 || (ah != 0 && ah != al + 1);
                if (bad)
                {
                    throw Fail(JpegErrorCodes.BadScan,
                        $"JPEG progressive SOS at offset {offset} has invalid parameters Ss={ss} Se={se} Ah={ah} Al={al} for {count} component(s).");
                }
            }
            else
            {
                // Sequential scans always code the full band; libjpeg too ignores what the header says here.
                (ss, se, ah, al) = (0, 63, 0, 0);
            }

            foreach (var c in components)
            {
                var needDc = ss == 0 && ah == 0;
                var needAc = se > 0;
                if ((needDc && c.DcTable is null) || (needAc && c.AcTable is null))
                {
                    throw Fail(JpegErrorCodes.BadHuffman, $"JPEG SOS at offset {offset}: component {c.Id} uses a Huffman table no DHT has defined.");
                }

                if (needDc)
                {
                    RejectCategory16(c.DcTable!, offset);
                }

                if (c.Quant is null)
                {
                    c.Quant = quantTables[c.QuantId]
                              ?? throw Fail(JpegErrorCodes.BadHeader, $"JPEG SOS at offset {offset}: component {c.Id} uses quantization table {c.QuantId}, which no DQT has defined.");
                }
            }

            AllocateBuffers();
            return new Scan
            {
                Components = components,
                Ss = ss,
                Se = se,
                Ah = ah,
                Al = al,
                RestartInterval = restartInterval,
                Number = scans,
            };
        }

        private void AllocateBuffers()
        {
            if (buffersAllocated)
            {
                return;
            }

            // Sizes were checked against the limits when the SOF was parsed.
            foreach (var c in frame!.Components)
            {
                if (frame.Lossless)
                {
                    // Every sample is written by the scan that codes the component (a component no scan codes fails).
                    c.Plane16 = new ushort[frame.Width * frame.Height];
                    continue;
                }

                var blocks = c.BlocksPerLine * c.BlocksPerColumn;
                if (frame.Progressive)
                {
                    c.Coefficients = new short[blocks * 64];
                }

                if (frame.Dct12)
                {
                    c.Plane16 = new ushort[blocks * 64];
                    continue;
                }

                // Not zeroed: every sample the output stage reads is written by the IDCT first (sequential scans cover
                // every block they own, and a component no scan reached fails; progressive transforms all blocks).
                if (frame.Components.Length == 1 && c.Stride == frame.Width && blocks * 64 == frame.Width * frame.Height)
                {
                    c.Plane = GC.AllocateUninitializedArray<byte>(blocks * 64); // becomes the gray raster as it is
                }
                else
                {
                    // Only scratch for the output stage: rented, and returned once the raster is built.
                    c.Plane = ArrayPool<byte>.Shared.Rent(blocks * 64);
                    c.PlanePooled = true;
                }
            }

            buffersAllocated = true;
        }

        private readonly JpegInfo BuildInfo()
        {
            var f = frame!;
            return new JpegInfo(f.Width, f.Height, f.Components.Length, f.Precision, f.Process, orientation,
                firstRestartInterval < 0 ? restartInterval : firstRestartInterval, ColorSpace(), Subsampling(f));
        }

        /// <summary>libjpeg's default_decompress_parms: JFIF, then Adobe transform, then component ids.</summary>
        private readonly string ColorSpace()
        {
            var f = frame!;
            switch (f.Components.Length)
            {
                case 1:
                    return "gray";
                case 3:
                    if (sawJfif)
                    {
                        return "ycbcr";
                    }

                    if (sawAdobe)
                    {
                        return adobeTransform == 0 ? "rgb" : "ycbcr";
                    }

                    // Without markers lossless data is taken as RGB: DICOM stores lossless colour as RGB, and lossless
                    // components are returned unconverted anyway.
                    var ids = f.Components;
                    return f.Lossless || (ids[0].Id == 'R' && ids[1].Id == 'G' && ids[2].Id == 'B') ? "rgb" : "ycbcr";
                default:
                    // Adobe transform 2 is YCCK; libjpeg also assumes YCCK for unknown non-zero transforms.
                    return sawAdobe && adobeTransform != 0 ? "ycck" : "cmyk";
            }
        }

        private static string Subsampling(Frame f)
        {
            var c = f.Components;
            if (c.Length == 1)
            {
                return "4:0:0";
            }

            if (c.All(x => x.H == c[0].H && x.V == c[0].V))
            {
                return "4:4:4";
            }

            if (c.Length == 3 && c[1].H == c[2].H && c[1].V == c[2].V && c[0].H % c[1].H == 0 && c[0].V % c[1].V == 0)
            {
                var name = (c[0].H / c[1].H, c[0].V / c[1].V) switch
                {
                    (2, 2) => "4:2:0",
                    (2, 1) => "4:2:2",
                    (1, 2) => "4:4:0",
                    (4, 1) => "4:1:1",
                    (4, 2) => "4:1:0",
                    _ => null,
                };
                if (name is not null)
                {
                    return name;
                }
            }

            return string.Join(',', c.Select(x => $"h{x.H}v{x.V}"));
        }
    }
}
