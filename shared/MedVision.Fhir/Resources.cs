using System.Text.Json.Serialization;

namespace MedVision.Fhir;

public sealed class Patient : DomainResource
{
    protected override string TypeName => "Patient";
    [JsonPropertyName("identifier")] public List<Identifier>? Identifier { get; set; }
    [JsonPropertyName("active")] public bool? Active { get; set; }
    [JsonPropertyName("name")] public List<HumanName>? Name { get; set; }
    [JsonPropertyName("gender")] public string? Gender { get; set; }
    [JsonPropertyName("birthDate")] public string? BirthDate { get; set; }
}

public sealed class Practitioner : DomainResource
{
    protected override string TypeName => "Practitioner";
    [JsonPropertyName("identifier")] public List<Identifier>? Identifier { get; set; }
    [JsonPropertyName("active")] public bool? Active { get; set; }
    [JsonPropertyName("name")] public List<HumanName>? Name { get; set; }
}

/// <summary>The AI algorithm as a Device: its name and the model versions that ran.</summary>
public sealed class Device : DomainResource
{
    protected override string TypeName => "Device";
    [JsonPropertyName("identifier")] public List<Identifier>? Identifier { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("manufacturer")] public string? Manufacturer { get; set; }
    [JsonPropertyName("deviceName")] public List<DeviceName>? DeviceName { get; set; }
    [JsonPropertyName("modelNumber")] public string? ModelNumber { get; set; }
    [JsonPropertyName("type")] public CodeableConcept? Type { get; set; }
    [JsonPropertyName("version")] public List<DeviceVersion>? Version { get; set; }
    [JsonPropertyName("note")] public List<Annotation>? Note { get; set; }
}

public sealed class DeviceName : BackboneElement
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    /// <summary>udi-label-name | user-friendly-name | patient-reported-name | manufacturer-name | model-name | other.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
}

public sealed class DeviceVersion : BackboneElement
{
    [JsonPropertyName("type")] public CodeableConcept? Type { get; set; }
    [JsonPropertyName("component")] public Identifier? Component { get; set; }
    [JsonPropertyName("value")] public string? Value { get; set; }
}

public sealed class ImagingStudy : DomainResource
{
    protected override string TypeName => "ImagingStudy";
    [JsonPropertyName("identifier")] public List<Identifier>? Identifier { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("modality")] public List<Coding>? Modality { get; set; }
    [JsonPropertyName("subject")] public Reference? Subject { get; set; }
    [JsonPropertyName("started")] public string? Started { get; set; }
    [JsonPropertyName("numberOfSeries")] public int? NumberOfSeries { get; set; }
    [JsonPropertyName("numberOfInstances")] public int? NumberOfInstances { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("series")] public List<ImagingStudySeries>? Series { get; set; }
}

public sealed class ImagingStudySeries : BackboneElement
{
    [JsonPropertyName("uid")] public string? Uid { get; set; }
    [JsonPropertyName("number")] public int? Number { get; set; }
    [JsonPropertyName("modality")] public Coding? Modality { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("numberOfInstances")] public int? NumberOfInstances { get; set; }
    [JsonPropertyName("bodySite")] public Coding? BodySite { get; set; }
    [JsonPropertyName("started")] public string? Started { get; set; }
    [JsonPropertyName("instance")] public List<ImagingStudyInstance>? Instance { get; set; }
}

public sealed class ImagingStudyInstance : BackboneElement
{
    [JsonPropertyName("uid")] public string? Uid { get; set; }
    [JsonPropertyName("sopClass")] public Coding? SopClass { get; set; }
    [JsonPropertyName("number")] public int? Number { get; set; }
    [JsonPropertyName("title")] public string? Title { get; set; }
}

public sealed class DiagnosticReport : DomainResource
{
    private string? effectiveDateTime;
    private Period? effectivePeriod;

    protected override string TypeName => "DiagnosticReport";
    [JsonPropertyName("identifier")] public List<Identifier>? Identifier { get; set; }
    [JsonPropertyName("basedOn")] public List<Reference>? BasedOn { get; set; }
    /// <summary>registered | partial | preliminary | final | amended | corrected | appended | cancelled | entered-in-error | unknown.</summary>
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("category")] public List<CodeableConcept>? Category { get; set; }
    [JsonPropertyName("code")] public CodeableConcept? Code { get; set; }
    [JsonPropertyName("subject")] public Reference? Subject { get; set; }
    [JsonPropertyName("effectiveDateTime")] public string? EffectiveDateTime { get => effectiveDateTime; set => effectiveDateTime = Choice.Set(value, "effective", "effectiveDateTime", effectivePeriod); }
    [JsonPropertyName("effectivePeriod")] public Period? EffectivePeriod { get => effectivePeriod; set => effectivePeriod = Choice.Set(value, "effective", "effectivePeriod", effectiveDateTime); }
    [JsonPropertyName("issued")] public string? Issued { get; set; }
    [JsonPropertyName("performer")] public List<Reference>? Performer { get; set; }
    [JsonPropertyName("resultsInterpreter")] public List<Reference>? ResultsInterpreter { get; set; }
    [JsonPropertyName("result")] public List<Reference>? Result { get; set; }
    [JsonPropertyName("imagingStudy")] public List<Reference>? ImagingStudy { get; set; }
    [JsonPropertyName("media")] public List<DiagnosticReportMedia>? Media { get; set; }
    [JsonPropertyName("conclusion")] public string? Conclusion { get; set; }
    [JsonPropertyName("conclusionCode")] public List<CodeableConcept>? ConclusionCode { get; set; }
    [JsonPropertyName("presentedForm")] public List<Attachment>? PresentedForm { get; set; }
}

public sealed class DiagnosticReportMedia : BackboneElement
{
    [JsonPropertyName("comment")] public string? Comment { get; set; }
    [JsonPropertyName("link")] public Reference? Link { get; set; }
}

/// <summary>value[x] alternatives shared by Observation and Observation.component (R4 allows the same list).</summary>
public abstract class ObservationValueHolder : BackboneElement
{
    private Quantity? valueQuantity;
    private CodeableConcept? valueCodeableConcept;
    private string? valueString;
    private bool? valueBoolean;
    private int? valueInteger;
    private Range? valueRange;
    private string? valueDateTime;
    private Period? valuePeriod;

    [JsonPropertyName("valueQuantity")] public Quantity? ValueQuantity { get => valueQuantity; set => valueQuantity = Choice.Set(value, "value", "valueQuantity", valueCodeableConcept, valueString, valueBoolean, valueInteger, valueRange, valueDateTime, valuePeriod); }
    [JsonPropertyName("valueCodeableConcept")] public CodeableConcept? ValueCodeableConcept { get => valueCodeableConcept; set => valueCodeableConcept = Choice.Set(value, "value", "valueCodeableConcept", valueQuantity, valueString, valueBoolean, valueInteger, valueRange, valueDateTime, valuePeriod); }
    [JsonPropertyName("valueString")] public string? ValueString { get => valueString; set => valueString = Choice.Set(value, "value", "valueString", valueQuantity, valueCodeableConcept, valueBoolean, valueInteger, valueRange, valueDateTime, valuePeriod); }
    [JsonPropertyName("valueBoolean")] public bool? ValueBoolean { get => valueBoolean; set => valueBoolean = Choice.Set(value, "value", "valueBoolean", valueQuantity, valueCodeableConcept, valueString, valueInteger, valueRange, valueDateTime, valuePeriod); }
    [JsonPropertyName("valueInteger")] public int? ValueInteger { get => valueInteger; set => valueInteger = Choice.Set(value, "value", "valueInteger", valueQuantity, valueCodeableConcept, valueString, valueBoolean, valueRange, valueDateTime, valuePeriod); }
    [JsonPropertyName("valueRange")] public Range? ValueRange { get => valueRange; set => valueRange = Choice.Set(value, "value", "valueRange", valueQuantity, valueCodeableConcept, valueString, valueBoolean, valueInteger, valueDateTime, valuePeriod); }
    [JsonPropertyName("valueDateTime")] public string? ValueDateTime { get => valueDateTime; set => valueDateTime = Choice.Set(value, "value", "valueDateTime", valueQuantity, valueCodeableConcept, valueString, valueBoolean, valueInteger, valueRange, valuePeriod); }
    [JsonPropertyName("valuePeriod")] public Period? ValuePeriod { get => valuePeriod; set => valuePeriod = Choice.Set(value, "value", "valuePeriod", valueQuantity, valueCodeableConcept, valueString, valueBoolean, valueInteger, valueRange, valueDateTime); }

    [JsonPropertyName("dataAbsentReason")] public CodeableConcept? DataAbsentReason { get; set; }

    /// <summary>True when one of the value[x] alternatives is set.</summary>
    [JsonIgnore]
    public bool HasValue => valueQuantity is not null || valueCodeableConcept is not null || valueString is not null || valueBoolean is not null
        || valueInteger is not null || valueRange is not null || valueDateTime is not null || valuePeriod is not null;
}

public sealed class ObservationComponent : ObservationValueHolder
{
    [JsonPropertyName("code")] public CodeableConcept? Code { get; set; }
    [JsonPropertyName("interpretation")] public List<CodeableConcept>? Interpretation { get; set; }
}

/// <summary>
/// Observation. value[x] lives on an embedded holder (C# has single inheritance and Observation is a resource), and
/// the holder's properties are flattened onto the JSON object by the Value* forwarding properties below.
/// </summary>
public sealed class Observation : DomainResource
{
    private readonly ObservationComponent values = new();
    private string? effectiveDateTime;
    private Period? effectivePeriod;
    private string? effectiveInstant;

    protected override string TypeName => "Observation";
    [JsonPropertyName("identifier")] public List<Identifier>? Identifier { get; set; }
    [JsonPropertyName("basedOn")] public List<Reference>? BasedOn { get; set; }
    [JsonPropertyName("partOf")] public List<Reference>? PartOf { get; set; }
    /// <summary>registered | preliminary | final | amended | corrected | cancelled | entered-in-error | unknown.</summary>
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("category")] public List<CodeableConcept>? Category { get; set; }
    [JsonPropertyName("code")] public CodeableConcept? Code { get; set; }
    [JsonPropertyName("subject")] public Reference? Subject { get; set; }
    [JsonPropertyName("focus")] public List<Reference>? Focus { get; set; }
    [JsonPropertyName("effectiveDateTime")] public string? EffectiveDateTime { get => effectiveDateTime; set => effectiveDateTime = Choice.Set(value, "effective", "effectiveDateTime", effectivePeriod, effectiveInstant); }
    [JsonPropertyName("effectivePeriod")] public Period? EffectivePeriod { get => effectivePeriod; set => effectivePeriod = Choice.Set(value, "effective", "effectivePeriod", effectiveDateTime, effectiveInstant); }
    [JsonPropertyName("effectiveInstant")] public string? EffectiveInstant { get => effectiveInstant; set => effectiveInstant = Choice.Set(value, "effective", "effectiveInstant", effectiveDateTime, effectivePeriod); }
    [JsonPropertyName("issued")] public string? Issued { get; set; }
    [JsonPropertyName("performer")] public List<Reference>? Performer { get; set; }
    [JsonPropertyName("valueQuantity")] public Quantity? ValueQuantity { get => values.ValueQuantity; set => values.ValueQuantity = value; }
    [JsonPropertyName("valueCodeableConcept")] public CodeableConcept? ValueCodeableConcept { get => values.ValueCodeableConcept; set => values.ValueCodeableConcept = value; }
    [JsonPropertyName("valueString")] public string? ValueString { get => values.ValueString; set => values.ValueString = value; }
    [JsonPropertyName("valueBoolean")] public bool? ValueBoolean { get => values.ValueBoolean; set => values.ValueBoolean = value; }
    [JsonPropertyName("valueInteger")] public int? ValueInteger { get => values.ValueInteger; set => values.ValueInteger = value; }
    [JsonPropertyName("valueRange")] public Range? ValueRange { get => values.ValueRange; set => values.ValueRange = value; }
    [JsonPropertyName("valueDateTime")] public string? ValueDateTime { get => values.ValueDateTime; set => values.ValueDateTime = value; }
    [JsonPropertyName("valuePeriod")] public Period? ValuePeriod { get => values.ValuePeriod; set => values.ValuePeriod = value; }
    [JsonPropertyName("dataAbsentReason")] public CodeableConcept? DataAbsentReason { get; set; }
    [JsonPropertyName("interpretation")] public List<CodeableConcept>? Interpretation { get; set; }
    [JsonPropertyName("note")] public List<Annotation>? Note { get; set; }
    [JsonPropertyName("bodySite")] public CodeableConcept? BodySite { get; set; }
    [JsonPropertyName("method")] public CodeableConcept? Method { get; set; }
    [JsonPropertyName("device")] public Reference? Device { get; set; }
    [JsonPropertyName("derivedFrom")] public List<Reference>? DerivedFrom { get; set; }
    [JsonPropertyName("component")] public List<ObservationComponent>? Component { get; set; }

    [JsonIgnore] public bool HasValue => values.HasValue;
}

/// <summary>R4 Media: an image derived from the study (e.g. the saliency heatmap).</summary>
public sealed class Media : DomainResource
{
    protected override string TypeName => "Media";
    [JsonPropertyName("identifier")] public List<Identifier>? Identifier { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("type")] public CodeableConcept? Type { get; set; }
    [JsonPropertyName("modality")] public CodeableConcept? Modality { get; set; }
    [JsonPropertyName("subject")] public Reference? Subject { get; set; }
    [JsonPropertyName("createdDateTime")] public string? CreatedDateTime { get; set; }
    [JsonPropertyName("issued")] public string? Issued { get; set; }
    [JsonPropertyName("device")] public Reference? Device { get; set; }
    [JsonPropertyName("height")] public int? Height { get; set; }
    [JsonPropertyName("width")] public int? Width { get; set; }
    [JsonPropertyName("content")] public Attachment? Content { get; set; }
}

public sealed class Binary : Resource
{
    protected override string TypeName => "Binary";
    [JsonPropertyName("contentType")] public string? ContentType { get; set; }
    [JsonPropertyName("securityContext")] public Reference? SecurityContext { get; set; }
    /// <summary>base64.</summary>
    [JsonPropertyName("data")] public string? Data { get; set; }
}

public sealed class Provenance : DomainResource
{
    protected override string TypeName => "Provenance";
    [JsonPropertyName("target")] public List<Reference>? Target { get; set; }
    [JsonPropertyName("occurredDateTime")] public string? OccurredDateTime { get; set; }
    [JsonPropertyName("recorded")] public string? Recorded { get; set; }
    [JsonPropertyName("activity")] public CodeableConcept? Activity { get; set; }
    [JsonPropertyName("agent")] public List<ProvenanceAgent>? Agent { get; set; }
    [JsonPropertyName("entity")] public List<ProvenanceEntity>? Entity { get; set; }
}

public sealed class ProvenanceAgent : BackboneElement
{
    [JsonPropertyName("type")] public CodeableConcept? Type { get; set; }
    [JsonPropertyName("role")] public List<CodeableConcept>? Role { get; set; }
    [JsonPropertyName("who")] public Reference? Who { get; set; }
    [JsonPropertyName("onBehalfOf")] public Reference? OnBehalfOf { get; set; }
}

public sealed class ProvenanceEntity : BackboneElement
{
    /// <summary>derivation | revision | quotation | source | removal.</summary>
    [JsonPropertyName("role")] public string? Role { get; set; }
    [JsonPropertyName("what")] public Reference? What { get; set; }
}

public sealed class OperationOutcome : DomainResource
{
    protected override string TypeName => "OperationOutcome";
    [JsonPropertyName("issue")] public List<OperationOutcomeIssue>? Issue { get; set; }

    /// <summary>One issue: severity (fatal | error | warning | information), code from the IssueType value set.</summary>
    public static OperationOutcome Single(string severity, string code, string diagnostics) =>
        new() { Issue = [new OperationOutcomeIssue { Severity = severity, Code = code, Diagnostics = diagnostics }] };
}

public sealed class OperationOutcomeIssue : BackboneElement
{
    [JsonPropertyName("severity")] public string? Severity { get; set; }
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("details")] public CodeableConcept? Details { get; set; }
    [JsonPropertyName("diagnostics")] public string? Diagnostics { get; set; }
    [JsonPropertyName("expression")] public List<string>? Expression { get; set; }
}
