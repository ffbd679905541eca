using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace MedVision.Imaging;

public static partial class JpegDecoder
{
    /// <summary>A DHT table prepared for decoding: a 9-bit direct lookup plus T.81 F.2.2.3 MAXCODE/VALPTR for longer codes.</summary>
    private sealed class HuffmanTable
    {
        public const int LookupBits = 10;

        private HuffmanTable(ushort[] lookup, int[] acFast, int[] maxCode, int[] valueOffset, byte[] values)
        {
            Lookup = lookup;
            AcFast = acFast;
            MaxCode = maxCode;
            ValueOffset = valueOffset;
            Values = values;
            foreach (var v in values)
            {
                MaxSymbol = Math.Max(MaxSymbol, v);
            }
        }

        /// <summary>Indexed by the next 10 bits: (code length &lt;&lt; 8) | symbol, or 0 when the code is longer (or invalid).</summary>
        public ushort[] Lookup { get; }

        /// <summary>
        /// AC tables only, indexed like <see cref="Lookup"/>: when a code and its magnitude bits both fit in 10 bits,
        /// (value &lt;&lt; 16) | (run &lt;&lt; 8) | total length, so the common coefficient costs one lookup; else 0.
        /// </summary>
        public int[] AcFast { get; }

        /// <summary>Largest code of each length 1..16 (-1 when none); index 17 is a sentinel.</summary>
        public int[] MaxCode { get; }

        /// <summary>Added to a code of length l to index <see cref="Values"/>.</summary>
        public int[] ValueOffset { get; }

        public byte[] Values { get; }

        /// <summary>Largest symbol. DC tables reach 16 only for lossless (difference category 16), which DCT scans refuse.</summary>
        public int MaxSymbol { get; }

        /// <summary>
        /// Builds the canonical code (T.81 Annex C) and rejects over-subscribed or all-ones codes as libjpeg does. DC-class
        /// symbols may be 0..16 (16 only means something to lossless; the parser rejects it for DCT frames).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public static HuffmanTable Build(ReadOnlySpan<byte> counts, ReadOnlySpan<byte> values, bool isDc, int offset)
        {
            var maxCode = new int[18];
            var valueOffset = new int[18];
            var lookup = new ushort[1 << LookupBits];
            var acFast = new int[isDc ? 0 : 1 << LookupBits];
            var code = 0;
            var index = 0;
            for (var length = 1; length <= 16; length++)
            {
                int n = counts[length - 1];

                // After this length's codes the next code must still fit in 'length' bits: a larger value means the
                // counts over-subscribe the code space, an equal one that some code is all ones, which T.81 reserves.
                if (n > 0 && code + n >= 1 << length)
                {
                    throw Fail(JpegErrorCodes.BadHuffman,
                        $"JPEG DHT table at offset {offset} has more codes of length {length} or less than fit ({code + n} >= {1 << length}).");
                }

                if (n == 0)
                {
                    maxCode[length] = -1;
                }
                else
                {
                    valueOffset[length] = index - code;
                    for (var i = 0; i < n; i++)
                    {
                        if (length <= LookupBits)
                        {
                            // Every 10-bit word starting with this code resolves to it.
                            var shift = LookupBits - length;
                            var first = code << shift;
                            var entry = (ushort)((length << 8) | values[index]);
                            lookup.AsSpan(first, 1 << shift).Fill(entry);
                            var size = values[index] & 15;
                            if (!isDc && size != 0 && length + size <= LookupBits)
                            {
                                var run = values[index] >> 4;
                                for (var i2 = 0; i2 < 1 << shift; i2++)
                                {
                                    var raw = i2 >> (shift - size);
                                    var value = raw < 1 << (size - 1) ? raw - (1 << size) + 1 : raw;
                                    acFast[first + i2] = (value << 16) | (run << 8) | (length + size);
                                }
                            }
                        }

                        code++;
                        index++;
                    }

                    maxCode[length] = code - 1;
                }

                code <<= 1;
            }

            maxCode[17] = int.MaxValue;
            if (isDc)
            {
                foreach (var v in values)
                {
                    if (v > 16)
                    {
                        throw Fail(JpegErrorCodes.BadHuffman, $"JPEG DC Huffman table at offset {offset} has a magnitude category {v} above 16.");
                    }
                }
            }

            return new HuffmanTable(lookup, acFast, maxCode, valueOffset, values.ToArray());
        }
    }

    /// <summary>
    /// Entropy-coded segment reader: removes 0xFF00 stuffing, stops at a marker (never consuming it) and then
    /// supplies zero bits, counting them so the decoder can tell "used real data" from "ran into the marker or EOF".
    /// </summary>
    private ref struct BitReader
    {
        private readonly ReadOnlySpan<byte> data;
        // MSB-aligned: the next bit to read is bit 63. Public so hot loops can hold them in registers and write back.
        public ulong Bits;
        public int Count;
        private int padBits;
        private bool stopped;

        public BitReader(ReadOnlySpan<byte> data, int position)
        {
            this.data = data;
            Position = position;
        }

        /// <summary>Next unread byte: at a marker once <see cref="HitMarker"/>. Hot loops may advance it themselves
        /// (see <see cref="FastRefillEnd"/>).</summary>
        public int Position { get; set; }

        /// <summary>
        /// The data, for hot loops that refill inline: while <see cref="Position"/> &lt;= <see cref="FastRefillEnd"/>
        /// eight bytes can be read, and if none is 0xFF they are plain entropy data (no stuffing, no marker).
        /// </summary>
        public readonly ReadOnlySpan<byte> Data => data;

        /// <summary>-1 once the reader has stopped at a marker or the end, so inline refills defer to <see cref="Fill"/>.</summary>
        public readonly int FastRefillEnd => stopped ? -1 : data.Length - 8;

        public bool HitEof { get; private set; }

        public bool HitMarker { get; private set; }

        /// <summary>True once bits past the real data (zero padding) have been consumed.</summary>
        public readonly bool Exhausted => Count < padBits;

        /// <summary>Drops buffered bits; used at restart markers, where the encoder byte-aligned its output.</summary>
        public void Reset(int position)
        {
            Bits = 0;
            Count = 0;
            padBits = 0;
            stopped = false;
            HitMarker = false;
            HitEof = false;
            Position = position;
        }

        /// <summary>Positions the reader at a marker with nothing left to give: every MCU until the next restart is skipped.</summary>
        public void ResetExhausted(int position)
        {
            Reset(position);
            stopped = true;
            HitMarker = true;
            padBits = 1;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int DecodeHuffman(HuffmanTable table)
        {
            if (Count < 16)
            {
                Fill();
            }

            int entry = table.Lookup[(int)(Bits >> (64 - HuffmanTable.LookupBits))];
            if (entry != 0)
            {
                var length = entry >> 8;
                Bits <<= length;
                Count -= length;
                return entry & 0xFF;
            }

            return DecodeSlow(table);
        }

        /// <summary>Reads s (1..16) bits and sign-extends them per T.81 F.2.2.1 EXTEND.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int ReceiveExtend(int s)
        {
            if (Count < s)
            {
                Fill();
            }

            var v = (int)(Bits >> (64 - s));
            Bits <<= s;
            Count -= s;
            return v < (1 << (s - 1)) ? v - (1 << s) + 1 : v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int ReadBits(int n)
        {
            if (Count < n)
            {
                Fill();
            }

            var v = (int)(Bits >> (64 - n));
            Bits <<= n;
            Count -= n;
            return v;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public int ReadBit()
        {
            if (Count < 1)
            {
                Fill();
            }

            var v = (int)(Bits >> 63);
            Bits <<= 1;
            Count--;
            return v;
        }

        /// <summary>The marker code (second byte) at <see cref="Position"/> after fill bytes, or -1 at EOF / not a marker.</summary>
        public readonly int PeekMarker()
        {
            var p = Position;
            if (p >= data.Length || data[p] != 0xFF)
            {
                return -1;
            }

            while (p < data.Length && data[p] == 0xFF)
            {
                p++;
            }

            return p < data.Length ? data[p] : -1;
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public int DecodeSlow(HuffmanTable table)
        {
            // Lookup missed, so the code is longer than 10 bits; Count >= 16 here.
            var word = (int)(Bits >> 48);
            for (var length = HuffmanTable.LookupBits + 1; length <= 16; length++)
            {
                var code = word >> (16 - length);
                if (code <= table.MaxCode[length])
                {
                    Bits <<= length;
                    Count -= length;
                    return table.Values[code + table.ValueOffset[length]];
                }
            }

            if (Exhausted || Count - 16 < padBits)
            {
                // Garbage straddling the end of the data; the caller's exhaustion check reports it properly.
                Bits <<= 16;
                Count -= 16;
                return 0;
            }

            throw Fail(JpegErrorCodes.BadHuffman, $"JPEG entropy data near offset {Position} holds a code that is not in its Huffman table.");
        }

        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        public void Fill()
        {
            // Fast path: 8 bytes with no 0xFF among them can be taken whole.
            if (!stopped && Position + 8 <= data.Length)
            {
                var word = BinaryPrimitives.ReadUInt64BigEndian(data.Slice(Position, 8));
                if (!HasFfByte(word))
                {
                    var take = (64 - Count) >> 3;
                    Bits |= (word >> (64 - (take * 8))) << (64 - Count - (take * 8));
                    Count += take * 8;
                    Position += take;
                    return;
                }
            }

            while (Count <= 56)
            {
                var b = 0;
                if (!stopped)
                {
                    if (Position >= data.Length || (data[Position] == 0xFF && Position + 1 >= data.Length))
                    {
                        // A lone trailing 0xFF cannot start stuffing or a marker; treat it as the end.
                        stopped = true;
                        HitEof = true;
                    }
                    else
                    {
                        b = data[Position];
                        if (b != 0xFF)
                        {
                            Position++;
                        }
                        else if (data[Position + 1] == 0)
                        {
                            Position += 2;
                        }
                        else
                        {
                            stopped = true;
                            HitMarker = true;
                            b = 0;
                        }
                    }
                }

                if (stopped)
                {
                    padBits += 8;
                }

                Bits |= (ulong)b << (56 - Count);
                Count += 8;
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static bool HasFfByte(ulong word)
        {
            // Classic "has zero byte" test applied to the complement: a byte is 0xFF iff ~byte is 0.
            var x = ~word;
            return ((x - 0x0101010101010101UL) & ~x & 0x8080808080808080UL) != 0;
        }
    }
}
