using System.Collections;
using System.Text.Json.Serialization.Metadata;

namespace MedVision.Fhir;

/// <summary>
/// Every <see cref="Reference"/> inside a resource, contained and bundled resources included, found through the
/// source-generated JSON contracts' property getters: no reflection, and a new element in the model is walked
/// without a change here. References inside elements the model does not declare (kept as JSON in
/// <c>AdditionalElements</c>) are not typed, so they are not found.
/// </summary>
public static class FhirReferences
{
    public static IReadOnlyList<Reference> In(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var found = new List<Reference>();
        Walk(resource, found);
        return found;
    }

    /// <summary>Sets every reference that <paramref name="replace"/> maps (non-null answer) to the new value, in place.</summary>
    public static void Rewrite(Resource resource, Func<string, string?> replace)
    {
        ArgumentNullException.ThrowIfNull(replace);
        foreach (var reference in In(resource))
        {
            if (reference.ReferenceValue is { } value && replace(value) is { } replaced)
            {
                reference.ReferenceValue = replaced;
            }
        }
    }

    private static void Walk(object value, List<Reference> found)
    {
        if (value is string)
        {
            return;
        }

        if (value is Reference reference)
        {
            // Still walked: its identifier may name an assigner, itself a Reference.
            found.Add(reference);
        }

        var info = FhirJson.Options.GetTypeInfo(value.GetType());
        switch (info.Kind)
        {
            case JsonTypeInfoKind.Object:
                foreach (var property in info.Properties)
                {
                    if (!property.IsExtensionData && property.Get?.Invoke(value) is { } child)
                    {
                        Walk(child, found);
                    }
                }

                break;
            case JsonTypeInfoKind.Enumerable when value is IEnumerable items:
                foreach (var item in items)
                {
                    if (item is not null)
                    {
                        Walk(item, found);
                    }
                }

                break;
        }
    }
}
