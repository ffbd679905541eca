using System.Globalization;
using System.Text;
using MedVision.Dicom.Dictionary;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests;

public class DictionaryTests(ITestOutputHelper output)
{
    private const string GeneratedFile = "shared/MedVision.Dicom/Dictionary/DicomDictionary.Generated.cs";

    [Fact]
    public void TryGet_WhenPatientName_ShouldBePNWithOneValue()
    {
        var entry = Get(0x0010, 0x0010);
        Assert.Equal(new DicomDictionaryEntry(new DicomTag(0x0010, 0x0010), "PatientName", "Patient Name", DicomVR.PN, DicomVR.None, "1", false), entry);
    }

    [Fact]
    public void TryGet_WhenRows_ShouldBeUS()
    {
        var entry = Get(0x0028, 0x0010);
        Assert.Equal(("Rows", DicomVR.US, DicomVR.None, "1"), (entry.Keyword, entry.VR, entry.AlternateVR, entry.VM));
    }

    [Fact]
    public void TryGet_WhenPixelData_ShouldBeOWWithOBAlternate()
    {
        // DCMTK's "px": OB or OW; OW is what an implicit VR stream means (PS3.5 A.1).
        var entry = Get(0x7FE0, 0x0010);
        Assert.Equal(("PixelData", DicomVR.OW, DicomVR.OB), (entry.Keyword, entry.VR, entry.AlternateVR));
    }

    [Theory]
    [InlineData(0x6000)]
    [InlineData(0x6002)]
    [InlineData(0x601E)]
    [InlineData(0x60FE)]
    public void TryGet_WhenOverlayDataInAnEvenOverlayGroup_ShouldFindTheRepeatingEntry(int group)
    {
        var entry = Get((ushort)group, 0x3000);
        Assert.Equal(new DicomTag(0x6000, 0x3000), entry.Tag);
        Assert.Equal(("OverlayData", DicomVR.OW, DicomVR.OB, false), (entry.Keyword, entry.VR, entry.AlternateVR, entry.Retired));
    }

    [Fact]
    public void TryGet_WhenOverlayGroupIsOdd_ShouldNotMatchThePattern()
    {
        // (6001,3000) is a private data element, not overlay data.
        Assert.False(DicomDictionary.TryGet(new DicomTag(0x6001, 0x3000), out _));
    }

    [Theory]
    [InlineData(0x5000, 0x0005, "CurveDimensions", 0x5000, 0x0005)]
    [InlineData(0x501E, 0x3000, "CurveData", 0x5000, 0x3000)]
    [InlineData(0x7F02, 0x0010, "VariablePixelData", 0x7F00, 0x0010)]
    [InlineData(0x0020, 0x3100, "SourceImageIDs", 0x0020, 0x3100)]
    [InlineData(0x0020, 0x31AB, "SourceImageIDs", 0x0020, 0x3100)]
    [InlineData(0x1000, 0x0010, "EscapeTriplet", 0x1000, 0x0010)]
    [InlineData(0x1000, 0x1230, "EscapeTriplet", 0x1000, 0x0010)]
    [InlineData(0x1000, 0x1235, "ShiftTableTriplet", 0x1000, 0x0015)]
    [InlineData(0x1010, 0x0123, "ZonalMap", 0x1010, 0x0004)]
    [InlineData(0x0028, 0x0420, "RowsForNthOrderCoefficients", 0x0028, 0x0410)]
    [InlineData(0x0028, 0x08F8, "ImageDataLocation", 0x0028, 0x0808)]
    public void TryGet_WhenTagIsInARepeatingRange_ShouldFindThePatternWithItsFirstMember(int group, int element, string keyword, int firstGroup, int firstElement)
    {
        var entry = Get((ushort)group, (ushort)element);
        Assert.Equal(keyword, entry.Keyword);
        Assert.Equal(new DicomTag((ushort)firstGroup, (ushort)firstElement), entry.Tag);
        Assert.True(entry.Retired);
    }

    [Fact]
    public void TryGet_WhenAnExactTagLiesInsideAPattern_ShouldPreferTheExactTag()
    {
        Assert.Equal("PixelData", Get(0x7FE0, 0x0010).Keyword); // inside (7Fxx,0010)
        Assert.Equal("TransformLabel", Get(0x0028, 0x0400).Keyword); // inside (0028,04x0)
    }

    [Fact]
    public void TryGet_WhenLutData_ShouldBeOWWithUSAlternate()
    {
        // DCMTK's "lt" (US, SS or OW); PS3.5 A.1 makes LUT data OW in implicit VR.
        var lut = Get(0x0028, 0x3006);
        Assert.Equal(("LUTData", DicomVR.OW, DicomVR.US, "1-n"), (lut.Keyword, lut.VR, lut.AlternateVR, lut.VM));
        var gray = Get(0x0028, 0x1200);
        Assert.Equal(("GrayLookupTableData", DicomVR.OW, DicomVR.US, true), (gray.Keyword, gray.VR, gray.AlternateVR, gray.Retired));

        // Palette color LUT data is plain OW in both the standard and dicom.dic.
        var red = Get(0x0028, 0x1201);
        Assert.Equal(("RedPaletteColorLookupTableData", DicomVR.OW, DicomVR.None), (red.Keyword, red.VR, red.AlternateVR));
    }

    [Fact]
    public void TryGet_WhenUsOrSs_ShouldBeUSWithSSAlternate()
    {
        var entry = Get(0x0028, 0x0106);
        Assert.Equal(("SmallestImagePixelValue", DicomVR.US, DicomVR.SS), (entry.Keyword, entry.VR, entry.AlternateVR));
    }

    [Fact]
    public void TryGet_WhenRetiredTag_ShouldFlagItAndDropDcmtksPrefix()
    {
        var entry = Get(0x0028, 0x0040);
        Assert.Equal(("ImageFormat", "Image Format", DicomVR.CS, true), (entry.Keyword, entry.Name, entry.VR, entry.Retired));
    }

    [Fact]
    public void TryGet_WhenMultiValued_ShouldCarryTheStandardsVM()
    {
        var entry = Get(0x0020, 0x0037);
        Assert.Equal(("ImageOrientationPatient", DicomVR.DS, "6"), (entry.Keyword, entry.VR, entry.VM));
        Assert.Equal("2-2n", Get(0x0018, 0x1620).VM); // Vertices of the Polygonal Shutter
    }

    [Fact]
    public void TryGet_WhenItemOrDelimiter_ShouldHaveNoVR()
    {
        var item = Get(0xFFFE, 0xE000);
        Assert.Equal(("Item", DicomVR.None, DicomVR.None), (item.Keyword, item.VR, item.AlternateVR));
        Assert.Equal("SequenceDelimitationItem", Get(0xFFFE, 0xE0DD).Keyword);
    }

    [Theory]
    [InlineData(0x0008, 0x0000, "GenericGroupLength", DicomVR.UL)]
    [InlineData(0x0009, 0x0000, "PrivateGroupLength", DicomVR.UL)]
    [InlineData(0x0003, 0x0000, "IllegalGroupLength", DicomVR.UL)]
    [InlineData(0x0029, 0x0010, "PrivateCreator", DicomVR.LO)]
    [InlineData(0x0029, 0x00FF, "PrivateCreator", DicomVR.LO)]
    [InlineData(0x0005, 0x0010, "IllegalPrivateCreator", DicomVR.LO)]
    [InlineData(0x0002, 0x0000, "FileMetaInformationGroupLength", DicomVR.UL)]
    [InlineData(0x1000, 0x0000, "GenericGroupLength", DicomVR.UL)] // not (1000,xxx0) Escape Triplet
    public void TryGet_WhenGroupLengthOrPrivateCreator_ShouldFollowDcmtksCatchAllRules(int group, int element, string keyword, DicomVR vr)
    {
        var tag = new DicomTag((ushort)group, (ushort)element);
        var entry = Get(tag.Group, tag.Element);
        Assert.Equal((tag, keyword, vr, "1"), (entry.Tag, entry.Keyword, entry.VR, entry.VM));
        Assert.Equal(keyword, DicomDictionary.KeywordOf(tag));
    }

    [Theory]
    [InlineData(0x0009, 0x1010)] // private data element
    [InlineData(0x0029, 0x0100)] // past the private creator block
    [InlineData(0x0008, 0xFFF0)] // unassigned even tag
    [InlineData(0x6001, 0x3000)] // odd overlay group
    public void TryGet_WhenUnknownOrPrivate_ShouldBeFalse(int group, int element)
    {
        var tag = new DicomTag((ushort)group, (ushort)element);
        Assert.False(DicomDictionary.TryGet(tag, out var entry));
        Assert.Equal(default, entry);
        Assert.Null(DicomDictionary.KeywordOf(tag));
        Assert.Equal(DicomVR.UN, DicomDictionary.ImplicitVR(tag));
    }

    [Theory]
    [InlineData(0x7FE0, 0x0010, DicomVR.OW)] // px
    [InlineData(0x6004, 0x3000, DicomVR.OW)] // ox, repeating
    [InlineData(0x5400, 0x1010, DicomVR.OW)] // ox, waveform data
    [InlineData(0x0028, 0x3006, DicomVR.OW)] // lt
    [InlineData(0x0028, 0x0106, DicomVR.US)] // xs: caller resolves SS by Pixel Representation
    [InlineData(0x0004, 0x1200, DicomVR.UL)] // up
    [InlineData(0x0010, 0x0010, DicomVR.PN)]
    [InlineData(0x0008, 0x0000, DicomVR.UL)] // group length
    [InlineData(0x0011, 0x0000, DicomVR.UL)] // private group length
    [InlineData(0x0009, 0x0010, DicomVR.LO)] // private creator
    [InlineData(0x0029, 0x00FF, DicomVR.LO)]
    [InlineData(0x0009, 0x1010, DicomVR.UN)] // private data element
    [InlineData(0x0009, 0x0100, DicomVR.UN)]
    [InlineData(0x0008, 0xFFF0, DicomVR.UN)] // unknown
    public void ImplicitVR_WhenTagIsGiven_ShouldFollowPS35(int group, int element, DicomVR expected) =>
        Assert.Equal(expected, DicomDictionary.ImplicitVR(new DicomTag((ushort)group, (ushort)element)));

    [Theory]
    [InlineData(0x0028, 0x0106, true, DicomVR.US, DicomVR.SS)]
    [InlineData(0x6002, 0x3000, true, DicomVR.OW, DicomVR.OB)]
    [InlineData(0x0010, 0x0010, true, DicomVR.PN, DicomVR.None)]
    [InlineData(0x0019, 0x0000, true, DicomVR.UL, DicomVR.None)]
    [InlineData(0x0019, 0x0010, true, DicomVR.LO, DicomVR.None)]
    [InlineData(0x0019, 0x1010, false, DicomVR.UN, DicomVR.None)]
    public void TryGetVR_WhenAsked_ShouldAgreeWithTryGet(int group, int element, bool found, DicomVR vr, DicomVR alternate)
    {
        var tag = new DicomTag((ushort)group, (ushort)element);
        Assert.Equal((found, vr, alternate), (DicomDictionary.TryGetVR(tag, out var v, out var a), v, a));
        if (found)
        {
            Assert.True(DicomDictionary.TryGet(tag, out var entry));
            Assert.Equal((vr, alternate), (entry.VR, entry.AlternateVR));
        }
    }

    [Theory]
    [InlineData("PatientName", 0x00100010u)]
    [InlineData("PixelData", 0x7FE00010u)]
    [InlineData("SOPClassUID", 0x00080016u)]
    [InlineData("OverlayData", 0x60003000u)]
    [InlineData("SourceImageIDs", 0x00203100u)]
    [InlineData("ImageFormat", 0x00280040u)] // retired
    [InlineData("CommandGroupLength", 0x00000000u)]
    public void TryGetTag_WhenKeywordIsKnown_ShouldGiveItsTag(string keyword, uint value)
    {
        Assert.True(DicomDictionary.TryGetTag(keyword, out var tag));
        Assert.Equal(new DicomTag(value), tag);
    }

    [Theory]
    [InlineData("NoSuchKeyword")]
    [InlineData("patientname")]
    [InlineData("RETIRED_ImageFormat")]
    [InlineData("PrivateCreator")] // a catch-all rule, not a tag
    [InlineData("")]
    [InlineData("PatientName ")]
    public void TryGetTag_WhenKeywordIsUnknown_ShouldBeFalse(string keyword) =>
        Assert.False(DicomDictionary.TryGetTag(keyword, out _));

    [Fact]
    public void EntryAt_WhenWalkingTheTable_ShouldGiveUniqueKeywordsAndAscendingExactTags()
    {
        var keywords = new HashSet<string>(StringComparer.Ordinal);
        var previous = -1L;
        var patterns = 0;
        for (var i = 0; i < DicomDictionary.Count; i++)
        {
            var entry = DicomDictionary.EntryAt(i);
            Assert.True(keywords.Add(entry.Keyword), $"duplicate keyword {entry.Keyword}");
            Assert.True(DicomDictionary.TryGet(entry.Tag, out var again) && again == entry, $"{entry.Tag} does not find its own entry");
            if (entry.Tag.Value > previous)
            {
                previous = entry.Tag.Value;
            }
            else
            {
                patterns++; // the patterns follow the exact tags, so order breaks once
            }
        }

        Assert.InRange(patterns, 1, 200);
        Assert.Throws<ArgumentOutOfRangeException>(() => DicomDictionary.EntryAt(DicomDictionary.Count));
    }

    [Fact]
    public void Count_WhenComparedWithDicomDic_ShouldEqualItsStandardEntriesAndEachShouldRoundTrip()
    {
        var path = DictionaryGeneratorHarness.SourceOf(GeneratedFile);
        if (!DictionaryGeneratorHarness.Require(output, path, "dcmtk"))
        {
            return;
        }

        // Parsed here independently of the generator: "(tag)\tVR\tKeyword\tVM\tVersion".
        var standard = 0;
        var catchAlls = 0;
        foreach (var line in File.ReadAllLines(path))
        {
            if (line.StartsWith('#') || line.Trim().Length == 0)
            {
                continue;
            }

            var fields = line.Split('\t');
            Assert.Equal(5, fields.Length);
            if (!fields[4].StartsWith("DICOM", StringComparison.Ordinal))
            {
                catchAlls++; // PRIVATE / ILLEGAL / GENERIC rules, checked by the catch-all theory above
                continue;
            }

            standard++;
            var parts = fields[0].Trim('(', ')').Split(',');
            var tag = new DicomTag(LowEnd(parts[0]), LowEnd(parts[1]));
            var retired = fields[2].StartsWith("RETIRED_", StringComparison.Ordinal);
            var keyword = retired ? fields[2]["RETIRED_".Length..] : fields[2];

            Assert.True(DicomDictionary.TryGet(tag, out var entry), $"{line}: not found");
            Assert.Equal((keyword, retired, fields[3]), (entry.Keyword, entry.Retired, entry.VM));
            Assert.Equal(ExpectedVRs(fields[1]), VRsOf(entry));
            Assert.True(DicomDictionary.TryGetTag(keyword, out var back), $"{keyword}: keyword not found");
            Assert.Equal(tag, back);
        }

        Assert.Equal(DicomDictionary.Count, standard);
        Assert.Equal(5, catchAlls);
        output.WriteLine($"{path}: {standard} standard entries (all found), {catchAlls} catch-all rules.");

        static ushort LowEnd(string range) => ushort.Parse(range.AsSpan(0, 4), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
    }

    [Fact]
    public void Generator_WhenRerunOnItsSource_ShouldReproduceTheCommittedFile()
    {
        var source = DictionaryGeneratorHarness.SourceOf(GeneratedFile);
        if (DictionaryGeneratorHarness.Require(output, source, "dcmtk"))
        {
            DictionaryGeneratorHarness.AssertRegenerates("scripts/gen-dicom-dictionary.py", GeneratedFile, source);
        }
    }

    [Fact]
    public void TryGet_WhenComparedWithPydicom_ShouldAgreeOnKeywordAndVRForEveryTagBothKnow()
    {
        // pydicom's dictionary is generated from the standard's XML, DCMTK's is maintained by hand: an independent
        // oracle. Every entry is checked, not a sample: one python process answers them all.
        if (!DictionaryGeneratorHarness.Require(output, DictionaryGeneratorHarness.PydicomPackage, "python3-pydicom"))
        {
            return;
        }

        var entries = Enumerable.Range(0, DicomDictionary.Count).Select(DicomDictionary.EntryAt).ToList();
        const string script = """
            import sys
            from pydicom import datadict
            for line in sys.stdin:
                tag = int(line, 16)
                try:
                    vr, _vm, _name, _retired, keyword = datadict.get_entry(tag)
                    print(f"{vr}\t{keyword}")
                except KeyError:
                    print("-")
            """;
        var stdin = string.Join('\n', entries.Select(e => e.Tag.ToJsonKey())) + "\n";
        var answer = DictionaryGeneratorHarness.RunOk(DictionaryGeneratorHarness.Python, stdin, "-c", script)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(entries.Count, answer.Length);

        var compared = 0;
        var unknownToPydicom = new List<string>();
        var disagreements = new List<string>();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (answer[i] == "-")
            {
                unknownToPydicom.Add(entry.Keyword); // newer than pydicom's edition
                continue;
            }

            compared++;
            var fields = answer[i].Split('\t');
            var theirs = fields[0] == "NONE" ? [] : fields[0].Split(" or ").Select(Parse).ToHashSet();
            var ours = VRsOf(entry);
            // Overlap, not equality: pydicom writes LUT data as "US or SS or OW" where we keep two.
            var vrAgrees = ours.Count == 0 ? theirs.Count == 0 : ours.Overlaps(theirs);
            if (!vrAgrees || fields[1] != entry.Keyword)
            {
                disagreements.Add($"{entry.Tag} ours {entry.Keyword} {string.Join('/', ours)}, pydicom {fields[1]} {fields[0]}");
            }
        }

        output.WriteLine($"Compared {compared} entries; unknown to pydicom: {string.Join(", ", unknownToPydicom)}");
        Assert.Empty(disagreements);
        Assert.True(compared > DicomDictionary.Count - 50, $"only {compared} entries compared");

        static DicomVR Parse(string code) => DicomVRInfo.TryParse(code, out var vr) ? vr : throw new FormatException(code);
    }

    [Fact]
    public void ImplicitVRAndTryGetVR_WhenCalledAcrossGroups_ShouldNotAllocate()
    {
        DicomDictionary.TryGetVR(new DicomTag(0x0010, 0x0010), out _, out _); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var group = 0; group < 0x10000; group += 0x101)
        {
            DicomDictionary.ImplicitVR(new DicomTag((ushort)group, 0x0000));
            DicomDictionary.ImplicitVR(new DicomTag((ushort)group, 0x0010));
            DicomDictionary.ImplicitVR(new DicomTag((ushort)group, 0x3000));
            DicomDictionary.TryGetVR(new DicomTag((ushort)group, 0x0106), out _, out _);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static DicomDictionaryEntry Get(ushort group, ushort element)
    {
        Assert.True(DicomDictionary.TryGet(new DicomTag(group, element), out var entry), $"({group:X4},{element:X4}) not found");
        return entry;
    }

    private static HashSet<DicomVR> VRsOf(DicomDictionaryEntry entry) =>
        new[] { entry.VR, entry.AlternateVR }.Where(vr => vr != DicomVR.None).ToHashSet();

    /// <summary>DCMTK's VR column as a set of VRs, for the pseudo VRs as dcmdata defines them.</summary>
    private static HashSet<DicomVR> ExpectedVRs(string dcmtk) => dcmtk switch
    {
        "ox" or "px" => [DicomVR.OB, DicomVR.OW],
        "lt" => [DicomVR.US, DicomVR.OW],
        "xs" => [DicomVR.US, DicomVR.SS],
        "up" => [DicomVR.UL],
        "na" => [],
        _ => [DicomVRInfo.TryParse(dcmtk, out var vr) ? vr : throw new FormatException($"VR {dcmtk}")],
    };
}

/// <summary>
/// Shared by the dictionary, UID and de-identification tests: finds the repository, runs the generator scripts, and
/// treats missing Debian inputs like tests/MedVision.Imaging.Tests/Oracle.cs treats missing tools.
/// </summary>
internal static class DictionaryGeneratorHarness
{
    public const string PydicomPackage = "/usr/lib/python3/dist-packages/pydicom/_uid_dict.py";

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(120);

    /// <summary>Debian's python3, which has python3-pydicom; another python3 on PATH (pyenv) may not.</summary>
    public static string Python => ExternalTools.Python;

    public static string RepoRoot => RepoPaths.Root;

    /// <summary>True when the file is there; otherwise skips (false) or, under MEDVISION_REQUIRE_ORACLES=1, fails.</summary>
    public static bool Require(ITestOutputHelper output, string path, string package)
    {
        if (File.Exists(path))
        {
            return true;
        }

        var why = $"{path} not found (apt-get install {package}).";
        if (ExternalTools.OraclesRequired)
        {
            throw new InvalidOperationException($"Required oracle missing: {why}");
        }

        output.WriteLine($"{why} Skipping.");
        return false;
    }

    /// <summary>The "Source:" path recorded in a generated file's header, which is what the test regenerates from.</summary>
    public static string SourceOf(string generatedRelative)
    {
        const string marker = "//   Source: ";
        var line = File.ReadLines(Path.Combine(RepoRoot, generatedRelative)).First(l => l.StartsWith(marker, StringComparison.Ordinal));
        var source = line[marker.Length..];
        var end = source.IndexOf(" (", StringComparison.Ordinal);
        return end < 0 ? source : source[..end];
    }

    /// <summary>Runs a generator into a temporary file and requires it to equal the committed file byte for byte.</summary>
    public static void AssertRegenerates(string scriptRelative, string generatedRelative, params string[] inputs)
    {
        var temporary = Path.Combine(Path.GetTempPath(), $"medvision-regen-{Guid.NewGuid():N}.cs");
        try
        {
            RunOk(Python, null, [Path.Combine(RepoRoot, scriptRelative), .. inputs, temporary]);
            var expected = File.ReadAllBytes(Path.Combine(RepoRoot, generatedRelative));
            var actual = File.ReadAllBytes(temporary);
            Assert.True(expected.AsSpan().SequenceEqual(actual),
                $"{generatedRelative} is stale: run python3 {scriptRelative} and commit the result. First difference at byte {FirstDifference(expected, actual)}.");
        }
        finally
        {
            File.Delete(temporary);
        }
    }

    public static string RunOk(string file, string? stdin, params string[] arguments)
    {
        var (exit, stdout, stderr) = ExternalTools.Run(file, arguments, Timeout, stdin: stdin is null ? null : Encoding.UTF8.GetBytes(stdin));
        Assert.True(exit == 0, $"{file} {string.Join(' ', arguments)} failed ({exit}): {stderr}");
        return Encoding.UTF8.GetString(stdout);
    }

    private static int FirstDifference(byte[] a, byte[] b) => a.AsSpan().CommonPrefixLength(b);
}
