using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Dicom.Deidentification;
using static MedVision.Dicom.Tests.Deidentification.DeidentificationTestData;

namespace MedVision.Dicom.Tests.Deidentification;

/// <summary>
/// Property 49: for any medical image with patient identifiers, anonymization removes all PII fields. Random data
/// sets carry random identifying attributes (the table's rows whose action under the options is X, Z, D or U) at
/// random depths inside random sequences, plus private attributes and an identifying file meta; after
/// de-identification none of the original values of four characters or more occurs anywhere in the written bytes.
/// </summary>
public class DeidentificationPropertyTests
{
    private static readonly DeidentificationOptions[] OptionSets =
    [
        DeidentificationOptions.Basic,
        new() { CompoundActions = CompoundActionPolicy.RemoveMost },
        new() { RetainPatientCharacteristics = true },
        new() { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.FullDates },
        new() { RetainLongitudinalTemporalInformation = LongitudinalTemporalRetention.ModifiedDates },
        new() { RetainDeviceIdentity = true, RetainInstitutionIdentity = true },
        new() { CleanDescriptors = true, CleanStructuredContent = true },
    ];

    /// <summary>Sequences to nest in: two the table does not list, one it keeps with its UIDs replaced (X/Z/U*), one it replaces (Content Sequence, D).</summary>
    private static readonly DicomTag[] Nests = [Containers[0], Containers[1], ReferencedImageSequence, new(0x0040, 0xA730)];

    /// <summary>For each option set, the rows whose action protects a text value there.</summary>
    private static readonly IReadOnlyList<(DicomTag Tag, DicomVR VR)>[] Rows = [.. OptionSets.Select(RowsFor)];

    private static List<(DicomTag Tag, DicomVR VR)> RowsFor(DeidentificationOptions options) =>
    [
        .. ExactRules
            .Select(r => (Rule: r, Tag: new DicomTag(r.TagValue)))
            .Where(r => r.Tag.Group is not (0x0000 or 0x0002 or 0x0004) && r.Tag.Group < 0xFFFA)
            .Where(r => ExpectedCode(r.Rule, options) is "X" or "Z" or "D" or "U")
            .Select(r => (r.Tag, VR: VrOf(r.Tag)))
            .Where(r => r.VR.IsString()),
    ];

    private const string Alphanumeric = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    private const string Upper = "ABCDEFGHJKLMNPQRSTUVWXYZ";

    private static string Draw(Random random, string alphabet, int length) =>
        string.Create(length, (random, alphabet), static (span, s) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = s.alphabet[s.random.Next(s.alphabet.Length)];
            }
        });

    /// <summary>A random, valid and distinctive value of the VR: long enough that finding it again by chance is negligible.</summary>
    private static string ValueFor(DicomVR vr, Random random)
    {
        var date = new DateOnly(1950, 1, 1).AddDays(random.Next(29_000)).ToString("yyyyMMdd", CultureInfo.InvariantCulture);
        var time = $"{random.Next(24):D2}{random.Next(60):D2}{random.Next(60):D2}.{random.Next(10_000):D4}";
        return vr switch
        {
            DicomVR.PN => $"Fam{Draw(random, Alphanumeric, 8)}^Giv{Draw(random, Alphanumeric, 6)}",
            DicomVR.DA => date,
            DicomVR.TM => time,
            DicomVR.DT => date + time,
            DicomVR.AS => $"{random.Next(1, 120):D3}Y",
            DicomVR.DS => $"{random.Next(1000, 9999)}.{random.Next(1000, 9999)}",
            DicomVR.IS => random.Next(10_000_000, 99_999_999).ToString(CultureInfo.InvariantCulture),
            DicomVR.UI => $"1.2.826.0.1.3680043.10.777.{random.Next()}.{random.Next()}",
            DicomVR.CS => "C" + Draw(random, Upper, 11),
            DicomVR.AE => "AE" + Draw(random, Upper, 12),
            _ => "v" + Draw(random, Alphanumeric, 12),
        };
    }

    private sealed record Placement(int Row, int Depth, int[] Path, int Seed);

    private sealed record Case(int Options, Placement[] Attributes, int[] PrivateDepths, int Seed)
    {
        public override string ToString() =>
            $"options #{Options}, {Attributes.Length} attributes ({string.Join(", ", Attributes.Select(a => $"{Rows[Options][a.Row].Tag}@{a.Depth}"))}), private at [{string.Join(",", PrivateDepths)}]";
    }

    private static Gen<Case> Cases() =>
        from options in Gen.Choose(0, OptionSets.Length - 1)
        from attributes in Gen.ListOf(
            from row in Gen.Choose(0, Rows[options].Count - 1)
            from depth in Gen.Choose(0, 3)
            from path in Gen.ArrayOf(Gen.Choose(0, Nests.Length - 1), 3)
            from seed in Gen.Choose(0, int.MaxValue)
            select new Placement(row, depth, path, seed))
        from privates in Gen.ArrayOf(Gen.Choose(0, 3))
        from seed in Gen.Choose(0, int.MaxValue)
        select new Case(options, [.. attributes], privates, seed);

    /// <summary>The item at a depth along a path of sequences, made on first use.</summary>
    private static DicomDataset ItemAt(DicomDataset top, int depth, int[] path)
    {
        var dataset = top;
        for (var level = 0; level < depth; level++)
        {
            var tag = Nests[path[level]];
            var items = dataset.GetItems(tag);
            if (items.Count == 0)
            {
                dataset.SetSequence(tag, [new DicomDataset(dataset)]);
                items = dataset.GetItems(tag);
            }

            dataset = items[0];
        }

        return dataset;
    }

    private static (DicomFile File, List<string> Needles) Build(Case c)
    {
        var top = new DicomDataset();
        top.SetString(SopClassUid, DicomVR.UI, CtImageStorage);
        var rows = Rows[c.Options];
        var identifying = new HashSet<DicomTag>();
        foreach (var a in c.Attributes)
        {
            var (tag, vr) = rows[a.Row];
            identifying.Add(tag);
            ItemAt(top, a.Depth, a.Path).SetString(tag, vr, ValueFor(vr, new Random(a.Seed)));
        }

        var random = new Random(c.Seed);
        var needles = new List<string> { "SOURCE_AE_MUELLER" };
        foreach (var depth in c.PrivateDepths)
        {
            var item = ItemAt(top, depth, [0, 1, 0]);
            var creator = "CREATOR " + Draw(random, Upper, 8);
            var value = "private " + Draw(random, Alphanumeric, 12);
            item.SetString(new DicomTag(0x0009, 0x0010), DicomVR.LO, creator);
            item.SetString(new DicomTag(0x0009, 0x1001), DicomVR.LO, value);
            needles.AddRange([creator, value]);
        }

        // The values as they are in the data set (a tag drawn twice for one item keeps its last value).
        needles.AddRange(Walk(top).SelectMany(d => d.Where(e => identifying.Contains(e.Tag)).Select(e => d.GetString(e.Tag)!)));
        return (AsFile(top), [.. needles.Where(n => n.Length >= 4).Distinct()]);
    }

    /// <summary>UUIDs 1, 2, 3...: the new UIDs are "2.25.1", "2.25.2"..., too short to hold a random value by chance.</summary>
    private static Guid SmallGuid(int n) => new(0, 0, 0, [0, 0, 0, 0, (byte)(n >> 24), (byte)(n >> 16), (byte)(n >> 8), (byte)n]);

    // Feature: medvision-ai-platform, Property 49: no identifying value survives anywhere in the written bytes.
    [Property]
    public Property Deidentify_WhenIdentifyingAttributesSitAtRandomDepths_ShouldLeaveNoneOfTheirValuesInTheWrittenBytes()
    {
        return Prop.ForAll(Cases().ToArbitrary(), c =>
        {
            var (file, needles) = Build(c);
            var counter = 0;
            var deidentifier = new DicomDeidentifier(OptionSets[c.Options], new UidMap(() => SmallGuid(++counter)));

            var bytes = deidentifier.Deidentify(file).File.ToBytes();

            var survivors = needles.Where(n => Contains(bytes, Encoding.ASCII.GetBytes(n))).ToList();
            Assert.True(survivors.Count == 0, $"{survivors.Count} original value(s) survived, e.g. '{survivors.FirstOrDefault()}', in {c}");
            Assert.DoesNotContain(Walk(DicomFile.Read(bytes).Dataset).SelectMany(d => d), e => (e.Tag.Group & 1) == 1);
        });
    }

    [Fact]
    public void Rows_WhenBuiltForEachOptionSet_ShouldCoverTheIdentifyingRowsOfEveryKind()
    {
        // Guards the property against a silently tiny generator: each option set has rows of every protecting kind.
        for (var i = 0; i < OptionSets.Length; i++)
        {
            var codes = ExactRules.Where(r => Rows[i].Any(row => row.Tag.Value == r.TagValue)).Select(r => ExpectedCode(r, OptionSets[i])).ToHashSet();
            Assert.True(Rows[i].Count > 300, $"option set #{i}: {Rows[i].Count} rows");
            Assert.Contains("X", codes);
            Assert.Contains("Z", codes);
        }
    }
}
