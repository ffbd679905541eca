using MedVision.Cli;
using MedVision.CommandLine;
using MedVision.Testing;

namespace MedVision.EndToEnd.Tests;

/// <summary>
/// The `medvision` command line as a person meets it: help on every command, one-line usage errors, shell completion,
/// --version, and the README's command reference kept equal to the parser's own help.
/// </summary>
public sealed class CommandLineTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("medvision-cli-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static async Task<(int Code, string Out, string Err)> RunCliAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var code = await CliApp.RunAsync(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    private static List<string> AllPaths() =>
        CommandLineApp.CommandPaths(CliApp.CreateRootCommand()).Select(p => string.Join(' ', p)).ToList();

    private static List<string> RunnablePaths()
    {
        var root = CliApp.CreateRootCommand();
        return CommandLineApp.CommandPaths(root)
            .Where(p => p.Length > 0)
            .Where(p => p.Aggregate((System.CommandLine.Command)root, (c, name) => c.Subcommands.Single(s => s.Name == name)).Action is not null)
            .Select(p => string.Join(' ', p))
            .ToList();
    }

    /// <summary>Every command of the parser's tree, so a command added later is covered without touching this file.</summary>
    public static TheoryData<string> CommandPaths() => new(AllPaths());

    /// <summary>The runnable (leaf) commands only.</summary>
    public static TheoryData<string> RunnableCommands() => new(RunnablePaths());

    private static string[] Words(string path) => path.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    [Fact]
    public void CommandPaths_WhenTheTreeIsWalked_ShouldReachEveryCommandAndSubcommand()
    {
        var paths = AllPaths();

        Assert.Contains("", paths);
        Assert.Contains("dicom dump", paths);
        Assert.Contains("image info", paths);
        Assert.Contains("review report", paths);
        Assert.DoesNotContain("help", paths); // the hidden `help` command is a shortcut, not a command to document
        var runnable = RunnablePaths();
        Assert.Contains("analyze", runnable);
        Assert.Contains("dicom deidentify", runnable);
        Assert.DoesNotContain("dicom", runnable);
    }

    [Theory]
    [MemberData(nameof(CommandPaths))]
    public async Task Help_WhenAskedOfAnyCommand_ShouldExitZeroAndPrintThatCommandsUsage(string path)
    {
        foreach (var flag in new[] { "--help", "-h" })
        {
            var (code, output, error) = await RunCliAsync([.. Words(path), flag]);

            Assert.True(code == 0, $"medvision {path} {flag} exited {code}: {error}");
            Assert.Equal("", error);
            Assert.Contains("Usage:", output, StringComparison.Ordinal);
            Assert.Contains($"  medvision {path}".TrimEnd(), output, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("dicom", "dump")]
    [InlineData("image", "info")]
    public async Task Help_WhenItFollowsARequiredArgumentsPlace_ShouldNotBeTakenForAFileName(string group, string command)
    {
        var (code, output, error) = await RunCliAsync(group, command, "--help");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Contains("<file>", output, StringComparison.Ordinal);
        Assert.DoesNotContain("no such file", output + error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HelpCommand_WhenGivenACommandPath_ShouldPrintTheSameHelpAsTheFlag()
    {
        var viaCommand = await RunCliAsync("help", "dicom", "render");
        var viaFlag = await RunCliAsync("dicom", "render", "--help");

        Assert.Equal(0, viaCommand.Code);
        Assert.Equal(viaFlag.Out, viaCommand.Out);
    }

    [Fact]
    public async Task Medvision_WhenRunWithoutArguments_ShouldPrintTheHelpAndExitTwo()
    {
        var (code, output, _) = await RunCliAsync();

        Assert.Equal(2, code);
        Assert.Contains(Synopsis.Heading, output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "frobnicate" }, "unknown command 'frobnicate'")]
    [InlineData(new[] { "--bogus" }, "unknown option '--bogus'")]
    [InlineData(new[] { "analyze" }, "analyze needs at least one file or folder")]
    [InlineData(new[] { "analyze", "x.png", "--bogus" }, "unknown option '--bogus'")]
    [InlineData(new[] { "analyze", "x.png", "--parallel", "0" }, "--parallel must be a whole number from 1 to 256, not '0'")]
    [InlineData(new[] { "analyze", "x.png", "--out" }, "--out needs a value")]
    [InlineData(new[] { "analyze", "x.png", "--model-endpoint", "ftp://x" }, "--model-endpoint must be an http(s) URL")]
    [InlineData(new[] { "review" }, "review needs a subcommand: modality or report")]
    [InlineData(new[] { "review", "modality", "only-an-id" }, "exactly <image-id>")]
    [InlineData(new[] { "review", "report", "r1" }, "review report needs --status final|amended")]
    [InlineData(new[] { "review", "report", "r1", "--status", "approved" }, "--status must be final or amended, not 'approved'")]
    [InlineData(new[] { "verify-report" }, "verify-report needs a report folder or its report.sig.json")]
    [InlineData(new[] { "serve", "--port", "70000" }, "--port must be a whole number from 0 to 65535")]
    [InlineData(new[] { "make-samples", "a", "b" }, "unexpected argument 'b'")]
    [InlineData(new[] { "image" }, "image needs a subcommand: info or convert")]
    [InlineData(new[] { "image", "info" }, "image info needs <file>")]
    [InlineData(new[] { "image", "info", "a.png", "b.png" }, "unexpected argument 'b.png'")]
    [InlineData(new[] { "image", "convert", "a.png", "b.jpg", "--quality", "101" }, "--quality must be a whole number from 1 to 100")]
    [InlineData(new[] { "dicom" }, "dicom needs a subcommand: dump, info, render or deidentify")]
    [InlineData(new[] { "dicom", "dump", "x.dcm", "--inline-limit", "-1" }, "--inline-limit needs a byte count")]
    [InlineData(new[] { "dicom", "render", "x.dcm" }, "dicom render needs --out X.png")]
    [InlineData(new[] { "dicom", "render", "x.dcm", "--out", "x.png", "--window", "40" }, "--window needs CENTER,WIDTH")]
    [InlineData(new[] { "dicom", "render", "x.dcm", "--out", "x.png", "--frame", "-1" }, "--frame must be a frame number from 0")]
    [InlineData(new[] { "dicom", "deidentify", "a", "b", "--retain-dates", "some" }, "--retain-dates takes 'full' or 'modified', not 'some'")]
    public async Task Cli_WhenUsageIsWrong_ShouldExitTwoWithOneLineNamingTheProblemAndTheHelp(string[] args, string expected)
    {
        var (code, output, error) = await RunCliAsync(args);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        var line = Assert.Single(Lines(error));
        Assert.StartsWith("error: ", line, StringComparison.Ordinal);
        Assert.Contains(expected, line, StringComparison.Ordinal);
        Assert.EndsWith("--help' for usage", line, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RunnableCommands))]
    public async Task Cli_WhenAnyCommandGetsAnUnknownOption_ShouldExitTwoWithOneLine(string path)
    {
        var (code, output, error) = await RunCliAsync([.. Words(path), "--no-such-option"]);

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("unknown option '--no-such-option'", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Deidentify_WhenTheKeyFileIsMissing_ShouldExitTwoWithOneLine()
    {
        var (code, _, error) = await RunCliAsync("dicom", "deidentify", dir, Path.Combine(dir, "out"), "--key-file", Path.Combine(dir, "no-key"));

        Assert.Equal(2, code);
        Assert.Contains("does not exist", Assert.Single(Lines(error)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Render_WhenTheWindowCenterIsNegative_ShouldTakeItAsTheWindowsValue()
    {
        var ct = Path.Combine(dir, "ct.dcm");
        File.WriteAllBytes(ct, TestDicom.Image("CT", 16, 16));
        var png = Path.Combine(dir, "lung.png");

        var (code, output, error) = await RunCliAsync("dicom", "render", ct, "--window", "-600,1500", "--out", png);

        Assert.True(code == 0, error);
        Assert.Contains("16 x 16", output, StringComparison.Ordinal);
        Assert.True(File.Exists(png));
    }

    [Fact]
    public async Task Version_WhenAsked_ShouldPrintTheAssemblyVersionAndExitZero()
    {
        var (code, output, error) = await RunCliAsync("--version");

        Assert.Equal(0, code);
        Assert.Equal("", error);
        Assert.Equal(typeof(CliApp).Assembly.GetName().Version!.ToString(), output.Trim());
    }

    /// <summary>What a shell asks (dotnet-suggest sends `[suggest:CURSOR] "LINE"`), and the completions printed one a line.</summary>
    private static async Task<string[]> CompleteAsync(string line)
    {
        var (code, output, error) = await RunCliAsync($"[suggest:{line.Length}]", line);
        Assert.True(code == 0, error);
        return Lines(output.ReplaceLineEndings("\n")).Select(l => l.Trim()).ToArray();
    }

    [Theory]
    [InlineData("di")]
    [InlineData("medvision di")]
    public async Task Complete_WhenACommandIsBegun_ShouldOfferIt(string line)
    {
        var completions = await CompleteAsync(line);

        Assert.Contains("dicom", completions);
        Assert.DoesNotContain("analyze", completions);
    }

    [Fact]
    public async Task Complete_WhenASubcommandIsDue_ShouldOfferTheGroupsSubcommands()
    {
        var completions = await CompleteAsync("dicom ");

        Assert.Superset(new HashSet<string> { "dump", "info", "render", "deidentify" }, completions.ToHashSet());
    }

    [Theory]
    [InlineData("review modality img-1 ", new[] { "xray", "mri", "ct", "ultrasound" })]
    [InlineData("review report rep-1 --status ", new[] { "final", "amended" })]
    [InlineData("dicom deidentify in out --retain-dates ", new[] { "full", "modified" })]
    public async Task Complete_WhenAValueFromAFixedSetIsDue_ShouldOfferExactlyThatSet(string line, string[] expected)
    {
        var completions = await CompleteAsync(line);

        Assert.Equal(expected.Order(StringComparer.Ordinal), completions.Where(c => !c.StartsWith('-') && !c.StartsWith('/')).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Complete_WhenAnOptionIsBegun_ShouldOfferThatCommandsOptions()
    {
        var completions = await CompleteAsync("dicom render x.dcm --");

        Assert.Superset(new HashSet<string> { "--out", "--frame", "--window", "--help" }, completions.ToHashSet());
        Assert.DoesNotContain("--meta", completions);
    }

    /// <summary>The README's "## The `medvision` command" block, line by line.</summary>
    private static List<string> ReadmeCommandReference()
    {
        var lines = File.ReadAllLines(Path.Combine(RepoPaths.Root, "README.md"));
        var heading = Array.IndexOf(lines, "## The `medvision` command");
        Assert.True(heading >= 0, "README.md has no '## The `medvision` command' section");
        var open = Array.FindIndex(lines, heading, l => l.StartsWith("```", StringComparison.Ordinal));
        var close = Array.FindIndex(lines, open + 1, l => l.StartsWith("```", StringComparison.Ordinal));
        return lines[(open + 1)..close].ToList();
    }

    [Fact]
    public async Task Readme_WhenItsCommandReferenceIsRead_ShouldEqualTheSynopsisTheRootHelpPrints()
    {
        var (code, help, _) = await RunCliAsync("--help");
        Assert.Equal(0, code);
        var synopsis = Synopsis.FromHelp(help);
        Assert.True(synopsis.Count >= 12, help);

        var readme = ReadmeCommandReference();

        // On a mismatch, the expected block is in the message: paste it into README.md (or change the parser back).
        Assert.True(
            synopsis.SequenceEqual(readme),
            "README.md's command reference differs from `medvision --help`'s synopsis. The help says:\n" + string.Join('\n', synopsis));
    }

    [Fact]
    public void Synopsis_WhenAnOptionIsAdded_ShouldShowIt()
    {
        var root = CliApp.CreateRootCommand();
        var before = Synopsis.Lines(root);
        root.Subcommands.Single(c => c.Name == "serve").Options.Add(new System.CommandLine.Option<string>("--new-flag") { HelpName = "X" });

        var after = Synopsis.Lines(root);

        Assert.NotEqual(before, after);
        Assert.Contains(after, l => l.Contains("[--new-flag X]", StringComparison.Ordinal));
    }
}
