using System.Text;

namespace MedVision.Dicom.Text;

/// <summary>
/// One graphic character set that ISO 2022 can designate into G0 or G1 (PS3.3 Tables C.12-3 and C.12-4), with
/// its designation escape sequence and a decode table. The tables are built once, on first use, from the code
/// pages of <see cref="CodePagesEncodingProvider"/> (queried directly; no provider is registered, so there is no
/// process-wide side effect) and patched where .NET's tables differ from the current ISO/KS/GB mappings that
/// pydicom (Python codecs) and glibc iconv (DCMTK) agree on.
/// </summary>
internal sealed class CodeElement
{
    internal const char Replacement = '\uFFFD';
    private const int DoubleByteCells = 94 * 94;

    private readonly Func<char[]> build;
    private readonly int codePage;
    private char[]? table;
    private char[]? byteTable;
    private Dictionary<char, ushort>? reverse;

    private CodeElement(string name, ElementKind kind, byte[] escape, Func<char[]> build, int codePage = 0)
    {
        this.codePage = codePage;
        Name = name;
        Kind = kind;
        Escape = escape;
        this.build = build;
    }

    /// <summary>ISO-IR 6 (ASCII) in G0: ESC ( B.</summary>
    public static CodeElement Ascii { get; } = new("ISO-IR 6", ElementKind.G0SingleByte, [0x1B, 0x28, 0x42], static () => []);

    /// <summary>
    /// ISO-IR 14 (JIS X 0201 Romaji) in G0: ESC ( J. Decoded as ASCII: its only differences (05/12 YEN SIGN, 07/14
    /// OVERLINE) would turn the DICOM value delimiter into a yen sign; pydicom (shift_jis) makes the same choice.
    /// </summary>
    public static CodeElement Romaji { get; } = new("ISO-IR 14", ElementKind.G0SingleByte, [0x1B, 0x28, 0x4A], static () => []);

    /// <summary>ISO-IR 13 (JIS X 0201 Katakana) in G1: ESC ) I; A1-DF are the half-width katakana U+FF61-U+FF9F.</summary>
    public static CodeElement Katakana { get; } = new("ISO-IR 13", ElementKind.G1SingleByte, [0x1B, 0x29, 0x49], BuildKatakana);

    public static CodeElement Latin1 { get; } = SingleByte("ISO-IR 100", 'A', 28591);

    public static CodeElement Latin2 { get; } = SingleByte("ISO-IR 101", 'B', 28592);

    public static CodeElement Latin3 { get; } = SingleByte("ISO-IR 109", 'C', 28593);

    public static CodeElement Latin4 { get; } = SingleByte("ISO-IR 110", 'D', 28594);

    public static CodeElement Greek { get; } = SingleByte("ISO-IR 126", 'F', 28597,
        // ISO 8859-7:2003; .NET has the 1987 table (and private-use code points for the additions).
        (0xA1, '\u2018'), (0xA2, '\u2019'), (0xA4, '\u20AC'), (0xA5, '\u20AF'), (0xAA, '\u037A'));

    public static CodeElement Arabic { get; } = SingleByte("ISO-IR 127", 'G', 28596);

    public static CodeElement Hebrew { get; } = SingleByte("ISO-IR 138", 'H', 28598,
        // ISO 8859-8:1999: 0xAF is MACRON (not OVERLINE); LRM/RLM at 0xFD/0xFE.
        (0xAF, '\u00AF'), (0xFD, '\u200E'), (0xFE, '\u200F'));

    public static CodeElement Cyrillic { get; } = SingleByte("ISO-IR 144", 'L', 28595);

    public static CodeElement Latin5 { get; } = SingleByte("ISO-IR 148", 'M', 28599);

    /// <summary>TIS 620-2533 (windows-874 has the same upper half, except that TIS 620 leaves 0xA0 unassigned).</summary>
    public static CodeElement Thai { get; } = SingleByte("ISO-IR 166", 'T', 874, (0xA0, Replacement));

    public static CodeElement Latin9 { get; } = SingleByte("ISO-IR 203", 'b', 28605);

    /// <summary>
    /// ISO-IR 87 (JIS X 0208) in G0: ESC $ B. Decoded through EUC-JP code page 20932, which matches Python's euc_jp
    /// on all 6879 cells; .NET's 51932 (a Shift_JIS-based EUC-JP) differs on 6 (e.g. WAVE DASH) and lacks JIS X 0212.
    /// </summary>
    public static CodeElement JisX0208 { get; } = new("ISO-IR 87", ElementKind.G0DoubleByte, [0x1B, 0x24, 0x42],
        static () => BuildDoubleByte(20932, jisX0212: false), 20932);

    /// <summary>
    /// ISO-IR 159 (JIS X 0212) in G0: ESC $ ( D. Code page 20932 carries JIS X 0212 as lead byte with the high bit
    /// set and trail byte without it (not EUC's 0x8F prefix); checked against Python's euc_jp on all 6067 cells.
    /// </summary>
    public static CodeElement JisX0212 { get; } = new("ISO-IR 159", ElementKind.G0DoubleByte, [0x1B, 0x24, 0x28, 0x44],
        static () => BuildDoubleByte(20932, jisX0212: true, (0x2237, '\uFF5E'), (0x2271, '\u2116')), 20932);

    /// <summary>ISO-IR 149 (KS X 1001) in G1: ESC $ ) C. Decoded through EUC-KR (code page 51949).</summary>
    public static CodeElement KsX1001 { get; } = new("ISO-IR 149", ElementKind.G1DoubleByte, [0x1B, 0x24, 0x29, 0x43],
        static () => BuildDoubleByte(51949, jisX0212: false, (0x3453, '\uB2D2')), 51949);

    /// <summary>ISO-IR 58 (GB 2312) in G1: ESC $ ) A. Decoded through EUC-CN (code page 20936).</summary>
    public static CodeElement Gb2312 { get; } = new("ISO-IR 58", ElementKind.G1DoubleByte, [0x1B, 0x24, 0x29, 0x41],
        static () => BuildDoubleByte(20936, jisX0212: false, (0x212C, '\u2016')), 20936);

    public string Name { get; }

    public ElementKind Kind { get; }

    /// <summary>The designation escape sequence (ESC included).</summary>
    public byte[] Escape { get; }

    public bool IsG1 => Kind is ElementKind.G1SingleByte or ElementKind.G1DoubleByte;

    public bool IsDoubleByte => Kind is ElementKind.G0DoubleByte or ElementKind.G1DoubleByte;

    /// <summary>False when the code page the table comes from is missing (every cell then decodes as U+FFFD).</summary>
    public bool IsAvailable => codePage == 0 || CodePages.Get(codePage) is not null;

    /// <summary>G1 single-byte: 96 chars for 0xA0-0xFF. Double-byte: 94x94 cells, row-major from 0x2121.</summary>
    private char[] Table => table ?? LazyInitializer.EnsureInitialized(ref table, build);

    /// <summary>
    /// For a G1 single-byte set used without code extensions: all 256 bytes, 0x00-0x9F as themselves (ASCII and the
    /// C1 controls, byte-preserving) and 0xA0-0xFF from the set.
    /// </summary>
    public char[] ByteTable => byteTable ?? LazyInitializer.EnsureInitialized(ref byteTable, () =>
    {
        var result = new char[256];
        for (var b = 0; b < 0xA0; b++)
        {
            result[b] = (char)b;
        }

        Table.CopyTo(result, 0xA0);
        return result;
    });

    /// <summary>A G1 single-byte character (b in 0xA0-0xFF).</summary>
    public char DecodeHigh(byte b) => Table[b - 0xA0];

    /// <summary>A double-byte character; both bytes 0x21-0x7E (high bit already cleared).</summary>
    public char DecodePair(int first, int second) => Table[((first - 0x21) * 94) + (second - 0x21)];

    /// <summary>
    /// The code of a non-ASCII character in this set: the byte (0xA0-0xFF) for G1 single-byte sets, or the two
    /// 7-bit bytes (first &lt;&lt; 8 | second) for double-byte sets.
    /// </summary>
    public bool TryEncode(char c, out ushort code)
    {
        code = 0;
        if (Kind == ElementKind.G0SingleByte)
        {
            return false;
        }

        var map = reverse ?? LazyInitializer.EnsureInitialized(ref reverse, BuildReverse);
        return map.TryGetValue(c, out code);
    }

    /// <summary>Decodes an ESC sequence at the start of <paramref name="value"/>; its length, and the set it designates or null.</summary>
    public static int ParseEscape(ReadOnlySpan<byte> value, out CodeElement? element)
    {
        element = null;
        var length = 1;
        while (length < value.Length && value[length] is >= 0x20 and <= 0x2F)
        {
            length++;
        }

        if (length >= value.Length || value[length] is < 0x30 or > 0x7E)
        {
            return length; // truncated or malformed: ESC and its intermediates only
        }

        var final = value[length];
        var intermediates = value[1..length];
        length++;
        element = intermediates switch
        {
            [0x28] => final switch
            {
                (byte)'B' => Ascii,
                (byte)'J' => Romaji,
                _ => null,
            },
            [0x29] when final == 'I' => Katakana,
            [0x2D] => final switch
            {
                (byte)'A' => Latin1,
                (byte)'B' => Latin2,
                (byte)'C' => Latin3,
                (byte)'D' => Latin4,
                (byte)'F' => Greek,
                (byte)'G' => Arabic,
                (byte)'H' => Hebrew,
                (byte)'L' => Cyrillic,
                (byte)'M' => Latin5,
                (byte)'T' => Thai,
                (byte)'b' => Latin9,
                _ => null,
            },
            // ESC $ @ (JIS C 6226-1978) and ESC $ ( B are read as JIS X 0208, as ISO-2022-JP decoders do.
            [0x24] when final is (byte)'B' or (byte)'@' => JisX0208,
            [0x24, 0x28] when final == 'B' => JisX0208,
            [0x24, 0x28] when final == 'D' => JisX0212,
            [0x24, 0x29] when final == 'C' => KsX1001,
            [0x24, 0x29] when final == 'A' => Gb2312,
            _ => null,
        };
        return length;
    }

    private static CodeElement SingleByte(string name, char final, int codePage, params (int Byte, char Char)[] patches) =>
        new(name, ElementKind.G1SingleByte, [0x1B, 0x2D, (byte)final], () => BuildSingleByte(codePage, patches),
            codePage == 28591 ? 0 : codePage);

    private static char[] BuildKatakana()
    {
        var result = new char[96];
        for (var b = 0xA0; b <= 0xFF; b++)
        {
            result[b - 0xA0] = b is >= 0xA1 and <= 0xDF ? (char)(0xFF61 + (b - 0xA1)) : Replacement;
        }

        return result;
    }

    private static char[] BuildSingleByte(int codePage, (int Byte, char Char)[] patches)
    {
        var result = new char[96];
        var encoding = codePage == 28591 ? Encoding.Latin1 : CodePages.Get(codePage);
        Span<byte> one = stackalloc byte[1];
        Span<char> chars = stackalloc char[4];
        for (var b = 0xA0; b <= 0xFF; b++)
        {
            var c = Replacement;
            if (encoding is not null)
            {
                one[0] = (byte)b;
                c = encoding.GetChars(one, chars) == 1 ? chars[0] : Replacement;
            }

            result[b - 0xA0] = IsPrivateUse(c) ? Replacement : c;
        }

        foreach (var (b, c) in patches)
        {
            result[b - 0xA0] = c;
        }

        return result;
    }

    private static char[] BuildDoubleByte(int codePage, bool jisX0212, params (int Code, char Char)[] patches)
    {
        var result = new char[DoubleByteCells];
        Array.Fill(result, Replacement);
        var encoding = CodePages.Get(codePage);
        if (encoding is null)
        {
            return result;
        }

        Span<byte> pair = stackalloc byte[2];
        Span<char> chars = stackalloc char[4];
        for (var first = 0x21; first <= 0x7E; first++)
        {
            for (var second = 0x21; second <= 0x7E; second++)
            {
                pair[0] = (byte)(first | 0x80);
                pair[1] = (byte)(jisX0212 ? second : second | 0x80);
                var count = encoding.GetChars(pair, chars);
                if (count == 1 && chars[0] != Replacement && !IsPrivateUse(chars[0]))
                {
                    result[((first - 0x21) * 94) + (second - 0x21)] = chars[0];
                }
            }
        }

        foreach (var (code, c) in patches)
        {
            result[(((code >> 8) - 0x21) * 94) + ((code & 0xFF) - 0x21)] = c;
        }

        return result;
    }

    private Dictionary<char, ushort> BuildReverse()
    {
        var cells = Table;
        var map = new Dictionary<char, ushort>(cells.Length);
        for (var i = 0; i < cells.Length; i++)
        {
            var c = cells[i];
            if (c == Replacement || c < 0x80)
            {
                continue;
            }

            var code = IsDoubleByte ? (ushort)((((i / 94) + 0x21) << 8) | ((i % 94) + 0x21)) : (ushort)(0xA0 + i);
            map.TryAdd(c, code); // the first (lowest) code wins where a table maps two codes to one character
        }

        return map;
    }

    private static bool IsPrivateUse(char c) => c is >= '\uE000' and <= '\uF8FF';
}

internal enum ElementKind : byte
{
    /// <summary>94-character set in G0, bytes 0x21-0x7E (ASCII, JIS X 0201 Romaji).</summary>
    G0SingleByte,

    /// <summary>96- or 94-character set in G1, bytes 0xA0-0xFF.</summary>
    G1SingleByte,

    /// <summary>94x94 set in G0: pairs of 0x21-0x7E (JIS X 0208, JIS X 0212).</summary>
    G0DoubleByte,

    /// <summary>94x94 set in G1: pairs of 0xA1-0xFE (KS X 1001, GB 2312).</summary>
    G1DoubleByte,
}

/// <summary>Code page encodings from the shared framework's provider, without registering it globally.</summary>
internal static class CodePages
{
    private static readonly Dictionary<int, Encoding?> Cache = [];
    private static readonly Lock Gate = new();

    /// <summary>The code page with U+FFFD for undecodable bytes and an exception for unencodable text; null when missing.</summary>
    public static Encoding? Get(int codePage)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(codePage, out var encoding))
            {
                try
                {
                    encoding = CodePagesEncodingProvider.Instance.GetEncoding(
                        codePage, EncoderFallback.ExceptionFallback, new DecoderReplacementFallback("\uFFFD"));
                }
                catch (NotSupportedException)
                {
                    encoding = null;
                }

                Cache[codePage] = encoding;
            }

            return encoding;
        }
    }
}
