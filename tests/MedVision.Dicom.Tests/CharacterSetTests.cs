using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Dicom.Tests.CharacterSets;
using MedVision.Dicom.Text;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests;

public class CharacterSetTests(ITestOutputHelper output)
{
    private const byte Esc = 0x1B;

    // ---- PS3.5 Annexes H-K: the standard's own byte examples, decoded and re-encoded byte for byte ----

    public static TheoryData<string, string[], string, string> AnnexExamples => new()
    {
        {
            // Value 1 empty, JIS X 0208 in G0; ESC ( B before each '^' and '=' and at the end.
            "H, ISO 2022 IR 87", ["", "ISO 2022 IR 87"], "Yamada^Tarou=山田^太郎=やまだ^たろう",
            "59 61 6D 61 64 61 5E 54 61 72 6F 75 3D 1B 24 42 3B 33 45 44 1B 28 42 5E 1B 24 42 42 40 4F 3A 1B 28 42 3D"
            + " 1B 24 42 24 64 24 5E 24 40 1B 28 42 5E 1B 24 42 24 3F 24 6D 24 26 1B 28 42"
        },
        {
            // Value 1 ISO 2022 IR 13: katakana in G1 from the start, G0 returns with ESC ( J.
            "H, ISO 2022 IR 13 and IR 87", ["ISO 2022 IR 13", "ISO 2022 IR 87"], "ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう",
            "D4 CF C0 DE 5E C0 DB B3 3D 1B 24 42 3B 33 45 44 1B 28 4A 5E 1B 24 42 42 40 4F 3A 1B 28 4A 3D"
            + " 1B 24 42 24 64 24 5E 24 40 1B 28 4A 5E 1B 24 42 24 3F 24 6D 24 26 1B 28 4A"
        },
        {
            // KS X 1001 in G1, designated again after every '^' and '=' (each resets G1).
            "I, ISO 2022 IR 149", ["", "ISO 2022 IR 149"], "Hong^Gildong=洪^吉洞=홍^길동",
            "48 6F 6E 67 5E 47 69 6C 64 6F 6E 67 3D 1B 24 29 43 FB F3 5E 1B 24 29 43 D1 CE D4 D7 3D"
            + " 1B 24 29 43 C8 AB 5E 1B 24 29 43 B1 E6 B5 BF"
        },
        {
            "J, ISO_IR 192", ["ISO_IR 192"], "Wang^XiaoDong=王^小東=",
            "57 61 6E 67 5E 58 69 61 6F 44 6F 6E 67 3D E7 8E 8B 5E E5 B0 8F E6 9D B1 3D"
        },
        {
            "J, GB18030", ["GB18030"], "Wang^XiaoDong=王^小东=",
            "57 61 6E 67 5E 58 69 61 6F 44 6F 6E 67 3D CD F5 5E D0 A1 B6 AB 3D"
        },
        {
            // GB 2312 in G1.
            "K, ISO 2022 IR 58", ["", "ISO 2022 IR 58"], "Zhang^XiaoDong=张^小东=",
            "5A 68 61 6E 67 5E 58 69 61 6F 44 6F 6E 67 3D 1B 24 29 41 D5 C5 5E 1B 24 29 41 D0 A1 B6 AB 3D"
        },
    };

    [Theory]
    [MemberData(nameof(AnnexExamples))]
    public void Decode_WhenGivenTheAnnexPersonNameBytes_ShouldYieldTheAnnexText(string annex, string[] terms, string text, string hex)
    {
        var decoded = Resolve(terms).Decode(Hex(hex), DicomVR.PN);
        Assert.True(decoded == text, $"Annex {annex}: decoded [{decoded}], the annex has [{text}].");
    }

    [Theory]
    [MemberData(nameof(AnnexExamples))]
    public void TryEncode_WhenGivenTheAnnexText_ShouldWriteTheAnnexBytes(string annex, string[] terms, string text, string hex)
    {
        var set = Resolve(terms);
        Assert.True(set.TryEncode(text, out var bytes), annex);
        Assert.Equal(ToHex(Hex(hex)), ToHex(bytes));
    }

    [Fact]
    public void Decode_WhenTextHasLinesInGb2312_ShouldResetG1AtEachLineEnd()
    {
        // Multi-line text in the manner of PS3.5 Annex K: each line designates GB 2312 again, since CR/LF reset G1.
        var set = Resolve("", "ISO 2022 IR 58");
        var line1 = Hex("31 2E 1B 24 29 41 B5 DA D2 BB D0 D0 CE C4 D7 D6 A1 A3 0D 0A");
        var line2 = Hex("32 2E 1B 24 29 41 B5 DA B6 FE D0 D0 CE C4 D7 D6 A1 A3 0D 0A");
        var text = set.Decode([.. line1, .. line2], DicomVR.LT);
        Assert.Equal("1.第一行文字。\r\n2.第二行文字。\r\n", text);

        // Without the second designation the high bytes after CR LF are outside any set: kept as Latin-1.
        var undesignated = set.Decode([.. line1, .. Hex("B5 DA")], DicomVR.LT);
        Assert.EndsWith("\r\n\u00B5\u00DA", undesignated, StringComparison.Ordinal);
        Assert.True(set.TryEncode("1.第一行文字。\r\n2.第二行文字。\r\n", out var encoded));
        Assert.Equal(ToHex([.. line1, .. line2]), ToHex(encoded));
    }

    // ---- Reset rules of PS3.5 §6.1.2.5.3, per VR ----

    [Fact]
    public void Decode_WhenG1IsSwitchedBeforeADelimiter_ShouldResetOnlyWhereTheVRDelimits()
    {
        // Value 1 Latin-1, value 2 Cyrillic. ESC - L switches G1 to Cyrillic; 0xC0 is 'À' in Latin-1, 'Р' in Cyrillic.
        var set = Resolve("ISO 2022 IR 100", "ISO 2022 IR 144");
        byte[] caretThenC0 = [Esc, 0x2D, 0x4C, 0xC0, (byte)'^', 0xC0];
        Assert.Equal("Р^À", set.Decode(caretThenC0, DicomVR.PN)); // '^' resets in PN
        Assert.Equal("Р^Р", set.Decode(caretThenC0, DicomVR.LO)); // ... not in LO

        byte[] backslashThenC0 = [Esc, 0x2D, 0x4C, 0xC0, (byte)'\\', 0xC0];
        Assert.Equal("Р\\À", set.Decode(backslashThenC0, DicomVR.LO)); // value delimiter of a multi-valued VR
        Assert.Equal("Р\\Р", set.Decode(backslashThenC0, DicomVR.LT)); // LT is one value: '\' is text

        byte[] tabThenC0 = [Esc, 0x2D, 0x4C, 0xC0, 0x09, 0xC0];
        Assert.Equal("Р\tÀ", set.Decode(tabThenC0, DicomVR.ST)); // control characters reset in every VR
    }

    [Fact]
    public void Decode_WhenJisX0208BytesLookLikeDelimiters_ShouldKeepThemAsHalvesOfCharacters()
    {
        // ま is 24 5E in JIS X 0208: the 0x5E must not be read as '^' while G0 holds the double-byte set.
        var set = Resolve("", "ISO 2022 IR 87");
        Assert.Equal("ま^a", set.Decode(Hex("1B 24 42 24 5E 1B 28 42 5E 61"), DicomVR.PN));
    }

    [Fact]
    public void Decode_WhenJisX0212IsDesignated_ShouldMatchTheSupplementaryKanji()
    {
        var set = Resolve("", "ISO 2022 IR 87", "ISO 2022 IR 159");
        byte[] value = Hex("1B 24 28 44 30 21 1B 24 42 3B 33 1B 28 42");
        Assert.Equal("丂山", set.Decode(value, DicomVR.LO));
        Assert.True(set.TryEncode("丂山", out var encoded));
        Assert.Equal(ToHex(value), ToHex(encoded));
    }

    [Fact]
    public void Decode_WhenValueIsLongerThanTheStackBuffer_ShouldDecodeAllOfIt()
    {
        var cyrillic = string.Concat(Enumerable.Repeat("Иванов ", 300)); // 2100 characters
        foreach (var terms in new[] { new[] { "ISO_IR 144" }, ["ISO 2022 IR 6", "ISO 2022 IR 144"] })
        {
            var set = Resolve(terms);
            Assert.True(set.TryEncode(cyrillic, out var bytes));
            Assert.Equal(cyrillic, set.Decode(bytes, DicomVR.UT));
        }
    }

    [Fact]
    public void Decode_WhenVRDoesNotUseTheCharacterSet_ShouldReadEveryByteAsItself()
    {
        var set = Resolve("", "ISO 2022 IR 87");
        byte[] value = [Esc, 0x24, 0x42, 0x3B, 0x33, 0xE9];
        Assert.Equal("\u001B$B;3\u00E9", set.Decode(value, DicomVR.CS));
        Assert.Equal("\u00E9", Resolve("ISO_IR 192").Decode([0xE9], DicomVR.AE));
    }

    // ---- Single-byte sets and their encoders ----

    [Theory]
    [InlineData("ISO_IR 100", "Müller^Jürgen", "4D FC 6C 6C 65 72 5E 4A FC 72 67 65 6E")]
    [InlineData("ISO_IR 101", "Dvořák", "44 76 6F F8 E1 6B")]
    [InlineData("ISO_IR 144", "Иванов", "B8 D2 D0 DD DE D2")]
    [InlineData("ISO_IR 126", "Άρης", "B6 F1 E7 F2")]
    [InlineData("ISO_IR 138", "שלום", "F9 EC E5 ED")]
    [InlineData("ISO_IR 127", "عمر", "D9 E5 D1")]
    [InlineData("ISO_IR 148", "Şükrü", "DE FC 6B 72 FC")]
    [InlineData("ISO_IR 166", "สมชาย", "CA C1 AA D2 C2")]
    [InlineData("ISO_IR 203", "€œ", "A4 BD")]
    [InlineData("ISO_IR 13", "ﾔﾏﾀﾞ", "D4 CF C0 DE")]
    public void TryEncode_WhenTextIsInTheSingleByteSet_ShouldRoundTrip(string term, string text, string hex)
    {
        var set = Resolve(term);
        Assert.True(set.TryEncode(text, out var bytes));
        Assert.Equal(hex, ToHex(bytes));
        Assert.Equal(text, set.Decode(bytes, DicomVR.PN));
    }

    [Theory]
    [InlineData(new[] { "" }, "é")]
    [InlineData(new[] { "ISO_IR 100" }, "Иванов")]
    [InlineData(new[] { "ISO_IR 144" }, "€")]
    [InlineData(new[] { "ISO_IR 13" }, "山")]
    [InlineData(new[] { "", "ISO 2022 IR 87" }, "สม")]
    [InlineData(new[] { "", "ISO 2022 IR 149" }, "สม")]
    [InlineData(new[] { "ISO 2022 IR 100", "ISO 2022 IR 144" }, "Ωmega")]
    [InlineData(new[] { "GBK" }, "สม")]
    public void TryEncode_WhenTextIsOutsideTheSets_ShouldReturnFalse(string[] terms, string text)
    {
        Assert.False(Resolve(terms).TryEncode(text, out var bytes));
        Assert.Empty(bytes);
    }

    [Fact]
    public void TryEncode_WhenTwoSingleByteSetsAreDeclared_ShouldSwitchG1WithEscapes()
    {
        var set = Resolve("ISO 2022 IR 100", "ISO 2022 IR 144");
        Assert.True(set.TryEncode("Müller=Мюллер", out var bytes));
        Assert.Equal("4D FC 6C 6C 65 72 3D 1B 2D 4C BC EE DB DB D5 E0", ToHex(bytes));
        Assert.Equal("Müller=Мюллер", set.Decode(bytes, DicomVR.PN));
    }

    [Fact]
    public void TryEncode_WhenG1WasSwitchedBeforeACaret_ShouldDesignateAgainSoEveryVRDecodesIt()
    {
        // After "Ж^" PN has reset G1 to Latin-1 but LT still has Cyrillic: the encoder must say ESC - A again.
        // (Found by the round-trip property below.)
        var set = Resolve("ISO 2022 IR 100", "ISO 2022 IR 144");
        Assert.True(set.TryEncode("Ж^é", out var bytes));
        Assert.Equal("1B 2D 4C B6 5E 1B 2D 41 E9", ToHex(bytes));
        Assert.Equal("Ж^é", set.Decode(bytes, DicomVR.PN));
        Assert.Equal("Ж^é", set.Decode(bytes, DicomVR.LT));
    }

    [Fact]
    public void TryEncode_WhenUtf8_ShouldTakeAnyTextButLoneSurrogates()
    {
        var set = Resolve("ISO_IR 192");
        Assert.True(set.TryEncode("Zoë 王 😀", out var bytes));
        Assert.Equal(Encoding.UTF8.GetBytes("Zoë 王 😀"), bytes);
        Assert.False(set.TryEncode("a\uD800b", out _));
    }

    [Fact]
    public void TryEncode_WhenDefaultRepertoire_ShouldTakeAsciiOnly()
    {
        Assert.True(DicomCharacterSet.Default.TryEncode("ANON^PATIENT", out var bytes));
        Assert.Equal("ANON^PATIENT"u8.ToArray(), bytes);
        Assert.False(DicomCharacterSet.Default.TryEncode("Zoë", out _));
    }

    [Fact]
    public void TryEncode_WhenIso2022SetGetsPlainAscii_ShouldWriteNoEscapes()
    {
        foreach (var terms in new[] { new[] { "", "ISO 2022 IR 87" }, ["", "ISO 2022 IR 149"], ["ISO 2022 IR 13", "ISO 2022 IR 87"] })
        {
            Assert.True(Resolve(terms).TryEncode("ANON^PATIENT=", out var bytes));
            Assert.Equal("ANON^PATIENT="u8.ToArray(), bytes);
        }
    }

    // ---- Terms: aliases, unknown terms, odd combinations ----

    [Theory]
    [InlineData("ISO-IR 100")]
    [InlineData("ISO_IR100")]
    [InlineData("iso_ir 100")]
    [InlineData("ISO IR 100")]
    public void FromTerms_WhenTermIsACommonMisspelling_ShouldAcceptItWithAWarning(string term)
    {
        var set = DicomCharacterSet.FromTerms([term], out var warning);
        Assert.NotNull(warning);
        Assert.Contains("ISO_IR 100", warning, StringComparison.Ordinal);
        Assert.True(set.IsSupported);
        Assert.Equal("é", set.Decode([0xE9], DicomVR.LO));
    }

    [Theory]
    [InlineData("ISO_IR 149", "ISO 2022 IR 149")]
    [InlineData("GB2312", "ISO 2022 IR 58")]
    public void FromTerms_WhenMultiByteSetLacksTheIso2022Prefix_ShouldReadItAsTheIso2022SetInG1(string term, string read)
    {
        // Seen in the wild with raw EUC-KR / EUC-CN bytes: value 1's G1 set is in force from the start.
        var set = DicomCharacterSet.FromTerms([term], out var warning);
        Assert.Contains(read, warning, StringComparison.Ordinal);
        var text = term == "GB2312" ? "张^小东" : "홍^길동";
        var bytes = term == "GB2312" ? Hex("D5 C5 5E D0 A1 B6 AB") : Hex("C8 AB 5E B1 E6 B5 BF");
        Assert.Equal(text, set.Decode(bytes, DicomVR.PN));
    }

    [Fact]
    public void FromTerms_WhenTermIsUnknown_ShouldWarnAndKeepTheBytesThroughLatin1()
    {
        var set = DicomCharacterSet.FromTerms(["ISO_IR 999"], out var warning);
        Assert.NotNull(warning);
        Assert.Contains("ISO_IR 999", warning, StringComparison.Ordinal);
        Assert.False(set.IsSupported);
        Assert.Equal(["ISO_IR 999"], set.Terms);

        var all = Enumerable.Range(0, 256).Select(b => (byte)b).ToArray();
        var text = set.Decode(all, DicomVR.LO);
        Assert.Equal(all, Encoding.Latin1.GetBytes(text));
        Assert.True(set.TryEncode(text, out var back));
        Assert.Equal(all, back);
    }

    [Theory]
    [InlineData(new[] { "" }, false)]
    [InlineData(new[] { "ISO_IR 6" }, false)]
    [InlineData(new[] { "ISO_IR 100 " }, false)] // CS padding is not a misspelling
    [InlineData(new[] { "", "ISO 2022 IR 87" }, false)]
    [InlineData(new[] { "ISO_IR 192", "ISO 2022 IR 87" }, true)] // stand-alone set with others: others ignored
    [InlineData(new[] { "ISO_IR 100", "ISO_IR 144" }, true)] // no-extension terms in a multi-valued set
    [InlineData(new[] { "ISO 2022 IR 100", "FOO" }, true)]
    [InlineData(new[] { "ISO 2022 IR 149" }, true)] // multi-byte set as value 1
    [InlineData(new[] { "ISO 2022 IR 6", "ISO 2022 IR 149" }, false)]
    public void FromTerms_WhenGivenCombinations_ShouldNeverThrowAndWarnOnlyWhenNonConformant(string[] terms, bool warns)
    {
        var set = DicomCharacterSet.FromTerms(terms, out var warning);
        Assert.Equal(warns, warning is not null);
        Assert.Equal(terms, set.Terms);
        Assert.Equal("abc", set.Decode("abc"u8, DicomVR.PN));
    }

    [Fact]
    public void FromTerms_WhenNonExtensionTermsAreCombined_ShouldReadThemAsTheirIso2022Forms()
    {
        var set = DicomCharacterSet.FromTerms(["ISO_IR 100", "ISO_IR 144"], out _);
        Assert.True(set.UsesCodeExtensions);
        Assert.Equal("é=ж", set.Decode([0xE9, (byte)'=', Esc, 0x2D, 0x4C, 0xD6], DicomVR.PN));
    }

    [Fact]
    public void Decode_WhenIsoIr13ValueIsReallyShiftJis_ShouldReadItAsShiftJis()
    {
        // 山田 in Shift_JIS (bytes JIS X 0201 does not have), as Japanese systems often label it ISO_IR 13.
        Assert.Equal("山田^ﾀﾛｳ", Resolve("ISO_IR 13").Decode(Hex("8E 52 93 63 5E C0 DB B3"), DicomVR.PN));
    }

    // ---- Malformed input never throws ----

    [Theory]
    [InlineData(new[] { "ISO_IR 192" }, "41 C3 28 E2 82 42 FF", "A\uFFFD(\uFFFDB\uFFFD")] // bad UTF-8
    [InlineData(new[] { "", "ISO 2022 IR 87" }, "61 1B", "a\u001B")] // ESC at the end
    [InlineData(new[] { "", "ISO 2022 IR 87" }, "61 1B 24", "a\u001B$")] // truncated designation
    [InlineData(new[] { "", "ISO 2022 IR 87" }, "1B 28 5A 61", "\u001B(Za")] // unknown final byte: kept
    [InlineData(new[] { "", "ISO 2022 IR 87" }, "1B 24 42 3B 33 45", "山\uFFFD")] // odd byte count
    [InlineData(new[] { "", "ISO 2022 IR 87" }, "1B 24 42 3B 33 45 0D 61", "山\uFFFD\ra")] // half a pair before CR
    [InlineData(new[] { "", "ISO 2022 IR 149" }, "1B 24 29 43 FB", "\uFFFD")] // lone lead byte
    [InlineData(new[] { "", "ISO 2022 IR 149" }, "1B 24 29 43 FB 41", "\uFFFDA")]
    [InlineData(new[] { "ISO 2022 IR 100" }, "1B 2D 5A E9", "\u001B-Z\u00E9")] // unknown G1 set: G1 unchanged
    public void Decode_WhenBytesAreMalformed_ShouldReplaceOrKeepThemWithoutThrowing(string[] terms, string hex, string expected) =>
        Assert.Equal(expected, Resolve(terms).Decode(Hex(hex), DicomVR.LO));

    private static readonly string[] KnownTerms =
        [
            "", "ISO_IR 6", "ISO_IR 100", "ISO_IR 101", "ISO_IR 109", "ISO_IR 110", "ISO_IR 144", "ISO_IR 127",
            "ISO_IR 126", "ISO_IR 138", "ISO_IR 148", "ISO_IR 203", "ISO_IR 166", "ISO_IR 13", "ISO_IR 192", "GB18030",
            "GBK", "ISO 2022 IR 6", "ISO 2022 IR 100", "ISO 2022 IR 101", "ISO 2022 IR 109", "ISO 2022 IR 110",
            "ISO 2022 IR 144", "ISO 2022 IR 127", "ISO 2022 IR 126", "ISO 2022 IR 138", "ISO 2022 IR 148",
            "ISO 2022 IR 203", "ISO 2022 IR 166", "ISO 2022 IR 13", "ISO 2022 IR 87", "ISO 2022 IR 159",
            "ISO 2022 IR 149", "ISO 2022 IR 58", "iso-ir 100", "NONSENSE",
        ];

    private static Gen<string[]> TermSets => Gen.Elements(KnownTerms).ArrayOf().Select(a => a.Take(4).ToArray());

    [Property(MaxTest = 3000)]
    public Property Decode_WhenGivenRandomBytesWithRandomTerms_ShouldNeverThrow()
    {
        DicomVR[] vrs = [DicomVR.PN, DicomVR.LO, DicomVR.SH, DicomVR.LT, DicomVR.ST, DicomVR.UC, DicomVR.UT, DicomVR.CS];

        // Bytes biased towards the interesting ones: ESC, the intermediates and finals of designations, delimiters.
        var interesting = Gen.Elements<byte>(0x1B, 0x24, 0x28, 0x29, 0x2D, 0x41, 0x42, 0x43, 0x44, 0x49, 0x4A, 0x4C,
            0x5C, 0x5E, 0x3D, 0x0D, 0x0A, 0x21, 0x7E, 0xA1, 0xFE, 0x8E, 0x8F, 0xC0);
        var anyByte = Gen.Choose(0, 255).Select(i => (byte)i);
        var bytes = Gen.Frequency((3, anyByte), (2, interesting)).ArrayOf();
        var cases =
            from terms in TermSets
            from value in bytes
            from vr in Gen.Elements(vrs)
            select (terms, value, vr);

        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var (terms, value, vr) = c;
            var set = DicomCharacterSet.FromTerms(terms, out _);
            var text = set.Decode(value, vr);
            if (set.UsesCodeExtensions || !set.IsSupported)
            {
                Assert.True(text.Length <= value.Length);
            }

            // Whatever decoded either re-encodes or is refused; it never throws.
            _ = set.TryEncode(text, out _);
        });
    }

    [Property(MaxTest = 3000)]
    public Property TryEncode_WhenGivenRandomTextWithRandomTerms_ShouldDecodeBackToTheText()
    {
        // Characters from every set, plus the delimiters and controls that reset the ISO 2022 state.
        var pool = "AZaz09 ^=\\\r\néüÀßĄłčŐЖжЯ€Ωάשعกขﾔﾏﾀﾞｳ山田太郎丂やま洪吉홍길张东王小東😀\u0085\u00A0";
        var chars = Gen.Elements(pool.ToCharArray());
        var texts = chars.ArrayOf().Select(a => new string(a));
        var cases = from terms in TermSets from text in texts select (terms, text);

        return Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var set = DicomCharacterSet.FromTerms(c.terms, out _);
            if (set.TryEncode(c.text, out var bytes))
            {
                Assert.Equal(c.text, set.Decode(bytes, DicomVR.PN));
                Assert.Equal(c.text, set.Decode(bytes, DicomVR.LT));
            }
        });
    }

    // ---- Independent oracles: pydicom (Python codecs) and DCMTK dcmdump +U8 (glibc iconv) ----

    /// <summary>
    /// Every single-byte set over its whole upper half, each ISO 2022 G1 set switched in by its escape sequence,
    /// the annex examples, and a few values per VR and delimiter. Whole upper halves go to pydicom only: iconv
    /// rejects a value with an unassigned byte where Python (and this code) write U+FFFD. DCMTK 3.6.7 does not
    /// know ISO_IR 203.
    /// </summary>
    public static IReadOnlyList<CharsetCase> OracleCases { get; } = BuildOracleCases();

    [Fact]
    public void Decode_WhenComparedWithPydicom_ShouldAgreeOnEveryCase()
    {
        if (!ExternalTools.Require(output.WriteLine, "pydicom"))
        {
            return;
        }

        var cases = OracleCases.Where(c => c.Pydicom).ToList();
        var folder = TempFolder();
        try
        {
            var expected = CharacterSetOracle.Pydicom(cases, folder);

            // pydicom drops empty trailing PN component groups ("Wang^XiaoDong=王^小東=" reads "...小東").
            AssertAllAgree("pydicom", cases, c => expected[c], c => c.VR == DicomVR.PN ? "=" : "");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Decode_WhenComparedWithDcmtk_ShouldAgreeOnEveryCase()
    {
        if (!ExternalTools.Require(output.WriteLine, "dcmdump"))
        {
            return;
        }

        // +U8 needs DCMTK built with a character set converter ("char-conv" in its build options).
        var version = Encoding.UTF8.GetString(ExternalTools.RunOk("dcmdump", "--version"));
        if (!version.Contains("char-conv", StringComparison.Ordinal))
        {
            Assert.False(ExternalTools.OraclesRequired, "dcmdump was built without character set conversion (+U8).");
            output.WriteLine("dcmdump has no character set conversion; skipping.");
            return;
        }

        var folder = TempFolder();
        try
        {
            var dumped = CharacterSetOracle.Dcmtk([.. OracleCases.Where(c => c.Dcmtk)], folder);

            // DCMTK on glibc iconv (Debian) refuses the Japanese ISO 2022 sets; any other refusal is a failure.
            var refused = dumped.Where(kv => kv.Value.Unsupported).Select(kv => kv.Key).ToList();
            foreach (var c in refused)
            {
                output.WriteLine($"dcmdump's converter does not support {string.Join('\\', c.Terms)}: {c.Name} not compared.");
                Assert.Contains(c.Terms, t => t is "ISO 2022 IR 87" or "ISO 2022 IR 159" or "ISO 2022 IR 13");
            }

            var cases = dumped.Keys.Except(refused).ToList();
            Assert.True(cases.Count >= 25, $"Only {cases.Count} cases compared with DCMTK.");
            AssertAllAgree("dcmdump +U8", cases, c => dumped[c].Text ?? "<dcmdump could not convert>");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private void AssertAllAgree(string oracle, List<CharsetCase> cases, Func<CharsetCase, string> expected, Func<CharsetCase, string>? trimmed = null)
    {
        var disagreements = new List<string>();
        foreach (var c in cases)
        {
            var set = DicomCharacterSet.FromTerms(c.Terms, out _);
            var trim = (trimmed?.Invoke(c) ?? "") + " ";
            var ours = set.Decode(c.Value, c.VR).TrimEnd(trim.ToCharArray());
            var theirs = expected(c).TrimEnd(trim.ToCharArray());
            if (ours != theirs)
            {
                disagreements.Add($"{c.Name} ({c.VR.Code()}): ours [{Escape(ours)}], {oracle} [{Escape(theirs)}]");
            }
        }

        output.WriteLine($"{cases.Count - disagreements.Count} of {cases.Count} cases agree with {oracle}.");
        Assert.True(disagreements.Count == 0, string.Join(Environment.NewLine, disagreements));
    }

    private static string Escape(string text) =>
        string.Concat(text.Select(ch => ch is < ' ' or (>= '\u007F' and < '\u00A0') or '\uFFFD' ? $"\\u{(int)ch:X4}" : ch.ToString()));

    private static string TempFolder()
    {
        var folder = Path.Combine(Path.GetTempPath(), "medvision-charset-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static List<CharsetCase> BuildOracleCases()
    {
        var cases = new List<CharsetCase>();
        byte[] upperHalf = [.. Enumerable.Range(0xA0, 96).Select(b => (byte)b)];
        foreach (var ir in new[] { "100", "101", "109", "110", "144", "127", "126", "138", "148", "166", "203" })
        {
            cases.Add(new($"ISO_IR {ir} A0-FF", [$"ISO_IR {ir}"], DicomVR.LT, upperHalf, Dcmtk: false));
        }

        cases.Add(new("ISO_IR 13 A1-DF", ["ISO_IR 13"], DicomVR.LT, [.. Enumerable.Range(0xA1, 63).Select(b => (byte)b)]));

        // Names in each set (the bytes are written out by hand from the ISO 8859 / TIS 620 / JIS X 0201 charts).
        (string Term, string Hex)[] names =
        [
            ("ISO_IR 100", "4D FC 6C 6C 65 72 5E 4A FC 72 67 65 6E"), ("ISO_IR 101", "44 76 6F F8 E1 6B 5E 41 6E 74 6F 6E ED 6E"),
            ("ISO_IR 109", "C6 61 72 6C 65 73 5E C6 F5 6E 69"), ("ISO_IR 110", "C5 AB 69 6C 65 5E C2 6E 64 72 69 73"),
            ("ISO_IR 144", "B8 D2 D0 DD DE D2 5E B8 D2 D0 DD"), ("ISO_IR 127", "D9 E5 D1 5E C7 E4 D3 E4 D7 C7 E6"),
            ("ISO_IR 126", "B6 F1 E7 F2 5E C4 E7 EC DE F4 F1 E7 F2"), ("ISO_IR 138", "F9 EC E5 ED 5E F2 E5 E6 F8"),
            ("ISO_IR 148", "DE FC 6B 72 FC 5E DD 6C 6B 65 72"), ("ISO_IR 166", "CA C1 AA D2 C2 5E E3 A8 B4 D5"),
            ("ISO_IR 13", "D4 CF C0 DE 5E C0 DB B3"), ("ISO_IR 192", "5A 6F C3 AB 5E E7 8E 8B"),
            ("GB18030", "CD F5 5E D0 A1 B6 AB 81 30 81 30"), ("GBK", "CD F5 5E D0 A1 B6 AB"),
        ];
        foreach (var (term, hex) in names)
        {
            cases.Add(new($"{term} name", [term], DicomVR.PN, Hex(hex)));
        }

        cases.Add(new("ISO_IR 203 name", ["ISO_IR 203"], DicomVR.PN, Hex("4C E9 6F 6E 5E BD 75 76 72 65 A4"), Dcmtk: false));

        // Every G1 single-byte set by its escape sequence in one ST value, with value 1 ISO 2022 IR 6.
        (string Ir, char Final, string Hex)[] g1 =
        [
            ("100", 'A', "C0 C1 E9"), ("101", 'B', "A9 E8 F8"), ("109", 'C', "A6 C6 F5"), ("110", 'D', "A7 AB C5"),
            ("126", 'F', "C1 C2 C3"), ("127", 'G', "C7 C8 C9"), ("138", 'H', "E0 E1 E2"), ("144", 'L', "B0 B1 B2"),
            ("148", 'M', "D0 DD FE"), ("166", 'T', "A1 A2 A3"),
        ];
        var mixed = new List<byte>();
        foreach (var (_, final, hex) in g1)
        {
            mixed.AddRange([Esc, 0x2D, (byte)final, .. Hex(hex), 0x20]);
        }

        cases.Add(new("ISO 2022 G1 sets in turn", ["ISO 2022 IR 6", .. g1.Select(s => $"ISO 2022 IR {s.Ir}")], DicomVR.ST, [.. mixed]));
        cases.Add(new("ISO 2022 IR 203 by escape", ["ISO 2022 IR 100", "ISO 2022 IR 203"], DicomVR.LO,
            [0xE9, 0x20, Esc, 0x2D, 0x62, 0xA4, 0xBD], Dcmtk: false));

        // pydicom 2.3 reads ISO 2022 IR 58 with Python's plain gb2312 codec, which leaves ESC $ ) A in the text:
        // for GB 2312 DCMTK is the oracle.
        foreach (var row in AnnexExamples)
        {
            var terms = (string[])row[1];
            cases.Add(new($"Annex {row[0]}", terms, DicomVR.PN, Hex((string)row[3]), Pydicom: !terms.Contains("ISO 2022 IR 58")));
        }

        cases.Add(new("Annex K lines", ["", "ISO 2022 IR 58"], DicomVR.LT,
            Hex("31 2E 1B 24 29 41 B5 DA D2 BB D0 D0 CE C4 D7 D6 A1 A3 0D 0A 32 2E 1B 24 29 41 B5 DA B6 FE D0 D0 CE C4 D7 D6 A1 A3"),
            Pydicom: false));
        cases.Add(new("Latin-1 then Cyrillic in PN", ["ISO 2022 IR 100", "ISO 2022 IR 144"], DicomVR.PN,
            Hex("4D FC 6C 6C 65 72 3D 1B 2D 4C BC EE DB DB D5 E0")));
        cases.Add(new("Cyrillic reset at LO backslash", ["ISO 2022 IR 100", "ISO 2022 IR 144"], DicomVR.LO,
            Hex("1B 2D 4C BC EE 5C C0 E9")));
        cases.Add(new("JIS X 0212 and 0208", ["", "ISO 2022 IR 87", "ISO 2022 IR 159"], DicomVR.LO,
            Hex("1B 24 28 44 30 21 1B 24 42 3B 33 1B 28 42")));
        cases.Add(new("ISO 2022 IR 13 alone", ["ISO 2022 IR 13"], DicomVR.SH, Hex("D4 CF C0 DE 20 C0 DB B3")));
        cases.Add(new("Korean SH", ["", "ISO 2022 IR 149"], DicomVR.SH, Hex("1B 24 29 43 C8 AB B1 E6 B5 BF")));
        cases.Add(new("Korean without escapes, value 1 IR 149", ["ISO 2022 IR 149"], DicomVR.PN, Hex("C8 AB 5E B1 E6 B5 BF"),
            Dcmtk: false)); // not conformant: DCMTK refuses a multi-byte set as value 1
        cases.Add(new("Korean UT", ["", "ISO 2022 IR 149"], DicomVR.UT, Hex("41 1B 24 29 43 C8 AB 20 B1 E6 B5 BF")));
        cases.Add(new("UTF-8 two values", ["ISO_IR 192"], DicomVR.LO, Hex("5A 6F C3 AB 5C E7 8E 8B")));
        cases.Add(new("UTF-8 UC", ["ISO_IR 192"], DicomVR.UC, Hex("C3 A9 E2 82 AC F0 9F 98 80")));
        return cases;
    }

    // ---- Helpers ----

    internal static DicomCharacterSet Resolve(params string[] terms)
    {
        var set = DicomCharacterSet.FromTerms(terms, out var warning);
        Assert.Null(warning);
        return set;
    }

    internal static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", "", StringComparison.Ordinal));

    internal static string ToHex(byte[] bytes) => string.Join(' ', bytes.Select(b => b.ToString("X2")));
}
