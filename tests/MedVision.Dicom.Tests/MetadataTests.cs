using System.Text;
using MedVision.Dicom.Metadata;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests;

public class MetadataTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("20240131", "101112.5", "2024-01-31T10:11:12")]
    [InlineData("20240131", "1011", "2024-01-31T10:11:00")]
    [InlineData("2024.01.31", "10:11:12", "2024-01-31T10:11:12")] // ACR-NEMA forms still found in old archives
    [InlineData("20240131", null, "2024-01-31")]
    [InlineData("20240131", "25", "2024-01-31")]
    [InlineData("20241331", "101112", null)]
    [InlineData(null, "101112", null)]
    public void StudyDateTimeIso_WhenDateAndTimeVary_ShouldGiveIsoOrNothing(string? date, string? time, string? expected) =>
        Assert.Equal(expected, new DicomStudyMetadata { StudyDate = date, StudyTime = time }.StudyDateTimeIso);

    [Fact]
    public void From_WhenCorpusFileIsRead_ShouldAgreeWithDcmdumpOnEveryField()
    {
        if (!ExternalTools.Require(output.WriteLine, [.. TestCorpus.Tools, "dcmdump"]))
        {
            return;
        }

        foreach (var name in new[] { "ct-16s.dcm", "ct-16s-implicit.dcm", "ct-16s-bigendian.dcm", "us-rgb-rle.dcm" })
        {
            var file = TestCorpus.Get(name);
            var m = DicomStudyMetadata.From(DicomFile.Open(file.Path));
            string Dump(string tag)
            {
                var text = Encoding.UTF8.GetString(ExternalTools.RunOk("dcmdump", "+U8", "+P", tag, file.Path));
                var open = text.IndexOf('[', StringComparison.Ordinal);
                return open < 0 ? "" : text[(open + 1)..text.IndexOf(']', open)];
            }

            Assert.Equal(Dump("0010,0020"), m.PatientId);
            Assert.Equal(Dump("0010,0010"), m.PatientName);
            Assert.Equal(Dump("0020,000d"), m.StudyInstanceUid);
            Assert.Equal(Dump("0020,000e"), m.SeriesInstanceUid);
            Assert.Equal(Dump("0008,0018"), m.SopInstanceUid);
            Assert.Equal(Dump("0008,0050"), m.AccessionNumber);
            Assert.Equal(Dump("0008,0060"), m.Modality);
            Assert.Equal(Dump("0018,0015"), m.BodyPartExamined);
            Assert.Equal(Dump("0008,0070"), m.Manufacturer);
            Assert.Equal(file.TransferSyntaxUid, m.TransferSyntaxUid);
            Assert.NotNull(m.Rows);
            Assert.Equal(2, m.PixelSpacing!.Count);
        }
    }
}
