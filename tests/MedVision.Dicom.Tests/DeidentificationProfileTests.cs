using MedVision.Dicom.Deidentification;

namespace MedVision.Dicom.Tests;

public class DeidentificationProfileTests
{
    private const string GeneratedFile = "shared/MedVision.Dicom/Deidentification/DeidentificationProfile.Generated.cs";
    private const string Csv = "data/ps3.15-table-E.1-1.csv";

    [Fact]
    public void Rules_WhenCountedAgainstTheCsv_ShouldHaveOneRulePerRow()
    {
        // Counted independently: rows are records starting with a quoted tag; one name spans lines.
        var text = File.ReadAllText(Path.Combine(DictionaryGeneratorHarness.RepoRoot, Csv));
        var rows = text.Split('\n').Count(line => line.StartsWith("\"(", StringComparison.Ordinal));
        Assert.Equal(621, rows); // release 2024b; update with the CSV
        Assert.Equal(rows, DeidentificationProfile.Rules.Count);
    }

    [Theory]
    [InlineData(0x0010, 0x0010, "Patient's Name", "Z")]
    [InlineData(0x0010, 0x0020, "Patient ID", "Z/D")]
    [InlineData(0x0008, 0x0050, "Accession Number", "Z")]
    [InlineData(0x0020, 0x000D, "Study Instance UID", "U")]
    [InlineData(0x0008, 0x0018, "SOP Instance UID", "U")]
    [InlineData(0x0008, 0x0022, "Acquisition Date", "X/Z")]
    [InlineData(0x0010, 0x0030, "Patient's Birth Date", "Z")]
    [InlineData(0xFFFA, 0xFFFA, "Digital Signatures Sequence", "X")]
    public void Find_WhenExactTag_ShouldGiveTheTablesBasicAction(int group, int element, string name, string action)
    {
        var rule = Find(group, element);
        Assert.True(rule.IsExact);
        Assert.Equal((name, action), (rule.Name, rule.BasicAction));
    }

    [Fact]
    public void Find_WhenOptionColumnsApply_ShouldGiveTheirActions()
    {
        var sex = Find(0x0010, 0x0040);
        Assert.Equal(("Patient's Sex", "Z", "K"), (sex.Name, sex.BasicAction, sex.RetainPatientCharacteristics));

        var date = Find(0x0008, 0x0022);
        Assert.Equal(("K", "C"), (date.RetainLongFullDates, date.RetainLongModifiedDates));
        Assert.Null(date.RetainUids);

        var study = Find(0x0020, 0x000D);
        Assert.Equal("K", study.RetainUids);

        var comments = Find(0x0018, 0x4000);
        Assert.Equal(("Acquisition Comments", "X", "C"), (comments.Name, comments.BasicAction, comments.CleanDescriptors));
    }

    [Theory]
    [InlineData(0x5002, 0x0010, "Curve Data")]
    [InlineData(0x5000, 0x3000, "Curve Data")]
    [InlineData(0x6000, 0x3000, "Overlay Data")]
    [InlineData(0x601E, 0x4000, "Overlay Comments")]
    [InlineData(0x0009, 0x1010, "Private Attributes")]
    [InlineData(0x5001, 0x0010, "Private Attributes")] // odd 50xx is private, not curve data
    [InlineData(0x6001, 0x3000, "Private Attributes")]
    public void Find_WhenTagMatchesAPattern_ShouldGiveThePatternRow(int group, int element, string name)
    {
        var rule = Find(group, element);
        Assert.False(rule.IsExact);
        Assert.Equal((name, "X"), (rule.Name, rule.BasicAction));
        Assert.True(rule.Matches(new DicomTag((ushort)group, (ushort)element)));
    }

    [Fact]
    public void Find_WhenPatternRows_ShouldCarryTheirOptionActions()
    {
        Assert.Equal("C", Find(0x6000, 0x3000).CleanGraphics);
        Assert.Equal("C", Find(0x0029, 0x1000).RetainSafePrivate);
    }

    [Theory]
    [InlineData(0x0028, 0x0010)] // Rows: not in the table
    [InlineData(0x7FE0, 0x0010)] // Pixel Data
    [InlineData(0x6000, 0x0010)] // Overlay Rows: (60xx,3000) and (60xx,4000) only
    public void Find_WhenTagIsNotInTheTable_ShouldBeNull(int group, int element)
    {
        var tag = new DicomTag((ushort)group, (ushort)element);
        Assert.Null(DeidentificationProfile.Find(tag));
        Assert.False(DeidentificationProfile.TryFind(tag, out _));
    }

    [Fact]
    public void Rules_WhenWalked_ShouldHaveExactTagsAscendingThenPatternsAndOnlyTheTablesActionCodes()
    {
        string[] basic = ["D", "Z", "X", "K", "C", "U", "X/Z", "X/D", "X/Z/D", "X/Z/U*", "Z/D"];
        var rules = DeidentificationProfile.Rules;
        var exact = rules.TakeWhile(r => r.IsExact).ToList();
        Assert.Equal(exact.Select(r => r.TagValue).Order(), exact.Select(r => r.TagValue));
        Assert.Equal(exact.Count, exact.Select(r => r.TagValue).Distinct().Count());
        Assert.All(rules.Skip(exact.Count), r => Assert.False(r.IsExact));
        Assert.All(rules, r => Assert.Contains(r.BasicAction, basic));
        Assert.All(rules, r => Assert.Equal(r.TagValue, r.TagValue & r.TagMask));
        foreach (var rule in rules)
        {
            Assert.Equal(rule, DeidentificationProfile.Find(new DicomTag(rule.TagValue)));
        }
    }

    [Fact]
    public void Generator_WhenRerunOnTheRepoCopy_ShouldReproduceTheCommittedFile() =>
        DictionaryGeneratorHarness.AssertRegenerates("scripts/gen-deid-profile.py", GeneratedFile, Path.Combine(DictionaryGeneratorHarness.RepoRoot, Csv));

    private static DeidentificationRule Find(int group, int element)
    {
        var rule = DeidentificationProfile.Find(new DicomTag((ushort)group, (ushort)element));
        Assert.True(rule.HasValue, $"({group:X4},{element:X4}) has no rule");
        return rule.Value;
    }
}
