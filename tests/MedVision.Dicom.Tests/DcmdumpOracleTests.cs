using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests;

/// <summary>
/// Every corpus file read by us equals what DCMTK's dcmdump prints for it: the same elements at every nesting
/// level (item by item), the same VR, value length and value. String values are compared as bytes (dcmdump's +Qn
/// markup undone) and, separately, as text decoded with the Specific Character Set against dcmdump +U8 (or, where
/// DCMTK's ICU build cannot convert, as for ISO 2022 IR 87, against pydicom's decoding stored in the manifest).
/// Binary numbers are compared numerically, AT as tags, OB/UN/OW and fragments byte for byte. All mismatches of a
/// file are reported together.
/// </summary>
public sealed class DcmdumpOracleTests(ITestOutputHelper output)
{
    private static readonly Lazy<bool> Prefetched = new(() =>
    {
        var paths = TestCorpus.Files.Select(f => f.Path).ToList();
        DcmdumpParser.Prefetch(paths);
        DcmdumpParser.Prefetch(paths, utf8: true);
        return true;
    });

    private bool Ready() => TestCorpus.Require(output.WriteLine, "dcmdump") && Prefetched.Value;

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void Read_WhenCorpusFile_ShouldMatchDcmdumpElementByElement(string name)
    {
        if (!Ready())
        {
            return;
        }

        var file = TestCorpus.Get(name);
        var (dump, error) = DcmdumpParser.Dump(file.Path);
        Assert.True(dump is not null, error);
        var ours = DicomFile.Open(file.Path);

        var problems = new List<string>();
        DumpComparer.CompareDataset(ours.FileMeta, dump.Meta, "meta:", problems);
        DumpComparer.CompareDataset(ours.Dataset, dump.Dataset, "", problems);
        Assert.True(problems.Count == 0, $"{name}: {problems.Count} difference(s) from dcmdump:\n{string.Join('\n', problems)}");
    }

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void DecodeText_WhenCorpusFile_ShouldEqualDcmdumpUtf8OrPydicom(string name)
    {
        if (!Ready())
        {
            return;
        }

        var file = TestCorpus.Get(name);
        var ours = DicomFile.Open(file.Path);
        var problems = new List<string>();
        var (dump, error) = DcmdumpParser.Dump(file.Path, utf8: true);
        if (dump is not null)
        {
            DumpComparer.CompareText(ours.Dataset, dump.Dataset, "", problems);
        }
        else if (file.Text.Count == 0)
        {
            problems.Add($"dcmdump +U8 failed and the manifest has no pydicom text for this file: {error}");
        }
        else
        {
            output.WriteLine($"dcmdump +U8 cannot convert this file ({error}); comparing with pydicom's decoding instead.");
        }

        foreach (var (path, expected) in file.Text)
        {
            var (element, owner) = DumpComparer.Resolve(ours.Dataset, path);
            if (element is null)
            {
                problems.Add($"{path}: pydicom decodes '{expected}', we have no such element");
                continue;
            }

            var actual = owner!.CharacterSet.Decode(element.Bytes.Span, element.VR).TrimEnd(' ', '\0');
            if (actual != expected.TrimEnd(' ', '\0'))
            {
                problems.Add($"{path} {element.VR.Code()}: pydicom '{expected}', ours '{actual}'");
            }
        }

        Assert.True(problems.Count == 0, $"{name}: {problems.Count} text difference(s):\n{string.Join('\n', problems)}");
    }

    [Fact]
    public void CompareDataset_WhenOurElementsDifferFromTheListing_ShouldReportEachDifference()
    {
        // The oracle must not pass vacuously: change a read data set in six ways and expect six reports.
        if (!Ready())
        {
            return;
        }

        var path = TestCorpus.Get("ct-16s.dcm").Path;
        var (dump, error) = DcmdumpParser.Dump(path);
        Assert.True(dump is not null, error);
        var ours = DicomFile.Open(path).Dataset.Clone();
        var rows = new DicomTag(0x0028, 0x0010);
        ours.SetString(new DicomTag(0x0010, 0x0010), DicomVR.PN, "Meier^Juergen"); // same padded length as the original
        ours.AddOrUpdate(DicomElement.FromBytes(rows, DicomVR.SS, ours[rows].Bytes));
        ours.Remove(new DicomTag(0x0008, 0x0060));
        ours.SetString(new DicomTag(0x0009, 0x1099), DicomVR.LO, "extra");
        ours.GetItems(new DicomTag(0x0008, 0x2218))[0].SetString(new DicomTag(0x0008, 0x0100), DicomVR.SH, "T-D3001");
        ours.AddOrUpdate(DicomElement.FromBytes(DicomTag.PixelData, DicomVR.OW, ours[DicomTag.PixelData].Bytes[..^2]));

        var problems = new List<string>();
        DumpComparer.CompareDataset(ours, dump.Dataset, "", problems);

        Assert.True(problems.Count == 6, string.Join('\n', problems));
        Assert.Contains(problems, p => p.StartsWith("(0010,0010) PN: value [Meier^Juergen], dcmdump [M", StringComparison.Ordinal));
        Assert.Contains(problems, p => p == "(0028,0010): VR SS, dcmdump US");
        Assert.Contains(problems, p => p.StartsWith("(0008,0060): dcmdump has", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("(0009,1099): we read", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("(0008,2218)[0].(0008,0100) SH: value [T-D3001], dcmdump [T-D3000]", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("(7FE0,0010) OW: length 6142, dcmdump 6144", StringComparison.Ordinal));
    }

    [Fact]
    public void Parse_WhenListingHasSequencesFragmentsAndQuotedBytes_ShouldBuildTheTree()
    {
        const string listing = """

            # Dicom-File-Format

            # Dicom-Meta-Information-Header
            # Used TransferSyntax: Little Endian Explicit
            (0002,0000) UL 4                                        #   4, 1 FileMetaInformationGroupLength
            (0002,0010) UI [1.2.840.10008.1.2.4.50]                 #  22, 1 TransferSyntaxUID

            # Dicom-Data-Set
            # Used TransferSyntax: JPEG Baseline
            (0008,2218) SQ (Sequence with undefined length #=2)     # u/l, 1 AnatomicRegionSequence
              (fffe,e000) na (Item with undefined length #=1)         # u/l, 1 Item
                (0040,a730) SQ (Sequence with explicit length #=1)      #  20, 1 ContentSequence
                  (fffe,e000) na (Item with explicit length #=1)          #  12, 1 Item
                    (0008,0100) SH [A&#252;&amp;#1]                       #   6, 1 CodeValue
                  (fffe,e00d) na (ItemDelimitationItem for re-encoding)   #   0, 0 ItemDelimitationItem
                (fffe,e0dd) na (SequenceDelimitationItem for re-encod.) #   0, 0 SequenceDelimitationItem
              (fffe,e00d) na (ItemDelimitationItem)                   #   0, 0 ItemDelimitationItem
              (fffe,e000) na (Item with undefined length #=0)         # u/l, 1 Item
              (fffe,e00d) na (ItemDelimitationItem)                   #   0, 0 ItemDelimitationItem
            (fffe,e0dd) na (SequenceDelimitationItem)               #   0, 0 SequenceDelimitationItem
            (0010,0010) PN (no value available)                     #   0, 0 PatientName
            (7fe0,0010) OB (PixelSequence #=2)                      # u/l, 1 PixelData
              (fffe,e000) pi (no value available)                     #   0, 1 Item
              (fffe,e000) pi ff\d8\ff\d9                              #   4, 1 Item
            (fffe,e0dd) na (SequenceDelimitationItem)               #   0, 0 SequenceDelimitationItem
            """;

        var parsed = DcmdumpParser.Parse(listing);

        Assert.Equal(2, parsed.Meta.Elements.Count);
        Assert.Equal(3, parsed.Dataset.Elements.Count);
        var sequence = parsed.Dataset.Elements[0];
        Assert.Null(sequence.Length);
        Assert.Equal(2, sequence.Items!.Count);
        Assert.Empty(sequence.Items[1].Elements);
        var code = sequence.Items[0].Elements[0].Items![0].Elements[0];
        Assert.Equal(new DicomTag(0x0008, 0x0100), code.Tag);
        Assert.Equal(new byte[] { (byte)'A', 0xFC, (byte)'&', (byte)'#', (byte)'1' }, code.StringBytes());
        Assert.True(parsed.Dataset.Elements[1].IsEmpty);
        var fragments = parsed.Dataset.Elements[2].Fragments!;
        Assert.Equal(2, fragments.Count);
        Assert.Empty(fragments[0].HexBytes());
        Assert.Equal(new byte[] { 0xFF, 0xD8, 0xFF, 0xD9 }, fragments[1].HexBytes());
    }
}

/// <summary>Compares our data sets with dcmdump listings; each difference becomes one line naming the element path.</summary>
internal static class DumpComparer
{
    public static void CompareDataset(DicomDataset ours, DumpDataset dump, string path, List<string> problems)
    {
        foreach (var d in dump.Elements)
        {
            if (!ours.TryGet(d.Tag, out var element))
            {
                problems.Add($"{path}{d.Tag}: dcmdump has {d}, we have no such element");
                continue;
            }

            CompareElement(element, d, $"{path}{d.Tag}", problems);
        }

        foreach (var element in ours)
        {
            if (dump.Find(element.Tag) is null)
            {
                problems.Add($"{path}{element.Tag}: we read {element}, dcmdump has no such element");
            }
        }
    }

    private static void CompareElement(DicomElement ours, DumpElement d, string path, List<string> problems)
    {
        var vr = ours.VR.Code();
        if (!VRMatches(d.VR, ours.VR))
        {
            problems.Add($"{path}: VR {vr}, dcmdump {d.VR}");
        }

        if (d.Items is { } items)
        {
            if (ours.Items is not { } ourItems)
            {
                problems.Add($"{path}: dcmdump has a sequence of {items.Count} item(s), we have {ours}");
                return;
            }

            if (ourItems.Count != items.Count)
            {
                problems.Add($"{path}: {ourItems.Count} item(s), dcmdump {items.Count}");
            }

            for (var i = 0; i < Math.Min(items.Count, ourItems.Count); i++)
            {
                CompareDataset(ourItems[i], items[i], $"{path}[{i}].", problems);
            }

            return;
        }

        if (ours.Items is not null)
        {
            problems.Add($"{path}: we read a sequence, dcmdump has {d}");
            return;
        }

        if (d.Fragments is { } fragments)
        {
            if (ours.Fragments is not { } ourFragments)
            {
                problems.Add($"{path}: dcmdump has encapsulated pixel data ({fragments.Count} items), we have {ours}");
                return;
            }

            var ourItems = new List<ReadOnlyMemory<byte>> { ourFragments.OffsetTable };
            ourItems.AddRange(ourFragments.Fragments);
            if (ourItems.Count != fragments.Count)
            {
                problems.Add($"{path}: Basic Offset Table and {ourFragments.Fragments.Count} fragment(s), dcmdump {fragments.Count} items in all");
            }

            for (var i = 0; i < Math.Min(ourItems.Count, fragments.Count); i++)
            {
                var label = i == 0 ? "Basic Offset Table" : $"fragment {i}";
                if (fragments[i].Length != ourItems[i].Length)
                {
                    problems.Add($"{path} {label}: length {ourItems[i].Length}, dcmdump {fragments[i].Length}");
                }
                else if (!fragments[i].HexBytes().AsSpan().SequenceEqual(ourItems[i].Span))
                {
                    problems.Add($"{path} {label}: bytes differ from dcmdump's");
                }
            }

            return;
        }

        if (ours.Fragments is not null)
        {
            problems.Add($"{path}: we read encapsulated pixel data, dcmdump has {d}");
            return;
        }

        // DCMTK makes an odd-length value even when it reads it, adding a NUL; we keep the value as it was sent.
        var paddedByDcmtk = (ours.Length & 1) == 1 && d.Length == ours.Length + 1;
        if (d.Length != ours.Length && !paddedByDcmtk)
        {
            problems.Add($"{path} {vr}: length {ours.Length}, dcmdump {d.Length?.ToString(CultureInfo.InvariantCulture) ?? "u/l"}");
            return; // the values differ too; one report is enough
        }

        // Interpret the value as dcmdump printed it (its VR), so a VR difference is not reported twice.
        byte[] value = paddedByDcmtk ? [.. ours.Bytes.Span, 0] : ours.Bytes.ToArray();
        if (ValueDifference(PrintedAs(d.VR), value, d) is { } difference)
        {
            problems.Add($"{path} {vr}: {difference}");
        }
    }

    /// <summary>
    /// dcmdump prints a lower-case VR when it could not resolve one of the standard's either-or VRs in implicit VR
    /// ("xs" US or SS, "lt" US, SS or OW, "ox" OB or OW) and "??" for a tag its dictionary does not know: there any
    /// of the candidates (UN for "??") is a match, since DCMTK is not sure either.
    /// </summary>
    public static bool VRMatches(string printed, DicomVR ours) => printed switch
    {
        "??" => ours == DicomVR.UN,
        "xs" => ours is DicomVR.US or DicomVR.SS,
        "lt" => ours is DicomVR.US or DicomVR.SS or DicomVR.OW,
        "ox" => ours is DicomVR.OB or DicomVR.OW,
        _ => printed == ours.Code(),
    };

    /// <summary>How dcmdump formats a value of the VR it printed: "xs" as US numbers, "lt" and "ox" as hex words, "??" as bytes.</summary>
    public static string PrintedAs(string printed) => printed switch
    {
        "??" => "UN",
        "xs" => "US",
        "lt" or "ox" => "OW",
        _ => printed,
    };

    /// <summary>Null when our bytes are the value dcmdump printed; otherwise a description of both.</summary>
    public static string? ValueDifference(string vr, ReadOnlySpan<byte> ours, DumpElement d)
    {
        if (d.IsEmpty)
        {
            return ours.IsEmpty ? null : $"dcmdump shows no value, we have {Show(ours)}";
        }

        if (d.IsBracketed)
        {
            // dcmdump drops trailing padding (spaces, NULs) when it prints a string; so do we, here only.
            var expected = TrimPadding(d.StringBytes());
            var actual = TrimPadding(ours);
            return actual.SequenceEqual(expected) ? null : $"value {Show(actual)}, dcmdump {Show(expected)}";
        }

        switch (vr)
        {
            case "OB":
            case "UN":
            {
                var expected = d.HexBytes();
                return ours.SequenceEqual(expected) ? null : $"bytes {Show(ours)}, dcmdump {Show(expected)}";
            }

            case "OW":
            {
                var expected = d.HexWords();
                var actual = Read(ours, 2, s => BinaryPrimitives.ReadUInt16LittleEndian(s));
                return actual.SequenceEqual(expected) ? null : $"words {Join(actual)}, dcmdump {d.Value}";
            }

            case "AT":
            {
                var actual = Read(ours, 4, s => $"({BinaryPrimitives.ReadUInt16LittleEndian(s):x4},{BinaryPrimitives.ReadUInt16LittleEndian(s[2..]):x4})");
                return actual.SequenceEqual(d.Values(), StringComparer.OrdinalIgnoreCase) ? null : $"tags {Join(actual)}, dcmdump {d.Value}";
            }

            case "US":
                return CompareIntegers(Read(ours, 2, s => (decimal)BinaryPrimitives.ReadUInt16LittleEndian(s)), d);
            case "SS":
                return CompareIntegers(Read(ours, 2, s => (decimal)BinaryPrimitives.ReadInt16LittleEndian(s)), d);
            case "UL":
            case "OL":
                return CompareIntegers(Read(ours, 4, s => (decimal)BinaryPrimitives.ReadUInt32LittleEndian(s)), d);
            case "SL":
                return CompareIntegers(Read(ours, 4, s => (decimal)BinaryPrimitives.ReadInt32LittleEndian(s)), d);
            case "UV":
            case "OV":
                return CompareIntegers(Read(ours, 8, s => (decimal)BinaryPrimitives.ReadUInt64LittleEndian(s)), d);
            case "SV":
                return CompareIntegers(Read(ours, 8, s => (decimal)BinaryPrimitives.ReadInt64LittleEndian(s)), d);
            case "FL":
            case "OF":
            {
                // dcmdump prints 9 significant digits, which identify a float exactly.
                var actual = Read(ours, 4, s => BinaryPrimitives.ReadSingleLittleEndian(s));
                var expected = d.Values().Select(v => (float)ParseDouble(v)).ToArray();
                return actual.Length == expected.Length && actual.Zip(expected).All(p => p.First.Equals(p.Second))
                    ? null : $"floats {Join(actual)}, dcmdump {d.Value}";
            }

            case "FD":
            case "OD":
            {
                // 17 digits, but DCMTK's own formatter is not exact in the last one (-1e300 prints as -1.0000000000000007e+300).
                var actual = Read(ours, 8, s => BinaryPrimitives.ReadDoubleLittleEndian(s));
                var expected = d.Values().Select(ParseDouble).ToArray();
                return actual.Length == expected.Length && actual.Zip(expected).All(p => CloseDouble(p.First, p.Second))
                    ? null : $"doubles {Join(actual)}, dcmdump {d.Value}";
            }

            default:
                return $"dcmdump printed '{d.Value}' for VR {vr}, which this comparison does not know";
        }
    }

    /// <summary>Decoded text of every element whose VR uses the Specific Character Set, against dcmdump +U8.</summary>
    public static void CompareText(DicomDataset ours, DumpDataset dump, string path, List<string> problems)
    {
        foreach (var d in dump.Elements)
        {
            if (!ours.TryGet(d.Tag, out var element))
            {
                continue; // reported by the structural comparison
            }

            if (d.Items is { } items && element.Items is { } ourItems)
            {
                for (var i = 0; i < Math.Min(items.Count, ourItems.Count); i++)
                {
                    CompareText(ourItems[i], items[i], $"{path}{d.Tag}[{i}].", problems);
                }

                continue;
            }

            // dcmdump +U8 rewrites (0008,0005) to ISO_IR 192 along with the values.
            if (!element.VR.UsesSpecificCharacterSet() || !d.IsBracketed || element.Items is not null || element.Fragments is not null)
            {
                continue;
            }

            var expected = d.IsEmpty ? "" : Encoding.UTF8.GetString(d.StringBytes()).TrimEnd(' ', '\0');
            var actual = ours.CharacterSet.Decode(element.Bytes.Span, element.VR).TrimEnd(' ', '\0');
            if (actual != expected)
            {
                problems.Add($"{path}{d.Tag} {element.VR.Code()}: ours '{actual}', dcmdump +U8 '{expected}'");
            }
        }
    }

    /// <summary>Finds "(gggg,eeee)[i].(gggg,eeee)" and the data set that holds the element (for its character set).</summary>
    public static (DicomElement? Element, DicomDataset? Owner) Resolve(DicomDataset root, string path)
    {
        var dataset = root;
        var parts = path.Split('.');
        for (var i = 0; i < parts.Length; i++)
        {
            var part = parts[i];
            var bracket = part.IndexOf('[', StringComparison.Ordinal);
            var tag = DicomTag.Parse(bracket < 0 ? part : part[..bracket]);
            if (!dataset.TryGet(tag, out var element))
            {
                return (null, null);
            }

            if (bracket < 0)
            {
                return i == parts.Length - 1 ? (element, dataset) : (null, null);
            }

            var index = int.Parse(part[(bracket + 1)..^1], CultureInfo.InvariantCulture);
            if (element.Items is not { } items || index >= items.Count)
            {
                return (null, null);
            }

            dataset = items[index];
        }

        return (null, null);
    }

    private static string? CompareIntegers(decimal[] actual, DumpElement d)
    {
        var expected = d.Values().Select(v => decimal.Parse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)).ToArray();
        return actual.SequenceEqual(expected) ? null : $"numbers {Join(actual)}, dcmdump {d.Value}";
    }

    private static T[] Read<T>(ReadOnlySpan<byte> bytes, int size, SpanReader<T> read)
    {
        var values = new T[bytes.Length / size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = read(bytes.Slice(i * size, size));
        }

        return values;
    }

    private delegate T SpanReader<out T>(ReadOnlySpan<byte> span);

    private static double ParseDouble(string text) => text.ToLowerInvariant() switch
    {
        "nan" or "-nan" => double.NaN,
        "inf" or "+inf" => double.PositiveInfinity,
        "-inf" => double.NegativeInfinity,
        _ => double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture),
    };

    private static bool CloseDouble(double a, double b) =>
        a.Equals(b) || Math.Abs(a - b) <= 4e-15 * Math.Max(Math.Abs(a), Math.Abs(b));

    public static ReadOnlySpan<byte> TrimPadding(ReadOnlySpan<byte> bytes)
    {
        var end = bytes.Length;
        while (end > 0 && bytes[end - 1] is (byte)' ' or 0)
        {
            end--;
        }

        return bytes[..end];
    }

    public static string Show(ReadOnlySpan<byte> bytes)
    {
        var text = new StringBuilder("[");
        foreach (var b in bytes[..Math.Min(bytes.Length, 80)])
        {
            text.Append(b is >= 0x20 and < 0x7F ? ((char)b).ToString() : $"\\x{b:x2}");
        }

        return text.Append(bytes.Length > 80 ? $"...] ({bytes.Length} bytes)" : "]").ToString();
    }

    private static string Join<T>(IReadOnlyCollection<T> values) =>
        string.Join('\\', values.Take(32).Select(v => Convert.ToString(v, CultureInfo.InvariantCulture))) + (values.Count > 32 ? $"... ({values.Count} values)" : "");
}
