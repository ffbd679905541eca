using System.Text.Json;
using System.Text.Json.Nodes;

namespace MedVision.Fhir.Tests;

public sealed class RoundTripTests
{
    // Hand-written R4 JSON in the shape of the spec's examples, with elements this model does not declare
    // (Patient.telecom, Observation.referenceRange, a primitive extension "_status", a modifierExtension) to prove
    // they survive a parse → serialize cycle.
    private static readonly string[] ExampleJson =
    [
        """
        {"resourceType":"Patient","id":"p1","meta":{"versionId":"2","lastUpdated":"2024-05-01T10:00:00.000Z"},
         "text":{"status":"generated","div":"<div xmlns=\"http://www.w3.org/1999/xhtml\">Jane Doe</div>"},
         "extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthPlace","valueString":"Oslo"}],
         "identifier":[{"system":"urn:medvision:anonymized-patient","value":"x1"}],
         "active":true,"name":[{"use":"official","family":"Doe","given":["Jane","Q"]}],
         "telecom":[{"system":"phone","value":"555"}],"gender":"female","birthDate":"1970-01-01",
         "_birthDate":{"extension":[{"url":"http://hl7.org/fhir/StructureDefinition/patient-birthTime","valueDateTime":"1970-01-01T04:05:00+01:00"}]}}
        """,
        """
        {"resourceType":"Observation","id":"o1","status":"preliminary","_status":{"extension":[{"url":"urn:x","valueCode":"ai"}]},
         "category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"imaging"}]}],
         "code":{"coding":[{"system":"http://snomed.info/sct","code":"52988006","display":"Lesion"}],"text":"lesion"},
         "subject":{"reference":"Patient/p1"},"effectiveDateTime":"2024-05-01T10:00:00Z","issued":"2024-05-01T10:00:00.000Z",
         "valueQuantity":{"value":0.50,"unit":"probability","system":"http://unitsofmeasure.org","code":"1"},
         "referenceRange":[{"text":"n/a"}],
         "component":[{"code":{"text":"bbox"},"valueString":"1,2,3,4","modifierExtension":[{"url":"urn:m","valueBoolean":true}]},
                      {"code":{"text":"n"},"valueInteger":3},{"code":{"text":"r"},"valueRange":{"low":{"value":1.25}}}]}
        """,
        """
        {"resourceType":"DiagnosticReport","id":"d1","status":"final","code":{"coding":[{"system":"http://loinc.org","code":"18748-4"}]},
         "effectivePeriod":{"start":"2024-05-01"},"result":[{"reference":"Observation/o1"}],
         "contained":[{"resourceType":"Practitioner","id":"r","name":[{"text":"Dr X"}],"qualification":[{"code":{"text":"MD"}}]}],
         "presentedForm":[{"contentType":"application/pdf","url":"reports/1/report.pdf"}],"conclusion":"ok"}
        """,
        """
        {"resourceType":"Bundle","id":"b1","type":"transaction","entry":[
          {"fullUrl":"urn:uuid:0a3e0c8e-95b3-4a43-9a43-2a1ad8f2a2d1","resource":{"resourceType":"Device","id":"dev","deviceName":[{"name":"AI","type":"model-name"}],"version":[{"value":"1.2"}]},
           "request":{"method":"PUT","url":"Device/dev"}},
          {"fullUrl":"urn:uuid:1b3e0c8e-95b3-4a43-9a43-2a1ad8f2a2d1","resource":{"resourceType":"Provenance","target":[{"reference":"urn:uuid:0a3e0c8e-95b3-4a43-9a43-2a1ad8f2a2d1"}],"recorded":"2024-05-01T10:00:00Z","agent":[{"who":{"reference":"Device/dev"}}],"signature":[{"type":[{"code":"x"}]}]},
           "request":{"method":"POST","url":"Provenance","ifNoneExist":"identifier=a|b"}}]}
        """,
        """
        {"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found","diagnostics":"DiagnosticReport/x is not known","location":["x"]}]}
        """,
        """
        {"resourceType":"CapabilityStatement","status":"active","date":"2024-05-01","kind":"instance","fhirVersion":"4.0.1","format":["json"],
         "rest":[{"mode":"server","resource":[{"type":"Patient","interaction":[{"code":"read"}],"searchParam":[{"name":"_id","type":"token"}]}],"interaction":[{"code":"transaction"}]}]}
        """,
        """
        {"resourceType":"ImagingStudy","id":"s1","identifier":[{"system":"urn:dicom:uid","value":"urn:oid:1.2.3"}],"status":"available",
         "modality":[{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"CT"}],"subject":{"reference":"Patient/p1"},
         "series":[{"uid":"1.2.3.4","number":1,"modality":{"system":"http://dicom.nema.org/resources/ontology/DCM","code":"CT"},
                    "bodySite":{"display":"CHEST"},"instance":[{"uid":"1.2.3.4.5","sopClass":{"system":"urn:ietf:rfc:3986","code":"urn:oid:1.2.840.10008.5.1.4.1.1.2"},"number":1}]}]}
        """,
        """
        {"resourceType":"Media","id":"m1","status":"completed","subject":{"reference":"Patient/p1"},"content":{"contentType":"image/png","url":"heatmaps/1.png"},"frames":1}
        """,
        """
        {"resourceType":"Binary","id":"bin","contentType":"application/pdf","data":"JVBERi0="}
        """,
    ];

    public static TheoryData<string> Examples => new(ExampleJson);

    [Theory]
    [MemberData(nameof(Examples))]
    public void ParseThenSerialize_WhenGivenAnR4Example_ShouldWriteAnEquivalentJsonTree(string json)
    {
        var resource = FhirJson.Parse(json);

        var written = JsonNode.Parse(FhirJson.Serialize(resource));

        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(json), written), $"expected {json}\nwritten {written}");
    }

    [Fact]
    public void Parse_WhenGivenABundle_ShouldReturnConcreteTypesForEntriesAndKeepUnknownElements()
    {
        var bundle = FhirJson.Parse<Bundle>(ExampleJson.Single(e => e.Contains("\"Bundle\"", StringComparison.Ordinal)));

        var device = Assert.IsType<Device>(bundle.Entry![0].Resource);
        Assert.Equal("1.2", device.Version![0].Value);
        var provenance = Assert.IsType<Provenance>(bundle.Entry[1].Resource);
        Assert.True(provenance.AdditionalElements!.ContainsKey("signature"));
    }

    [Fact]
    public void Parse_WhenObservationHasAPrimitiveExtension_ShouldKeepItAsAnAdditionalElement()
    {
        var observation = FhirJson.Parse<Observation>(ExampleJson.Single(e => e.Contains("\"Observation\"", StringComparison.Ordinal)));

        Assert.Equal(JsonValueKind.Object, observation.AdditionalElements!["_status"].ValueKind);
        Assert.Equal(0.50m, observation.ValueQuantity!.Value);
        Assert.Equal("0.50", JsonNode.Parse(FhirJson.Serialize(observation))!["valueQuantity"]!["value"]!.ToJsonString());
        Assert.True(observation.Component![0].ModifierExtension![0].ValueBoolean);
    }

    [Fact]
    public void Serialize_WhenListsAreEmptyAndValuesNull_ShouldOmitThem()
    {
        var patient = new Patient { Id = "p", Identifier = [], Name = [new HumanName { Family = "Doe", Given = [] }] };

        var json = JsonNode.Parse(FhirJson.Serialize(patient))!.AsObject();

        Assert.Equal(["resourceType", "id", "name"], json.Select(p => p.Key).ToArray());
        Assert.Equal("""{"family":"Doe"}""", json["name"]![0]!.ToJsonString());
    }

    [Fact]
    public void Serialize_WhenResourceIsWritten_ShouldPutResourceTypeFirst()
    {
        var json = FhirJson.Serialize(new Observation { Status = "final", Id = "o" });

        Assert.StartsWith("""{"resourceType":"Observation","id":"o",""", json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{"resourceType":"Unicorn","id":"u"}""", "Unicorn")]
    [InlineData("""{"id":"u"}""", "resourceType")]
    [InlineData("""[1]""", "object")]
    public void Parse_WhenResourceTypeIsMissingOrUnknown_ShouldThrowAClearJsonException(string json, string expected)
    {
        var error = Assert.Throws<JsonException>(() => FhirJson.Parse(json));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void ToJsonObject_WhenParsedBack_ShouldGiveTheSameTree()
    {
        var report = new DiagnosticReport
        {
            Id = "d", Status = "preliminary", Code = new CodeableConcept("http://loinc.org", "18748-4", "Diagnostic imaging study"),
            Result = [Reference.To("Observation", "o1")],
        };

        var tree = FhirJson.ToJsonObject(report);
        var again = FhirJson.ToJsonObject(FhirJson.Parse<DiagnosticReport>(tree));

        Assert.True(JsonNode.DeepEquals(tree, again));
        Assert.Equal("Observation/o1", (string)tree["result"]![0]!["reference"]!);
    }
}
