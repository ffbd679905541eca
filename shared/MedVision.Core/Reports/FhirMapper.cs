using System.Globalization;
using System.Text.Json.Nodes;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;

namespace MedVision.Core.Reports;

/// <summary>
/// Maps an analysed image to FHIR R4 resources: Patient, ImagingStudy, one Observation per finding and
/// the DiagnosticReport that links them (spec component 7). Built as JSON nodes to stay trimming-safe.
/// </summary>
public static class FhirMapper
{
    public const string DicomModalitySystem = "http://dicom.nema.org/resources/ontology/DCM";
    public const string SnomedSystem = "http://snomed.info/sct";
    public const string LoincSystem = "http://loinc.org";
    public const string IdentifierSystem = "urn:medvision:image-id";
    public const string AnonymousPatientSystem = "urn:medvision:anonymized-patient";
    public const string DicomPatientIdSystem = "urn:medvision:dicom-patient-id";

    public static (string Code, string Display) DicomModality(Modality modality) => modality switch
    {
        Modality.XRay => ("DX", "Digital Radiography"),
        Modality.Mri => ("MR", "Magnetic Resonance"),
        Modality.Ct => ("CT", "Computed Tomography"),
        Modality.Ultrasound => ("US", "Ultrasound"),
        _ => throw new ArgumentOutOfRangeException(nameof(modality)),
    };

    public static (string Code, string Display) SnomedFinding(AbnormalityType type) => type switch
    {
        AbnormalityType.Tumor => ("108369006", "Neoplasm"),
        AbnormalityType.Lesion => ("52988006", "Lesion"),
        AbnormalityType.Infection => ("40733004", "Infectious disease"),
        AbnormalityType.Fracture => ("125605004", "Fracture of bone"),
        AbnormalityType.Other => ("118956008", "Body structure, altered from its original anatomical structure"),
        _ => throw new ArgumentOutOfRangeException(nameof(type)),
    };

    public static (string Code, string Display) SnomedSeverity(Severity severity) => severity switch
    {
        Severity.Low => ("255604002", "Mild"),
        Severity.Medium => ("6736007", "Moderate"),
        Severity.High => ("24484000", "Severe"),
        _ => throw new ArgumentOutOfRangeException(nameof(severity)),
    };

    public static string PatientIdFor(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return record.PatientId is { } p ? $"pat-{p}" : $"anon-{record.ImageId}";
    }

    public static JsonObject Patient(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var identifiers = new JsonArray(new JsonObject
        {
            ["system"] = AnonymousPatientSystem,
            ["value"] = record.PatientId ?? $"anonymous-{record.ImageId}",
        });
        var patient = new JsonObject
        {
            ["resourceType"] = "Patient",
            ["id"] = PatientIdFor(record),
            ["identifier"] = identifiers,
            ["active"] = true,
        };
        if (record.Dicom is not { } dicom)
        {
            return patient;
        }

        // The DICOM header's patient module: identity the EMR can match on (HealthLake is the PHI store).
        if (dicom.PatientId is { } dicomPatientId)
        {
            identifiers.Add((JsonNode)new JsonObject { ["system"] = DicomPatientIdSystem, ["value"] = dicomPatientId });
        }

        if (HumanName(dicom.PatientName) is { } name)
        {
            patient["name"] = new JsonArray(name);
        }

        if (dicom.PatientSex is { } sex)
        {
            patient["gender"] = sex switch { "M" => "male", "F" => "female", "O" => "other", _ => "unknown" };
        }

        if (dicom.PatientBirthDate is { } birthDate)
        {
            patient["birthDate"] = birthDate;
        }

        return patient;
    }

    /// <summary>A DICOM PN (Alphabetic group: family^given^middle^prefix^suffix) as a FHIR HumanName.</summary>
    public static JsonObject? HumanName(string? personName)
    {
        var alphabetic = personName?.Split('=')[0];
        if (string.IsNullOrWhiteSpace(alphabetic))
        {
            return null;
        }

        var parts = alphabetic.Split('^').Select(p => p.Trim()).ToArray();
        string Part(int i) => i < parts.Length ? parts[i] : "";
        var name = new JsonObject { ["use"] = "official" };
        var given = new[] { Part(1), Part(2) }.Where(p => p.Length > 0).ToArray();
        name["text"] = string.Join(' ', new[] { Part(3), Part(1), Part(2), Part(0), Part(4) }.Where(p => p.Length > 0));
        if (Part(0).Length > 0)
        {
            name["family"] = Part(0);
        }

        if (given.Length > 0)
        {
            name["given"] = new JsonArray(given.Select(g => (JsonNode)g).ToArray());
        }

        if (Part(3).Length > 0)
        {
            name["prefix"] = new JsonArray(Part(3));
        }

        if (Part(4).Length > 0)
        {
            name["suffix"] = new JsonArray(Part(4));
        }

        return name;
    }

    /// <summary>DICOM modality codes (CID 29) as FHIR codings; the pipeline modality when the header had none.</summary>
    public static (string Code, string Display) DicomModalityCode(string? dicomCode, Modality fallback) => dicomCode?.ToUpperInvariant() switch
    {
        null or "" => DicomModality(fallback),
        "CR" => ("CR", "Computed Radiography"),
        "DX" => ("DX", "Digital Radiography"),
        "MR" => ("MR", "Magnetic Resonance"),
        "CT" => ("CT", "Computed Tomography"),
        "US" => ("US", "Ultrasound"),
        "MG" => ("MG", "Mammography"),
        "NM" => ("NM", "Nuclear Medicine"),
        "PT" => ("PT", "Positron emission tomography"),
        "XA" => ("XA", "X-Ray Angiography"),
        "RF" => ("RF", "Radio Fluoroscopy"),
        "OT" => ("OT", "Other"),
        var other => (other, other),
    };

    public static JsonObject ImagingStudy(ImageRecord record, string studyId, Modality modality)
    {
        ArgumentNullException.ThrowIfNull(record);
        var dicom = record.Dicom;
        var (code, display) = DicomModalityCode(dicom?.Modality, modality);
        var identifiers = new JsonArray();
        if (dicom?.StudyInstanceUid is { } studyUid)
        {
            identifiers.Add((JsonNode)new JsonObject { ["system"] = "urn:dicom:uid", ["value"] = "urn:oid:" + studyUid });
        }

        identifiers.Add((JsonNode)new JsonObject { ["system"] = IdentifierSystem, ["value"] = record.ImageId });
        if (dicom?.AccessionNumber is { } accession)
        {
            identifiers.Add((JsonNode)new JsonObject
            {
                ["type"] = new JsonObject { ["coding"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/v2-0203", "ACSN", "Accession ID")) },
                ["value"] = accession,
            });
        }

        var study = new JsonObject
        {
            ["resourceType"] = "ImagingStudy",
            ["id"] = studyId,
            ["identifier"] = identifiers,
            ["status"] = "available",
            ["modality"] = new JsonArray(Coding(DicomModalitySystem, code, display)),
            ["subject"] = Reference("Patient", PatientIdFor(record)),
            ["numberOfSeries"] = 1,
            ["numberOfInstances"] = 1,
            ["description"] = dicom?.StudyDescription ?? $"{modality.DisplayName()} image uploaded as {record.FileFormat.ToString().ToUpperInvariant()}",
        };
        if (record.AcquisitionDate is { } date)
        {
            study["started"] = date;
        }

        if (dicom?.SeriesInstanceUid is { } seriesUid)
        {
            study["series"] = new JsonArray(Series(dicom, seriesUid, code, display));
        }

        return study;
    }

    private static JsonObject Series(DicomInfo dicom, string seriesUid, string code, string display)
    {
        var series = new JsonObject
        {
            ["uid"] = seriesUid,
            ["modality"] = Coding(DicomModalitySystem, code, display),
            ["numberOfInstances"] = 1,
        };
        if (dicom.SeriesNumber is { } seriesNumber and >= 0)
        {
            series["number"] = seriesNumber;
        }

        if (dicom.SeriesDescription is { } seriesDescription)
        {
            series["description"] = seriesDescription;
        }

        if (dicom.BodyPart is { } bodyPart)
        {
            series["bodySite"] = new JsonObject { ["display"] = bodyPart };
        }

        if (dicom.SopInstanceUid is { } sopUid && dicom.SopClassUid is { } sopClass)
        {
            var instance = new JsonObject
            {
                ["uid"] = sopUid,
                ["sopClass"] = new JsonObject { ["system"] = "urn:ietf:rfc:3986", ["code"] = "urn:oid:" + sopClass },
            };
            if (dicom.InstanceNumber is { } instanceNumber and >= 0)
            {
                instance["number"] = instanceNumber;
            }

            series["instance"] = new JsonArray(instance);
        }

        return series;
    }

    public static JsonObject Observation(
        Abnormality finding, string observationId, string patientId, string studyId, DateTimeOffset issued)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var (code, display) = SnomedFinding(finding.Type);
        var (sevCode, sevDisplay) = SnomedSeverity(finding.Severity);
        var box = finding.BoundingBox;
        return new JsonObject
        {
            ["resourceType"] = "Observation",
            ["id"] = observationId,
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:medvision:abnormality-id", ["value"] = finding.AbnormalityId }),
            ["status"] = "preliminary",
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/observation-category", "imaging", "Imaging")),
            }),
            ["code"] = new JsonObject
            {
                ["coding"] = new JsonArray(Coding(SnomedSystem, code, display)),
                ["text"] = $"AI-detected {finding.Type.ToString().ToLowerInvariant()}",
            },
            ["subject"] = Reference("Patient", patientId),
            ["issued"] = issued.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["valueCodeableConcept"] = new JsonObject
            {
                ["coding"] = new JsonArray(Coding(SnomedSystem, code, display)),
                ["text"] = finding.Description,
            },
            ["derivedFrom"] = new JsonArray(Reference("ImagingStudy", studyId)),
            ["component"] = new JsonArray(
                new JsonObject
                {
                    ["code"] = new JsonObject { ["text"] = "confidence" },
                    ["valueQuantity"] = new JsonObject
                    {
                        ["value"] = finding.Confidence,
                        ["unit"] = "probability",
                        ["system"] = "http://unitsofmeasure.org",
                        ["code"] = "1",
                    },
                },
                new JsonObject
                {
                    ["code"] = new JsonObject { ["text"] = "severity" },
                    ["valueCodeableConcept"] = new JsonObject { ["coding"] = new JsonArray(Coding(SnomedSystem, sevCode, sevDisplay)) },
                },
                new JsonObject
                {
                    ["code"] = new JsonObject { ["text"] = "bounding box (x,y,width,height in pixels)" },
                    ["valueString"] = string.Create(CultureInfo.InvariantCulture, $"{box.X},{box.Y},{box.Width},{box.Height}"),
                },
                new JsonObject
                {
                    ["code"] = new JsonObject { ["text"] = "clinical significance score" },
                    ["valueQuantity"] = new JsonObject { ["value"] = finding.ClinicalSignificanceScore },
                }),
        };
    }

    public static JsonObject DiagnosticReportResource(
        DiagnosticReport report, string reportResourceId, string patientId, string studyId, IReadOnlyList<string> observationIds,
        IReadOnlyList<Abnormality> findings, string? pdfUrl)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(observationIds);
        ArgumentNullException.ThrowIfNull(findings);
        var resource = new JsonObject
        {
            ["resourceType"] = "DiagnosticReport",
            ["id"] = reportResourceId,
            ["identifier"] = new JsonArray(new JsonObject { ["system"] = "urn:medvision:report-id", ["value"] = report.ReportId }),
            ["status"] = "preliminary",
            ["category"] = new JsonArray(new JsonObject
            {
                ["coding"] = new JsonArray(Coding("http://terminology.hl7.org/CodeSystem/v2-0074", "RAD", "Radiology")),
            }),
            ["code"] = new JsonObject { ["coding"] = new JsonArray(Coding(LoincSystem, "18748-4", "Diagnostic imaging study")) },
            ["subject"] = Reference("Patient", patientId),
            ["issued"] = report.AnalysisDate.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["performer"] = new JsonArray(new JsonObject { ["reference"] = "Practitioner/ai-system", ["display"] = "MedVision AI (reference analyzers)" }),
            ["imagingStudy"] = new JsonArray(Reference("ImagingStudy", studyId)),
            ["result"] = new JsonArray(observationIds.Select(id => (JsonNode)Reference("Observation", id)).ToArray()),
            ["conclusion"] = findings.Count == 0
                ? "No AI-detected abnormalities. " + DiagnosticReport.Disclaimer
                : $"AI-detected abnormalities requiring clinical validation: {string.Join("; ", report.Summary.KeyFindings)} {DiagnosticReport.Disclaimer}",
        };
        var conclusionCodes = findings.Count == 0
            ? new JsonArray(new JsonObject { ["coding"] = new JsonArray(Coding(SnomedSystem, "17621005", "Normal")) })
            : new JsonArray(findings.Select(f => f.Type).Distinct().Select(t =>
            {
                var (code, display) = SnomedFinding(t);
                return (JsonNode)new JsonObject { ["coding"] = new JsonArray(Coding(SnomedSystem, code, display)) };
            }).ToArray());
        resource["conclusionCode"] = conclusionCodes;
        if (pdfUrl is not null)
        {
            resource["presentedForm"] = new JsonArray(new JsonObject { ["contentType"] = "application/pdf", ["url"] = pdfUrl });
        }

        return resource;
    }

    /// <summary>A collection Bundle whose fullUrls resolve the resources' relative references.</summary>
    public static JsonObject Bundle(string bundleId, string baseUrl, DateTimeOffset timestamp, IEnumerable<JsonObject> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var entries = new JsonArray();
        foreach (var r in resources)
        {
            entries.Add((JsonNode)new JsonObject
            {
                ["fullUrl"] = $"{baseUrl.TrimEnd('/')}/{r["resourceType"]}/{r["id"]}",
                ["resource"] = r.DeepClone(),
            });
        }

        return new JsonObject
        {
            ["resourceType"] = "Bundle",
            ["id"] = bundleId,
            ["type"] = "collection",
            ["timestamp"] = timestamp.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture),
            ["entry"] = entries,
        };
    }

    private static JsonObject Coding(string system, string code, string display) =>
        new() { ["system"] = system, ["code"] = code, ["display"] = display };

    private static JsonObject Reference(string type, string id) => new() { ["reference"] = $"{type}/{id}" };
}
