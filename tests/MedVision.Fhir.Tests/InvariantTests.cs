namespace MedVision.Fhir.Tests;

public sealed class InvariantTests
{
    private static readonly CodeableConcept Code = new("http://snomed.info/sct", "52988006", "Lesion");

    private static Bundle Transaction(params BundleEntry[] entries) => new() { Type = "transaction", Entry = [.. entries] };

    private static BundleEntry Put(string urn, Resource resource) =>
        new() { FullUrl = urn, Resource = resource, Request = new BundleEntryRequest { Method = "PUT", Url = resource.RelativeReference() } };

    [Fact]
    public void Check_WhenResourcesAreWellFormed_ShouldReportNothing()
    {
        var observation = new Observation
        {
            Id = "o", Status = "final", Code = Code, ValueString = "x",
            Component = [new ObservationComponent { Code = CodeableConcept.FromText("confidence"), ValueInteger = 1 }],
        };

        Assert.Empty(FhirInvariants.Check(Transaction(Put("urn:uuid:1", observation), Put("urn:uuid:2", new Patient { Id = "p" }))));
    }

    [Fact]
    public void Check_WhenDataAbsentReasonAndValueArePresent_ShouldReportObs6()
    {
        var observation = new Observation { Id = "o", Code = Code, ValueBoolean = true, DataAbsentReason = CodeableConcept.FromText("unknown") };

        Assert.Contains(FhirInvariants.Check(observation), p => p.Contains("obs-6", StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WhenAComponentRepeatsTheObservationCodeWithAValue_ShouldReportObs7()
    {
        var observation = new Observation { Id = "o", Code = Code, ValueBoolean = true, Component = [new ObservationComponent { Code = Code, ValueInteger = 1 }] };

        Assert.Contains(FhirInvariants.Check(observation), p => p.Contains("obs-7", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("bdl-1")]
    [InlineData("bdl-2")]
    [InlineData("bdl-3")]
    [InlineData("bdl-4")]
    [InlineData("bdl-5")]
    [InlineData("bdl-7")]
    [InlineData("bdl-8")]
    public void Check_WhenATransactionBreaksABundleRule_ShouldNameTheRule(string rule)
    {
        var bundle = Transaction(Put("urn:uuid:1", new Patient { Id = "p" }));
        var entry = bundle.Entry![0];
        switch (rule)
        {
            case "bdl-1": bundle.Total = 1; break;
            case "bdl-2": entry.Search = new BundleEntrySearch { Mode = "match" }; break;
            case "bdl-3": entry.Request = null; break;
            case "bdl-4": entry.Response = new BundleEntryResponse { Status = "201" }; break;
            case "bdl-5": bundle.Entry.Add(new BundleEntry { FullUrl = "urn:uuid:9" }); break;
            case "bdl-7": bundle.Entry.Add(Put("urn:uuid:1", new Patient { Id = "q" })); break;
            case "bdl-8": entry.FullUrl = "http://x/fhir/Patient/p/_history/1"; break;
        }

        Assert.Contains(FhirInvariants.Check(bundle), p => p.Contains(rule, StringComparison.Ordinal));
    }

    [Fact]
    public void Check_WhenADocumentLacksIdentifierDateAndComposition_ShouldReportBdl9To11()
    {
        var problems = string.Join("\n", FhirInvariants.Check(new Bundle { Type = "document", Entry = [new BundleEntry { Resource = new Patient() }] }));

        Assert.Contains("bdl-9", problems, StringComparison.Ordinal);
        Assert.Contains("bdl-10", problems, StringComparison.Ordinal);
        Assert.Contains("bdl-11", problems, StringComparison.Ordinal);
    }
}
