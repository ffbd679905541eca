using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;

namespace MedVision.CommandLine;

/// <summary>
/// Runs a System.CommandLine tree the way every MedVision executable does: `--help` on any command exits 0, a usage
/// error prints one line on stderr (what is wrong, then where the help is) and exits 2, and a command's own exit code
/// passes through unchanged.
/// </summary>
public static class CommandLineApp
{
    /// <summary>The exit code for a command line that cannot be run as written.</summary>
    public const int UsageExitCode = 2;

    /// <summary>
    /// No response files: an argument starting with '@' is a file name here (System.CommandLine would read it as a list
    /// of more arguments).
    /// </summary>
    public static ParserConfiguration Configuration() => new() { ResponseFileTokenReplacer = null };

    public static ParseResult Parse(RootCommand root, IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(args);
        return root.Parse(args, Configuration());
    }

    /// <summary>Parses and runs <paramref name="args"/>; usage errors exit 2 with one line on <paramref name="error"/>.</summary>
    public static Task<int> RunAsync(
        RootCommand root, IReadOnlyList<string> args, TextWriter output, TextWriter error, CancellationToken cancellationToken = default) =>
        RunAsync(Parse(root, args), output, error, cancellationToken);

    public static async Task<int> RunAsync(ParseResult result, TextWriter output, TextWriter error, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (UsageError(result) is { } message)
        {
            await error.WriteLineAsync(UsageLine(message, result.CommandResult));
            return UsageExitCode;
        }

        return await result.InvokeAsync(
            new InvocationConfiguration
            {
                Output = output,
                Error = error,
                // The commands handle their own failures and signals (serve stops on Ctrl+C by itself): the parser's
                // handlers would print stack traces and end the process behind their back.
                EnableDefaultExceptionHandler = false,
                ProcessTerminationTimeout = null,
            },
            cancellationToken);
    }

    /// <summary>The one line for a usage error: the problem, then which help to read.</summary>
    public static string UsageLine(string message, CommandResult command)
    {
        ArgumentNullException.ThrowIfNull(command);
        return $"error: {message}; run '{PathOf(command)} --help' for usage";
    }

    /// <summary>
    /// What is wrong with the command line, in one line, or null when it can run (help, version and completion requests
    /// included). The first problem wins: unknown tokens, then a missing subcommand, then the first parse error.
    /// </summary>
    public static string? UsageError(ParseResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        if (result.Action is not ParseErrorAction)
        {
            return null;
        }

        var command = result.CommandResult.Command;
        var path = NameInMessages(result.CommandResult);
        var needsSubcommand = command.Subcommands.Count > 0 && command.Action is null;
        if (result.UnmatchedTokens.Count > 0)
        {
            var token = result.UnmatchedTokens[0];
            return token switch
            {
                ['-', _, ..] => $"unknown option '{token}'",
                _ when needsSubcommand && command is RootCommand => $"unknown command '{token}'",
                _ when needsSubcommand => $"{path} needs a subcommand: {Subcommands(command)}, not '{token}'",
                _ => $"unexpected argument '{token}'",
            };
        }

        if (needsSubcommand)
        {
            return $"{path} needs a subcommand: {Subcommands(command)}";
        }

        if (result.Errors.Count == 0)
        {
            return $"{path} cannot run as written";
        }

        var first = result.Errors[0];
        return first.SymbolResult switch
        {
            // Required, but not on the command line.
            OptionResult { IdentifierToken: null } missing => $"{path} needs {Synopsis.OptionLabel(missing.Option, bracketOptional: false)}",
            OptionResult { Tokens.Count: 0 } empty when empty.Option.Arity.MinimumNumberOfValues > 0 =>
                $"{empty.IdentifierToken!.Value} needs a value",
            ArgumentResult argument when argument.Tokens.Count < argument.Argument.Arity.MinimumNumberOfValues =>
                $"{path} needs {string.Join(' ', command.Arguments.Select(Synopsis.ArgumentLabel))}",
            _ => first.Message,
        };
    }

    /// <summary>
    /// Replaces the arity message of <paramref name="command"/>'s required arguments with <paramref name="message"/>
    /// (e.g. "analyze needs at least one file or folder"). Command validators run before the arity checks and, when they
    /// report, the arity errors are not added.
    /// </summary>
    public static void WhenArgumentsMissing(Command command, string message)
    {
        ArgumentNullException.ThrowIfNull(command);
        command.Validators.Add(result =>
        {
            if (command.Arguments.Any(a => (result.GetResult(a)?.Tokens.Count ?? 0) < a.Arity.MinimumNumberOfValues))
            {
                result.AddError(message);
            }
        });
    }

    /// <summary>
    /// Makes every command in the tree refuse an argument that looks like an option ("--bogus"): System.CommandLine
    /// would take an unknown "-x" as a file name. A lone "-" is still a value. Runs as the command's first validator,
    /// so the unknown option is what the user hears about, not the argument it displaced.
    /// </summary>
    public static void RejectOptionLikeArguments(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        foreach (var command in Commands(root).Where(c => c.Arguments.Count > 0))
        {
            command.Validators.Insert(0, result =>
            {
                var token = command.Arguments
                    .SelectMany(a => result.GetResult(a)?.Tokens ?? [])
                    .FirstOrDefault(t => t.Value is ['-', _, ..]);
                if (token is not null)
                {
                    result.AddError($"unknown option '{token.Value}'");
                }
            });
        }
    }

    /// <summary>The command as messages name it: "review modality" (the root only for itself).</summary>
    private static string NameInMessages(CommandResult command)
    {
        var path = PathOf(command);
        return command.Parent is null ? path : path[(path.IndexOf(' ', StringComparison.Ordinal) + 1)..];
    }

    /// <summary>The command as typed from the root, e.g. "medvision dicom dump".</summary>
    public static string PathOf(CommandResult command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var names = new List<string>();
        for (SymbolResult? r = command; r is not null; r = r.Parent)
        {
            if (r is CommandResult c)
            {
                names.Add(NameOf(c.Command));
            }
        }

        names.Reverse();
        return string.Join(' ', names);
    }

    /// <summary>The name help shows for a command (a root's HelpName, not the running executable's file name).</summary>
    public static string NameOf(Command command) =>
        command is RootCommand { HelpName: { Length: > 0 } helpName } ? helpName : command.Name;

    /// <summary>Makes `--version` print <paramref name="version"/> (the default prints the entry assembly's).</summary>
    public static void SetVersion(RootCommand root, string version)
    {
        ArgumentNullException.ThrowIfNull(root);
        root.Options.OfType<VersionOption>().Single().Action = new TextAction(version);
    }

    /// <summary>Every command in the tree, root first, hidden ones left out.</summary>
    public static IEnumerable<Command> Commands(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        yield return root;
        foreach (var sub in root.Subcommands.Where(s => !s.Hidden))
        {
            foreach (var command in Commands(sub))
            {
                yield return command;
            }
        }
    }

    /// <summary>The path of every command from the root, e.g. ["dicom", "dump"] (the root is the empty path).</summary>
    public static IEnumerable<string[]> CommandPaths(Command root)
    {
        ArgumentNullException.ThrowIfNull(root);
        return Walk(root, []);

        static IEnumerable<string[]> Walk(Command command, string[] path)
        {
            yield return path;
            foreach (var sub in command.Subcommands.Where(s => !s.Hidden))
            {
                foreach (var inner in Walk(sub, [.. path, sub.Name]))
                {
                    yield return inner;
                }
            }
        }
    }

    private static string Subcommands(Command command)
    {
        var names = command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name).ToList();
        return names.Count == 1 ? names[0] : $"{string.Join(", ", names[..^1])} or {names[^1]}";
    }

    private sealed class TextAction(string text) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            parseResult.InvocationConfiguration.Output.WriteLine(text);
            return 0;
        }
    }
}
