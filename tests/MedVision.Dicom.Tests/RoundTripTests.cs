using System.Collections.Concurrent;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Dicom.IO;
using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests;

/// <summary>
/// read → write (<see cref="DicomFile.ToBytes"/>) → read keeps every element of every corpus file (tags, VRs,
/// bytes, sequence structure, fragments), within the writer's contract: explicit VR little endian (or the
/// encapsulated syntax), values padded to even length, group lengths recomputed. The written files pass dciodvfy's
/// encoding checks and dcmdump lists them as it lists the input. A property does the same for random data sets.
/// </summary>
public sealed class RoundTripTests(ITestOutputHelper output)
{
    /// <summary>
    /// The dciodvfy messages about encoding and structure, as opposed to the IOD checks (missing Type 1/2
    /// attributes, enumerated values, VM, deprecated codes), which our synthetic corpus fails by design. The list
    /// comes from the messages in dciodvfy's binary (dicom3tools 2022-06): length and VR form errors, group length,
    /// sequence and item delimitation, tag order, the meta information header, and value padding.
    /// </summary>
    private static readonly string[] StructureMessages =
    [
        "Bad Explicit Value Length",                 // for Sequence / for Sequence Item: length disagrees with content
        "Bad FileMetaInformationVersion",
        "Bad Value Length",                          // not a multiple of 2 / of the value size
        "Bad group length",
        "Bad tag in sequence",
        "read failed",                               // Tag / Attribute / Sequence attribute / Sequence Item dataset / Meta Information Header / Dicom dataset
        "Seek failed",
        "prematurely",                               // Item tag found prematurely; sequence or item prematurely delimited
        "Illegal zero bytes where explicit Value Representation expected",
        "Implicit VR encoding even though supposed to be explicit",
        "Incorrect Explicit VR inside fixed length sequence encoded as UN",
        "Incorrect Short Value Length Form",         // UR, UC, UT, UN written with a 16-bit length
        "Incorrect combination of value representation and byte order",
        "Length invalid for this VR",
        "Meta Information Header",                   // missing group length, group length not UL or wrong VL, implicit VR
        "Metaheader present but doesn't contain Transfer Syntax UID",
        "Empty or missing TransferSyntaxUID",
        "Missing meta-information header",
        "Incomplete meta-information header",
        "Tags out of order",
        "Undefined value length of other byte/word element is illegal",
        "Unexpected TransferSyntaxUID outside meta information header",
        "Unexpected value length",
        "Skipping bad tag",
        "Not a valid DICOM message",
        "Delimitation Item encoding bug",
        "Unrecognized or unsupported tag - skipping",
        "Trailing character invalid for this VR",    // padding: a NUL where a space belongs, or the reverse
        "Unexpected null in string",
    ];

    private static readonly string TempDir = CreateTempDir();

    private static readonly ConcurrentDictionary<string, Lazy<string>> Written = new();

    private static readonly Lazy<bool> Prefetched = new(() =>
    {
        DcmdumpParser.Prefetch(TestCorpus.Files.Select(f => f.Path));
        DcmdumpParser.Prefetch(TestCorpus.Files.Select(f => WrittenPath(f.Name)));
        return true;
    });

    /// <summary>dciodvfy's report on our output of every corpus file, run on all cores at once.</summary>
    private static readonly Lazy<ConcurrentDictionary<string, string>> Dciodvfy = new(() =>
    {
        var reports = new ConcurrentDictionary<string, string>();
        Parallel.ForEach(TestCorpus.Files, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, f =>
        {
            var (_, stdout, stderr) = ExternalTools.Run("dciodvfy", [WrittenPath(f.Name)]);
            reports[f.Name] = System.Text.Encoding.UTF8.GetString(stdout) + "\n" + stderr;
        });
        return reports;
    });

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void WriteThenRead_WhenCorpusFile_ShouldPreserveEveryElement(string name)
    {
        if (!TestCorpus.Require(output.WriteLine))
        {
            return;
        }

        var original = DicomFile.Open(TestCorpus.Get(name).Path);
        var bytes = original.ToBytes();
        var reread = DicomFile.Read(bytes);

        var problems = new List<string>();
        DatasetComparer.Compare(original.Dataset, reread.Dataset, "", problems);
        Assert.Equal(DicomWriter.OutputSyntax(original).Uid, reread.TransferSyntax.Uid);
        Assert.True(reread.HasPreamble);
        Assert.Empty(reread.Warnings);
        foreach (var element in original.FileMeta)
        {
            // The writer recomputes the group length and sets the syntax it wrote; the rest of the meta is kept.
            if (element.Tag != DicomTag.FileMetaInformationGroupLength && element.Tag != DicomTag.TransferSyntaxUid)
            {
                DatasetComparer.CompareElement(element, reread.FileMeta.TryGet(element.Tag, out var e) ? e : null, "meta:" + element.Tag, problems);
            }
        }

        // Writing what we read back gives the same bytes: the encoding is a fixed point.
        Assert.True(bytes.AsSpan().SequenceEqual(reread.ToBytes()), "Writing the re-read file changed its bytes.");
        Assert.True(problems.Count == 0, $"{name}: {problems.Count} difference(s) after a round trip:\n{string.Join('\n', problems)}");
    }

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void Write_WhenCorpusFile_ShouldPassDciodvfyEncodingChecks(string name)
    {
        if (!TestCorpus.Require(output.WriteLine, "dciodvfy"))
        {
            return;
        }

        var messages = Dciodvfy.Value[name].Split('\n');
        var structural = messages.Where(m => StructureMessages.Any(s => m.Contains(s, StringComparison.OrdinalIgnoreCase)) && !Unsupported64Bit(m)).ToList();
        Assert.True(structural.Count == 0, $"{name}: dciodvfy reports encoding errors in our output:\n{string.Join('\n', structural)}");
    }

    [Theory]
    [MemberData(nameof(TestCorpus.Names), MemberType = typeof(TestCorpus))]
    public void Write_WhenCorpusFile_ShouldDumpLikeTheInput(string name)
    {
        if (!TestCorpus.Require(output.WriteLine, "dcmdump") || !Prefetched.Value)
        {
            return;
        }

        var (input, inputError) = DcmdumpParser.Dump(TestCorpus.Get(name).Path);
        var (written, writtenError) = DcmdumpParser.Dump(WrittenPath(name));
        Assert.True(input is not null, inputError);
        Assert.True(written is not null, writtenError);

        var problems = new List<string>();
        DumpDiff.Compare(input.Dataset, written.Dataset, "", problems);
        Assert.True(problems.Count == 0, $"{name}: dcmdump of our output differs from dcmdump of the input:\n{string.Join('\n', problems)}");
    }

    [Property]
    public Property WriteThenRead_WhenRandomDataset_ShouldPreserveEveryElement()
    {
        return Prop.ForAll(RandomDatasets.Arbitrary, RoundTrip);
    }

    /// <summary>Writes a random data set as Part 10, reads it back, and asserts that nothing but padding changed.</summary>
    internal static void RoundTrip(RandomDatasets.Node[] nodes)
    {
        var dataset = RandomDatasets.Build(nodes);
        var encapsulated = dataset.TryGet(DicomTag.PixelData, out var pixels) && pixels.IsEncapsulated;
        var syntax = encapsulated ? TransferSyntax.JpegBaseline8Bit : TransferSyntax.ExplicitVRLittleEndian;
        var bytes = new DicomFile(new DicomDataset(), dataset, syntax).ToBytes();
        var reread = DicomFile.Read(bytes);

        var problems = new List<string>();
        DatasetComparer.Compare(dataset, reread.Dataset, "", problems);
        if (reread.TransferSyntax.Uid != syntax.Uid)
        {
            problems.Add($"transfer syntax {reread.TransferSyntax.Uid}, written as {syntax.Uid}");
        }

        if (reread.Warnings.Count > 0)
        {
            problems.Add("reader warnings: " + string.Join("; ", reread.Warnings));
        }

        if (!bytes.AsSpan().SequenceEqual(reread.ToBytes()))
        {
            problems.Add("writing the re-read file changed its bytes");
        }

        Assert.True(problems.Count == 0, $"{RandomDatasets.Describe(nodes)}\n{string.Join('\n', problems)}");
    }

    /// <summary>dicom3tools (2022) predates the 64-bit VRs: it skips OV, SV and UV elements as "unsupported" whoever wrote them.</summary>
    private static bool Unsupported64Bit(string message) =>
        message.Contains("Unrecognized or unsupported tag - skipping", StringComparison.Ordinal)
        && (message.Contains(" OV ", StringComparison.Ordinal) || message.Contains(" SV ", StringComparison.Ordinal) || message.Contains(" UV ", StringComparison.Ordinal));

    private static string WrittenPath(string name) => Written.GetOrAdd(name, n => new Lazy<string>(() =>
    {
        var path = Path.Combine(TempDir, n);
        File.WriteAllBytes(path, DicomFile.Open(TestCorpus.Get(n).Path).ToBytes());
        return path;
    })).Value;

    private static string CreateTempDir()
    {
        // Test hosts are often ended without ProcessExit: sweep folders of earlier runs (not of ones running now).
        foreach (var stale in Directory.EnumerateDirectories(Path.GetTempPath(), "medvision-roundtrip-*"))
        {
            try
            {
                if (Directory.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-6))
                {
                    Directory.Delete(stale, recursive: true);
                }
            }
            catch (IOException)
            {
                // another process is sweeping or using it
            }
            catch (UnauthorizedAccessException)
            {
                // not ours to delete
            }
        }

        var dir = Path.Combine(Path.GetTempPath(), $"medvision-roundtrip-{Environment.ProcessId}");
        Directory.CreateDirectory(dir);
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                Directory.Delete(dir, recursive: true);
            }
            catch (IOException)
            {
                // best effort: a temp folder left behind is harmless
            }
        };
        return dir;
    }
}

/// <summary>Compares a data set with what a write and a read made of it, under the writer's contract.</summary>
internal static class DatasetComparer
{
    public static void Compare(DicomDataset expected, DicomDataset actual, string path, List<string> problems)
    {
        foreach (var element in expected)
        {
            CompareElement(element, actual.TryGet(element.Tag, out var other) ? other : null, path + element.Tag, problems);
        }

        foreach (var element in actual)
        {
            if (!expected.Contains(element.Tag))
            {
                problems.Add($"{path}{element.Tag}: appeared after the round trip ({element})");
            }
        }
    }

    public static void CompareElement(DicomElement expected, DicomElement? actual, string path, List<string> problems)
    {
        if (actual is null)
        {
            problems.Add($"{path}: lost in the round trip ({expected})");
            return;
        }

        if (expected.Tag.IsGroupLength)
        {
            // Recomputed for the new encoding: only its form is fixed.
            if (actual.VR != DicomVR.UL || actual.Length != 4)
            {
                problems.Add($"{path}: group length written as {actual}");
            }

            return;
        }

        if (expected.Items is { } items)
        {
            if (actual.Items is not { } actualItems)
            {
                problems.Add($"{path}: a sequence of {items.Count} item(s) came back as {actual}");
                return;
            }

            if (actualItems.Count != items.Count)
            {
                problems.Add($"{path}: {items.Count} item(s) came back as {actualItems.Count}");
            }

            for (var i = 0; i < Math.Min(items.Count, actualItems.Count); i++)
            {
                Compare(items[i], actualItems[i], $"{path}[{i}].", problems);
            }

            return;
        }

        if (expected.Fragments is { } fragments)
        {
            if (actual.Fragments is not { } actualFragments)
            {
                problems.Add($"{path}: encapsulated pixel data came back as {actual}");
                return;
            }

            if (actual.VR != (expected.VR == DicomVR.OW ? DicomVR.OW : DicomVR.OB))
            {
                problems.Add($"{path}: encapsulated {expected.VR.Code()} came back as {actual.VR.Code()}");
            }

            if (!Padded(fragments.OffsetTable.Span, 0).SequenceEqual(actualFragments.OffsetTable.Span))
            {
                problems.Add($"{path}: the Basic Offset Table changed");
            }

            if (actualFragments.Fragments.Count != fragments.Fragments.Count)
            {
                problems.Add($"{path}: {fragments.Fragments.Count} fragment(s) came back as {actualFragments.Fragments.Count}");
            }

            for (var i = 0; i < Math.Min(fragments.Fragments.Count, actualFragments.Fragments.Count); i++)
            {
                if (!Padded(fragments.Fragments[i].Span, 0).SequenceEqual(actualFragments.Fragments[i].Span))
                {
                    problems.Add($"{path}: fragment {i} changed ({fragments.Fragments[i].Length} bytes, now {actualFragments.Fragments[i].Length})");
                }
            }

            return;
        }

        if (actual.Items is not null || actual.Fragments is not null)
        {
            problems.Add($"{path}: {expected} came back as {actual}");
            return;
        }

        var vr = WrittenVR(expected);
        if (actual.VR != vr)
        {
            problems.Add($"{path}: VR {expected.VR.Code()} should be written as {vr.Code()}, came back as {actual.VR.Code()}");
        }

        var want = Padded(expected.Bytes.Span, expected.VR.PaddingByte());
        if (!want.AsSpan().SequenceEqual(actual.Bytes.Span))
        {
            problems.Add($"{path} {vr.Code()}: value {DumpComparer.Show(want)} came back as {DumpComparer.Show(actual.Bytes.Span)}");
        }
    }

    /// <summary>The writer's VR: UN for no VR and for a short-length VR whose value does not fit 16 bits.</summary>
    public static DicomVR WrittenVR(DicomElement element) =>
        element.VR == DicomVR.None || (!element.VR.HasLongLength() && element.Length + (element.Length & 1) > 0xFFFF)
            ? DicomVR.UN
            : element.VR;

    private static byte[] Padded(ReadOnlySpan<byte> bytes, byte pad)
    {
        var result = new byte[bytes.Length + (bytes.Length & 1)];
        bytes.CopyTo(result);
        if (result.Length != bytes.Length)
        {
            result[^1] = pad;
        }

        return result;
    }
}

/// <summary>
/// Compares the dcmdump listing of an input file with the listing of our output: same elements, VRs, lengths and
/// printed values everywhere, allowing only what the writer is meant to change: group length values (recomputed),
/// one pad byte on odd-length values, sequence and item lengths (written undefined), and "??" (implicit VR, not in
/// DCMTK's dictionary) becoming UN once written in explicit VR.
/// </summary>
internal static class DumpDiff
{
    public static void Compare(DumpDataset input, DumpDataset written, string path, List<string> problems)
    {
        foreach (var a in input.Elements)
        {
            if (written.Find(a.Tag) is not { } b)
            {
                problems.Add($"{path}{a.Tag}: {a} is missing from our output");
                continue;
            }

            CompareElement(a, b, $"{path}{a.Tag}", problems);
        }

        foreach (var b in written.Elements)
        {
            if (input.Find(b.Tag) is null)
            {
                problems.Add($"{path}{b.Tag}: {b} is in our output only");
            }
        }
    }

    private static void CompareElement(DumpElement a, DumpElement b, string path, List<string> problems)
    {
        // An implicit VR input may leave the VR open ("??", "xs", "lt", "ox"); our explicit output names one.
        var resolved = a.VR != b.VR && DicomVRInfo.TryParse(b.VR, out var writtenVR) && DumpComparer.VRMatches(a.VR, writtenVR);
        if (a.VR != b.VR && !resolved)
        {
            problems.Add($"{path}: VR {a.VR} in the input, {b.VR} in our output");
        }

        if (a.Items is { } items)
        {
            if (b.Items is not { } writtenItems || writtenItems.Count != items.Count)
            {
                problems.Add($"{path}: {items.Count} item(s) in the input, {b.Items?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "no sequence"} in our output");
                return;
            }

            for (var i = 0; i < items.Count; i++)
            {
                Compare(items[i], writtenItems[i], $"{path}[{i}].", problems);
            }

            return;
        }

        if (a.Fragments is { } fragments)
        {
            if (b.Fragments is not { } writtenFragments || writtenFragments.Count != fragments.Count)
            {
                problems.Add($"{path}: {fragments.Count} pixel data item(s) in the input, {b.Fragments?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "none"} in our output");
                return;
            }

            for (var i = 0; i < fragments.Count; i++)
            {
                CompareValue(fragments[i], writtenFragments[i], $"{path} item {i}", problems);
            }

            return;
        }

        if (a.Tag.IsGroupLength)
        {
            return; // recomputed for our encoding
        }

        if (resolved && a.VR is "xs" or "lt" && !a.IsEmpty)
        {
            // Same bytes, printed differently: compare as 16-bit words ("xs" prints unsigned numbers, "lt" and OW hex words, SS signed numbers).
            if (!Words(a).SequenceEqual(Words(b)) || a.Length != b.Length)
            {
                problems.Add($"{path}: input {a.VR} {a.Value} / ours {b.VR} {b.Value}");
            }

            return;
        }

        CompareValue(a, b, path, problems);
    }

    private static ushort[] Words(DumpElement e) => e.VR is "lt" or "OW"
        ? e.HexWords()
        : [.. e.Values().Select(v => unchecked((ushort)int.Parse(v, System.Globalization.CultureInfo.InvariantCulture)))];

    private static void CompareValue(DumpElement a, DumpElement b, string path, List<string> problems)
    {
        var oddPadded = a.Length is { } la && b.Length is { } lb && (la & 1) == 1 && lb == la + 1;
        if (a.Length != b.Length && !oddPadded)
        {
            problems.Add($"{path}: length {a.Length} in the input, {b.Length} in our output");
        }

        // Strings compare without their padding: DCMTK pads an odd value it reads with NUL, we write the VR's pad.
        var same = a.Value == b.Value
            || (a.IsBracketed && b.IsBracketed && DumpComparer.TrimPadding(a.StringBytes()).SequenceEqual(DumpComparer.TrimPadding(b.StringBytes())))
            || (oddPadded && !a.IsBracketed && (b.Value == a.Value + "\\00" || (a.IsEmpty && b.Value == "00")));
        if (!same)
        {
            problems.Add($"{path}: input {a.Value} / ours {b.Value}");
        }
    }
}

/// <summary>Random data sets for the round trip property: any tag, every VR, values of any length, nested sequences, fragments.</summary>
internal static class RandomDatasets
{
    /// <summary>An element before it is built: a value, items (a sequence) or fragments (encapsulated pixel data).</summary>
    public sealed record Node(DicomTag Tag, DicomVR VR, byte[] Value, Node[][]? Items, byte[][]? Fragments);

    private static readonly DicomVR[] ValueVRs =
    [
        .. Enum.GetValues<DicomVR>().Where(v => v is not DicomVR.None and not DicomVR.SQ),
    ];

    // Standard and private groups. Element 0 is a group length whatever its VR and value: the writer recomputes it.
    private static readonly ushort[] Groups = [0x0008, 0x0009, 0x0010, 0x0011, 0x0018, 0x0020, 0x0028, 0x0029, 0x0040, 0x0043, 0x0054, 0x0099, 0x5000, 0x6000, 0x7FDF];

    private static readonly Gen<DicomTag> Tags =
        from g in Gen.Elements(Groups)
        from e in Gen.Frequency((1, Gen.Constant(0)), (6, Gen.Choose(1, 0x00FF)), (10, Gen.Choose(0x0100, 0xFFFF)))
        select new DicomTag(g, (ushort)e);

    private static readonly Gen<byte[]> AnyBytes = Gen.Sized(size =>
        from length in Gen.Choose(0, Math.Min(size, 40) + 1)
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
        select bytes);

    private static readonly Gen<Node> Values =
        from tag in Tags
        from vr in Gen.Elements(ValueVRs)
        from bytes in AnyBytes
        select new Node(tag, vr, vr.ValueSize() > 1 ? bytes[..(bytes.Length / vr.ValueSize() * vr.ValueSize())] : bytes, null, null);

    private static readonly Gen<Node[]>[] DatasetsByDepth = BuildDatasets(maxDepth: 4);

    private static readonly Gen<Node[]> TopLevel =
        from nodes in DatasetsByDepth[0]
        from withFragments in Gen.Frequency((3, Gen.Constant(false)), (1, Gen.Constant(true)))
        from offsetTable in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), 8)
        from fragments in Gen.ListOf(AnyBytes, 3)
        select withFragments
            ? [.. nodes.Where(n => n.Tag != DicomTag.PixelData), new Node(DicomTag.PixelData, DicomVR.OB, offsetTable, null, [.. fragments])]
            : nodes;

    public static Arbitrary<Node[]> Arbitrary { get; } = Arb.From(TopLevel);

    private static Gen<Node[]>[] BuildDatasets(int maxDepth)
    {
        var byDepth = new Gen<Node[]>[maxDepth + 1];
        for (var depth = maxDepth; depth >= 0; depth--)
        {
            var element = depth == maxDepth
                ? Values
                : Gen.Frequency((6, Values), (1, Sequence(byDepth[depth + 1])));
            byDepth[depth] = Gen.Sized(size => Gen.Choose(0, Math.Min(size, 12)).SelectMany(n => Gen.ArrayOf(element, n)));
        }

        return byDepth;
    }

    private static Gen<Node> Sequence(Gen<Node[]> items) =>
        from tag in Tags
        from count in Gen.Choose(0, 3)
        from content in Gen.ArrayOf(items, count)
        select new Node(tag, DicomVR.SQ, [], content, null);

    public static DicomDataset Build(Node[] nodes)
    {
        var dataset = new DicomDataset();
        foreach (var node in nodes)
        {
            dataset.AddOrUpdate(node switch
            {
                { Items: { } items } => DicomElement.Sequence(node.Tag, items.Select(Build)),
                { Fragments: { } fragments } => DicomElement.Encapsulated(node.Tag, node.VR, new DicomFragments(node.Value, [.. fragments.Select(f => (ReadOnlyMemory<byte>)f)])),
                _ => DicomElement.FromBytes(node.Tag, node.VR, node.Value),
            });
        }

        return dataset;
    }

    public static string Describe(Node[] nodes, string indent = "")
    {
        var text = new System.Text.StringBuilder();
        foreach (var node in nodes)
        {
            text.Append(indent).Append(node.Tag).Append(' ').Append(node.VR.Code());
            if (node.Items is { } items)
            {
                text.Append(" items=").Append(items.Length).Append('\n');
                foreach (var item in items)
                {
                    text.Append(indent).Append("  item\n").Append(Describe(item, indent + "    "));
                }
            }
            else if (node.Fragments is { } fragments)
            {
                text.Append(" BOT=").Append(node.Value.Length).Append(" fragments=").AppendJoin(',', fragments.Select(f => f.Length)).Append('\n');
            }
            else
            {
                text.Append(' ').Append(Convert.ToHexString(node.Value)).Append('\n');
            }
        }

        return text.ToString();
    }
}
