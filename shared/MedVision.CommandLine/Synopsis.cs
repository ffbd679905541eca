using System.CommandLine;
using System.CommandLine.Completions;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace MedVision.CommandLine;

/// <summary>
/// One line per runnable command, made from the parser's own tree: its arguments (&lt;name&gt;, [&lt;name&gt;], &lt;name&gt;...),
/// then its options ([--name VALUE] when optional, a fixed set of values as a|b). The root's `--help` ends with it, and
/// the README's command reference is checked against that help, so the two cannot drift.
/// </summary>
public static class Synopsis
{
    /// <summary>The heading the root's help prints above the synopsis.</summary>
    public const string Heading = "Synopsis:";

    private const string Continuation = "    ";

    public static IReadOnlyList<string> Lines(RootCommand root, int width = 110)
    {
        ArgumentNullException.ThrowIfNull(root);
        var lines = new List<string>();
        Walk(root, [CommandLineApp.NameOf(root)]);
        return lines;

        void Walk(Command command, List<string> path)
        {
            if (command.Action is not null)
            {
                Wrap([.. path, .. command.Arguments.Where(a => !a.Hidden).Select(ArgumentLabel), .. Options(command).Select(o => OptionLabel(o))]);
            }

            foreach (var sub in command.Subcommands.Where(s => !s.Hidden))
            {
                Walk(sub, [.. path, sub.Name]);
            }
        }

        void Wrap(IEnumerable<string> words)
        {
            var line = "";
            foreach (var word in words)
            {
                if (line.Length == 0)
                {
                    line = word;
                }
                else if (line.Length + 1 + word.Length > width)
                {
                    lines.Add(line);
                    line = Continuation + word;
                }
                else
                {
                    line += " " + word;
                }
            }

            lines.Add(line);
        }
    }

    /// <summary>Makes the root's `--help` end with the synopsis of every command (subcommands' help stays as it is).</summary>
    public static void AddToRootHelp(RootCommand root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new RootHelpAction(root, help.Action ?? new HelpAction());
    }

    /// <summary>
    /// The synopsis lines as the root's help printed them: the lines under <see cref="Heading"/>, unindented.
    /// </summary>
    public static IReadOnlyList<string> FromHelp(string help)
    {
        ArgumentNullException.ThrowIfNull(help);
        var lines = help.ReplaceLineEndings("\n").Split('\n');
        var start = Array.IndexOf(lines, Heading);
        return start < 0
            ? []
            : lines.Skip(start + 1).TakeWhile(l => l.StartsWith("  ", StringComparison.Ordinal)).Select(l => l[2..]).ToList();
    }

    public static string ArgumentLabel(Argument argument)
    {
        ArgumentNullException.ThrowIfNull(argument);
        var label = $"<{ValueName(argument.HelpName, argument, argument.Name)}>";
        return (argument.Arity.MinimumNumberOfValues, argument.Arity.MaximumNumberOfValues) switch
        {
            (0, 1) => $"[{label}]",
            (0, _) => $"[{label}...]",
            (_, > 1) => $"{label}...",
            _ => label,
        };
    }

    public static string OptionLabel(Option option, bool bracketOptional = true)
    {
        ArgumentNullException.ThrowIfNull(option);
        var text = option.Arity.MaximumNumberOfValues == 0 || option.ValueType == typeof(bool)
            ? option.Name
            : $"{option.Name} {ValueName(option.HelpName, option, option.Name.TrimStart('-').ToUpperInvariant())}";
        return option.Required || !bracketOptional ? text : $"[{text}]";
    }

    private static IEnumerable<Option> Options(Command command) =>
        command.Options.Where(o => !o.Hidden && o is not HelpOption and not VersionOption);

    /// <summary>The help name when set, else a fixed set of values as a|b (what the completions offer), else the fallback.</summary>
    private static string ValueName(string? helpName, Symbol symbol, string fallback)
    {
        if (!string.IsNullOrWhiteSpace(helpName))
        {
            return helpName;
        }

        var values = symbol.GetCompletions(CompletionContext.Empty).Select(c => c.Label).ToList();
        return values.Count > 0 ? string.Join('|', values) : fallback;
    }

    private sealed class RootHelpAction(RootCommand root, CommandLineAction help) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            var code = help is SynchronousCommandLineAction sync ? sync.Invoke(parseResult) : 0;
            if (parseResult.CommandResult.Command == root)
            {
                var output = parseResult.InvocationConfiguration.Output;
                output.WriteLine(Heading);
                foreach (var line in Lines(root))
                {
                    output.WriteLine("  " + line);
                }

                output.WriteLine();
            }

            return code;
        }
    }
}
