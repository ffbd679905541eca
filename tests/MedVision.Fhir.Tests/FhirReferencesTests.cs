namespace MedVision.Fhir.Tests;

public sealed class FhirReferencesTests
{
    [Fact]
    public void In_WhenReferencesSitInListsChoicesBackbonesAndContainedResources_ShouldFindEveryOne()
    {
        var report = new DiagnosticReport
        {
            Id = "d1",
            Subject = Reference.To("Patient", "p1"),
            Result = [Reference.To("Observation", "o1"), Reference.To("Observation", "o2")],
            Extension = [new Extension { Url = "urn:x", ValueReference = Reference.To("Device", "dev") }],
            Contained =
            [
                new Observation
                {
                    Id = "c1",
                    Subject = new Reference("Patient/p1") { Identifier = new Identifier { Assigner = Reference.To("Organization", "org") } },
                },
            ],
        };

        var found = FhirReferences.In(report).Select(r => r.ReferenceValue).Order(StringComparer.Ordinal);

        Assert.Equal(["Device/dev", "Observation/o1", "Observation/o2", "Organization/org", "Patient/p1", "Patient/p1"], found);
    }

    [Fact]
    public void Rewrite_WhenMapAnswersForSomeReferences_ShouldReplaceThoseOnlyInPlace()
    {
        var bundle = new Bundle
        {
            Type = "transaction",
            Entry =
            [
                new BundleEntry { Resource = new Observation { Id = "o1", Subject = Reference.To("Patient", "p1"), Device = Reference.To("Device", "d") } },
            ],
        };

        FhirReferences.Rewrite(bundle, r => r == "Patient/p1" ? "urn:uuid:1" : null);

        var observation = (Observation)bundle.Entry[0].Resource!;
        Assert.Equal("urn:uuid:1", observation.Subject!.ReferenceValue);
        Assert.Equal("Device/d", observation.Device!.ReferenceValue);
    }
}
