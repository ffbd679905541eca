using System.Globalization;
using System.Text;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// Byte-for-byte comparison of produced files with the committed copies under Golden/ (see Golden/README.md).
/// With MEDVISION_UPDATE_GOLDEN=1 the committed copies are rewritten instead and the test fails saying so, so a
/// regeneration is always a deliberate, visible step.
/// </summary>
internal static class GoldenFiles
{
    public const string UpdateVariable = "MEDVISION_UPDATE_GOLDEN";

    public static string Root { get; } = Path.Combine(RepoPaths.Root, "tests", "MedVision.EndToEnd.Tests", "Golden");

    public static bool Updating => Environment.GetEnvironmentVariable(UpdateVariable) == "1";

    /// <summary>
    /// Checks that the folder Golden/<paramref name="area"/> holds exactly <paramref name="actual"/> (relative path →
    /// bytes, '/' separated): no file missing, none extra, none different. Every difference is reported at once.
    /// </summary>
    public static void Check(string area, IReadOnlyDictionary<string, byte[]> actual)
    {
        ArgumentNullException.ThrowIfNull(actual);
        var folder = Path.Combine(Root, area);
        if (Updating)
        {
            Rewrite(folder, actual);
            Assert.Fail(
                $"{UpdateVariable}=1: rewrote {actual.Count} golden file(s) under {folder}. Review them with `git diff`, " +
                $"then run the tests again without {UpdateVariable} (this failure is deliberate, so a regeneration is never silent).");
        }

        var committed = Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder, "*", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(folder, f).Replace(Path.DirectorySeparatorChar, '/'))
                .ToHashSet(StringComparer.Ordinal)
            : [];
        var problems = new List<string>();
        foreach (var (name, bytes) in actual.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            if (!committed.Remove(name))
            {
                problems.Add($"{area}/{name}: produced, but there is no golden copy");
                continue;
            }

            if (Difference(File.ReadAllBytes(Path.Combine(folder, name)), bytes) is { } difference)
            {
                problems.Add($"{area}/{name}: {difference}");
            }
        }

        problems.AddRange(committed.Order(StringComparer.Ordinal).Select(name => $"{area}/{name}: in the golden copy, but no longer produced"));
        if (problems.Count > 0)
        {
            Assert.Fail(
                $"{problems.Count} difference(s) from the golden files in {folder}:\n" + string.Join("\n", problems) +
                $"\nIf the change is intended, regenerate with {UpdateVariable}=1 (see Golden/README.md).");
        }
    }

    /// <summary>Null when equal; otherwise the first differing byte, its line and column, and both sides around it.</summary>
    public static string? Difference(byte[] expected, byte[] actual)
    {
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(actual);
        var common = Math.Min(expected.Length, actual.Length);
        var at = 0;
        while (at < common && expected[at] == actual[at])
        {
            at++;
        }

        if (at == common && expected.Length == actual.Length)
        {
            return null;
        }

        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < at; i++)
        {
            if (expected[i] == (byte)'\n')
            {
                line++;
                lineStart = i + 1;
            }
        }

        return string.Create(
            CultureInfo.InvariantCulture,
            $"first difference at byte {at} (line {line}, column {at - lineStart + 1}); lengths expected {expected.Length}, actual {actual.Length}\n" +
            $"    expected: {Excerpt(expected, lineStart, at)}\n" +
            $"    actual:   {Excerpt(actual, lineStart, at)}");
    }

    /// <summary>
    /// The whole line from <paramref name="lineStart"/> when it is short (an indented JSON line, a manifest line with
    /// its file name), else a window around <paramref name="at"/>; control characters shown escaped.
    /// </summary>
    private static string Excerpt(byte[] bytes, int lineStart, int at)
    {
        const int WholeLine = 200;
        const int Before = 40;
        const int After = 60;
        var lineEnd = Array.IndexOf(bytes, (byte)'\n', Math.Min(lineStart, bytes.Length));
        lineEnd = lineEnd < 0 ? bytes.Length : lineEnd + 1;
        var (start, end) = lineEnd - lineStart <= WholeLine
            ? (lineStart, lineEnd)
            : (Math.Max(0, at - Before), Math.Min(bytes.Length, at + After));
        var text = new StringBuilder(start > 0 ? "…" : string.Empty);
        foreach (var c in Encoding.UTF8.GetString(bytes, start, end - start))
        {
            text.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return text.Append(end < bytes.Length ? "…" : at >= bytes.Length ? "<end of file>" : string.Empty).ToString();
    }

    private static void Rewrite(string folder, IReadOnlyDictionary<string, byte[]> files)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }

        foreach (var (name, bytes) in files)
        {
            var path = Path.Combine(folder, name.Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, bytes);
        }
    }
}
