using System.Reflection;
using MedVision.Dicom.Dictionary;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests;

public class UidDictionaryTests(ITestOutputHelper output)
{
    private const string GeneratedFile = "shared/MedVision.Dicom/Dictionary/DicomUids.Generated.cs";

    [Fact]
    public void TryGet_WhenEveryKnownTransferSyntax_ShouldBeATransferSyntaxUid()
    {
        foreach (var syntax in TransferSyntax.All)
        {
            Assert.True(DicomUids.TryGet(syntax.Uid, out var entry), $"{syntax} is not in the UID dictionary");
            Assert.Equal(syntax.Uid, entry.Uid);
            Assert.Equal(DicomUidType.TransferSyntax, entry.Type);
            Assert.NotEmpty(entry.Name);
        }
    }

    [Fact]
    public void TryGet_WhenCTImageStorage_ShouldGiveNameKeywordAndType()
    {
        Assert.True(DicomUids.TryGet("1.2.840.10008.5.1.4.1.1.2", out var entry));
        Assert.Equal(new DicomUidEntry("1.2.840.10008.5.1.4.1.1.2", "CT Image Storage", DicomUidType.SopClass, "CTImageStorage", false), entry);
    }

    [Fact]
    public void TryGet_WhenRetiredOrOtherTypes_ShouldCarryThem()
    {
        Assert.True(DicomUids.TryGet("1.2.840.10008.1.2.2", out var bigEndian));
        Assert.Equal(("Explicit VR Big Endian", true), (bigEndian.Name, bigEndian.Retired));
        Assert.True(DicomUids.TryGet("1.2.840.10008.5.1.4.1.1.6", out var oldUltrasound));
        Assert.Equal(("UltrasoundImageStorageRetired", DicomUidType.SopClass, true), (oldUltrasound.Keyword, oldUltrasound.Type, oldUltrasound.Retired));
        Assert.True(DicomUids.TryGet("1.2.840.10008.1.5.1", out var palette));
        Assert.Equal(("HotIronPalette", DicomUidType.WellKnownSopInstance), (palette.Keyword, palette.Type));
        Assert.True(DicomUids.TryGet("1.2.840.10008.5.1.1.9", out var meta));
        Assert.Equal(DicomUidType.MetaSopClass, meta.Type);
    }

    [Theory]
    [InlineData("1.2.840.10008.5.1.4.1.1.2.99")] // not registered
    [InlineData("1.2.840.10008.5.1.4.1.1")] // a prefix of many, itself nothing
    [InlineData("1.2.840.10008.2.16.4")] // a coding scheme: a type the table leaves out
    [InlineData("")]
    [InlineData("1.2.840.10008.1.2\0")]
    public void TryGet_WhenNotATableUid_ShouldBeFalse(string uid)
    {
        Assert.False(DicomUids.TryGet(uid, out var entry));
        Assert.Equal(default, entry);
        Assert.Null(DicomUids.NameOf(uid));
    }

    [Fact]
    public void NameOf_WhenKnown_ShouldGiveTheStandardsName()
    {
        Assert.Equal("MR Image Storage", DicomUids.NameOf(SopClasses.MRImageStorage));
        Assert.Equal("High-Throughput JPEG 2000 Image Compression", DicomUids.NameOf("1.2.840.10008.1.2.4.203"));
    }

    [Fact]
    public void SopClasses_WhenLookedUp_ShouldEachBeANonRetiredSopClassWithTheConstantsName()
    {
        var constants = typeof(SopClasses).GetFields(BindingFlags.Public | BindingFlags.Static).Where(f => f.IsLiteral).ToList();
        Assert.Equal(13, constants.Count);
        foreach (var field in constants)
        {
            var uid = (string)field.GetRawConstantValue()!;
            Assert.True(DicomUids.TryGet(uid, out var entry), $"{field.Name} ({uid}) is not in the UID dictionary");
            Assert.Equal((field.Name, DicomUidType.SopClass, false), (entry.Keyword, entry.Type, entry.Retired));
        }
    }

    [Fact]
    public void Count_WhenComparedWithPydicom_ShouldEqualItsTableOfTheKeptTypesPlusTheSupplement()
    {
        if (!DictionaryGeneratorHarness.Require(output, DictionaryGeneratorHarness.PydicomPackage, "python3-pydicom"))
        {
            return;
        }

        // Every UID of the kept types, asked of pydicom itself, must be found with the same name and keyword.
        const string script = """
            from pydicom._uid_dict import UID_dictionary
            kept = {"Transfer Syntax", "SOP Class", "Meta SOP Class", "Well-known SOP Instance",
                    "Well-known Printer SOP Instance", "Well-known Print Queue SOP Instance"}
            for uid, (name, kind, _info, retired, keyword) in sorted(UID_dictionary.items()):
                if kind in kept:
                    print(f"{uid}\t{name}\t{keyword}\t{retired}")
            """;
        var lines = DictionaryGeneratorHarness.RunOk(DictionaryGeneratorHarness.Python, null, "-c", script)
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        foreach (var line in lines)
        {
            var fields = line.Split('\t');
            Assert.True(DicomUids.TryGet(fields[0], out var entry), $"{fields[0]} missing");
            Assert.Equal((fields[1], fields[2], fields[3] == "Retired"), (entry.Name, entry.Keyword, entry.Retired));
        }

        var supplemented = lines.Any(l => l.StartsWith("1.2.840.10008.1.2.4.201\t", StringComparison.Ordinal)) ? 0 : 3;
        Assert.Equal(DicomUids.Count, lines.Length + supplemented);
    }

    [Fact]
    public void Generator_WhenRerunOnItsSource_ShouldReproduceTheCommittedFile()
    {
        var source = DictionaryGeneratorHarness.SourceOf(GeneratedFile);
        if (DictionaryGeneratorHarness.Require(output, source, "python3-pydicom"))
        {
            DictionaryGeneratorHarness.AssertRegenerates("scripts/gen-dicom-uids.py", GeneratedFile, source);
        }
    }
}
