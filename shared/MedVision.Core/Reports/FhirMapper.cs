using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Fhir;
using R4 = MedVision.Fhir;

namespace MedVision.Core.Reports;

/// <summary>
/// Maps an analysed image to typed FHIR R4 resources (spec component 7): Patient, the AI algorithm as a Device,
/// ImagingStudy, one Observation per finding, the DiagnosticReport that links them, and a Provenance; and the one
/// transaction Bundle that carries them all.
/// </summary>
/// <remarks>
/// R4 DiagnosticReport.performer allows only Practitioner, PractitionerRole, Organization or CareTeam (FHIR.js rejects
/// a Device there), so the report names no performer; the algorithm is linked through Observation.device and through
/// Provenance.agent.who (target: the report and its observations). A reviewing clinician goes into resultsInterpreter.
/// </remarks>
public static class FhirMapper
{
    public const string DicomModalitySystem = "http://dicom.nema.org/resources/ontology/DCM";
    public const string SnomedSystem = "http://snomed.info/sct";
    public const string LoincSystem = "http://loinc.org";
    public const string UcumSystem = "http://unitsofmeasure.org";
    public const string DicomUidSystem = "urn:dicom:uid";
    public const string IdentifierSystem = "urn:medvision:image-id";
    public const string ReportIdSystem = "urn:medvision:report-id";
    public const string AbnormalityIdSystem = "urn:medvision:abnormality-id";
    public const string AnonymousPatientSystem = "urn:medvision:anonymized-patient";
    public const string DicomPatientIdSystem = "urn:medvision:dicom-patient-id";
    public const string DeviceIdSystem = "urn:medvision:ai-device";

    /// <summary>MedVision's own codes for the per-finding measurements that have no standard code.</summary>
    public const string ComponentSystem = "urn:medvision:observation-component";
    public const string ObservationCategorySystem = "http://terminology.hl7.org/CodeSystem/observation-category";
    public const string DiagnosticServiceSectionSystem = "http://terminology.hl7.org/CodeSystem/v2-0074";
    public const string InterpretationSystem = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation";

    /// <summary>Where the human-readable PDF lives in the object store (written by the report stage's PDF step).</summary>
    public static string PdfKey(string reportId) => Pipeline.ObjectKeys.ReportPdf(reportId);

    /// <summary>
    /// DICOM CID 29 code for the pipeline modality, used when no DICOM header says otherwise. A PNG/JPEG X-ray is a
    /// digital file, so DX (not CR, which names cassette-based computed radiography).
    /// </summary>
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

    /// <summary>DICOM Body Part Examined (CID 4031 subset) to SNOMED CT; unknown values keep their text only.</summary>
    public static Coding BodySite(string bodyPart)
    {
        ArgumentNullException.ThrowIfNull(bodyPart);
        (string Code, string Display)? snomed = bodyPart.Trim().ToUpperInvariant() switch
        {
            "CHEST" => ("51185008", "Thoracic structure"),
            "HEAD" => ("69536005", "Head structure"),
            "BRAIN" => ("12738006", "Brain structure"),
            "ABDOMEN" => ("113345001", "Abdominal structure"),
            "PELVIS" => ("12921003", "Pelvic structure"),
            "KNEE" => ("72696002", "Knee region structure"),
            "HAND" => ("85562004", "Hand structure"),
            "SPINE" => ("421060004", "Structure of vertebral column"),
            "BREAST" => ("76752008", "Breast structure"),
            _ => null,
        };
        return snomed is { } s ? new Coding(SnomedSystem, s.Code, s.Display) : new Coding { Display = bodyPart };
    }

    public static string PatientIdFor(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return FhirId.From(record.PatientId is { } p ? $"pat-{p}" : $"anon-{record.ImageId}");
    }

    /// <summary>One Device per pair of model versions, so every report names exactly the models that made it.</summary>
    public static string DeviceIdFor(string classifierVersion, string detectorVersion)
    {
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes($"{classifierVersion}\n{detectorVersion}"));
        return "medvision-ai-" + Convert.ToHexStringLower(hash)[..16];
    }

    /// <summary>
    /// A FHIR date or dateTime from the record's acquisition date. DICOM times carry no offset and R4 requires one
    /// whenever a time is given, so an offset-less time keeps only its date.
    /// </summary>
    public static string? FhirDateTime(string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var t = value.IndexOf('T', StringComparison.Ordinal);
        if (t < 0)
        {
            return value;
        }

        var time = value[(t + 1)..];
        return time.EndsWith('Z') || time.Contains('+', StringComparison.Ordinal) || time.Contains('-', StringComparison.Ordinal) ? value : value[..t];
    }

    public static string Instant(DateTimeOffset value) =>
        value.ToUniversalTime().ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);

    public static Patient Patient(ImageRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var patient = new Patient
        {
            Id = PatientIdFor(record),
            Identifier = [new Identifier(AnonymousPatientSystem, record.PatientId ?? $"anonymous-{record.ImageId}")],
            Active = true,
        };
        if (record.Dicom is not { } dicom)
        {
            return patient;
        }

        // The DICOM header's patient module: identity the EMR can match on (HealthLake is the PHI store).
        if (dicom.PatientId is { } dicomPatientId)
        {
            patient.Identifier.Add(new Identifier(DicomPatientIdSystem, dicomPatientId));
        }

        if (HumanName(dicom.PatientName) is { } name)
        {
            patient.Name = [name];
        }

        if (dicom.PatientSex is { } sex)
        {
            patient.Gender = sex switch { "M" => "male", "F" => "female", "O" => "other", _ => "unknown" };
        }

        patient.BirthDate = dicom.PatientBirthDate;
        return patient;
    }

    /// <summary>A DICOM PN (Alphabetic group: family^given^middle^prefix^suffix) as a FHIR HumanName.</summary>
    public static HumanName? HumanName(string? personName)
    {
        var alphabetic = personName?.Split('=')[0];
        if (string.IsNullOrWhiteSpace(alphabetic))
        {
            return null;
        }

        var parts = alphabetic.Split('^').Select(p => p.Trim()).ToArray();
        string Part(int i) => i < parts.Length ? parts[i] : "";
        static List<string>? ListOf(params string[] values) => values.Where(p => p.Length > 0).ToList() is { Count: > 0 } l ? l : null;
        return new HumanName
        {
            Use = "official",
            Text = string.Join(' ', new[] { Part(3), Part(1), Part(2), Part(0), Part(4) }.Where(p => p.Length > 0)),
            Family = Part(0).Length > 0 ? Part(0) : null,
            Given = ListOf(Part(1), Part(2)),
            Prefix = ListOf(Part(3)),
            Suffix = ListOf(Part(4)),
        };
    }

    /// <summary>The AI algorithm: name, and the classifier and detector versions that produced the report.</summary>
    public static Device AlgorithmDevice(string classifierVersion, string detectorVersion) => new()
    {
        Id = DeviceIdFor(classifierVersion, detectorVersion),
        Identifier = [new Identifier(DeviceIdSystem, $"{classifierVersion}+{detectorVersion}")],
        Status = "active",
        Manufacturer = "MedVision",
        DeviceName = [new DeviceName { Name = "MedVision AI reference analyzers (not clinically validated)", Type = "model-name" }],
        Type = CodeableConcept.FromText("AI image analysis software"),
        Version =
        [
            new DeviceVersion { Type = CodeableConcept.FromText("modality classifier"), Value = classifierVersion },
            new DeviceVersion { Type = CodeableConcept.FromText("finding detector"), Value = detectorVersion },
        ],
    };

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

    public static R4.ImagingStudy ImagingStudy(ImageRecord record, string studyId, Modality modality)
    {
        ArgumentNullException.ThrowIfNull(record);
        var dicom = record.Dicom;
        var (code, display) = DicomModalityCode(dicom?.Modality, modality);
        var identifiers = new List<Identifier>();
        if (dicom?.StudyInstanceUid is { } studyUid)
        {
            identifiers.Add(new Identifier(DicomUidSystem, "urn:oid:" + studyUid));
        }

        identifiers.Add(new Identifier(IdentifierSystem, record.ImageId));
        if (dicom?.AccessionNumber is { } accession)
        {
            identifiers.Add(new Identifier
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/v2-0203", "ACSN", "Accession ID"),
                Value = accession,
            });
        }

        var study = new R4.ImagingStudy
        {
            Id = studyId,
            Identifier = identifiers,
            Status = "available",
            Modality = [new Coding(DicomModalitySystem, code, display)],
            Subject = Reference.To("Patient", PatientIdFor(record)),
            Started = FhirDateTime(record.AcquisitionDate),
            NumberOfSeries = 1,
            NumberOfInstances = 1,
            Description = dicom?.StudyDescription ?? $"{modality.DisplayName()} image uploaded as {record.FileFormat.WireName()}",
        };

        // series.uid is a DICOM UID (1..1), so a PNG/JPEG upload has no series element.
        if (dicom?.SeriesInstanceUid is { } seriesUid)
        {
            var series = new ImagingStudySeries
            {
                Uid = seriesUid,
                Modality = new Coding(DicomModalitySystem, code, display),
                NumberOfInstances = 1,
                Number = dicom.SeriesNumber is { } n and >= 0 ? n : null,
                Description = dicom.SeriesDescription,
                BodySite = dicom.BodyPart is { } bodyPart ? BodySite(bodyPart) : null,
            };
            if (dicom.SopInstanceUid is { } sopUid && dicom.SopClassUid is { } sopClass)
            {
                series.Instance =
                [
                    new ImagingStudyInstance
                    {
                        Uid = sopUid,
                        SopClass = new Coding("urn:ietf:rfc:3986", "urn:oid:" + sopClass),
                        Number = dicom.InstanceNumber is { } i and >= 0 ? i : null,
                    },
                ];
            }

            study.Series = [series];
        }

        return study;
    }

    private static CodeableConcept Component(string code, string display) => new(ComponentSystem, code, display);

    private static ObservationComponent Pixels(string code, string display, int value) => new()
    {
        Code = Component(code, display),
        ValueQuantity = new Quantity { Value = value, Unit = "pixels", System = UcumSystem, Code = "{pixels}" },
    };

    public static Observation Observation(
        Abnormality finding, string observationId, string patientId, string studyId, string deviceId, DateTimeOffset issued, string? bodyPart = null)
    {
        ArgumentNullException.ThrowIfNull(finding);
        var (code, display) = SnomedFinding(finding.Type);
        var (sevCode, sevDisplay) = SnomedSeverity(finding.Severity);
        var box = finding.BoundingBox;
        return new Observation
        {
            Id = observationId,
            Identifier = [new Identifier(AbnormalityIdSystem, finding.AbnormalityId)],
            Status = "preliminary",
            Category = [new CodeableConcept(ObservationCategorySystem, "imaging", "Imaging")],
            Code = new CodeableConcept(SnomedSystem, code, display, $"AI-detected {finding.Type.WireName()}"),
            Subject = Reference.To("Patient", patientId),
            EffectiveDateTime = Instant(issued),
            Issued = Instant(issued),
            ValueCodeableConcept = new CodeableConcept(SnomedSystem, code, display, finding.Description),
            Interpretation = [new CodeableConcept(InterpretationSystem, "A", "Abnormal")],
            BodySite = bodyPart is null ? null : new CodeableConcept { Coding = [BodySite(bodyPart)], Text = bodyPart },
            Device = Reference.To("Device", deviceId),
            DerivedFrom = [Reference.To("ImagingStudy", studyId)],
            Component =
            [
                new ObservationComponent
                {
                    Code = Component("confidence", "AI confidence"),
                    ValueQuantity = new Quantity { Value = (decimal)finding.Confidence, Unit = "probability", System = UcumSystem, Code = "1" },
                },
                new ObservationComponent
                {
                    Code = new CodeableConcept(SnomedSystem, "246112005", "Severity"),
                    ValueCodeableConcept = new CodeableConcept(SnomedSystem, sevCode, sevDisplay),
                },
                Pixels("bbox-x", "Bounding box left (pixels)", box.X),
                Pixels("bbox-y", "Bounding box top (pixels)", box.Y),
                Pixels("bbox-width", "Bounding box width (pixels)", box.Width),
                Pixels("bbox-height", "Bounding box height (pixels)", box.Height),
                new ObservationComponent
                {
                    Code = Component("clinical-significance", "Clinical significance score"),
                    ValueQuantity = new Quantity { Value = (decimal)finding.ClinicalSignificanceScore, Unit = "score", System = UcumSystem, Code = "1" },
                },
            ],
        };
    }

    public static DiagnosticReport DiagnosticReportResource(
        AnalysisReport report, string reportResourceId, string patientId, string studyId, IReadOnlyList<string> observationIds,
        IReadOnlyList<Abnormality> findings, string? pdfUrl)
    {
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(observationIds);
        ArgumentNullException.ThrowIfNull(findings);
        return new DiagnosticReport
        {
            Id = reportResourceId,
            Identifier = [new Identifier(ReportIdSystem, report.ReportId)],
            Status = "preliminary",
            Category = [new CodeableConcept(DiagnosticServiceSectionSystem, "RAD", "Radiology")],
            Code = new CodeableConcept(LoincSystem, "18748-4", "Diagnostic imaging study"),
            Subject = Reference.To("Patient", patientId),
            EffectiveDateTime = FhirDateTime(report.AcquisitionDate),
            Issued = Instant(report.AnalysisDate),
            ImagingStudy = [Reference.To("ImagingStudy", studyId)],
            Result = observationIds.Select(id => Reference.To("Observation", id)).ToList(),
            Conclusion = findings.Count == 0
                ? "No AI-detected abnormalities. " + AnalysisReport.Disclaimer
                : $"AI-detected abnormalities requiring clinical validation: {string.Join("; ", report.Summary.KeyFindings)} {AnalysisReport.Disclaimer}",
            ConclusionCode = findings.Count == 0
                ? [new CodeableConcept(SnomedSystem, "17621005", "Normal")]
                : findings.Select(f => f.Type).Distinct().Select(t =>
                {
                    var (code, display) = SnomedFinding(t);
                    return new CodeableConcept(SnomedSystem, code, display);
                }).ToList(),
            PresentedForm = pdfUrl is null ? null : [new Attachment { ContentType = "application/pdf", Url = pdfUrl, Title = $"MedVision report {report.ReportId}" }],
        };
    }

    /// <summary>Who made the report: the Device, from the study (agent type "performer" of the R4 participant types).</summary>
    public static Provenance Provenance(string provenanceId, IEnumerable<Resource> targets, string deviceId, string studyId, DateTimeOffset recorded) => new()
    {
        Id = provenanceId,
        Target = targets.Select(t => new Reference(t.RelativeReference())).ToList(),
        Recorded = Instant(recorded),
        Agent =
        [
            new ProvenanceAgent
            {
                Type = new CodeableConcept("http://terminology.hl7.org/CodeSystem/provenance-participant-type", "performer", "Performer"),
                Who = Reference.To("Device", deviceId),
            },
        ],
        Entity = [new ProvenanceEntity { Role = "source", What = Reference.To("ImagingStudy", studyId) }],
    };

    /// <summary>
    /// Everything the report stage writes to FHIR for one analysed image: Patient, Device, ImagingStudy, one
    /// Observation per finding, the DiagnosticReport, a Provenance; and the transaction Bundle (id = report id).
    /// </summary>
    public static (IReadOnlyList<Resource> Resources, Bundle Bundle) Compose(
        ImageRecord record, ModalityClassification classification, AnalysisResult analysis, AnalysisReport report,
        string studyId, string diagnosticReportId, string? pdfUrl, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(record);
        ArgumentNullException.ThrowIfNull(classification);
        ArgumentNullException.ThrowIfNull(analysis);
        ArgumentNullException.ThrowIfNull(report);
        var patientId = PatientIdFor(record);
        var deviceId = DeviceIdFor(classification.ModelVersion, analysis.ModelVersion);
        List<Resource> Resources()
        {
            var observations = analysis.Abnormalities
                .Select(a => Observation(a, FhirId.From(a.AbnormalityId), patientId, studyId, deviceId, now, record.Dicom?.BodyPart))
                .ToList();
            var diagnosticReport = DiagnosticReportResource(
                report, diagnosticReportId, patientId, studyId, observations.Select(o => o.Id!).ToList(), analysis.Abnormalities, pdfUrl);
            return
            [
                Patient(record),
                AlgorithmDevice(classification.ModelVersion, analysis.ModelVersion),
                ImagingStudy(record, studyId, classification.Modality),
                .. observations,
                diagnosticReport,
                Provenance(FhirId.From("prov-" + diagnosticReportId), [diagnosticReport, .. observations], deviceId, studyId, now),
            ];
        }

        // Built twice rather than copied: the Bundle's set has its references rewritten to urns in place.
        return (Resources(), TransactionBundle(report.ReportId, now, Resources()));
    }

    /// <summary>A stable urn:uuid for a resource (name-based, SHA-256), so the same resources give the same Bundle.</summary>
    public static string UrnUuidFor(string relativeReference)
    {
        var bytes = SHA256.HashData(Encoding.UTF8.GetBytes("medvision:" + relativeReference)).AsSpan(0, 16).ToArray();
        bytes[6] = (byte)((bytes[6] & 0x0F) | 0x50); // version nibble (name-based)
        bytes[8] = (byte)((bytes[8] & 0x3F) | 0x80); // RFC 4122 variant
        return "urn:uuid:" + new Guid(bytes, bigEndian: true).ToString();
    }

    /// <summary>
    /// One transaction Bundle: each entry has a urn:uuid fullUrl, references between entries point at those urns
    /// (the server rewrites them to the assigned ids), and each request is a PUT to Type/id. PUT with ids the
    /// pipeline already recorded makes a re-run replace the same resources instead of creating duplicates,
    /// with no conditional search needed (which HealthLake and the local store both handle the same way).
    /// The Bundle takes the resources as they are: their references to each other are rewritten in place.
    /// </summary>
    public static Bundle TransactionBundle(string bundleId, DateTimeOffset timestamp, IReadOnlyList<Resource> resources)
    {
        ArgumentNullException.ThrowIfNull(resources);
        var urns = resources.ToDictionary(r => r.RelativeReference(), r => UrnUuidFor(r.RelativeReference()), StringComparer.Ordinal);
        var entries = resources.Select(r => new BundleEntry
        {
            FullUrl = urns[r.RelativeReference()],
            Resource = r,
            Request = new BundleEntryRequest { Method = "PUT", Url = r.RelativeReference() },
        }).ToList();
        foreach (var resource in resources)
        {
            FhirReferences.Rewrite(resource, reference => urns.GetValueOrDefault(reference));
        }

        return new Bundle { Id = bundleId, Type = "transaction", Timestamp = Instant(timestamp), Entry = entries };
    }
}
