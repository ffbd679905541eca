using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using MedVision.Dicom.Deidentification;
using MedVision.Dicom.Dictionary;

namespace MedVision.Dicom.Tests.Deidentification;

/// <summary>Data sets built from the table itself, and an independent reading of the table's action codes.</summary>
internal static class DeidentificationTestData
{
    public static readonly DicomTag PatientName = new(0x0010, 0x0010);
    public static readonly DicomTag PatientId = new(0x0010, 0x0020);
    public static readonly DicomTag StudyInstanceUid = new(0x0020, 0x000D);
    public static readonly DicomTag SeriesInstanceUid = new(0x0020, 0x000E);
    public static readonly DicomTag FrameOfReferenceUid = new(0x0020, 0x0052);
    public static readonly DicomTag SopClassUid = new(0x0008, 0x0016);
    public static readonly DicomTag SopInstanceUid = new(0x0008, 0x0018);
    public static readonly DicomTag ReferencedSopClassUid = new(0x0008, 0x1150);
    public static readonly DicomTag ReferencedSopInstanceUid = new(0x0008, 0x1155);
    public static readonly DicomTag ReferencedImageSequence = new(0x0008, 0x1140);
    public static readonly DicomTag StudyDate = new(0x0008, 0x0020);
    public static readonly DicomTag PatientIdentityRemoved = new(0x0012, 0x0062);
    public static readonly DicomTag DeidentificationMethod = new(0x0012, 0x0063);
    public static readonly DicomTag DeidentificationMethodCodeSequence = new(0x0012, 0x0064);
    public static readonly DicomTag CodeValue = new(0x0008, 0x0100);
    public static readonly DicomTag CodingSchemeDesignator = new(0x0008, 0x0102);

    /// <summary>Sequences the table does not list, used to nest copies of the attributes (kept, and searched).</summary>
    public static readonly DicomTag[] Containers = [new(0x0008, 0x1115), new(0x0008, 0x2218), new(0x0054, 0x0220)];

    public const string Identifier = "Müller";

    public const string CtImageStorage = "1.2.840.10008.5.1.4.1.1.2";

    /// <summary>The table's single-tag rows (the patterns are exercised separately).</summary>
    public static IReadOnlyList<DeidentificationRule> ExactRules { get; } = [.. DeidentificationProfile.Rules.Where(r => r.IsExact)];

    /// <summary>The dictionary VR of a tag; LO for tags our (2022b) dictionary does not know.</summary>
    public static DicomVR VrOf(DicomTag tag) =>
        DicomDictionary.TryGet(tag, out var entry) && entry.VR is not (DicomVR.None or DicomVR.UN) ? entry.VR : DicomVR.LO;

    /// <summary>
    /// The action the table gives a row under the options, read straight from the table's codes: an enabled option's
    /// code overrides the Basic Profile's (C over K when two disagree), and a compound code resolves to its last
    /// (PreserveConformance) or first (RemoveMost) action.
    /// </summary>
    public static string ExpectedCode(DeidentificationRule rule, DeidentificationOptions options)
    {
        var dates = options.RetainLongitudinalTemporalInformation;
        (bool On, string? Code)[] columns =
        [
            (dates == LongitudinalTemporalRetention.FullDates, rule.RetainLongFullDates),
            (dates == LongitudinalTemporalRetention.ModifiedDates, rule.RetainLongModifiedDates),
            (options.RetainPatientCharacteristics, rule.RetainPatientCharacteristics),
            (options.RetainUids, rule.RetainUids),
            (options.RetainDeviceIdentity, rule.RetainDeviceIdentity),
            (options.RetainInstitutionIdentity, rule.RetainInstitutionIdentity),
            (options.CleanDescriptors, rule.CleanDescriptors),
            (options.CleanStructuredContent, rule.CleanStructuredContent),
        ];
        var enabled = columns.Where(c => c.On && !string.IsNullOrEmpty(c.Code)).Select(c => c.Code!).ToList();
        var code = enabled.Contains("C") ? "C" : enabled.FirstOrDefault() ?? rule.BasicAction;
        var parts = code.Split('/');
        return (options.CompoundActions == CompoundActionPolicy.RemoveMost ? parts[0] : parts[^1]).TrimEnd('*');
    }

    /// <summary>The Basic Profile's code alone, for values the clean action cannot handle.</summary>
    public static string BasicCode(DeidentificationRule rule, DeidentificationOptions options)
    {
        var parts = rule.BasicAction.Split('/');
        return (options.CompoundActions == CompoundActionPolicy.RemoveMost ? parts[0] : parts[^1]).TrimEnd('*');
    }

    public static string DateValue(int n) => new DateOnly(2023, 1, 1).AddDays(n % 700).ToString("yyyyMMdd", CultureInfo.InvariantCulture);

    /// <summary>Adds a plausible, identifying value of the VR; text carries <see cref="Identifier"/> so cleaning has something to strike out.</summary>
    public static void AddPlausible(DicomDataset dataset, DicomTag tag, DicomVR vr, int n)
    {
        switch (vr)
        {
            case DicomVR.SQ:
                var item = new DicomDataset(dataset);
                item.SetString(PatientName, DicomVR.PN, $"Inner^Person{n}");
                item.SetString(ReferencedSopClassUid, DicomVR.UI, CtImageStorage);
                item.SetString(ReferencedSopInstanceUid, DicomVR.UI, $"1.2.826.0.1.3680043.10.999.7.{n}");
                dataset.SetSequence(tag, [item]);
                break;
            case DicomVR.PN:
                dataset.SetString(tag, vr, tag == PatientName ? "Müller^Jürgen" : $"Doe{n}^Jane");
                break;
            case DicomVR.DA:
                dataset.SetString(tag, vr, DateValue(n));
                break;
            case DicomVR.TM:
                dataset.SetString(tag, vr, "101112.5");
                break;
            case DicomVR.DT:
                dataset.SetString(tag, vr, DateValue(n) + "101112.5+0100");
                break;
            case DicomVR.AS:
                dataset.SetString(tag, vr, "045Y");
                break;
            case DicomVR.DS:
                dataset.SetString(tag, vr, "72.5");
                break;
            case DicomVR.IS:
                dataset.SetString(tag, vr, "42");
                break;
            case DicomVR.UI:
                dataset.SetString(tag, vr, $"1.2.826.0.1.3680043.10.999.{n}");
                break;
            case DicomVR.AE:
                dataset.SetString(tag, vr, $"STATION{n}");
                break;
            case DicomVR.CS:
                dataset.SetString(tag, vr, $"CODE{n}");
                break;
            case DicomVR.UR:
                dataset.SetString(tag, vr, $"http://hospital.example/record/{n}");
                break;
            case DicomVR.LO or DicomVR.SH or DicomVR.LT or DicomVR.ST or DicomVR.UT or DicomVR.UC:
                dataset.SetString(tag, vr, $"{Identifier} {n}");
                break;
            default:
                var size = vr.ValueSize() > 0 ? vr.ValueSize() : 8;
                var bytes = new byte[size];
                BinaryPrimitives.WriteUInt16LittleEndian(bytes, (ushort)(n + 1));
                dataset.SetBytes(tag, vr, bytes);
                break;
        }
    }

    /// <summary>Private attributes (creators and data) as vendors write them.</summary>
    public static void AddPrivate(DicomDataset dataset)
    {
        dataset.SetString(new DicomTag(0x0009, 0x0010), DicomVR.LO, "MEDVISION TEST");
        dataset.SetString(new DicomTag(0x0009, 0x1001), DicomVR.LO, "private Müller");
        dataset.SetString(new DicomTag(0x0029, 0x0010), DicomVR.LO, "SIEMENS CSA HEADER");
        dataset.SetBytes(new DicomTag(0x0029, 0x1010), DicomVR.OB, Encoding.ASCII.GetBytes("SV10PRIV"));
        dataset.SetSequence(new DicomTag(0x0029, 0x1020), [new DicomDataset(dataset)]);
    }

    /// <summary>Every data set in a tree: the top level and every item of every sequence.</summary>
    public static IEnumerable<DicomDataset> Walk(DicomDataset dataset)
    {
        yield return dataset;
        foreach (var element in dataset)
        {
            foreach (var item in element.Items ?? [])
            {
                foreach (var nested in Walk(item))
                {
                    yield return nested;
                }
            }
        }
    }

    /// <summary>No items, no bytes, or a text value of nothing but padding.</summary>
    public static bool IsBlank(DicomElement element) =>
        element.Items is { } items ? items.Count == 0
        : element.Bytes.IsEmpty || (element.VR.IsString() && element.Bytes.Span.IndexOfAnyExcept((byte)' ', (byte)0) < 0);

    public static DicomFile AsFile(DicomDataset dataset)
    {
        var meta = new DicomDataset();
        meta.SetString(DicomTag.MediaStorageSopClassUid, DicomVR.UI, dataset.GetFirstString(SopClassUid) ?? CtImageStorage);
        if (dataset.GetFirstString(SopInstanceUid) is { } instance)
        {
            meta.SetString(DicomTag.MediaStorageSopInstanceUid, DicomVR.UI, instance);
        }

        meta.SetString(DicomTag.TransferSyntaxUid, DicomVR.UI, TransferSyntax.ExplicitVRLittleEndian.Uid);
        meta.SetString(new DicomTag(0x0002, 0x0016), DicomVR.AE, "SOURCE_AE_MUELLER");
        return new DicomFile(meta, dataset, TransferSyntax.ExplicitVRLittleEndian);
    }

    /// <summary>Whether <paramref name="needle"/> occurs in <paramref name="haystack"/>.</summary>
    public static bool Contains(ReadOnlySpan<byte> haystack, ReadOnlySpan<byte> needle) => needle.Length > 0 && haystack.IndexOf(needle) >= 0;
}
