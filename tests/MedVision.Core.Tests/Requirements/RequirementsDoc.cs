using System.Text;
using System.Text.RegularExpressions;

namespace MedVision.Core.Tests.Requirements;

/// <summary>A test method named by its project folder (without "MedVision."), class and method.</summary>
internal sealed record TestRef(string Project, string Class, string Method)
{
    public override string ToString() => $"{Class}.{Method} ({Project})";
}

/// <summary>One row of docs/requirements.md.</summary>
internal sealed record PropertyRow(int Number, bool NotYet, IReadOnlyList<TestRef> Tests);

/// <summary>One property tag comment (the form is in docs/requirements.md) and the test method below it.</summary>
internal sealed record PropertyTag(int Number, TestRef Test, string Where);

/// <summary>
/// Reads the property table of docs/requirements.md and the property tags of the test sources, and says where they
/// disagree. A small C# lexer keeps comments and string literals apart, so a tag-like line inside a string is no
/// tag and a brace inside a string does not move the class nesting.
/// </summary>
internal static partial class RequirementsDoc
{
    public const int PropertyCount = 53;
    public const string Feature = "Feature: medvision-ai-platform";

    [GeneratedRegex(@"^// Feature: medvision-ai-platform, Property (?<n>[1-9][0-9]*): \S")]
    private static partial Regex TagPattern();

    [GeneratedRegex(@"^\|\s*(?<n>[0-9]+)\s*\|(?<statement>[^|]*)\|(?<tests>[^|]*)\|(?<coverage>[^|]*)\|\s*$")]
    private static partial Regex RowPattern();

    [GeneratedRegex(@"`(?<class>[A-Za-z_][A-Za-z0-9_]*)\.(?<method>[A-Za-z_][A-Za-z0-9_]*)` \((?<project>[A-Za-z0-9_.]+)\)")]
    private static partial Regex RefPattern();

    [GeneratedRegex(@"\b(?:class|record|struct|interface)\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)")]
    private static partial Regex TypeDeclaration();

    [GeneratedRegex(@"^\[\s*(?:[A-Za-z_][A-Za-z0-9_]*\.)*(?:Fact|Theory|Property)(?:Attribute)?\s*(?:\(|\])")]
    private static partial Regex TestAttribute();

    /// <summary>The rows of the table (every line that starts with "| number |"); malformed cells land in <paramref name="problems"/>.</summary>
    public static IReadOnlyList<PropertyRow> ParseTable(string markdown, List<string> problems)
    {
        var rows = new List<PropertyRow>();
        foreach (var line in markdown.ReplaceLineEndings("\n").Split('\n'))
        {
            if (!Regex.IsMatch(line, @"^\|\s*[0-9]+\s*\|"))
            {
                continue;
            }

            var match = RowPattern().Match(line);
            if (!match.Success)
            {
                problems.Add($"requirements.md: a row is not '| # | property | checked by | coverage |': {line}");
                continue;
            }

            var number = int.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture);
            if (string.IsNullOrWhiteSpace(match.Groups["statement"].Value) || string.IsNullOrWhiteSpace(match.Groups["coverage"].Value))
            {
                problems.Add($"requirements.md: Property {number} has an empty statement or coverage cell.");
            }

            var cell = match.Groups["tests"].Value.Trim();
            if (cell == "not yet")
            {
                rows.Add(new PropertyRow(number, NotYet: true, []));
                continue;
            }

            var refs = RefPattern().Matches(cell)
                .Select(m => new TestRef(m.Groups["project"].Value, m.Groups["class"].Value, m.Groups["method"].Value))
                .ToList();
            var rest = RefPattern().Replace(cell, "").Replace("<br>", "", StringComparison.Ordinal).Trim();
            if (rest.Length > 0)
            {
                problems.Add($"requirements.md: Property {number}: '{rest}' is neither 'not yet' nor `Class.Method` (Project).");
            }

            rows.Add(new PropertyRow(number, NotYet: false, refs));
        }

        return rows;
    }

    /// <summary>Every property tag in one source file; tags in the wrong form or above no test method land in <paramref name="problems"/>.</summary>
    public static IReadOnlyList<PropertyTag> ScanTags(string project, string file, string source, List<string> problems)
    {
        var (code, comments) = Lex(source.ReplaceLineEndings("\n"));
        var lineStarts = new List<int> { 0 };
        for (var i = 0; i < code.Length; i++)
        {
            if (code[i] == '\n')
            {
                lineStarts.Add(i + 1);
            }
        }

        var tags = new List<PropertyTag>();
        foreach (var (position, text) in comments)
        {
            if (!text.Contains(Feature, StringComparison.Ordinal))
            {
                continue;
            }

            var line = LineOf(lineStarts, position) + 1;
            var where = $"{file}:{line}";
            var match = TagPattern().Match(text);
            if (!match.Success)
            {
                problems.Add($"{where}: not in the tag form '// {Feature}, Property N: what the test checks': {text}");
                continue;
            }

            var method = MethodBelow(code, position + text.Length);
            if (method is null)
            {
                problems.Add($"{where}: the Property {match.Groups["n"].Value} tag is not directly above a [Fact], [Theory] or [Property] method.");
                continue;
            }

            var type = EnclosingType(code, method.Value.At);
            tags.Add(new PropertyTag(
                int.Parse(match.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture),
                new TestRef(project, type ?? "?", method.Value.Name),
                where));
        }

        return tags;
    }

    /// <summary>Every disagreement between the table and the tags, one line each.</summary>
    public static IReadOnlyList<string> Compare(IReadOnlyList<PropertyRow> rows, IReadOnlyList<PropertyTag> tags)
    {
        var problems = new List<string>();
        for (var n = 1; n <= PropertyCount; n++)
        {
            var count = rows.Count(r => r.Number == n);
            if (count != 1)
            {
                problems.Add(count == 0 ? $"Property {n} has no row in requirements.md." : $"Property {n} has {count} rows in requirements.md.");
            }
        }

        problems.AddRange(rows.Where(r => r.Number is < 1 or > PropertyCount).Select(r => $"requirements.md has a row for Property {r.Number}, which the spec does not number."));
        problems.AddRange(tags.Where(t => t.Number is < 1 or > PropertyCount).Select(t => $"{t.Where}: Property {t.Number} is not one of the spec's {PropertyCount}."));

        foreach (var row in rows.Where(r => r.Number is >= 1 and <= PropertyCount).DistinctBy(r => r.Number))
        {
            var tagged = tags.Where(t => t.Number == row.Number).Select(t => t.Test).ToHashSet();
            if (row.NotYet)
            {
                problems.AddRange(tagged.Select(t => $"Property {row.Number} is 'not yet' in requirements.md, but {t} is tagged with it."));
                continue;
            }

            if (row.Tests.Count == 0)
            {
                problems.Add($"Property {row.Number} lists no test and does not say 'not yet'.");
            }

            problems.AddRange(row.Tests.GroupBy(t => t).Where(g => g.Count() > 1).Select(g => $"Property {row.Number} lists {g.Key} twice."));
            var listed = row.Tests.ToHashSet();
            problems.AddRange(listed.Except(tagged).Select(t => $"Property {row.Number} lists {t}, which carries no Property {row.Number} tag."));
            problems.AddRange(tagged.Except(listed).Select(t => $"{t} is tagged with Property {row.Number}, which requirements.md does not list for it."));
        }

        return problems;
    }

    /// <summary>The tests/ project folder a source file belongs to, as the table names it ("Core.Tests").</summary>
    public static string ProjectOf(string testsRoot, string file)
    {
        var relative = Path.GetRelativePath(testsRoot, file);
        var folder = relative.Split(Path.DirectorySeparatorChar, Path.AltDirectorySeparatorChar)[0];
        return folder.StartsWith("MedVision.", StringComparison.Ordinal) ? folder["MedVision.".Length..] : folder;
    }

    private static int LineOf(List<int> lineStarts, int position)
    {
        var index = lineStarts.BinarySearch(position);
        return index >= 0 ? index : ~index - 1;
    }

    /// <summary>
    /// The method declared after <paramref name="from"/>, past blank lines, other comments and attributes, when one of
    /// those attributes marks a test. <paramref name="code"/> has comments and literals blanked out.
    /// </summary>
    private static (string Name, int At)? MethodBelow(string code, int from)
    {
        var i = from;
        var isTest = false;
        while (true)
        {
            while (i < code.Length && char.IsWhiteSpace(code[i]))
            {
                i++;
            }

            if (i >= code.Length || code[i] != '[')
            {
                break;
            }

            var end = Matching(code, i, '[', ']');
            if (end < 0)
            {
                return null;
            }

            isTest |= TestAttribute().IsMatch(code[i..(end + 1)]);
            i = end + 1;
        }

        // The declaration runs to the first '(' outside generic angle brackets: "Task<(int, string)> Name(" too.
        var angle = 0;
        for (var j = i; j < code.Length; j++)
        {
            var c = code[j];
            if (c is ';' or '{' or '}' or '=')
            {
                return null;
            }

            angle += c == '<' ? 1 : c == '>' ? -1 : 0;
            if (c == '(' && angle == 0)
            {
                var words = Regex.Matches(code[i..j], @"[A-Za-z_][A-Za-z0-9_]*");
                return isTest && words.Count >= 2 ? (words[^1].Value, j) : null;
            }
        }

        return null;
    }

    private static int Matching(string code, int open, char opening, char closing)
    {
        var depth = 0;
        for (var i = open; i < code.Length; i++)
        {
            depth += code[i] == opening ? 1 : code[i] == closing ? -1 : 0;
            if (depth == 0)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The innermost class, record, struct or interface whose body holds <paramref name="position"/>.</summary>
    private static string? EnclosingType(string code, int position)
    {
        var stack = new Stack<string?>();
        string? pending = null;
        var declarations = TypeDeclaration().Matches(code[..position]).ToDictionary(m => m.Index, m => m.Groups["name"].Value);
        for (var i = 0; i < position; i++)
        {
            if (declarations.TryGetValue(i, out var name))
            {
                pending = name;
            }

            switch (code[i])
            {
                case '{':
                    stack.Push(pending);
                    pending = null;
                    break;
                case '}' when stack.Count > 0:
                    stack.Pop();
                    break;
                case ';':
                    pending = null; // "record Point(int X, int Y);" has no body
                    break;
            }
        }

        return stack.FirstOrDefault(s => s is not null);
    }

    /// <summary>
    /// The source with the contents of comments, strings and character literals replaced by spaces (line breaks
    /// kept, so positions still match), and every // comment with its position.
    /// </summary>
    private static (string Code, List<(int Position, string Text)> Comments) Lex(string source)
    {
        var code = new StringBuilder(source);
        var comments = new List<(int, string)>();
        void Blank(int from, int to)
        {
            for (var k = from; k < to && k < code.Length; k++)
            {
                if (code[k] != '\n')
                {
                    code[k] = ' ';
                }
            }
        }

        var i = 0;
        while (i < source.Length)
        {
            var c = source[i];
            if (c == '/' && i + 1 < source.Length && source[i + 1] == '/')
            {
                var end = source.IndexOf('\n', i);
                end = end < 0 ? source.Length : end;
                comments.Add((i, source[i..end].TrimEnd()));
                Blank(i, end);
                i = end;
            }
            else if (c == '/' && i + 1 < source.Length && source[i + 1] == '*')
            {
                var end = source.IndexOf("*/", i + 2, StringComparison.Ordinal);
                end = end < 0 ? source.Length : end + 2;
                Blank(i, end);
                i = end;
            }
            else if (c == '"' && source.AsSpan(i).StartsWith("\"\"\""))
            {
                var quotes = 0;
                while (i + quotes < source.Length && source[i + quotes] == '"')
                {
                    quotes++;
                }

                var end = source.IndexOf(new string('"', quotes), i + quotes, StringComparison.Ordinal);
                end = end < 0 ? source.Length : end + quotes;
                Blank(i, end);
                i = end;
            }
            else if (c == '"')
            {
                var verbatim = (i > 0 && source[i - 1] == '@') || (i > 1 && source[i - 2] == '@');
                var j = i + 1;
                while (j < source.Length)
                {
                    if (verbatim && source[j] == '"' && j + 1 < source.Length && source[j + 1] == '"')
                    {
                        j += 2;
                    }
                    else if (!verbatim && source[j] == '\\')
                    {
                        j += 2;
                    }
                    else if (source[j] == '"' || (!verbatim && source[j] == '\n'))
                    {
                        break;
                    }
                    else
                    {
                        j++;
                    }
                }

                Blank(i, j + 1);
                i = j + 1;
            }
            else if (c == '\'')
            {
                var literal = Regex.Match(source[i..Math.Min(source.Length, i + 12)], @"^'(?:\\[^']*|[^'\\\n])'");
                if (literal.Success)
                {
                    Blank(i, i + literal.Length);
                    i += literal.Length;
                }
                else
                {
                    i++;
                }
            }
            else
            {
                i++;
            }
        }

        return (code.ToString(), comments);
    }
}
