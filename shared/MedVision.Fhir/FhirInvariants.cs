namespace MedVision.Fhir;

/// <summary>
/// R4 invariants FHIR.js does not evaluate (it checks structure, cardinality and value sets, not FHIRPath
/// constraints): obs-6, obs-7 on Observation and bdl-1..bdl-12 on Bundle. (R4 DiagnosticReport declares no
/// invariant of its own beyond the dom-* DomainResource rules, checked here too.) Returns one message per violation.
/// </summary>
public static class FhirInvariants
{
    public static IReadOnlyList<string> Check(Resource resource)
    {
        ArgumentNullException.ThrowIfNull(resource);
        var problems = new List<string>();
        CheckInto(resource, problems, resource.RelativeReference());
        return problems;
    }

    private static void CheckInto(Resource resource, List<string> problems, string where)
    {
        if (resource is DomainResource domain)
        {
            CheckDomainResource(domain, problems, where);
        }

        switch (resource)
        {
            case Observation observation:
                CheckObservation(observation, problems, where);
                break;
            case Bundle bundle:
                CheckBundle(bundle, problems, where);
                break;
        }
    }

    private static void CheckDomainResource(DomainResource resource, List<string> problems, string where)
    {
        foreach (var contained in resource.Contained ?? [])
        {
            if (contained is DomainResource { Contained.Count: > 0 })
            {
                problems.Add($"{where} dom-2: a contained resource must not contain resources.");
            }

            if (contained.Meta is { VersionId: not null } or { LastUpdated: not null })
            {
                problems.Add($"{where} dom-4: a contained resource must not have meta.versionId or meta.lastUpdated.");
            }
        }
    }

    private static void CheckObservation(Observation observation, List<string> problems, string where)
    {
        // obs-6: dataAbsentReason SHALL only be present if value[x] is not present.
        if (observation.DataAbsentReason is not null && observation.HasValue)
        {
            problems.Add($"{where} obs-6: dataAbsentReason present together with value[x].");
        }

        // obs-7: if Observation.code is the same as a component code then the value element associated with the code
        // SHALL NOT be present.
        if (observation.HasValue && observation.Code?.Coding is { } codes)
        {
            foreach (var component in observation.Component ?? [])
            {
                if (component.Code?.Coding?.Any(c => codes.Any(o => o.System == c.System && o.Code == c.Code)) == true)
                {
                    problems.Add($"{where} obs-7: component code {component.Code.Coding[0].Code} repeats Observation.code while value[x] is present.");
                }
            }
        }

        foreach (var component in observation.Component ?? [])
        {
            if (component.DataAbsentReason is not null && component.HasValue)
            {
                problems.Add($"{where} obs-6: component dataAbsentReason present together with value[x].");
            }
        }
    }

    private static void CheckBundle(Bundle bundle, List<string> problems, string where)
    {
        var type = bundle.Type;
        var entries = bundle.Entry ?? [];
        bool Is(params string[] types) => types.Contains(type);

        if (bundle.Total is not null && !Is("searchset", "history"))
        {
            problems.Add($"{where} bdl-1: total only when a search or history.");
        }

        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            var at = $"{where} entry[{i}]";
            if (entry.Search is not null && type != "searchset")
            {
                problems.Add($"{at} bdl-2: entry.search only when a search.");
            }

            var requestRequired = Is("batch", "transaction", "history");
            if (requestRequired && entry.Request is null)
            {
                problems.Add($"{at} bdl-3: entry.request mandatory for batch/transaction/history.");
            }

            if (!requestRequired && entry.Request is not null)
            {
                problems.Add($"{at} bdl-3: entry.request prohibited outside batch/transaction/history.");
            }

            var responseRequired = Is("batch-response", "transaction-response", "history");
            if (responseRequired && entry.Response is null)
            {
                problems.Add($"{at} bdl-4: entry.response mandatory for batch-response/transaction-response/history.");
            }

            if (!responseRequired && entry.Response is not null)
            {
                problems.Add($"{at} bdl-4: entry.response prohibited outside batch-response/transaction-response/history.");
            }

            if (entry.Resource is null && entry.Request is null && entry.Response is null)
            {
                problems.Add($"{at} bdl-5: must have a resource or information.");
            }

            if (entry.FullUrl is { } fullUrl && fullUrl.Contains("/_history/", StringComparison.Ordinal))
            {
                problems.Add($"{at} bdl-8: fullUrl cannot be a version specific reference.");
            }

            if (entry.Resource is { } resource)
            {
                CheckInto(resource, problems, $"{at} {resource.RelativeReference()}");
            }
        }

        // bdl-7: fullUrl unique, unless the entries differ in meta.versionId (history bundles are exempt).
        if (type != "history")
        {
            foreach (var group in entries.Where(e => e.FullUrl is not null).GroupBy(e => (e.FullUrl, e.Resource?.Meta?.VersionId)).Where(g => g.Count() > 1))
            {
                problems.Add($"{where} bdl-7: fullUrl {group.Key.FullUrl} is not unique.");
            }
        }

        if (type == "document")
        {
            if (bundle.Identifier is not { System: not null, Value: not null })
            {
                problems.Add($"{where} bdl-9: a document must have an identifier with a system and a value.");
            }

            if (bundle.Timestamp is null)
            {
                problems.Add($"{where} bdl-10: a document must have a date (timestamp).");
            }

            if (entries.FirstOrDefault()?.Resource?.ResourceType != "Composition")
            {
                problems.Add($"{where} bdl-11: a document must have a Composition as the first resource.");
            }
        }

        if (type == "message" && entries.FirstOrDefault()?.Resource?.ResourceType != "MessageHeader")
        {
            problems.Add($"{where} bdl-12: a message must have a MessageHeader as the first resource.");
        }
    }
}
