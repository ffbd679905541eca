using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Fhir.Tests;

public sealed class ChoiceTypeTests
{
    [Fact]
    public void ObservationValue_WhenASecondAlternativeIsSet_ShouldThrowAndKeepTheFirst()
    {
        var observation = new Observation { ValueString = "a" };

        var error = Assert.Throws<JsonException>(() => observation.ValueQuantity = new Quantity { Value = 1 });

        Assert.Contains("value[x]", error.Message, StringComparison.Ordinal);
        Assert.Equal("a", observation.ValueString);
        Assert.Null(observation.ValueQuantity);
    }

    [Fact]
    public void ObservationValue_WhenClearedFirst_ShouldAcceptAnotherAlternative()
    {
        var observation = new Observation { ValueString = "a" };

        observation.ValueString = null;
        observation.ValueBoolean = true;

        var json = JsonNode.Parse(FhirJson.Serialize(observation))!.AsObject();
        Assert.Equal(["valueBoolean"], json.Select(p => p.Key).Where(k => k.StartsWith("value", StringComparison.Ordinal)).ToArray());
        Assert.True(observation.HasValue);
    }

    [Theory]
    [InlineData("""{"resourceType":"Observation","status":"final","valueString":"a","valueBoolean":true}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","effectiveDateTime":"2024","effectivePeriod":{"start":"2024"}}""")]
    [InlineData("""{"resourceType":"Observation","status":"final","component":[{"code":{"text":"c"},"valueInteger":1,"valueString":"b"}]}""")]
    [InlineData("""{"resourceType":"DiagnosticReport","status":"final","effectiveDateTime":"2024","effectivePeriod":{"start":"2024"}}""")]
    [InlineData("""{"resourceType":"Patient","extension":[{"url":"u","valueString":"a","valueCode":"b"}]}""")]
    public void Parse_WhenTwoChoiceAlternativesArePresent_ShouldReject(string json)
    {
        Assert.Throws<JsonException>(() => FhirJson.Parse(json));
    }

    [Fact]
    public void ComponentValue_WhenEachAlternativeIsSet_ShouldWriteOnlyThatName()
    {
        var components = new List<ObservationComponent>
        {
            new() { ValueQuantity = new Quantity { Value = 0.9m } },
            new() { ValueCodeableConcept = CodeableConcept.FromText("x") },
            new() { ValueString = "s" },
            new() { ValueInteger = 1 },
            new() { ValueBoolean = false },
            new() { ValueRange = new Fhir.Range { Low = new Quantity { Value = 1 } } },
            new() { ValueDateTime = "2024" },
            new() { ValuePeriod = new Period { Start = "2024" } },
        };

        var json = JsonNode.Parse(FhirJson.Serialize(new Observation { Component = components }))!;

        var names = json["component"]!.AsArray().Select(c => c!.AsObject().Single().Key).ToArray();
        Assert.Equal(["valueQuantity", "valueCodeableConcept", "valueString", "valueInteger", "valueBoolean", "valueRange", "valueDateTime", "valuePeriod"], names);
    }

    [Fact]
    public void HasValue_WhenOnlyDataAbsentReasonIsSet_ShouldBeFalse()
    {
        var observation = new Observation { DataAbsentReason = new CodeableConcept("http://terminology.hl7.org/CodeSystem/data-absent-reason", "unknown") };

        Assert.False(observation.HasValue);
    }
}
