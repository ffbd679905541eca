using MedVision.Testing;

namespace MedVision.Core.Tests.Requirements;

/// <summary>docs/requirements.md and the tests' property tags stay in step.</summary>
public sealed class RequirementsDocTests
{
    private static string TestsRoot => Path.Combine(RepoPaths.Root, "tests");

    private static IEnumerable<string> TestSources() =>
        Directory.EnumerateFiles(TestsRoot, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "node_modules"))
            .Order(StringComparer.Ordinal);

    [Fact]
    public void Table_WhenComparedWithTheTestSources_ShouldListExactlyTheTaggedTestsOfEveryProperty()
    {
        var problems = new List<string>();
        var rows = RequirementsDoc.ParseTable(File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "requirements.md")), problems);
        var tags = TestSources()
            .SelectMany(f => RequirementsDoc.ScanTags(RequirementsDoc.ProjectOf(TestsRoot, f), Path.GetRelativePath(RepoPaths.Root, f), File.ReadAllText(f), problems))
            .ToList();
        problems.AddRange(RequirementsDoc.Compare(rows, tags));

        Assert.True(problems.Count == 0, "docs/requirements.md and the property tags disagree:\n" + string.Join("\n", problems));
        Assert.Equal(RequirementsDoc.PropertyCount, rows.Count);
        Assert.NotEmpty(tags);
    }

    [Fact]
    public void Compare_WhenTableAndTagsDisagree_ShouldNameEachDisagreement()
    {
        var header = "| # | Property | Checked by | Coverage |\n|---|---|---|---|\n";
        var body = string.Join("\n", Enumerable.Range(4, RequirementsDoc.PropertyCount - 3).Select(n => n switch
        {
            5 => "| 5 | five | `A.Listed` (X.Tests) <br> `A.Tagged` (X.Tests) | full |",
            6 => "| 6 | six | not yet | issue 14 |",
            7 => "| 7 | seven | `A.Tagged` (X.Tests) | full |",
            8 => "| 8 | eight | see the code | full |",
            _ => $"| {n} | p | not yet | why |",
        }));
        var markdown = header + "| 1 | one | not yet | why |\n| 1 | one again | not yet | why |\n| 2 | two | | why |\n" + body + "\n| 54 | extra | not yet | why |\n";
        const string Source = """
            public class A
            {
                // Feature: medvision-ai-platform, Property 5: tagged and listed.
                [Fact]
                public void Tagged() { }

                // Feature: medvision-ai-platform, Property 6: tagged but the row says not yet.
                // Feature: medvision-ai-platform, Property 7: tagged and listed.
                [Fact]
                public void Other() { }

                // Feature: medvision-ai-platform, Properties 9/10: not the tag form.
                [Fact]
                public void Third() { }

                // Feature: medvision-ai-platform, Property 11: above a helper, not a test.
                private static int Helper() => 1;

                // Feature: medvision-ai-platform, Property 60: a number the spec does not have.
                [Fact]
                public void Fourth() { }
            }
            """;

        var problems = new List<string>();
        var rows = RequirementsDoc.ParseTable(markdown, problems);
        var tags = RequirementsDoc.ScanTags("X.Tests", "A.cs", Source, problems);
        problems.AddRange(RequirementsDoc.Compare(rows, tags));

        string[] expected =
        [
            "Property 1 has 2 rows",
            "Property 2 lists no test",
            "Property 3 has no row",
            "Property 54, which the spec does not number",
            "Property 5 lists A.Listed (X.Tests), which carries no Property 5 tag",
            "Property 6 is 'not yet' in requirements.md, but A.Other (X.Tests) is tagged with it",
            "Property 7 lists A.Tagged (X.Tests), which carries no Property 7 tag",
            "A.Other (X.Tests) is tagged with Property 7, which requirements.md does not list",
            "Property 8: 'see the code' is neither",
            "Property 8 lists no test",
            "A.cs:12: not in the tag form",
            "A.cs:16: the Property 11 tag is not directly above",
            "A.cs:19: Property 60 is not one of the spec's 53",
        ];
        Assert.All(expected, text => Assert.Contains(problems, p => p.Contains(text, StringComparison.Ordinal)));
        Assert.True(expected.Length == problems.Count, string.Join("\n", problems));
    }

    [Fact]
    public void ScanTags_WhenMethodsFollowNestedTypesStringsAndAttributes_ShouldNameTheEnclosingClassAndTheMethod()
    {
        const string Source = """"
            namespace N;

            public sealed class Outer(int seed) : IDisposable
            {
                private sealed class Helper { public string Brace => "}}}"; }
                private sealed record Point(int X, int Y);
                private const string Json = """{"a": {"b": 1}""";
                private const char Open = '{';

                public void Dispose() { }

                // Feature: medvision-ai-platform, Property 3: after a nested class, a raw string and a brace literal.
                [Theory]
                [InlineData(
                    "x]",
                    1)]
                public async Task<(int Code, string Out)> Run_WhenX_ShouldY(string s, int n) => (n, s);

                private const string NotATag = """
                    // Feature: medvision-ai-platform, Property 4: inside a string, so no tag.
                    """;
            }
            """";

        var problems = new List<string>();
        var tags = RequirementsDoc.ScanTags("X.Tests", "Outer.cs", Source, problems);

        Assert.Empty(problems);
        var tag = Assert.Single(tags);
        Assert.Equal((3, new TestRef("X.Tests", "Outer", "Run_WhenX_ShouldY")), (tag.Number, tag.Test));
    }
}
