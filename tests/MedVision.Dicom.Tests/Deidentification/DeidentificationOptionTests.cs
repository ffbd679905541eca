using MedVision.Dicom.Deidentification;
using static MedVision.Dicom.Tests.Deidentification.DeidentificationTestData;

namespace MedVision.Dicom.Tests.Deidentification;

/// <summary>The options, compound-action policies and reports, each on a small hand-made instance.</summary>
public class DeidentificationOptionTests
{
    private static readonly DicomTag PatientSex = new(0x0010, 0x0040);
    private static readonly DicomTag PatientAge = new(0x0010, 0x1010);
    private static readonly DicomTag PatientSize = new(0x0010, 0x1020);
    private static readonly DicomTag PatientWeight = new(0x0010, 0x1030);
    private static readonly DicomTag PatientBirthDate = new(0x0010, 0x0030);
    private static readonly DicomTag StudyTime = new(0x0008, 0x0030);
    private static readonly DicomTag AcquisitionDateTime = new(0x0008, 0x002A);
    private static readonly DicomTag ContentDate = new(0x0008, 0x0023);
    private static readonly DicomTag AcquisitionDate = new(0x0008, 0x0022);
    private static readonly DicomTag InstitutionName = new(0x0008, 0x0080);
    private static readonly DicomTag StudyDescription = new(0x0008, 0x1030);
    private static readonly DicomTag Modality = new(0x0008, 0x0060);
    private static readonly DicomTag BurnedInAnnotation = new(0x0028, 0x0301);
    private static readonly DicomTag LongitudinalModified = new(0x0028, 0x0303);

    private static DicomFile Instance(string study = "1.2.826.0.1.3680043.10.4343.1", string sop = "1.2.826.0.1.3680043.10.4343.9")
    {
        var ds = new DicomDataset();
        ds.SetString(SopClassUid, DicomVR.UI, CtImageStorage);
        ds.SetString(SopInstanceUid, DicomVR.UI, sop);
        ds.SetString(StudyDate, DicomVR.DA, "20240131");
        ds.SetString(StudyTime, DicomVR.TM, "101112");
        ds.SetString(AcquisitionDate, DicomVR.DA, "20240130");
        ds.SetString(AcquisitionDateTime, DicomVR.DT, "20240131101530.25");
        ds.SetString(Modality, DicomVR.CS, "CT");
        ds.SetString(InstitutionName, DicomVR.LO, "St. Example Hospital");
        ds.SetString(StudyDescription, DicomVR.LO, "CT chest for Doe PID-4343");
        ds.SetString(PatientName, DicomVR.PN, "Doe^Jane");
        ds.SetString(PatientId, DicomVR.LO, "PID-4343");
        ds.SetString(PatientBirthDate, DicomVR.DA, "19600229");
        ds.SetString(PatientSex, DicomVR.CS, "F");
        ds.SetString(PatientAge, DicomVR.AS, "063Y");
        ds.SetString(PatientSize, DicomVR.DS, "1.68");
        ds.SetString(PatientWeight, DicomVR.DS, "61.5");
        ds.SetString(StudyInstanceUid, DicomVR.UI, study);
        return AsFile(ds);
    }

    [Fact]
    public void Deidentify_WhenRetainPatientCharacteristicsIsOn_ShouldKeepSexAgeSizeAndWeight()
    {
        var kept = new DicomDeidentifier(new DeidentificationOptions { RetainPatientCharacteristics = true }).Deidentify(Instance()).File.Dataset;
        var basic = new DicomDeidentifier().Deidentify(Instance()).File.Dataset;

        Assert.Equal(("F", "063Y", "1.68", "61.5"), (kept.GetString(PatientSex), kept.GetString(PatientAge), kept.GetString(PatientSize), kept.GetString(PatientWeight)));
        Assert.Equal("", basic.GetString(PatientSex)); // Z
        Assert.False(basic.Contains(PatientAge) || basic.Contains(PatientSize) || basic.Contains(PatientWeight)); // X
        Assert.Equal("", kept.GetString(PatientName)); // the option keeps characteristics, not identity
    }

    [Fact]
    public void Deidentify_WhenFullDatesAreRetained_ShouldKeepDatesAndTimes()
    {
        var result = new DicomDeidentifier(new DeidentificationOptions { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.FullDates }).Deidentify(Instance());
        var ds = result.File.Dataset;

        Assert.Equal(("20240131", "20240130", "101112", "20240131101530.25"),
            (ds.GetString(StudyDate), ds.GetString(AcquisitionDate), ds.GetString(StudyTime), ds.GetString(AcquisitionDateTime)));
        Assert.Equal("", ds.GetString(PatientBirthDate)); // the table retains no birth date under any option
        Assert.Equal("UNMODIFIED", ds.GetString(LongitudinalModified));
    }

    [Fact]
    public void Deidentify_WhenModifiedDatesShiftTwoInstancesOfAStudy_ShouldShiftBothByTheSameWholeDays()
    {
        var options = new DeidentificationOptions { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates };
        var deidentifier = new DicomDeidentifier(options, new UidMap(new Random(3)));
        var first = deidentifier.Deidentify(Instance(sop: "1.2.826.0.1.3680043.10.4343.9")).File.Dataset;
        var second = deidentifier.Deidentify(Instance(sop: "1.2.826.0.1.3680043.10.4343.10")).File.Dataset;

        var shift = DateOnly.ParseExact(first.GetString(StudyDate)!, "yyyyMMdd").DayNumber - new DateOnly(2024, 1, 31).DayNumber;
        Assert.InRange(shift, -UuidUids.MaxShiftDays, -1);
        Assert.Equal(first.GetString(StudyDate), second.GetString(StudyDate));
        Assert.Equal(new DateOnly(2024, 1, 30).AddDays(shift).ToString("yyyyMMdd"), first.GetString(AcquisitionDate)); // intervals survive
        Assert.Equal(first.GetString(StudyDate) + "101530.25", first.GetString(AcquisitionDateTime));
        Assert.Equal("101112", first.GetString(StudyTime));
        Assert.Equal("MODIFIED", first.GetString(LongitudinalModified));
    }

    [Fact]
    public void Deidentify_WhenModifiedDatesMeetAnotherStudy_ShouldUseThatStudysOwnOffset()
    {
        var options = new DeidentificationOptions { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates };
        var key = new byte[16];
        var map = new KeyedUidMap(key);
        var a = new DicomDeidentifier(options, map).Deidentify(Instance(study: "1.2.3.100")).File.Dataset;
        var b = new DicomDeidentifier(options, map).Deidentify(Instance(study: "1.2.3.200")).File.Dataset;
        var again = new DicomDeidentifier(options, new KeyedUidMap(key)).Deidentify(Instance(study: "1.2.3.100")).File.Dataset;

        Assert.Equal(map.OffsetDays("study:1.2.3.100"), DateOnly.ParseExact(a.GetString(StudyDate)!, "yyyyMMdd").DayNumber - new DateOnly(2024, 1, 31).DayNumber);
        Assert.Equal(a.GetString(StudyDate), again.GetString(StudyDate)); // keyed: the same shift in another run
        Assert.NotEqual(map.OffsetDays("study:1.2.3.100"), map.OffsetDays("study:1.2.3.200"));
        Assert.NotEqual(a.GetString(StudyDate), b.GetString(StudyDate));
    }

    [Fact]
    public void Deidentify_WhenDateShiftScopeIsPatient_ShouldShiftTheStudiesOfOnePatientAlike()
    {
        var options = new DeidentificationOptions
        {
            RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates,
            DateShiftScope = DateShiftScope.Patient,
        };
        var deidentifier = new DicomDeidentifier(options);
        var a = deidentifier.Deidentify(Instance(study: "1.2.3.100")).File.Dataset;
        var b = deidentifier.Deidentify(Instance(study: "1.2.3.200")).File.Dataset;

        Assert.Equal(a.GetString(StudyDate), b.GetString(StudyDate));
    }

    [Fact]
    public void Deidentify_WhenCompoundActionsPreserveConformance_ShouldEmptyOrDummyRatherThanRemove()
    {
        var conformant = new DicomDeidentifier().Deidentify(Instance()).File.Dataset;
        var minimal = new DicomDeidentifier(new DeidentificationOptions { CompoundActions = CompoundActionPolicy.RemoveMost }).Deidentify(Instance()).File.Dataset;

        // Institution Name is X/Z/D, Patient ID Z/D, Acquisition DateTime X/Z/D.
        Assert.Equal(DicomDeidentifier.DummyText, conformant.GetString(InstitutionName));
        Assert.Equal(DicomDeidentifier.DummyText, conformant.GetString(PatientId));
        Assert.Equal(DicomDeidentifier.DummyDateTime, conformant.GetString(AcquisitionDateTime));
        Assert.False(minimal.Contains(InstitutionName));
        Assert.Equal("", minimal.GetString(PatientId));
        Assert.False(minimal.Contains(AcquisitionDateTime));
    }

    [Fact]
    public void Deidentify_WhenACompoundDummyAttributeIsAlreadyEmpty_ShouldLeaveItEmpty()
    {
        var file = Instance();
        file.Dataset.SetString(ContentDate, DicomVR.DA, ""); // Z/D: an empty Content Date is valid here, so it is not Type 1

        var ds = new DicomDeidentifier().Deidentify(file).File.Dataset;

        Assert.Equal("", ds.GetString(ContentDate));
    }

    [Fact]
    public void Deidentify_WhenPseudonymsAreGiven_ShouldUseThemForPatientNameAndId()
    {
        var options = new DeidentificationOptions { PatientName = "SUBJECT^0042", PatientId = "SUBJ-0042" };

        var ds = new DicomDeidentifier(options).Deidentify(Instance()).File.Dataset;

        Assert.Equal(("SUBJECT^0042", "SUBJ-0042"), (ds.GetString(PatientName), ds.GetString(PatientId)));
    }

    [Fact]
    public void Deidentify_WhenCleanDescriptorsIsOn_ShouldKeepDescriptionsWithoutTheIdentifiers()
    {
        var cleaned = new DicomDeidentifier(new DeidentificationOptions { CleanDescriptors = true }).Deidentify(Instance());
        var basic = new DicomDeidentifier().Deidentify(Instance()).File.Dataset;

        Assert.Equal("CT chest for * *", cleaned.File.Dataset.GetString(StudyDescription));
        Assert.False(basic.Contains(StudyDescription));
        Assert.Equal(1, cleaned.Counts.Cleaned);
    }

    [Fact]
    public void Deidentify_WhenCleanStructuredContentIsOn_ShouldStrikeIdentifiersOutOfTextContentItems()
    {
        var file = Instance();
        var textItem = new DicomDataset(file.Dataset);
        textItem.SetString(new DicomTag(0x0040, 0xA040), DicomVR.CS, "TEXT");
        textItem.SetString(new DicomTag(0x0040, 0xA160), DicomVR.UT, "Patient Doe (PID-4343) tolerated the scan.");
        textItem.SetString(new DicomTag(0x0040, 0xA123), DicomVR.PN, "Smith^Observer");
        file.Dataset.SetSequence(new DicomTag(0x0040, 0xA730), [textItem]);

        var cleaned = new DicomDeidentifier(new DeidentificationOptions { CleanStructuredContent = true }).Deidentify(file).File.Dataset;
        var basic = new DicomDeidentifier().Deidentify(file).File.Dataset;

        var item = cleaned.GetItems(new DicomTag(0x0040, 0xA730))[0];
        Assert.Equal("Patient * (*) tolerated the scan.", item.GetString(new DicomTag(0x0040, 0xA160)));
        Assert.Equal(DicomDeidentifier.DummyPersonName, item.GetString(new DicomTag(0x0040, 0xA123))); // Person Name: D
        Assert.True(basic.GetItems(new DicomTag(0x0040, 0xA730)) is [{ Count: 0 }]); // Basic Profile: D, one empty item
    }

    [Theory]
    [InlineData("CT", "YES", true)]
    [InlineData("CT", "NO", false)]
    [InlineData("CT", null, false)]
    [InlineData("US", null, true)]
    [InlineData("US", "NO", false)]
    public void Deidentify_WhenBurnedInAnnotationIsStatedOrLikely_ShouldReportItAndKeepThePixels(string modality, string? burnedIn, bool expected)
    {
        var file = Instance();
        file.Dataset.SetString(Modality, DicomVR.CS, modality);
        if (burnedIn is not null)
        {
            file.Dataset.SetString(BurnedInAnnotation, DicomVR.CS, burnedIn);
        }

        file.Dataset.SetBytes(DicomTag.PixelData, DicomVR.OW, new byte[] { 1, 2, 3, 4 });

        var result = new DicomDeidentifier().Deidentify(file);

        Assert.Equal(expected, result.BurnedInAnnotation);
        Assert.Equal(expected, result.Warnings.Any(w => w.Contains("(0028,0301)", StringComparison.Ordinal)));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, result.File.Dataset[DicomTag.PixelData].Bytes.ToArray());
    }

    [Fact]
    public void Deidentify_WhenWarningsAreRaised_ShouldNameTagsButNoValues()
    {
        var file = Instance();
        file.Dataset.SetString(BurnedInAnnotation, DicomVR.CS, "YES");

        var result = new DicomDeidentifier().Deidentify(file);

        Assert.NotEmpty(result.Warnings);
        Assert.All(result.Warnings, w => Assert.DoesNotContain("Doe", w, StringComparison.Ordinal));
        Assert.All(result.Warnings, w => Assert.DoesNotContain("4343", w, StringComparison.Ordinal));
    }

    [Fact]
    public void Resolve_WhenAnOptionColumnApplies_ShouldOverrideTheBasicAction()
    {
        var acquisition = DeidentificationProfile.Find(AcquisitionDate)!.Value; // X/Z; Full Dates K; Modified Dates C
        var calibration = DeidentificationProfile.Find(new DicomTag(0x0018, 0x1200))!.Value; // Date of Last Calibration

        Assert.Equal(DeidentificationAction.Zero, DeidentificationActions.Resolve(acquisition, DeidentificationOptions.Basic));
        Assert.Equal(DeidentificationAction.Remove, DeidentificationActions.Resolve(acquisition, new() { CompoundActions = CompoundActionPolicy.RemoveMost }));
        Assert.Equal(DeidentificationAction.Keep, DeidentificationActions.Resolve(acquisition, new() { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.FullDates }));
        Assert.Equal(DeidentificationAction.Clean, DeidentificationActions.Resolve(acquisition, new() { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates }));
        Assert.Equal(DeidentificationAction.Keep, DeidentificationActions.Resolve(calibration, new() { RetainDeviceIdentity = true }));
        Assert.Equal(DeidentificationAction.Clean, DeidentificationActions.Resolve(calibration, new()
        {
            RetainDeviceIdentity = true,
            RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates,
        }));
    }
}
