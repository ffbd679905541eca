namespace MedVision.Core.Ports;

/// <summary>
/// What every <see cref="IFhirStore"/> accepts as a resource address: the R4 id rule [A-Za-z0-9\-\.]{1,64} and a
/// resource type name. Checked before any SQL or URL is built from it, in every adapter alike.
/// </summary>
public static class FhirAddress
{
    public const int MaxIdLength = 64;

    public static bool IsValidResourceType(string? value) =>
        value is { Length: > 0 and <= MaxIdLength } && char.IsAsciiLetterUpper(value[0]) && value.All(char.IsAsciiLetter);

    public static bool IsValidId(string? value) =>
        value is { Length: > 0 and <= MaxIdLength } && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.');

    /// <summary>Throws <see cref="ValidationException"/> (fhir.invalid_request) unless both parts are valid.</summary>
    public static void Validate(string resourceType, string id)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        ArgumentNullException.ThrowIfNull(id);
        if (!IsValidResourceType(resourceType) || !IsValidId(id))
        {
            throw new ValidationException("fhir.invalid_request", $"'{resourceType}/{id}' is not a valid FHIR resource address.");
        }
    }
}
