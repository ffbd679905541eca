using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using MedVision.Testing;

namespace MedVision.Dicom.Tests;

/// <summary>One element line of a dcmdump listing, with its items (SQ) or fragments (encapsulated pixel data).</summary>
internal sealed class DumpElement
{
    public required DicomTag Tag { get; init; }

    /// <summary>The two letters dcmdump prints: a VR, or "??" for an implicit VR element DCMTK's dictionary does not know.</summary>
    public required string VR { get; init; }

    /// <summary>The value column as printed: "[text]", "(no value available)", numbers or hex joined by '\'.</summary>
    public required string Value { get; init; }

    /// <summary>The value length dcmdump reports; null for "u/l" (undefined length).</summary>
    public required long? Length { get; init; }

    public required int LineNumber { get; init; }

    /// <summary>Items of a sequence (SQ, including UN of undefined length that DCMTK reads as one).</summary>
    public List<DumpDataset>? Items { get; set; }

    /// <summary>Items of encapsulated pixel data, the Basic Offset Table first.</summary>
    public List<DumpElement>? Fragments { get; set; }

    public bool IsEmpty => Value == "(no value available)";

    /// <summary>True for a value printed in brackets (every string VR).</summary>
    public bool IsBracketed => Value.Length >= 2 && Value[0] == '[' && Value[^1] == ']';

    /// <summary>The bytes of a bracketed value: dcmdump's +Qn markup (&amp;#NNN; for each non-ASCII or control byte) undone.</summary>
    public byte[] StringBytes() => IsEmpty ? [] : DcmdumpParser.Unquote(Value[1..^1]);

    /// <summary>The bytes of a value printed as hex bytes (OB, UN, "??", fragments): "00\01\ff".</summary>
    public byte[] HexBytes() => IsEmpty ? [] : [.. Value.Split('\\').Select(h => byte.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture))];

    /// <summary>The words of an OW value printed as hex words: "f800\0012".</summary>
    public ushort[] HexWords() => IsEmpty ? [] : [.. Value.Split('\\').Select(h => ushort.Parse(h, NumberStyles.HexNumber, CultureInfo.InvariantCulture))];

    /// <summary>The values of a binary number or AT element, as printed.</summary>
    public string[] Values() => IsEmpty ? [] : Value.Split('\\');

    public override string ToString() => $"{Tag} {VR} {Value} #{(Length is { } l ? l.ToString(CultureInfo.InvariantCulture) : "u/l")}";
}

/// <summary>A data set (or an item, or the file meta group) of a dcmdump listing, in listing order.</summary>
internal sealed class DumpDataset
{
    public List<DumpElement> Elements { get; } = [];

    public DumpElement? Find(DicomTag tag) => Elements.Find(e => e.Tag == tag);
}

/// <summary>A parsed dcmdump listing.</summary>
internal sealed record DumpListing(DumpDataset Meta, DumpDataset Dataset, string Text);

/// <summary>
/// Runs DCMTK's dcmdump and parses its text listing into a tree. The options: <c>+L</c> prints every value in full,
/// <c>+Qn</c> quotes every non-ASCII or control byte as <c>&amp;#NNN;</c> (so a value never breaks the line and
/// bytes survive exactly), <c>-Un</c> keeps UIDs as numbers, and <c>+U8</c> (optional) converts values that Specific
/// Character Set affects to UTF-8. Nesting is read from the indentation (two spaces per level); the delimitation
/// items dcmdump prints (real or "for re-encoding") carry no information beyond that and are skipped.
/// </summary>
internal static partial class DcmdumpParser
{
    private static readonly ConcurrentDictionary<(string Path, bool Utf8), Lazy<(DumpListing? Listing, string Error)>> Cache = new();

    /// <summary>dcmdump of a file (cached per process); null Listing with the error text when dcmdump fails.</summary>
    public static (DumpListing? Listing, string Error) Dump(string path, bool utf8 = false) =>
        Cache.GetOrAdd((path, utf8), key => new Lazy<(DumpListing?, string)>(() => RunDcmdump(key.Path, key.Utf8))).Value;

    /// <summary>Dumps many files at once on all cores (dcmdump is a process per file), filling the cache.</summary>
    public static void Prefetch(IEnumerable<string> paths, bool utf8 = false) =>
        Parallel.ForEach(paths, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(2, Environment.ProcessorCount) }, p => Dump(p, utf8));

    private static (DumpListing?, string) RunDcmdump(string path, bool utf8)
    {
        List<string> arguments = ["-q", "+L", "+Qn", "-Un"];
        if (utf8)
        {
            arguments.Add("+U8");
        }

        arguments.Add(path);
        var (exit, stdout, stderr) = ExternalTools.Run("dcmdump", arguments);
        if (exit != 0)
        {
            return (null, $"dcmdump {string.Join(' ', arguments)} exited {exit}: {stderr.Trim()}");
        }

        return (Parse(Encoding.UTF8.GetString(stdout)), "");
    }

    [GeneratedRegex(@"^(?<indent> *)\((?<group>[0-9a-f]{4}),(?<element>[0-9a-f]{4})\) (?<vr>\S\S) (?<value>.*?)\s*# +(?<length>\d+|u/l), (?<vm>\d+) (?<name>[^#]*)$", RegexOptions.CultureInvariant)]
    private static partial Regex LinePattern();

    [GeneratedRegex(@"&(#(?<code>\d+)|(?<name>amp|lt|gt|quot|apos));", RegexOptions.CultureInvariant)]
    private static partial Regex EntityPattern();

    /// <summary>Parses a dcmdump listing (the "# Dicom-Meta-Information-Header" and "# Dicom-Data-Set" sections).</summary>
    public static DumpListing Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var meta = new DumpDataset();
        var dataset = new DumpDataset();
        var current = dataset;

        // The data set at each depth (the root at 0, an item's content one deeper than its item line) and the last
        // element seen at each depth (the parent of the item lines one level deeper).
        var datasets = new List<DumpDataset?> { current };
        var elements = new List<DumpElement?> { null };
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            if (line.StartsWith('#'))
            {
                if (line.StartsWith("# Dicom-Meta-Information-Header", StringComparison.Ordinal))
                {
                    current = meta;
                    datasets = [meta];
                    elements = [null];
                }
                else if (line.StartsWith("# Dicom-Data-Set", StringComparison.Ordinal))
                {
                    current = dataset;
                    datasets = [dataset];
                    elements = [null];
                }

                continue;
            }

            if (line.Length == 0)
            {
                continue;
            }

            var m = LinePattern().Match(line);
            if (!m.Success)
            {
                throw new FormatException($"dcmdump line {n + 1} is not an element line: {line}");
            }

            var depth = m.Groups["indent"].Length / 2;
            var tag = new DicomTag(
                ushort.Parse(m.Groups["group"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture),
                ushort.Parse(m.Groups["element"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            var lengthText = m.Groups["length"].Value;
            var element = new DumpElement
            {
                Tag = tag,
                VR = m.Groups["vr"].Value,
                Value = m.Groups["value"].Value,
                Length = lengthText == "u/l" ? null : long.Parse(lengthText, CultureInfo.InvariantCulture),
                LineNumber = n + 1,
            };

            if (tag == DicomTag.ItemDelimitationItem || tag == DicomTag.SequenceDelimitationItem)
            {
                continue;
            }

            if (tag == DicomTag.Item)
            {
                var parent = depth >= 1 && depth - 1 < elements.Count ? elements[depth - 1] : null;
                if (parent is null)
                {
                    throw new FormatException($"dcmdump line {n + 1}: an item with no sequence above it: {line}");
                }

                if (element.VR == "pi")
                {
                    (parent.Fragments ??= []).Add(element);
                    continue;
                }

                var item = new DumpDataset();
                (parent.Items ??= []).Add(item);
                SetAt(datasets, depth + 1, item);
                continue;
            }

            if (depth >= datasets.Count || datasets[depth] is not { } owner)
            {
                throw new FormatException($"dcmdump line {n + 1}: an element at depth {depth} outside any item: {line}");
            }

            owner.Elements.Add(element);
            if (element.VR == "SQ")
            {
                element.Items = [];
            }

            SetAt(elements, depth, element);
        }

        return new DumpListing(meta, dataset, text);
    }

    private static void SetAt<T>(List<T?> list, int index, T value)
        where T : class
    {
        while (list.Count <= index)
        {
            list.Add(null);
        }

        list[index] = value;
        list.RemoveRange(index + 1, list.Count - index - 1);
    }

    /// <summary>Undoes +Qn quoting: "&amp;#NNN;" is one byte, "&amp;amp;" and friends the XML characters; other characters are bytes.</summary>
    public static byte[] Unquote(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bytes = new List<byte>(text.Length);
        var at = 0;
        foreach (Match m in EntityPattern().Matches(text))
        {
            AddChars(bytes, text.AsSpan(at, m.Index - at));
            bytes.Add(m.Groups["code"].Success
                ? checked((byte)int.Parse(m.Groups["code"].Value, CultureInfo.InvariantCulture))
                : m.Groups["name"].Value switch
                {
                    "amp" => (byte)'&',
                    "lt" => (byte)'<',
                    "gt" => (byte)'>',
                    "quot" => (byte)'"',
                    _ => (byte)'\'',
                });
            at = m.Index + m.Length;
        }

        AddChars(bytes, text.AsSpan(at));
        return [.. bytes];
    }

    private static void AddChars(List<byte> bytes, ReadOnlySpan<char> chars)
    {
        foreach (var c in chars)
        {
            bytes.Add(c <= 0xFF ? (byte)c : throw new FormatException($"Unquoted non-Latin-1 character U+{(int)c:X4} in a +Qn listing."));
        }
    }
}
