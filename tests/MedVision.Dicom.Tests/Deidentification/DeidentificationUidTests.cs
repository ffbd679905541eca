using System.Globalization;
using System.Numerics;
using System.Text;
using MedVision.Dicom.Deidentification;
using static MedVision.Dicom.Tests.Deidentification.DeidentificationTestData;

namespace MedVision.Dicom.Tests.Deidentification;

/// <summary>UID replacement across the instances of a study, the keyed mode, and the 2.25 UUID form.</summary>
public class DeidentificationUidTests
{
    private const string Root = "1.2.826.0.1.3680043.10.4242.";
    private const string Study = Root + "1";
    private const string Series = Root + "2";
    private const string FrameOfReference = Root + "3";
    private const string InstanceA = Root + "10";
    private const string InstanceB = Root + "11";

    /// <summary>Two CT instances of one series; B refers to A in Referenced Image Sequence and Source Image Sequence.</summary>
    private static (DicomFile A, DicomFile B) Study2()
    {
        DicomDataset Instance(string sop)
        {
            var ds = new DicomDataset();
            ds.SetString(SopClassUid, DicomVR.UI, CtImageStorage);
            ds.SetString(SopInstanceUid, DicomVR.UI, sop);
            ds.SetString(StudyDate, DicomVR.DA, "20240131");
            ds.SetString(PatientName, DicomVR.PN, "Doe^Jane");
            ds.SetString(PatientId, DicomVR.LO, "PID-4242");
            ds.SetString(StudyInstanceUid, DicomVR.UI, Study);
            ds.SetString(SeriesInstanceUid, DicomVR.UI, Series);
            ds.SetString(FrameOfReferenceUid, DicomVR.UI, FrameOfReference);
            return ds;
        }

        var a = Instance(InstanceA);
        var b = Instance(InstanceB);
        var reference = new DicomDataset(b);
        reference.SetString(ReferencedSopClassUid, DicomVR.UI, CtImageStorage);
        reference.SetString(ReferencedSopInstanceUid, DicomVR.UI, InstanceA);
        b.SetSequence(ReferencedImageSequence, [reference]);
        var source = new DicomDataset(b);
        source.SetString(ReferencedSopClassUid, DicomVR.UI, CtImageStorage);
        source.SetString(ReferencedSopInstanceUid, DicomVR.UI, InstanceA);
        b.SetSequence(new DicomTag(0x0008, 0x2112), [source]);
        return (AsFile(a), AsFile(b));
    }

    private static IEnumerable<string> AllUids(DicomFile file) =>
        Walk(file.Dataset).Concat([file.FileMeta]).SelectMany(d => d.Where(e => e.VR == DicomVR.UI).Select(e => d.GetString(e.Tag)!));

    [Fact]
    public void Deidentify_WhenTwoInstancesOfAStudyShareOneMap_ShouldKeepStudySeriesAndReferencesConsistent()
    {
        var (a, b) = Study2();
        var deidentifier = new DicomDeidentifier(uidMap: new UidMap(new Random(42)));

        var newA = deidentifier.Deidentify(a).File;
        var newB = deidentifier.Deidentify(b).File;

        Assert.Equal(newA.Dataset.GetString(StudyInstanceUid), newB.Dataset.GetString(StudyInstanceUid));
        Assert.Equal(newA.Dataset.GetString(SeriesInstanceUid), newB.Dataset.GetString(SeriesInstanceUid));
        Assert.Equal(newA.Dataset.GetString(FrameOfReferenceUid), newB.Dataset.GetString(FrameOfReferenceUid));
        Assert.NotEqual(newA.Dataset.GetString(SopInstanceUid), newB.Dataset.GetString(SopInstanceUid));

        // B's references now point at A's new SOP Instance UID.
        var newSopA = newA.Dataset.GetString(SopInstanceUid);
        Assert.Equal(newSopA, newB.Dataset.GetItems(ReferencedImageSequence)[0].GetString(ReferencedSopInstanceUid));
        Assert.Equal(newSopA, newB.Dataset.GetItems(new DicomTag(0x0008, 0x2112))[0].GetString(ReferencedSopInstanceUid));
        Assert.Equal(CtImageStorage, newB.Dataset.GetItems(ReferencedImageSequence)[0].GetString(ReferencedSopClassUid));

        // No original instance UID survives anywhere; the new ones are 2.25 UUID UIDs; the SOP class is kept.
        foreach (var file in new[] { newA, newB })
        {
            var uids = AllUids(file).ToList();
            Assert.DoesNotContain(uids, u => u.StartsWith(Root, StringComparison.Ordinal));
            Assert.All(uids.Where(u => !u.StartsWith("1.2.840.10008.", StringComparison.Ordinal)), u => Assert.Matches(@"^2\.25\.[1-9][0-9]*$", u));
            Assert.Equal(file.Dataset.GetString(SopInstanceUid), file.FileMeta.GetString(DicomTag.MediaStorageSopInstanceUid));
        }
    }

    [Fact]
    public void Deidentify_WhenWrittenAndReread_ShouldHaveMetaMediaStorageSopInstanceUidEqualToTheNewSopInstanceUid()
    {
        var (a, _) = Study2();
        var result = new DicomDeidentifier().Deidentify(a);

        var reread = DicomFile.Read(result.File.ToBytes());

        var sop = reread.Dataset.GetString(SopInstanceUid);
        Assert.NotEqual(InstanceA, sop);
        Assert.Equal(sop, reread.FileMeta.GetString(DicomTag.MediaStorageSopInstanceUid));
        Assert.Equal(result.File.Dataset.GetString(SopInstanceUid), sop);
    }

    [Fact]
    public void Deidentify_WhenTheSameKeyIsUsedInTwoRuns_ShouldGiveTheSameUids()
    {
        var key = Encoding.ASCII.GetBytes("0123456789abcdef-test-key");
        var (a, b) = Study2();

        var first = new DicomDeidentifier(uidMap: new KeyedUidMap(key)).Deidentify(a).File;
        var second = new DicomDeidentifier(uidMap: new KeyedUidMap(key)).Deidentify(b).File; // another run, another instance
        var otherKey = new DicomDeidentifier(uidMap: new KeyedUidMap(Encoding.ASCII.GetBytes("another key of 16+ bytes"))).Deidentify(a).File;

        Assert.Equal(first.Dataset.GetString(StudyInstanceUid), second.Dataset.GetString(StudyInstanceUid));
        Assert.Equal(first.Dataset.GetString(SopInstanceUid), second.Dataset.GetItems(ReferencedImageSequence)[0].GetString(ReferencedSopInstanceUid));
        Assert.NotEqual(first.Dataset.GetString(StudyInstanceUid), otherKey.Dataset.GetString(StudyInstanceUid));
        Assert.Matches(@"^2\.25\.[1-9][0-9]*$", first.Dataset.GetString(StudyInstanceUid)!);
    }

    [Fact]
    public void KeyedUidMap_WhenMapping_ShouldMakeVersion8Uuids()
    {
        var map = new KeyedUidMap(new byte[32]);
        var uid = map.Map(Study);

        var value = BigInteger.Parse(uid["2.25.".Length..], CultureInfo.InvariantCulture);
        var bytes = value.ToByteArray(isUnsigned: true, isBigEndian: true);
        var uuid = new byte[16];
        bytes.CopyTo(uuid.AsSpan(16 - bytes.Length));
        Assert.Equal(8, uuid[6] >> 4); // version
        Assert.Equal(0b10, uuid[8] >> 6); // RFC 9562 variant
        Assert.Equal(uid, map.Map(Study));
        Assert.NotEqual(uid, map.Map(Series));
        Assert.Throws<ArgumentException>(() => new KeyedUidMap(new byte[8]));
    }

    [Fact]
    public void UidMap_WhenGivenAnIdGenerator_ShouldUseItDeterministicallyAndRememberEachUid()
    {
        var next = 0;
        var map = new UidMap(() => new Guid(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte)++next));

        Assert.Equal("2.25.1", map.Map("1.2.3"));
        Assert.Equal("2.25.2", map.Map("1.2.4"));
        Assert.Equal("2.25.1", map.Map("1.2.3"));
        Assert.Equal(2, map.Count);
    }

    [Fact]
    public void UidMap_WhenTheGeneratorRepeats_ShouldRefuse()
    {
        var map = new UidMap(() => Guid.Empty);
        map.Map("1.2.3");

        Assert.Throws<InvalidOperationException>(() => map.Map("1.2.4"));
    }

    [Fact]
    public void UidMap_WhenSeededAlike_ShouldGiveTheSameUids()
    {
        var one = new UidMap(new Random(5));
        var two = new UidMap(new Random(5));

        Assert.Equal(one.Map(Study), two.Map(Study));
        Assert.Equal(one.OffsetDays("study:x"), two.OffsetDays("study:x"));
    }

    [Theory]
    [InlineData("00000000-0000-0000-0000-000000000000", "2.25.0")]
    [InlineData("00000000-0000-0000-0000-000000000001", "2.25.1")]
    [InlineData("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", "2.25.329800735698586629295641978511506172918")] // PS3.5 §B.2's example
    [InlineData("ffffffff-ffff-ffff-ffff-ffffffffffff", "2.25.340282366920938463463374607431768211455")]
    public void FromGuid_WhenConverted_ShouldBeThe128BitValueInDecimal(string guid, string uid)
    {
        Assert.Equal(uid, UuidUids.FromGuid(Guid.Parse(guid)));
        Assert.InRange(uid.Length, 6, 64); // UI values are at most 64 characters
    }

    [Fact]
    public void Deidentify_WhenAUidIsDefinedByTheStandard_ShouldKeepIt()
    {
        var (a, _) = Study2();
        a.Dataset.SetString(FrameOfReferenceUid, DicomVR.UI, "1.2.840.10008.1.4.1.1"); // a well-known frame of reference (Talairach)

        var result = new DicomDeidentifier().Deidentify(a);

        Assert.Equal("1.2.840.10008.1.4.1.1", result.File.Dataset.GetString(FrameOfReferenceUid));
    }

    [Fact]
    public void Deidentify_WhenRetainUidsIsOn_ShouldKeepEveryUid()
    {
        var (_, b) = Study2();
        var result = new DicomDeidentifier(new DeidentificationOptions { RetainUids = true }).Deidentify(b);

        Assert.Equal(InstanceB, result.File.Dataset.GetString(SopInstanceUid));
        Assert.Equal(InstanceB, result.File.FileMeta.GetString(DicomTag.MediaStorageSopInstanceUid));
        Assert.Equal(InstanceA, result.File.Dataset.GetItems(ReferencedImageSequence)[0].GetString(ReferencedSopInstanceUid));
        Assert.Equal(0, result.Counts.UidsReplaced);
    }
}
