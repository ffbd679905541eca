using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace MedVision.CommandLine;

/// <summary>Reads a raw value; false when it is not one.</summary>
public delegate bool TryRead<T>(string raw, out T value);

/// <summary>
/// Typed option and argument values with the message a person can act on ("--port must be a port number from 0 to
/// 65535, not 'x'") instead of a type name. Plain delegates: no reflection, so trimming and Native AOT stay safe.
/// </summary>
public static class ValueParsers
{
    /// <summary>A parser that reads the single token with <paramref name="read"/> and reports <paramref name="message"/>(raw) otherwise.</summary>
    public static Func<ArgumentResult, T> Read<T>(TryRead<T> read, Func<string, string> message)
    {
        ArgumentNullException.ThrowIfNull(read);
        ArgumentNullException.ThrowIfNull(message);
        return result =>
        {
            var raw = result.Tokens.Count > 0 ? result.Tokens[^1].Value : "";
            if (read(raw, out var value))
            {
                return value;
            }

            result.AddError(message(raw));
            return default!;
        };
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/> (digits only: no sign, no spaces).</summary>
    public static Func<ArgumentResult, int> WholeNumber(string name, int min, int max, string? message = null) =>
        Read<int>(
            (string raw, out int value) =>
                int.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out value) && value >= min && value <= max,
            raw => message is null ? $"{name} must be a whole number from {min} to {max}, not '{raw}'" : string.Format(CultureInfo.InvariantCulture, message, raw));

    /// <summary>
    /// Restricts <paramref name="option"/> to a fixed set of words: they are what shell completion offers and what help
    /// and the synopsis show (a|b), and anything else is reported with <paramref name="message"/>(raw).
    /// </summary>
    public static Option<T> Choices<T>(this Option<T> option, IReadOnlyList<(string Word, T Value)> choices, Func<string, string> message)
    {
        ArgumentNullException.ThrowIfNull(option);
        ArgumentNullException.ThrowIfNull(choices);
        option.CustomParser = Read((string raw, out T value) =>
        {
            foreach (var (word, v) in choices)
            {
                if (word == raw)
                {
                    value = v;
                    return true;
                }
            }

            value = default!;
            return false;
        }, message);

        // An enum type would otherwise complete with its C# member names (and help would list them sorted).
        option.HelpName ??= string.Join('|', choices.Select(c => c.Word));
        option.CompletionSources.Clear();
        option.CompletionSources.Add(_ => choices.Select(c => new System.CommandLine.Completions.CompletionItem(c.Word)));
        return option;
    }

    /// <summary>Offers <paramref name="words"/> as completions of <paramref name="argument"/> (the command still checks the value).</summary>
    public static Argument<T> Suggest<T>(this Argument<T> argument, params string[] words)
    {
        ArgumentNullException.ThrowIfNull(argument);
        argument.HelpName ??= string.Join('|', words);
        argument.CompletionSources.Clear();
        argument.CompletionSources.Add(words);
        return argument;
    }
}
