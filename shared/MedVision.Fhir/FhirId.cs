using System.Diagnostics.CodeAnalysis;

namespace MedVision.Fhir;

/// <summary>
/// The R4 <c>id</c> datatype, <c>[A-Za-z0-9\-\.]{1,64}</c>: the one place the rule is written. Every store, server
/// and service checks ids with <see cref="IsValid"/>; ids made from other data go through <see cref="From"/>.
/// </summary>
public static class FhirId
{
    public const int MaxLength = 64;

    /// <summary>The rule as R4 writes it, for messages.</summary>
    public const string Rule = @"[A-Za-z0-9\-\.]{1,64}";

    public static bool IsValid([NotNullWhen(true)] string? value) =>
        value is { Length: > 0 and <= MaxLength } && value.All(IsIdCharacter);

    /// <summary>A valid id from any text: characters outside the id alphabet become '-', cut to 64; empty gives "x".</summary>
    public static string From(string raw)
    {
        ArgumentNullException.ThrowIfNull(raw);
        if (raw.Length == 0)
        {
            return "x";
        }

        return string.Create(Math.Min(raw.Length, MaxLength), raw, static (span, source) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = IsIdCharacter(source[i]) ? source[i] : '-';
            }
        });
    }

    private static bool IsIdCharacter(char c) => char.IsAsciiLetterOrDigit(c) || c is '-' or '.';
}
