using System.Globalization;
using MedVision.Dicom.Deidentification;
using MedVision.Dicom.IO;
using static MedVision.Dicom.Tests.Deidentification.DeidentificationTestData;

namespace MedVision.Dicom.Tests.Deidentification;

/// <summary>
/// Every single-tag row of PS3.15 Table E.1-1, at the top level and nested two and three levels deep, de-identified
/// under each option set and checked against the row's action code as the table states it.
/// </summary>
public class DeidentificationTableTests
{
    private const int ShiftDays = -100;
    private const int Levels = 3;

    public static TheoryData<string> OptionSets =>
    [
        "Basic", "RemoveMost", "RetainPatientCharacteristics", "FullDates", "ModifiedDates", "RetainUids", "RetainDeviceIdentity",
        "RetainInstitutionIdentity", "CleanDescriptors", "CleanStructuredContent", "ModifiedDatesWithDeviceIdentity", "Everything",
    ];

    private static DeidentificationOptions OptionsFor(string name) => name switch
    {
        "Basic" => DeidentificationOptions.Basic,
        "RemoveMost" => new() { CompoundActions = CompoundActionPolicy.RemoveMost },
        "RetainPatientCharacteristics" => new() { RetainPatientCharacteristics = true },
        "FullDates" => new() { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.FullDates },
        "ModifiedDates" => new() { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates },
        "RetainUids" => new() { RetainUids = true },
        "RetainDeviceIdentity" => new() { RetainDeviceIdentity = true },
        "RetainInstitutionIdentity" => new() { RetainInstitutionIdentity = true },
        "CleanDescriptors" => new() { CleanDescriptors = true },
        "CleanStructuredContent" => new() { CleanStructuredContent = true },
        "ModifiedDatesWithDeviceIdentity" => new() { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates, RetainDeviceIdentity = true },
        "Everything" => new()
        {
            RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates,
            RetainPatientCharacteristics = true,
            RetainDeviceIdentity = true,
            RetainInstitutionIdentity = true,
            CleanDescriptors = true,
            CleanStructuredContent = true,
        },
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    private static readonly byte[] Pixels = [.. Enumerable.Range(0, 512).Select(i => (byte)(i * 37))];

    /// <summary>Every row of the table with a value, private attributes, the pattern rows, and a container sequence holding the same one level deeper (three levels).</summary>
    private static DicomDataset BuildTableDataset()
    {
        var top = new DicomDataset();
        top.SetString(DicomTag.SpecificCharacterSet, DicomVR.CS, "ISO_IR 100");
        Fill(top, 0);
        top.SetBytes(DicomTag.PixelData, DicomVR.OW, Pixels);
        return top;
    }

    private static void Fill(DicomDataset dataset, int level)
    {
        var n = 0;
        foreach (var rule in ExactRules)
        {
            var tag = new DicomTag(rule.TagValue);
            AddPlausible(dataset, tag, VrOf(tag), n++);
        }

        dataset.SetBytes(new DicomTag(0x5000, 0x3000), DicomVR.OW, new byte[8]);
        dataset.SetBytes(new DicomTag(0x6000, 0x3000), DicomVR.OW, new byte[8]);
        dataset.SetString(new DicomTag(0x6002, 0x4000), DicomVR.LT, $"overlay note on {Identifier}");
        AddPrivate(dataset);
        if (level < Levels - 1)
        {
            var item = new DicomDataset(dataset);
            Fill(item, level + 1);
            dataset.SetSequence(Containers[level], [item]);
        }
    }

    private static IEnumerable<(DicomDataset Before, DicomDataset After, int Level)> Levels3(DicomDataset before, DicomDataset after)
    {
        for (var level = 0; level < Levels; level++)
        {
            yield return (before, after, level);
            if (level < Levels - 1)
            {
                before = before.GetItems(Containers[level])[0];
                var items = after.GetItems(Containers[level]);
                Assert.Single(items);
                after = items[0];
            }
        }
    }

    private static DicomDeidentifier Deidentifier(DeidentificationOptions options) =>
        new(options, new UidMap(new Random(7)), new UidMap(Guid.NewGuid, () => ShiftDays));

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Deidentify_WhenEveryTableAttributeIsPresentAtThreeDepths_ShouldApplyEachRowsAction(string optionSet)
    {
        var options = OptionsFor(optionSet);
        var original = BuildTableDataset();
        var untouched = DicomWriter.WriteDataset(original);

        var result = Deidentifier(options).Deidentify(AsFile(original));

        Assert.Equal(untouched, DicomWriter.WriteDataset(original)); // the input is not modified
        var checkedRows = 0;
        foreach (var (before, after, level) in Levels3(original, result.File.Dataset))
        {
            foreach (var rule in ExactRules)
            {
                CheckRow(rule, options, before, after, level);
                checkedRows++;
            }

            foreach (var pattern in new[] { new DicomTag(0x5000, 0x3000), new DicomTag(0x6000, 0x3000), new DicomTag(0x6002, 0x4000) })
            {
                Assert.False(after.Contains(pattern), $"{pattern} (curve/overlay pattern row) survived at level {level}");
            }
        }

        Assert.Equal(Levels * ExactRules.Count, checkedRows);
    }

    private static void CheckRow(DeidentificationRule rule, DeidentificationOptions options, DicomDataset before, DicomDataset after, int level)
    {
        var tag = new DicomTag(rule.TagValue);
        var vr = VrOf(tag);
        var was = before[tag];
        var code = ExpectedCode(rule, options);
        var modifiedDates = options.RetainLongitudinalTemporalInformation == LongitudinalTemporalRetention.ModifiedDates;
        var cleanable = vr is DicomVR.SQ or DicomVR.LO or DicomVR.LT or DicomVR.PN or DicomVR.SH or DicomVR.ST or DicomVR.UC or DicomVR.UT or DicomVR.CS
            || (modifiedDates && vr is DicomVR.DA or DicomVR.DT or DicomVR.TM);
        if (code == "C" && !cleanable)
        {
            code = BasicCode(rule, options); // AE titles, byte streams: nothing to clean with
        }

        var where = $"{rule.Name} {tag} ({rule.BasicAction} → {code}, VR {vr.Code()}) at level {level}";
        if (code == "X")
        {
            Assert.False(after.Contains(tag), $"{where}: should be removed");
            return;
        }

        Assert.True(after.TryGet(tag, out var now), $"{where}: should be present");
        switch (code)
        {
            case "Z":
                Assert.True(IsBlank(now) || (tag == PatientName && options.PatientName is not null), $"{where}: should be zero-length");
                break;
            case "D" when vr == DicomVR.SQ:
                Assert.True(now.Items is [{ Count: 0 }], $"{where}: should be one empty item");
                break;
            case "D":
                Assert.False(IsBlank(now), $"{where}: a dummy is not empty");
                Assert.False(was.Bytes.Span.SequenceEqual(now.Bytes.Span), $"{where}: should differ from the original");
                if (vr == DicomVR.UI)
                {
                    Assert.StartsWith("2.25.", after.GetString(tag));
                }

                break;
            case "U" when vr == DicomVR.SQ:
            case "K" when vr == DicomVR.SQ:
            case "C" when vr == DicomVR.SQ:
                // The sequence stays, and its item is de-identified like any data set.
                Assert.Equal(was.Items!.Count, now.Items!.Count);
                var item = now.Items[0];
                Assert.True(IsBlank(item[PatientName]), $"{where}: the item's Patient's Name should be emptied");
                var reference = item.GetString(ReferencedSopInstanceUid);
                if (options.RetainUids)
                {
                    Assert.Equal(was.Items[0].GetString(ReferencedSopInstanceUid), reference);
                }
                else
                {
                    Assert.StartsWith("2.25.", reference);
                }

                break;
            case "U":
                Assert.NotEqual(before.GetString(tag), after.GetString(tag));
                Assert.StartsWith("2.25.", after.GetString(tag));
                break;
            case "K":
                Assert.True(was.Bytes.Span.SequenceEqual(now.Bytes.Span), $"{where}: should be kept unchanged");
                break;
            case "C" when vr is DicomVR.DA:
                Assert.Equal(Shift(before.GetString(tag)!), after.GetString(tag));
                break;
            case "C" when vr is DicomVR.DT:
                var dt = before.GetString(tag)!;
                Assert.Equal(Shift(dt[..8]) + dt[8..], after.GetString(tag));
                break;
            case "C" when vr is DicomVR.TM:
                Assert.Equal(before.GetString(tag), after.GetString(tag)); // a whole-day shift keeps the time of day
                break;
            case "C":
                var text = after.GetString(tag)!;
                Assert.DoesNotContain(Identifier, text, StringComparison.Ordinal);
                if (before.GetString(tag)!.Contains(Identifier, StringComparison.Ordinal))
                {
                    Assert.NotEqual(before.GetString(tag), text);
                }

                break;
            default:
                Assert.Fail($"{where}: unexpected code {code}");
                break;
        }
    }

    private static string Shift(string date) =>
        DateOnly.ParseExact(date, "yyyyMMdd", CultureInfo.InvariantCulture).AddDays(ShiftDays).ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    [Theory]
    [MemberData(nameof(OptionSets))]
    public void Deidentify_WhenPrivateAttributesArePresentAtAnyDepth_ShouldRemoveEveryOddGroup(string optionSet)
    {
        var result = Deidentifier(OptionsFor(optionSet)).Deidentify(AsFile(BuildTableDataset()));

        var odd = Walk(result.File.Dataset).SelectMany(d => d).Where(e => (e.Tag.Group & 1) == 1).Select(e => e.Tag.ToString()).ToList();
        Assert.Empty(odd);
        Assert.Equal(Levels * 5, result.Counts.PrivateRemoved); // 5 private elements (the sequence counted once) per level
    }

    [Fact]
    public void Deidentify_WhenPixelDataIsPresent_ShouldKeepItByteForByte()
    {
        var original = BuildTableDataset();
        var result = Deidentifier(DeidentificationOptions.Basic).Deidentify(AsFile(original));

        Assert.True(result.File.Dataset[DicomTag.PixelData].Bytes.Span.SequenceEqual(Pixels));
        var reread = DicomFile.Read(result.File.ToBytes());
        Assert.True(reread.Dataset[DicomTag.PixelData].Bytes.Span.SequenceEqual(Pixels));
    }

    [Theory]
    [InlineData("Basic", new[] { "113100" })]
    [InlineData("FullDates", new[] { "113100", "113106" })]
    [InlineData("ModifiedDates", new[] { "113100", "113107" })]
    [InlineData("RetainPatientCharacteristics", new[] { "113100", "113108" })]
    [InlineData("RetainDeviceIdentity", new[] { "113100", "113109" })]
    [InlineData("RetainUids", new[] { "113100", "113110" })]
    [InlineData("RetainInstitutionIdentity", new[] { "113100", "113112" })]
    [InlineData("CleanDescriptors", new[] { "113100", "113105" })]
    [InlineData("CleanStructuredContent", new[] { "113100", "113104" })]
    [InlineData("Everything", new[] { "113100", "113104", "113105", "113107", "113108", "113109", "113112" })]
    public void Deidentify_WhenDone_ShouldRecordIdentityRemovedAndTheMethodCodes(string optionSet, string[] codes)
    {
        var result = Deidentifier(OptionsFor(optionSet)).Deidentify(AsFile(BuildTableDataset()));
        var dataset = result.File.Dataset;

        Assert.Equal("YES", dataset.GetString(PatientIdentityRemoved));
        var methods = dataset.GetStrings(DeidentificationMethod);
        Assert.Contains("Basic Application Confidentiality Profile", methods);
        Assert.All(methods, m => Assert.InRange(m.Length, 1, 64)); // LO
        var items = dataset.GetItems(DeidentificationMethodCodeSequence);
        Assert.All(items, i => Assert.Equal("DCM", i.GetString(CodingSchemeDesignator)));
        Assert.Equal(codes, items.Select(i => i.GetString(CodeValue)!).Order(StringComparer.Ordinal));
        Assert.Equal(codes.Length, methods.Length);
    }

    [Fact]
    public void Deidentify_WhenFileMetaNamesTheSource_ShouldReplaceTheMetaAndMatchTheNewSopInstanceUid()
    {
        var result = Deidentifier(DeidentificationOptions.Basic).Deidentify(AsFile(BuildTableDataset()));
        var meta = result.File.FileMeta;

        Assert.False(meta.Contains(new DicomTag(0x0002, 0x0016))); // Source Application Entity Title
        Assert.Equal(result.File.Dataset.GetString(SopInstanceUid), meta.GetString(DicomTag.MediaStorageSopInstanceUid));
        Assert.Equal(DicomWriter.ImplementationClassUid, meta.GetString(DicomTag.ImplementationClassUid));
        Assert.False(result.File.HasPreamble);
    }

    [Fact]
    public void Deidentify_WhenCounted_ShouldReportCountsThatAddUp()
    {
        var counts = Deidentifier(DeidentificationOptions.Basic).Deidentify(AsFile(BuildTableDataset())).Counts;

        Assert.True(counts.Removed > 300 * Levels, counts.ToString());
        Assert.True(counts.Emptied > 0 && counts.Replaced > 0 && counts.UidsReplaced > 50 * Levels, counts.ToString());
        Assert.Equal(0, counts.Cleaned); // no option, nothing cleaned
    }
}
