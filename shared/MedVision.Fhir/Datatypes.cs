using System.Text.Json.Serialization;

namespace MedVision.Fhir;

public sealed class Coding : Element
{
    public Coding()
    {
    }

    public Coding(string system, string code, string? display = null)
    {
        System = system;
        Code = code;
        Display = display;
    }

    [JsonPropertyName("system")] public string? System { get; set; }
    [JsonPropertyName("version")] public string? Version { get; set; }
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("display")] public string? Display { get; set; }
    [JsonPropertyName("userSelected")] public bool? UserSelected { get; set; }
}

public sealed class CodeableConcept : Element
{
    public CodeableConcept()
    {
    }

    public CodeableConcept(string system, string code, string? display = null, string? text = null)
    {
        Coding = [new Coding(system, code, display)];
        Text = text;
    }

    [JsonPropertyName("coding")] public List<Coding>? Coding { get; set; }
    [JsonPropertyName("text")] public string? Text { get; set; }

    public static CodeableConcept FromText(string text) => new() { Text = text };
}

public sealed class Identifier : Element
{
    public Identifier()
    {
    }

    public Identifier(string system, string value)
    {
        System = system;
        Value = value;
    }

    [JsonPropertyName("use")] public string? Use { get; set; }
    [JsonPropertyName("type")] public CodeableConcept? Type { get; set; }
    [JsonPropertyName("system")] public string? System { get; set; }
    [JsonPropertyName("value")] public string? Value { get; set; }
    [JsonPropertyName("period")] public Period? Period { get; set; }
    [JsonPropertyName("assigner")] public Reference? Assigner { get; set; }
}

public sealed class Reference : Element
{
    public Reference()
    {
    }

    public Reference(string reference, string? display = null)
    {
        ReferenceValue = reference;
        Display = display;
    }

    [JsonPropertyName("reference")] public string? ReferenceValue { get; set; }
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("identifier")] public Identifier? Identifier { get; set; }
    [JsonPropertyName("display")] public string? Display { get; set; }

    public static Reference To(string resourceType, string id, string? display = null) => new($"{resourceType}/{id}", display);
}

public sealed class Period : Element
{
    [JsonPropertyName("start")] public string? Start { get; set; }
    [JsonPropertyName("end")] public string? End { get; set; }
}

public sealed class Quantity : Element
{
    /// <summary>decimal keeps the JSON's precision (0.50 stays 0.50), as FHIR decimals require.</summary>
    [JsonPropertyName("value")] public decimal? Value { get; set; }
    [JsonPropertyName("comparator")] public string? Comparator { get; set; }
    [JsonPropertyName("unit")] public string? Unit { get; set; }
    [JsonPropertyName("system")] public string? System { get; set; }
    [JsonPropertyName("code")] public string? Code { get; set; }
}

public sealed class Range : Element
{
    [JsonPropertyName("low")] public Quantity? Low { get; set; }
    [JsonPropertyName("high")] public Quantity? High { get; set; }
}

public sealed class Attachment : Element
{
    [JsonPropertyName("contentType")] public string? ContentType { get; set; }
    [JsonPropertyName("language")] public string? Language { get; set; }
    [JsonPropertyName("data")] public string? Data { get; set; }
    [JsonPropertyName("url")] public string? Url { get; set; }
    [JsonPropertyName("size")] public int? Size { get; set; }
    [JsonPropertyName("hash")] public string? Hash { get; set; }
    [JsonPropertyName("title")] public string? Title { get; set; }
    [JsonPropertyName("creation")] public string? Creation { get; set; }
}

public sealed class Annotation : Element
{
    [JsonPropertyName("authorString")] public string? AuthorString { get; set; }
    [JsonPropertyName("time")] public string? Time { get; set; }
    [JsonPropertyName("text")] public string? Text { get; set; }
}

public sealed class HumanName : Element
{
    [JsonPropertyName("use")] public string? Use { get; set; }
    [JsonPropertyName("text")] public string? Text { get; set; }
    [JsonPropertyName("family")] public string? Family { get; set; }
    [JsonPropertyName("given")] public List<string>? Given { get; set; }
    [JsonPropertyName("prefix")] public List<string>? Prefix { get; set; }
    [JsonPropertyName("suffix")] public List<string>? Suffix { get; set; }
}

public sealed class Meta : Element
{
    [JsonPropertyName("versionId")] public string? VersionId { get; set; }
    [JsonPropertyName("lastUpdated")] public string? LastUpdated { get; set; }
    [JsonPropertyName("source")] public string? Source { get; set; }
    [JsonPropertyName("profile")] public List<string>? Profile { get; set; }
    [JsonPropertyName("tag")] public List<Coding>? Tag { get; set; }
}

public sealed class Narrative : Element
{
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("div")] public string? Div { get; set; }
}

/// <summary>An extension: url plus one value[x] (or nested extensions, never both — ext-1).</summary>
public sealed class Extension : Element
{
    private string? valueString;
    private string? valueCode;
    private string? valueUri;
    private bool? valueBoolean;
    private int? valueInteger;
    private decimal? valueDecimal;
    private string? valueDateTime;
    private Quantity? valueQuantity;
    private CodeableConcept? valueCodeableConcept;
    private Reference? valueReference;
    private Coding? valueCoding;

    [JsonPropertyName("url")] public string? Url { get; set; }

    [JsonPropertyName("valueString")] public string? ValueString { get => valueString; set => valueString = Choice.Set(value, "value", "valueString", valueCode, valueUri, valueBoolean, valueInteger, valueDecimal, valueDateTime, valueQuantity, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueCode")] public string? ValueCode { get => valueCode; set => valueCode = Choice.Set(value, "value", "valueCode", valueString, valueUri, valueBoolean, valueInteger, valueDecimal, valueDateTime, valueQuantity, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueUri")] public string? ValueUri { get => valueUri; set => valueUri = Choice.Set(value, "value", "valueUri", valueString, valueCode, valueBoolean, valueInteger, valueDecimal, valueDateTime, valueQuantity, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueBoolean")] public bool? ValueBoolean { get => valueBoolean; set => valueBoolean = Choice.Set(value, "value", "valueBoolean", valueString, valueCode, valueUri, valueInteger, valueDecimal, valueDateTime, valueQuantity, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueInteger")] public int? ValueInteger { get => valueInteger; set => valueInteger = Choice.Set(value, "value", "valueInteger", valueString, valueCode, valueUri, valueBoolean, valueDecimal, valueDateTime, valueQuantity, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueDecimal")] public decimal? ValueDecimal { get => valueDecimal; set => valueDecimal = Choice.Set(value, "value", "valueDecimal", valueString, valueCode, valueUri, valueBoolean, valueInteger, valueDateTime, valueQuantity, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueDateTime")] public string? ValueDateTime { get => valueDateTime; set => valueDateTime = Choice.Set(value, "value", "valueDateTime", valueString, valueCode, valueUri, valueBoolean, valueInteger, valueDecimal, valueQuantity, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueQuantity")] public Quantity? ValueQuantity { get => valueQuantity; set => valueQuantity = Choice.Set(value, "value", "valueQuantity", valueString, valueCode, valueUri, valueBoolean, valueInteger, valueDecimal, valueDateTime, valueCodeableConcept, valueReference, valueCoding); }
    [JsonPropertyName("valueCodeableConcept")] public CodeableConcept? ValueCodeableConcept { get => valueCodeableConcept; set => valueCodeableConcept = Choice.Set(value, "value", "valueCodeableConcept", valueString, valueCode, valueUri, valueBoolean, valueInteger, valueDecimal, valueDateTime, valueQuantity, valueReference, valueCoding); }
    [JsonPropertyName("valueReference")] public Reference? ValueReference { get => valueReference; set => valueReference = Choice.Set(value, "value", "valueReference", valueString, valueCode, valueUri, valueBoolean, valueInteger, valueDecimal, valueDateTime, valueQuantity, valueCodeableConcept, valueCoding); }
    [JsonPropertyName("valueCoding")] public Coding? ValueCoding { get => valueCoding; set => valueCoding = Choice.Set(value, "value", "valueCoding", valueString, valueCode, valueUri, valueBoolean, valueInteger, valueDecimal, valueDateTime, valueQuantity, valueCodeableConcept, valueReference); }
}
