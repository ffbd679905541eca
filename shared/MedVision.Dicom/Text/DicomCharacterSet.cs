using System.Buffers;
using System.Collections.Concurrent;
using System.Text;
using System.Text.Unicode;

namespace MedVision.Dicom.Text;

/// <summary>
/// Decodes and encodes string values according to Specific Character Set (0008,0005): PS3.5 §6.1 and PS3.3
/// C.12.1.1.2. Supported: the default repertoire (ISO_IR 6); the single-byte sets ISO_IR 100, 101, 109, 110, 148,
/// 203 (Latin 1-5, 9), 144 (Cyrillic), 127 (Arabic), 126 (Greek), 138 (Hebrew), 166 (Thai) and 13 (JIS X 0201);
/// ISO_IR 192 (UTF-8), GB18030 and GBK; and, with ISO 2022 code extensions, the ISO 2022 IR forms of all those
/// single-byte sets plus IR 87 (JIS X 0208), IR 159 (JIS X 0212), IR 149 (KS X 1001) and IR 58 (GB 2312).
/// Only PN, LO, SH, LT, ST, UC and UT use the character set (<see cref="DicomVRInfo.UsesSpecificCharacterSet"/>);
/// the other string VRs decode byte for byte.
/// </summary>
/// <remarks>
/// Decoding never throws: bytes a set does not define become U+FFFD, and bytes outside any designated set (or
/// the whole value, for an unknown term) decode as Latin-1, so no byte is lost from view. Instances are immutable
/// and thread-safe; the tables behind them are built once per process and shared.
/// </remarks>
public sealed class DicomCharacterSet
{
    private const int StackLimit = 512;
    private const int CacheLimit = 256;

    /// <summary>Resolved terms by their exact spelling (sets are immutable, so datasets share them).</summary>
    private static readonly ConcurrentDictionary<string, (DicomCharacterSet Set, string? Warning)> Resolved = new(StringComparer.Ordinal);

    /// <summary>The bytes that leave the all-ASCII fast path of an ISO 2022 set: ESC and 0x80-0xFF.</summary>
    private static readonly SearchValues<byte> EscapeOrHigh = SearchValues.Create(BuildEscapeOrHigh());

    private readonly Mode mode;
    private readonly CodeElement? singleByte;
    private readonly Encoding? codePage;
    private readonly Iso2022? iso2022;

    private DicomCharacterSet(string[] terms, Mode mode, CodeElement? singleByte = null, Encoding? codePage = null, Iso2022? iso2022 = null)
    {
        Terms = terms;
        this.mode = mode;
        this.singleByte = singleByte;
        this.codePage = codePage;
        this.iso2022 = iso2022;
    }

    private enum Mode : byte
    {
        /// <summary>ISO_IR 6: decodes as Latin-1 (byte-preserving for stray high bytes), encodes ASCII only.</summary>
        Ascii,

        /// <summary>ISO_IR 100.</summary>
        Latin1,

        /// <summary>Unknown or unusable terms: Latin-1 both ways, so the bytes survive a decode/encode round trip.</summary>
        Fallback,

        /// <summary>ISO_IR 101 ... 166: one 256-entry table.</summary>
        SingleByte,

        /// <summary>ISO_IR 13 without extensions.</summary>
        JisX0201,

        /// <summary>ISO_IR 192.</summary>
        Utf8,

        /// <summary>GB18030, GBK.</summary>
        CodePage,

        /// <summary>ISO 2022 IR ... (code extensions).</summary>
        Iso2022,
    }

    /// <summary>The defined terms as given (empty for the default repertoire).</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>ISO_IR 6 (the default repertoire).</summary>
    public static DicomCharacterSet Default { get; } = new([], Mode.Ascii);

    /// <summary>True for the ISO 2022 IR forms: values may switch sets with escape sequences.</summary>
    public bool UsesCodeExtensions => mode == Mode.Iso2022;

    /// <summary>False when the terms were not understood and values decode as ISO_IR 6 / Latin-1 instead.</summary>
    public bool IsSupported => mode != Mode.Fallback;

    /// <summary>
    /// Resolves the defined terms of (0008,0005). Unknown terms give a warning and fall back to the default, never
    /// throw. Common misspellings ("ISO-IR 100", "ISO_IR100", lower case) are accepted with a warning, as are a
    /// few non-conformant combinations (a term without extensions among several values is read as its ISO 2022
    /// form; values after ISO_IR 192, GB18030 or GBK are ignored).
    /// </summary>
    public static DicomCharacterSet FromTerms(IReadOnlyList<string> terms, out string? warning)
    {
        ArgumentNullException.ThrowIfNull(terms);
        if (terms.Count == 0)
        {
            warning = null;
            return Default;
        }

        var key = terms.Count == 1 ? terms[0] ?? "" : string.Join('\u0001', terms); // U+0001: cannot be in a CS value
        if (Resolved.TryGetValue(key, out var cached))
        {
            warning = cached.Warning;
            return cached.Set;
        }

        var set = Resolve(terms, out warning);
        if (Resolved.Count < CacheLimit)
        {
            Resolved.TryAdd(key, (set, warning));
        }

        return set;
    }

    private static DicomCharacterSet Resolve(IReadOnlyList<string> terms, out string? warning)
    {
        warning = null;
        var given = terms.ToArray();
        var values = Array.ConvertAll(given, static t => (t ?? "").Trim(' ', '\0'));
        if (values.Length == 0 || (values.Length == 1 && values[0].Length == 0))
        {
            return values.Length == 0 ? Default : new DicomCharacterSet(given, Mode.Ascii);
        }

        var warnings = new List<string>();
        var resolved = new List<CharacterSetTerm>(values.Length);
        for (var i = 0; i < values.Length; i++)
        {
            var value = values[i];
            if (value.Length == 0)
            {
                if (i == 0)
                {
                    resolved.Add(CharacterSetTerm.Find("ISO 2022 IR 6", out _)!); // PS3.3 C.12.1.1.2: empty value 1
                }

                continue;
            }

            var term = CharacterSetTerm.Find(value, out var lenient);
            if (term is null)
            {
                warnings.Add($"Specific Character Set value {i + 1} '{value}' is not a known Defined Term");
                if (i == 0)
                {
                    warning = Finish(warnings, "values are shown as ISO_IR 6 (Latin-1) and the bytes are kept");
                    return new DicomCharacterSet(given, Mode.Fallback);
                }

                continue;
            }

            if (lenient)
            {
                warnings.Add($"'{value}' is not a Defined Term; read as '{term.Name}'");
            }

            resolved.Add(term);
        }

        var result = Build(given, resolved, warnings);
        warning = warnings.Count == 0 ? null : Finish(warnings, null);
        return result;
    }

    /// <summary>Decodes a value of a VR that uses the character set (PN, LO, SH, LT, ST, UT, UC).</summary>
    public string Decode(ReadOnlySpan<byte> value, DicomVR vr)
    {
        if (value.IsEmpty)
        {
            return "";
        }

        // Hot path: other VRs, ISO_IR 6/100, and any value that is plain ASCII (which every set here reads as ASCII).
        if (mode is Mode.Ascii or Mode.Latin1 or Mode.Fallback || !vr.UsesSpecificCharacterSet()
            || (mode == Mode.Iso2022 ? !value.ContainsAny(EscapeOrHigh) : Ascii.IsValid(value)))
        {
            return Encoding.Latin1.GetString(value);
        }

        switch (mode)
        {
            case Mode.Utf8:
                return Encoding.UTF8.GetString(value); // invalid sequences become U+FFFD
            case Mode.CodePage:
                return codePage!.GetString(value);
            case Mode.JisX0201 when value.ContainsAnyInRange((byte)0x81, (byte)0x9F) || value.ContainsAnyInRange((byte)0xE0, (byte)0xFC):
                // Shift_JIS lead bytes, which JIS X 0201 does not have: this is the Shift_JIS that Japanese systems
                // often label ISO_IR 13; read it as such, as pydicom does.
                return CodePages.Get(932)?.GetString(value) ?? Encoding.Latin1.GetString(value);
            default:
                break;
        }

        char[]? rented = null;
        Span<char> buffer = value.Length <= StackLimit
            ? stackalloc char[StackLimit]
            : (rented = ArrayPool<char>.Shared.Rent(value.Length));
        try
        {
            int written;
            if (mode == Mode.Iso2022)
            {
                written = iso2022!.Decode(value, vr, buffer);
            }
            else
            {
                var table = singleByte!.ByteTable;
                for (var i = 0; i < value.Length; i++)
                {
                    buffer[i] = table[value[i]];
                }

                written = value.Length;
            }

            return new string(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>
    /// Encodes text for a value; false when the character set cannot represent it. ISO_IR 6 takes ASCII only; an
    /// unknown set takes Latin-1 (so a decoded value re-encodes to its original bytes). ISO 2022 sets switch with
    /// escape sequences as needed, returning G0 to its initial set before each delimiter and at the end (PS3.5
    /// §6.1.2.5.3), which reproduces the byte examples of PS3.5 Annexes H, I and K.
    /// </summary>
    public bool TryEncode(string text, out byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        bytes = [];
        switch (mode)
        {
            case Mode.Ascii:
                if (!Ascii.IsValid(text))
                {
                    return false;
                }

                bytes = Encoding.ASCII.GetBytes(text);
                return true;
            case Mode.Latin1 or Mode.Fallback:
                if (text.AsSpan().ContainsAnyExceptInRange('\0', '\u00FF'))
                {
                    return false;
                }

                bytes = Encoding.Latin1.GetBytes(text);
                return true;
            case Mode.SingleByte:
                return TryEncodeSingleByte(text, singleByte!, 0xA0, out bytes);
            case Mode.JisX0201:
                return TryEncodeSingleByte(text, singleByte!, 0x80, out bytes);
            case Mode.Utf8:
                return TryEncodeUtf8(text, out bytes);
            case Mode.CodePage:
                try
                {
                    bytes = codePage!.GetBytes(text);
                    return true;
                }
                catch (EncoderFallbackException)
                {
                    bytes = [];
                    return false;
                }

            default:
                var encoded = iso2022!.Encode(text);
                // A final check that both reset regimes (PN's and LT's) read the text back.
                if (encoded is null || Decode(encoded, DicomVR.PN) != text || Decode(encoded, DicomVR.LT) != text)
                {
                    return false;
                }

                bytes = encoded;
                return true;
        }
    }

    /// <summary>The terms as (0008,0005) holds them, backslash-separated.</summary>
    public override string ToString() => string.Join('\\', Terms);

    private static DicomCharacterSet Build(string[] given, List<CharacterSetTerm> resolved, List<string> warnings)
    {
        var first = resolved[0];
        if (first.Kind == TermKind.StandAlone)
        {
            if (resolved.Count > 1)
            {
                warnings.Add($"{first.Name} cannot be combined with other character sets; the other values are ignored");
            }

            return StandAlone(given, first, warnings);
        }

        if (resolved.Count == 1 && first.Kind == TermKind.SingleByte)
        {
            return first.G1 switch
            {
                null => new DicomCharacterSet(given, Mode.Ascii),
                var g1 when g1 == CodeElement.Latin1 => new DicomCharacterSet(given, Mode.Latin1),
                var g1 when g1 == CodeElement.Katakana => new DicomCharacterSet(given, Mode.JisX0201, g1),
                var g1 => Usable(given, [g1], warnings) ?? new DicomCharacterSet(given, Mode.SingleByte, g1),
            };
        }

        var declared = new List<CodeElement>();
        foreach (var term in resolved)
        {
            var extended = term;
            if (term.Kind == TermKind.StandAlone)
            {
                warnings.Add($"{term.Name} cannot be combined with other character sets; it is ignored");
                continue;
            }

            if (term.Kind == TermKind.SingleByte)
            {
                extended = term.WithExtensions;
                warnings.Add($"'{term.Name}' used with code extensions; read as '{extended.Name}'");
            }

            foreach (var element in extended.Elements)
            {
                if (!declared.Contains(element))
                {
                    declared.Add(element);
                }
            }
        }

        // Value 1 gives the state at each reset. A multi-byte set there is not conformant (the Annex H-K examples
        // leave value 1 empty; DCMTK refuses it); read it as pydicom does: a G1 set (IR 149, IR 58) is in force
        // from the start, which decodes the raw EUC-KR / EUC-CN such files hold, while G0 stays ASCII.
        var extendedFirst = first.WithExtensions;
        if (extendedFirst.Elements.Any(e => e.IsDoubleByte))
        {
            warnings.Add($"'{extendedFirst.Name}' as value 1: a multi-byte set is not an initial state; read with "
                + (extendedFirst.G1 is null ? "ASCII in G0" : "it in G1") + " from the start");
        }

        var g0 = extendedFirst.G0 is { IsDoubleByte: false } initial ? initial : CodeElement.Ascii;
        var profile = new Iso2022(g0, extendedFirst.G1, [.. declared]);
        return Usable(given, declared, warnings) ?? new DicomCharacterSet(given, Mode.Iso2022, iso2022: profile);
    }

    /// <summary>A fallback set with a warning when a code page behind the sets is missing from this runtime.</summary>
    private static DicomCharacterSet? Usable(string[] given, IEnumerable<CodeElement> elements, List<string> warnings)
    {
        var missing = elements.Where(e => !e.IsAvailable).Select(e => e.Name).ToList();
        if (missing.Count == 0)
        {
            return null;
        }

        warnings.Add($"this runtime has no tables for {string.Join(", ", missing)}; values are shown as ISO_IR 6 (Latin-1) and the bytes are kept");
        return new DicomCharacterSet(given, Mode.Fallback);
    }

    private static DicomCharacterSet StandAlone(string[] given, CharacterSetTerm term, List<string> warnings)
    {
        if (term.CodePage == CharacterSetTerm.Utf8)
        {
            return new DicomCharacterSet(given, Mode.Utf8);
        }

        var encoding = CodePages.Get(term.CodePage);
        if (encoding is null)
        {
            warnings.Add($"this runtime has no tables for {term.Name}; values are shown as ISO_IR 6 (Latin-1) and the bytes are kept");
            return new DicomCharacterSet(given, Mode.Fallback);
        }

        return new DicomCharacterSet(given, Mode.CodePage, codePage: encoding);
    }

    private static string Finish(List<string> warnings, string? consequence) =>
        string.Join("; ", warnings) + (consequence is null ? "." : $"; {consequence}.");

    private static bool TryEncodeSingleByte(string text, CodeElement set, int tableStart, out byte[] bytes)
    {
        bytes = new byte[text.Length];
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c < tableStart)
            {
                bytes[i] = (byte)c;
            }
            else if (set.TryEncode(c, out var code) && code >= tableStart)
            {
                bytes[i] = (byte)code;
            }
            else
            {
                bytes = [];
                return false;
            }
        }

        return true;
    }

    private static bool TryEncodeUtf8(string text, out byte[] bytes)
    {
        bytes = new byte[Encoding.UTF8.GetByteCount(text)];
        if (Utf8.FromUtf16(text, bytes, out _, out var written, replaceInvalidSequences: false) != OperationStatus.Done
            || written != bytes.Length)
        {
            bytes = [];
            return false; // a lone surrogate
        }

        return true;
    }

    private static byte[] BuildEscapeOrHigh()
    {
        var bytes = new byte[129];
        bytes[0] = 0x1B;
        for (var b = 0x80; b <= 0xFF; b++)
        {
            bytes[b - 0x7F] = (byte)b;
        }

        return bytes;
    }
}
