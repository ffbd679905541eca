using System.Text.Json.Serialization;

namespace MedVision.Fhir;

public sealed class Bundle : Resource
{
    protected override string TypeName => "Bundle";
    [JsonPropertyName("identifier")] public Identifier? Identifier { get; set; }
    /// <summary>document | message | transaction | transaction-response | batch | batch-response | history | searchset | collection.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("timestamp")] public string? Timestamp { get; set; }
    [JsonPropertyName("total")] public int? Total { get; set; }
    [JsonPropertyName("link")] public List<BundleLink>? Link { get; set; }
    [JsonPropertyName("entry")] public List<BundleEntry>? Entry { get; set; }
}

public sealed class BundleLink : BackboneElement
{
    [JsonPropertyName("relation")] public string? Relation { get; set; }
    [JsonPropertyName("url")] public string? Url { get; set; }
}

public sealed class BundleEntry : BackboneElement
{
    [JsonPropertyName("link")] public List<BundleLink>? Link { get; set; }
    [JsonPropertyName("fullUrl")] public string? FullUrl { get; set; }
    [JsonPropertyName("resource")] public Resource? Resource { get; set; }
    [JsonPropertyName("search")] public BundleEntrySearch? Search { get; set; }
    [JsonPropertyName("request")] public BundleEntryRequest? Request { get; set; }
    [JsonPropertyName("response")] public BundleEntryResponse? Response { get; set; }
}

public sealed class BundleEntrySearch : BackboneElement
{
    /// <summary>match | include | outcome.</summary>
    [JsonPropertyName("mode")] public string? Mode { get; set; }
    [JsonPropertyName("score")] public decimal? Score { get; set; }
}

public sealed class BundleEntryRequest : BackboneElement
{
    /// <summary>GET | HEAD | POST | PUT | DELETE | PATCH.</summary>
    [JsonPropertyName("method")] public string? Method { get; set; }
    [JsonPropertyName("url")] public string? Url { get; set; }
    [JsonPropertyName("ifNoneMatch")] public string? IfNoneMatch { get; set; }
    [JsonPropertyName("ifModifiedSince")] public string? IfModifiedSince { get; set; }
    [JsonPropertyName("ifMatch")] public string? IfMatch { get; set; }
    [JsonPropertyName("ifNoneExist")] public string? IfNoneExist { get; set; }
}

public sealed class BundleEntryResponse : BackboneElement
{
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("location")] public string? Location { get; set; }
    [JsonPropertyName("etag")] public string? Etag { get; set; }
    [JsonPropertyName("lastModified")] public string? LastModified { get; set; }
    [JsonPropertyName("outcome")] public Resource? Outcome { get; set; }
}

public sealed class CapabilityStatement : DomainResource
{
    protected override string TypeName => "CapabilityStatement";
    [JsonPropertyName("url")] public string? Url { get; set; }
    [JsonPropertyName("version")] public string? Version { get; set; }
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("title")] public string? Title { get; set; }
    [JsonPropertyName("status")] public string? Status { get; set; }
    [JsonPropertyName("experimental")] public bool? Experimental { get; set; }
    [JsonPropertyName("date")] public string? Date { get; set; }
    [JsonPropertyName("publisher")] public string? Publisher { get; set; }
    [JsonPropertyName("description")] public string? Description { get; set; }
    /// <summary>instance | capability | requirements.</summary>
    [JsonPropertyName("kind")] public string? Kind { get; set; }
    [JsonPropertyName("software")] public CapabilitySoftware? Software { get; set; }
    [JsonPropertyName("implementation")] public CapabilityImplementation? Implementation { get; set; }
    [JsonPropertyName("fhirVersion")] public string? FhirVersion { get; set; }
    [JsonPropertyName("format")] public List<string>? Format { get; set; }
    [JsonPropertyName("rest")] public List<CapabilityRest>? Rest { get; set; }
}

public sealed class CapabilitySoftware : BackboneElement
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("version")] public string? Version { get; set; }
}

public sealed class CapabilityImplementation : BackboneElement
{
    [JsonPropertyName("description")] public string? Description { get; set; }
    [JsonPropertyName("url")] public string? Url { get; set; }
}

public sealed class CapabilityRest : BackboneElement
{
    /// <summary>client | server.</summary>
    [JsonPropertyName("mode")] public string? Mode { get; set; }
    [JsonPropertyName("documentation")] public string? Documentation { get; set; }
    [JsonPropertyName("resource")] public List<CapabilityResource>? Resource { get; set; }
    [JsonPropertyName("interaction")] public List<CapabilityInteraction>? Interaction { get; set; }
}

public sealed class CapabilityResource : BackboneElement
{
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("profile")] public string? Profile { get; set; }
    [JsonPropertyName("interaction")] public List<CapabilityInteraction>? Interaction { get; set; }
    /// <summary>no-version | versioned | versioned-update.</summary>
    [JsonPropertyName("versioning")] public string? Versioning { get; set; }
    [JsonPropertyName("readHistory")] public bool? ReadHistory { get; set; }
    [JsonPropertyName("updateCreate")] public bool? UpdateCreate { get; set; }
    [JsonPropertyName("conditionalCreate")] public bool? ConditionalCreate { get; set; }
    [JsonPropertyName("conditionalUpdate")] public bool? ConditionalUpdate { get; set; }
    /// <summary>not-supported | single | multiple.</summary>
    [JsonPropertyName("conditionalDelete")] public string? ConditionalDelete { get; set; }
    [JsonPropertyName("searchInclude")] public List<string>? SearchInclude { get; set; }
    [JsonPropertyName("searchParam")] public List<CapabilitySearchParam>? SearchParam { get; set; }
}

public sealed class CapabilityInteraction : BackboneElement
{
    /// <summary>read | vread | update | patch | delete | history-instance | history-type | create | search-type (type level); transaction | batch | search-system | history-system (system level).</summary>
    [JsonPropertyName("code")] public string? Code { get; set; }
    [JsonPropertyName("documentation")] public string? Documentation { get; set; }
}

public sealed class CapabilitySearchParam : BackboneElement
{
    [JsonPropertyName("name")] public string? Name { get; set; }
    [JsonPropertyName("definition")] public string? Definition { get; set; }
    /// <summary>number | date | string | token | reference | composite | quantity | uri | special.</summary>
    [JsonPropertyName("type")] public string? Type { get; set; }
    [JsonPropertyName("documentation")] public string? Documentation { get; set; }
}
