using MedVision.Fhir;

namespace MedVision.Core.Ports;

/// <summary>
/// What every <see cref="IFhirStore"/> accepts as a resource address: a resource type the typed model has a class
/// for, and an id by the R4 rule (<see cref="FhirId"/>). Checked before any SQL or URL is built from it, in every
/// adapter alike; each failure is a <see cref="ValidationException"/>.
/// </summary>
public static class FhirAddress
{
    /// <summary>Throws (fhir.invalid_request) unless the type is one the model knows and the id follows the rule.</summary>
    public static void Validate(string resourceType, string id)
    {
        ArgumentNullException.ThrowIfNull(id);
        ValidateType(resourceType);
        if (!FhirId.IsValid(id))
        {
            throw new ValidationException("fhir.invalid_request", $"'{resourceType}/{id}' is not a valid FHIR resource address (the id must match {FhirId.Rule}).");
        }
    }

    /// <summary>Throws (fhir.invalid_request) unless the model has a class for <paramref name="resourceType"/>.</summary>
    public static void ValidateType(string resourceType)
    {
        ArgumentNullException.ThrowIfNull(resourceType);
        if (!FhirJson.IsSupported(resourceType))
        {
            throw new ValidationException(
                "fhir.invalid_request", $"'{resourceType}' is not a resource type this store handles ({string.Join(", ", FhirJson.SupportedResourceTypes)}).");
        }
    }

    /// <summary>The address a resource is written to; throws (fhir.invalid_resource) when its id breaks the R4 rule.</summary>
    public static (string ResourceType, string Id) Of(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        return FhirId.IsValid(resource.Id)
            ? (resource.ResourceType, resource.Id)
            : throw new ValidationException("fhir.invalid_resource", $"{resource.ResourceType}.id must match {FhirId.Rule}.");
    }
}
