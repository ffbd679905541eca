namespace MedVision.Dicom.Text;

/// <summary>How a Defined Term of Specific Character Set (0008,0005) is used (PS3.3 C.12.1.1.2).</summary>
internal enum TermKind : byte
{
    /// <summary>Single-byte, without code extensions (ISO_IR 6, ISO_IR 100, ... ISO_IR 13): Tables C.12-2.</summary>
    SingleByte,

    /// <summary>With code extensions (ISO 2022 IR ...): Tables C.12-3 and C.12-4.</summary>
    Extension,

    /// <summary>Multi-byte without code extensions, which cannot be combined with others (ISO_IR 192, GB18030, GBK): Table C.12-5.</summary>
    StandAlone,
}

/// <summary>A Defined Term: the code elements it designates into G0 and G1, or the code page of a stand-alone set.</summary>
internal sealed record CharacterSetTerm(string Name, TermKind Kind, CodeElement? G0, CodeElement? G1, int CodePage = 0)
{
    /// <summary>The <see cref="CodePage"/> of ISO_IR 192.</summary>
    public const int Utf8 = 65001;

    private static readonly CharacterSetTerm[] All =
    [
        new("ISO_IR 6", TermKind.SingleByte, CodeElement.Ascii, null),
        new("ISO_IR 100", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Latin1),
        new("ISO_IR 101", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Latin2),
        new("ISO_IR 109", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Latin3),
        new("ISO_IR 110", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Latin4),
        new("ISO_IR 144", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Cyrillic),
        new("ISO_IR 127", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Arabic),
        new("ISO_IR 126", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Greek),
        new("ISO_IR 138", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Hebrew),
        new("ISO_IR 148", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Latin5),
        new("ISO_IR 203", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Latin9),
        new("ISO_IR 166", TermKind.SingleByte, CodeElement.Ascii, CodeElement.Thai),
        new("ISO_IR 13", TermKind.SingleByte, CodeElement.Romaji, CodeElement.Katakana),
        new("ISO 2022 IR 6", TermKind.Extension, CodeElement.Ascii, null),
        new("ISO 2022 IR 100", TermKind.Extension, CodeElement.Ascii, CodeElement.Latin1),
        new("ISO 2022 IR 101", TermKind.Extension, CodeElement.Ascii, CodeElement.Latin2),
        new("ISO 2022 IR 109", TermKind.Extension, CodeElement.Ascii, CodeElement.Latin3),
        new("ISO 2022 IR 110", TermKind.Extension, CodeElement.Ascii, CodeElement.Latin4),
        new("ISO 2022 IR 144", TermKind.Extension, CodeElement.Ascii, CodeElement.Cyrillic),
        new("ISO 2022 IR 127", TermKind.Extension, CodeElement.Ascii, CodeElement.Arabic),
        new("ISO 2022 IR 126", TermKind.Extension, CodeElement.Ascii, CodeElement.Greek),
        new("ISO 2022 IR 138", TermKind.Extension, CodeElement.Ascii, CodeElement.Hebrew),
        new("ISO 2022 IR 148", TermKind.Extension, CodeElement.Ascii, CodeElement.Latin5),
        new("ISO 2022 IR 203", TermKind.Extension, CodeElement.Ascii, CodeElement.Latin9),
        new("ISO 2022 IR 166", TermKind.Extension, CodeElement.Ascii, CodeElement.Thai),
        new("ISO 2022 IR 13", TermKind.Extension, CodeElement.Romaji, CodeElement.Katakana),
        new("ISO 2022 IR 87", TermKind.Extension, CodeElement.JisX0208, null),
        new("ISO 2022 IR 159", TermKind.Extension, CodeElement.JisX0212, null),
        new("ISO 2022 IR 149", TermKind.Extension, null, CodeElement.KsX1001),
        new("ISO 2022 IR 58", TermKind.Extension, null, CodeElement.Gb2312),
        new("ISO_IR 192", TermKind.StandAlone, null, null, Utf8),
        new("GB18030", TermKind.StandAlone, null, null, 54936),
        new("GBK", TermKind.StandAlone, null, null, 936),
    ];

    private static readonly Dictionary<string, CharacterSetTerm> Exact = All.ToDictionary(t => t.Name, StringComparer.Ordinal);

    private static readonly Dictionary<string, CharacterSetTerm> Loose = BuildLoose();

    /// <summary>The ISO 2022 counterpart of a single-byte term (ISO_IR 100 → ISO 2022 IR 100); itself otherwise.</summary>
    public CharacterSetTerm WithExtensions => Kind == TermKind.SingleByte ? Exact["ISO 2022 IR " + Name["ISO_IR ".Length..]] : this;

    /// <summary>Every code element the term designates.</summary>
    public IEnumerable<CodeElement> Elements
    {
        get
        {
            if (G0 is not null)
            {
                yield return G0;
            }

            if (G1 is not null)
            {
                yield return G1;
            }
        }
    }

    /// <summary>The term for a value of (0008,0005): exact, or (with <paramref name="lenient"/>) a common misspelling.</summary>
    public static CharacterSetTerm? Find(string value, out bool lenient)
    {
        lenient = false;
        if (Exact.TryGetValue(value, out var term))
        {
            return term;
        }

        lenient = true;
        return Loose.GetValueOrDefault(LooseKey(value));
    }

    /// <summary>Case, spaces, underscores and hyphens ignored: "iso-ir 100", "ISO_IR100", "ISO IR 100" all read as ISO_IR 100.</summary>
    private static string LooseKey(string value)
    {
        Span<char> key = stackalloc char[Math.Min(value.Length, 64)];
        var length = 0;
        foreach (var c in value)
        {
            if (c is ' ' or '_' or '-')
            {
                continue;
            }

            if (length == key.Length)
            {
                return "";
            }

            key[length++] = char.ToUpperInvariant(c);
        }

        return new string(key[..length]);
    }

    private static Dictionary<string, CharacterSetTerm> BuildLoose()
    {
        var loose = All.ToDictionary(t => LooseKey(t.Name), StringComparer.Ordinal);
        loose["UTF8"] = Exact["ISO_IR 192"];

        // Multi-byte sets written without "2022" (common for Korean), and GB 2312 by its own name.
        foreach (var ir in (string[])["87", "159", "149", "58"])
        {
            loose["ISOIR" + ir] = Exact["ISO 2022 IR " + ir];
        }

        loose["GB2312"] = Exact["ISO 2022 IR 58"];
        return loose;
    }
}
