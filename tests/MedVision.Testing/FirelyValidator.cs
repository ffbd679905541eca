using System.Reflection;
using System.Text.Json.Nodes;
using Firely.Fhir.Validation;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;
using Hl7.Fhir.Specification.Source;
using Hl7.Fhir.Specification.Terminology;

namespace MedVision.Testing;

/// <summary>
/// The second independent R4 oracle: Firely's validator (Firely.Fhir.Validation.R4) against the base R4 profiles
/// from Hl7.Fhir.Specification.Data.R4, offline. Loading the specification takes about 10 s, so one validator
/// serves the whole test process; validations take turns on it (each takes milliseconds once it is loaded).
/// Firely stays in the tests: it needs reflection that trimming and Native AOT remove (docs/adr/0003-fhir-model.md).
/// </summary>
public static class FirelyValidator
{
    private static readonly Lazy<Oracle> Shared = new(() => new Oracle(), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The specification.zip of Hl7.Fhir.Specification.Data.R4 in the NuGet package folder (recorded at build time).</summary>
    public static string SpecificationZip { get; } =
        typeof(FirelyValidator).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "FirelySpecificationZip")?.Value
        ?? throw new InvalidOperationException("MedVision.Testing was built without the FirelySpecificationZip metadata.");

    /// <summary>One verdict per resource, in order: errors are Firely's error and fatal issues, plus what the parser refused.</summary>
    public static IReadOnlyList<FhirValidation> Validate(IReadOnlyList<JsonObject> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var oracle = Shared.Value;
        return [.. resources.Select(oracle.Validate)];
    }

    private sealed class Oracle
    {
        private readonly Lock gate = new();
        private readonly Validator validator;

        // Recoverable: a value the POCO cannot hold (a wrong type, an unknown element) becomes an error in the
        // verdict rather than an exception, and the rest of the resource is still validated.
        private readonly FhirJsonDeserializer deserializer = new(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable));

        public Oracle()
        {
            if (!File.Exists(SpecificationZip))
            {
                throw new InvalidOperationException($"The R4 specification is missing at {SpecificationZip}: restore the test projects.");
            }

            var source = new CachedResolver(new ZipSource(SpecificationZip));
            validator = new Validator(source, new LocalTerminologyService(source));
        }

        public FhirValidation Validate(JsonObject json)
        {
            var errors = new List<string>();
            var warnings = new List<string>();
            Resource? resource;
            try
            {
                resource = deserializer.Deserialize<Resource>(json.ToJsonString());
            }
            catch (DeserializationFailedException e)
            {
                errors.AddRange(e.Exceptions.Select(x => "parse: " + x.Message));
                resource = e.PartialResult as Resource;
            }

            if (resource is not null)
            {
                OperationOutcome outcome;
                lock (gate)
                {
                    outcome = validator.Validate(resource);
                }

                foreach (var issue in outcome.Issue)
                {
                    var text = $"{string.Join(",", issue.Expression ?? issue.Location ?? [])}: {issue.Details?.Text ?? issue.Diagnostics}";
                    (issue.Severity is OperationOutcome.IssueSeverity.Error or OperationOutcome.IssueSeverity.Fatal ? errors : warnings).Add(text);
                }
            }

            return new FhirValidation(errors.Count == 0, errors, warnings);
        }
    }
}
