using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MedVision.Dicom.Deidentification;
using MedVision.Testing;
using Xunit.Abstractions;
using static MedVision.Dicom.Tests.Deidentification.DeidentificationTestData;

namespace MedVision.Dicom.Tests.Deidentification;

/// <summary>
/// The corpus files (made by pydicom, DCMTK and GDCM; they carry a patient name, ID, accession number, dates and
/// private attributes) de-identified, written, re-read by us and dumped by DCMTK's dcmdump as the oracle.
/// </summary>
public partial class DeidentificationCorpusTests(ITestOutputHelper output)
{
    private static readonly string[] Dummies =
    [
        DicomDeidentifier.DummyText, DicomDeidentifier.DummyPersonName, DicomDeidentifier.DummyDate, DicomDeidentifier.DummyTime,
        DicomDeidentifier.DummyDateTime, DicomDeidentifier.DummyAge,
    ];

    /// <summary>Probing for pydicom starts a Python process; once every tool was found, later rows skip the probe.</summary>
    private static bool toolsFound;

    public static IEnumerable<object[]> Names() => TestCorpus.Names();

    [GeneratedRegex(@"^\s*\(([0-9a-fA-F]{4}),([0-9a-fA-F]{4})\)", RegexOptions.Multiline)]
    private static partial Regex DumpTag();

    [Theory]
    [MemberData(nameof(Names))]
    public void Deidentify_WhenACorpusFileIsWrittenAndDumped_ShouldShowNoProtectedValueRemovedAttributeOrPrivateTag(string name)
    {
        if (!toolsFound && !(toolsFound = ExternalTools.Require(output.WriteLine, [.. TestCorpus.Tools, "dcmdump"])))
        {
            return;
        }

        var original = DicomFile.Open(TestCorpus.Get(name).Path);
        var result = new DicomDeidentifier(uidMap: new UidMap(new Random(11))).Deidentify(original);
        var bytes = result.File.ToBytes();
        var path = Path.Combine(Path.GetTempPath(), $"medvision-deid-{Environment.ProcessId}-{name}");
        File.WriteAllBytes(path, bytes);
        try
        {
            var (exit, stdout, stderr) = ExternalTools.Run("dcmdump", ["-q", "+L", path]);
            Assert.True(exit == 0, $"dcmdump failed on the de-identified {name}: {stderr}");
            var dump = Encoding.Latin1.GetString(stdout);
            var dumped = DumpTag().Matches(dump)
                .Select(m => new DicomTag(ushort.Parse(m.Groups[1].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture), ushort.Parse(m.Groups[2].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture)))
                .ToHashSet();

            // dcmdump sees no private tag, and none of the attributes the profile removes.
            Assert.DoesNotContain(dumped, t => (t.Group & 1) == 1);
            var removed = Walk(original.Dataset).SelectMany(d => d).Select(e => e.Tag)
                .Where(t => DeidentificationProfile.Find(t) is { } rule && ExpectedCode(rule, DeidentificationOptions.Basic) == "X" && (t.Group & 1) == 0)
                .ToHashSet();
            Assert.Empty(removed.Intersect(dumped));
            Assert.Contains(PatientIdentityRemoved, dumped);
            Assert.Matches(@"\(0012,0062\) CS \[YES\]", dump);

            // No protected value (patient name, ID, accession number, dates, private values, UIDs) is in the bytes.
            foreach (var needle in ProtectedValues(original))
            {
                Assert.False(Contains(bytes, needle), $"{name}: a protected value ({needle.Length} bytes) survived");
            }

            // Our reader reads it back, and the pixel data is the original's, byte for byte.
            var reread = DicomFile.Read(bytes);
            AssertSamePixels(original.Dataset[DicomTag.PixelData], reread.Dataset[DicomTag.PixelData]);
            Assert.Equal(reread.Dataset.GetString(SopInstanceUid), reread.FileMeta.GetString(DicomTag.MediaStorageSopInstanceUid));
            Assert.NotEqual(original.Dataset.GetString(SopInstanceUid), reread.Dataset.GetString(SopInstanceUid));
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// The stored bytes (padding trimmed) of every private value and of every value the Basic Profile removes,
    /// empties, replaces or remaps, four bytes or longer, unless a kept attribute holds the same bytes or it is one of
    /// our dummies.
    /// </summary>
    private static List<byte[]> ProtectedValues(DicomFile file)
    {
        var protectedValues = new List<byte[]>();
        var kept = new List<byte[]>();
        foreach (var dataset in Walk(file.Dataset))
        {
            foreach (var element in dataset.Where(e => e.Items is null && e.Fragments is null && e.VR.IsString()))
            {
                var value = element.Bytes.Span.TrimEnd((byte)' ').TrimEnd((byte)0).ToArray();
                var isProtected = (element.Tag.Group & 1) == 1
                    || (DeidentificationProfile.Find(element.Tag) is { } rule && ExpectedCode(rule, DeidentificationOptions.Basic) is "X" or "Z" or "D" or "U"
                        && !value.AsSpan().StartsWith("1.2.840.10008."u8));
                (isProtected ? protectedValues : kept).Add(value);
            }
        }

        return
        [
            .. protectedValues
                .Where(v => v.Length >= 4)
                .Where(v => !kept.Any(k => Contains(k, v)))
                .Where(v => !Dummies.Contains(Encoding.ASCII.GetString(v))),
        ];
    }

    private static void AssertSamePixels(DicomElement before, DicomElement after)
    {
        if (before.Fragments is { } fragments)
        {
            Assert.NotNull(after.Fragments);
            Assert.Equal(fragments.Fragments.Count, after.Fragments.Fragments.Count);
            for (var i = 0; i < fragments.Fragments.Count; i++)
            {
                // Fragments are written padded to even length.
                var a = fragments.Fragments[i].Span;
                var b = after.Fragments.Fragments[i].Span;
                Assert.True(b[..a.Length].SequenceEqual(a) && b.Length - a.Length is 0 or 1, $"fragment {i} differs");
            }

            return;
        }

        Assert.True(before.Bytes.Span.SequenceEqual(after.Bytes.Span), "pixel data differs");
    }
}
