using MedVision.Fhir;

namespace MedVision.Core.Ports;

/// <summary>
/// What every <see cref="IFhirStore"/> accepts as a resource address: a resource type name and an id by the R4 rule
/// (<see cref="FhirId"/>). Checked before any SQL or URL is built from it, in every adapter alike.
/// </summary>
public static class FhirAddress
{
    /// <summary>FHIR resource type names: letters only, starting upper case (Patient, DiagnosticReport).</summary>
    public static bool IsValidResourceType(string? value) =>
        value is { Length: > 0 and <= FhirId.MaxLength } && char.IsAsciiLetterUpper(value[0]) && value.All(char.IsAsciiLetter);

    /// <summary>Throws <see cref="ValidationException"/> (fhir.invalid_request) unless both parts are valid.</summary>
    public static void Validate(string resourceType, string id)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        ArgumentNullException.ThrowIfNull(id);
        if (!IsValidResourceType(resourceType) || !FhirId.IsValid(id))
        {
            throw new ValidationException("fhir.invalid_request", $"'{resourceType}/{id}' is not a valid FHIR resource address.");
        }
    }
}
