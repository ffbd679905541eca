using FsCheck.Xunit;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Json;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Core.Reports;
using MedVision.Imaging;
using MedVision.Testing;
using Microsoft.Extensions.Time.Testing;

namespace MedVision.Core.Tests;

public class PipelineStageTests
{
    private readonly InMemoryObjectStore objects = new();
    private readonly InMemoryArchive archive = new();
    private readonly InMemoryFhirStore fhir = new();
    private readonly InMemoryRecordStore records = new();
    private readonly RecordingWorkflow workflow = new();
    private readonly RecordingEvents events = new();
    private readonly FakeTimeProvider clock = new(TestClock.Start);
    private readonly SequentialIds ids = new();
    private readonly ScriptedEndpoint endpoint;
    private readonly PipelineServices stages;
    private readonly UploadService uploads;

    public PipelineStageTests()
    {
        endpoint = new ScriptedEndpoint(Answer);
        stages = Platform(endpoint).Build();
        uploads = stages.Uploads;
    }

    private TestPlatform Platform(IInferenceEndpoint inference) => new()
    {
        Objects = objects, Archive = archive, Fhir = fhir, Records = records, Workflow = workflow, Events = events, Time = clock, Ids = ids,
        Inference = inference,
    };

    /// <summary>Classifier: xray 0.9; detectors: one lesion whose model name is the endpoint, boxes in model-input pixels.</summary>
    private static EndpointResponse Answer(string endpointName, ModelRequest request)
    {
        Assert.NotNull(request.Image.Data);
        var image = PngDecoder.Decode(request.Image.Data);
        Assert.Equal((request.Image.Width, request.Image.Height), (image.Width, image.Height));
        return endpointName == "medvision-modality-classifier"
            ? ModelAnswers.Scores(request, 0.9)
            : ModelAnswers.Findings(
                request,
                endpointName,
                ModelAnswers.Finding(AbnormalityType.Lesion, 0.91, Severity.High, 4, 4, 8, 8),
                ModelAnswers.Finding(AbnormalityType.Other, 0.3, Severity.Low, 1, 1, 2, 2));
    }

    private static byte[] SamplePng(int width = 24, int height = 20)
    {
        var raster = new Raster(width, height, ColorModel.Gray, 8);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                raster.SetSample(x, y, 0, (x * 9 + y * 5) % 256);
            }
        }

        return PngEncoder.Encode(raster);
    }

    private async Task<string> UploadAsync(byte[]? png = null, string? patient = null) =>
        (await uploads.UploadAsync(new UploadCommand { UserId = "u1", Content = png ?? SamplePng(), FileName = "a.png", PatientId = patient })).ImageId;

    // Feature: medvision-ai-platform, Property 3: the stored object is byte for byte the uploaded file.
    // Feature: medvision-ai-platform, Property 26: an upload leaves an image.upload audit entry.
    [Fact]
    public async Task UploadAsync_WhenPngIsValid_ShouldStoreRecordAuditAndStartTheExecutionNamedAfterTheImage()
    {
        var png = SamplePng();
        var id = await UploadAsync(png);

        var record = await records.GetAsync(id);
        Assert.NotNull(record);
        Assert.Equal(ImageStatus.Uploaded, record.Status);
        Assert.Equal(FileFormat.Png, record.FileFormat);
        Assert.Equal(png, objects.Objects[record.StorageLocation].Content); // Property 3: stored bytes are the uploaded bytes
        Assert.True(workflow.Started.ContainsKey(id));
        Assert.Contains(records.Audit, a => a.ResourceId == id && a.Action == "image.upload");
    }

    // Feature: medvision-ai-platform, Property 1: accept a file iff it is DICOM, PNG or JPEG (by magic number).
    // Feature: medvision-ai-platform, Property 2: every rejected file gets a non-empty message.
    [Property]
    public void Validate_WhenBytesAreRandom_ShouldAcceptOnlyRecognisedMagicNumbers(byte[] bytes)
    {
        var detected = ImageFormatDetector.Detect(bytes);
        try
        {
            UploadService.Validate(bytes);
            Assert.True(detected is ImageFormat.Jpeg or ImageFormat.Dicom, $"accepted {detected}");
        }
        catch (InvalidImageException ex)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Message));
            Assert.True(detected is ImageFormat.Unknown or ImageFormat.Png or ImageFormat.Dicom); // random "DICOM" is malformed
        }
    }

    [Fact]
    public void Validate_WhenBytesAreAPng_ShouldAcceptThemAsPng() =>
        Assert.Equal(FileFormat.Png, UploadService.Validate(SamplePng()));

    // Feature: medvision-ai-platform, Property 2: a file over 50 MB is refused (413) before anything is stored.
    [Fact]
    public async Task UploadAsync_WhenFileIsOverFiftyMegabytes_ShouldRejectWithPayloadTooLargeBeforeStoringAnything()
    {
        var big = new byte[PipelineOptions.MaxUploadBytes + 1];
        SamplePng().CopyTo(big, 0);
        var ex = await Assert.ThrowsAsync<PayloadTooLargeException>(() => uploads.UploadAsync(new UploadCommand { UserId = "u", Content = big }));
        Assert.Equal(413, ex.HttpStatus);
        Assert.Empty(objects.Objects);
        Assert.Empty(records.Records);
    }

    // Feature: medvision-ai-platform, Property 2: a file of the wrong format is refused with a specific code.
    [Theory]
    [InlineData("%PDF-1.7 not an image", "image.unsupported_format")]
    [InlineData("", "image.empty")]
    public async Task UploadAsync_WhenFileIsNotAnImage_ShouldRejectWithASpecificCode(string content, string code)
    {
        var ex = await Assert.ThrowsAsync<InvalidImageException>(() =>
            uploads.UploadAsync(new UploadCommand { UserId = "u", Content = Encoding.ASCII.GetBytes(content) }));
        Assert.Equal(code, ex.Code);
        Assert.Empty(workflow.Started);
    }

    // Feature: medvision-ai-platform, Property 2: a corrupt PNG is refused with a message that says so.
    [Fact]
    public async Task UploadAsync_WhenPngIsTruncated_ShouldRejectAsCorrupt()
    {
        var png = SamplePng();
        var ex = await Assert.ThrowsAsync<InvalidImageException>(() =>
            uploads.UploadAsync(new UploadCommand { UserId = "u", Content = png.AsMemory(0, png.Length - 20) }));
        Assert.Contains("corrupt", ex.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData("Jane Doe")]
    [InlineData("../../etc")]
    public async Task UploadAsync_WhenPatientIdIsNotAnAnonymizedToken_ShouldRejectIt(string patient)
    {
        var ex = await Assert.ThrowsAsync<ValidationException>(() => UploadAsync(patient: patient));
        Assert.Equal("request.bad_patient_id", ex.Code);
    }

    // Feature: medvision-ai-platform, Property 8: the classified X-ray goes to the X-ray detector.
    // Feature: medvision-ai-platform, Property 19: a completed analysis gets a stored report.
    // Feature: medvision-ai-platform, Property 21: the stored report carries the disclaimer.
    // Feature: medvision-ai-platform, Property 30: completion publishes an ImageCompleted event.
    [Fact]
    public async Task Stages_WhenRunInOrder_ShouldCompleteWithATimingForEveryStageAndLinkedFhir()
    {
        var id = await UploadAsync(patient: "anon-7");
        var classification = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        clock.Advance(TimeSpan.FromMilliseconds(250));
        var summary = await stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = classification.Modality });
        await stages.Heatmap.RunAsync(new StageRequest { ImageId = id });
        var report = await stages.Report.RunAsync(new StageRequest { ImageId = id });
        var final = await stages.Finish.FinalizeAsync(new StageRequest { ImageId = id });

        Assert.Equal(ImageStatus.Completed, final.Status);
        Assert.Equal(1, summary.AbnormalityCount); // the 0.3 detection is below the 0.5 threshold
        Assert.Equal(["medvision-modality-classifier", "medvision-xray-detector"], endpoint.Calls.ToArray()); // Property 8

        var record = (await records.GetAsync(id))!;
        foreach (var stage in new[] { PipelineStage.Upload, PipelineStage.Classify, PipelineStage.Analyze, PipelineStage.Heatmap, PipelineStage.Report, PipelineStage.Finalize })
        {
            Assert.True(record.StageTimings.TryGetValue(stage, out var t), $"no timing for {stage}");
            Assert.NotNull(t.CompletedAt);
        }

        // The DiagnosticReport links the study and every observation, and they exist.
        var dr = (await fhir.ReadAsync<Fhir.DiagnosticReport>(report.DiagnosticReportId))!;
        var observationRefs = dr.Result!.Select(r => r.ReferenceValue!).ToList();
        Assert.Single(observationRefs);
        foreach (var reference in observationRefs.Append(dr.ImagingStudy![0].ReferenceValue!).Append(dr.Subject!.ReferenceValue!))
        {
            var parts = reference.Split('/');
            Assert.NotNull(await fhir.ReadAsync(parts[0], parts[1]));
        }

        var stored = JsonSerializer.Deserialize(objects.Objects[report.ReportKey].Content, MedVisionJsonContext.Default.AnalysisReport)!;
        Assert.Equal(AnalysisReport.Disclaimer, stored.DisclaimerText); // Property 21
        Assert.Equal("anon-7", stored.PatientId);
        Assert.Single(stored.DetailedFindings);
        Assert.NotEmpty(stored.Recommendations);
        Assert.NotNull(stored.Visualizations.HeatmapImageUrl);
        Assert.Contains(events.Events, e => e.Type == PipelineEventType.ImageCompleted && e.ImageId == id); // Property 30
    }

    // Feature: medvision-ai-platform, Property 22: reports of one modality share one structure.
    [Fact]
    public async Task Report_WhenTwoImagesOfOneModalityAreReported_ShouldHaveIdenticalSectionOrder()
    {
        var keys = new List<string>();
        foreach (var png in new[] { SamplePng(24, 20), SamplePng(40, 33) })
        {
            var id = await UploadAsync(png);
            var c = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
            await stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = c.Modality });
            keys.Add((await stages.Report.RunAsync(new StageRequest { ImageId = id })).ReportKey);
        }

        static List<string> Sections(byte[] json) => JsonNode.Parse(json)!.AsObject().Select(kv => kv.Key).ToList();
        var first = Sections(objects.Objects[keys[0]].Content);
        Assert.Equal(first, Sections(objects.Objects[keys[1]].Content));
        Assert.Equal(
            ["report_id", "image_id", "user_id", "imaging_modality", "analysis_date", "summary", "detailed_findings", "visualizations",
             "recommendations", "metadata", "disclaimer", "report_urls", "fhir"],
            first);
    }

    // Feature: medvision-ai-platform, Property 43: a failed run keeps the original upload.
    // Feature: medvision-ai-platform, Property 40: a failure is recorded with its error code and message on the image record.
    [Fact]
    public async Task MarkFailedAsync_WhenAStageFailed_ShouldRecordTheReasonAndKeepTheOriginal()
    {
        var id = await UploadAsync();
        await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        var result = await stages.Finish.MarkFailedAsync(new FailureRequest
        {
            ImageId = id,
            Error = new StateError { Error = "ModelUnavailableException", Cause = """{"errorMessage":"timed out","errorType":"ModelUnavailableException"}""" },
        });

        var record = (await records.GetAsync(id))!;
        Assert.Equal(ImageStatus.Failed, result.Status);
        Assert.Equal("timed out", record.ErrorMessage);
        Assert.Equal("ModelUnavailableException", record.ErrorCode);
        Assert.True(objects.Objects.ContainsKey(record.StorageLocation));
        Assert.Contains(events.Events, e => e.Type == PipelineEventType.ImageFailed);
    }

    // Feature: medvision-ai-platform, Property 40: every processing error leaves an error log entry with its context.
    [Fact]
    public async Task MarkFailedAsync_WhenAStageFailed_ShouldLogOneErrorLineWithTheImageIdAndCode()
    {
        var id = await UploadAsync();
        using var lines = new StringWriter();
        using var logs = new Microsoft.Extensions.Logging.LoggerFactory([new MedVision.Core.Observability.JsonLinesLoggerProvider(lines, clock)]);
        var logged = new PipelineServices(Platform(endpoint).Platform() with { Logs = logs });

        await logged.Finish.MarkFailedAsync(new FailureRequest
        {
            ImageId = id,
            Error = new StateError { Error = "ModelUnavailableException", Cause = """{"errorMessage":"timed out","errorType":"ModelUnavailableException"}""" },
        });

        var errors = lines.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonNode.Parse(l)!)
            .Where(l => (string?)l["level"] == "ERROR").ToList();
        var error = Assert.Single(errors);
        Assert.Equal("PipelineFailed", (string?)error["event"]);
        Assert.Equal(id, (string?)error["imageId"]);
        Assert.Equal("ModelUnavailableException", (string?)error["code"]);
        Assert.DoesNotContain("patient", lines.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Analyze_WhenDetectorAnswersOutsideTheContract_ShouldThrowModelOutputInvalid()
    {
        var badEndpoint = new ScriptedEndpoint((_, _) => new EndpointResponse("application/json", "{\"nonsense\":true}"u8.ToArray()));
        var badStages = Platform(badEndpoint).Build();
        var id = await UploadAsync();
        await Assert.ThrowsAsync<ModelOutputInvalidException>(() =>
            badStages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = Modality.Ct }));
    }

    [Fact]
    public async Task UploadAsync_WhenJpegStopsAfterItsFirstSegment_ShouldRejectAsCorrupt()
    {
        var jpeg = new byte[] { 0xFF, 0xD8, 0xFF, 0xE0, 0, 16, (byte)'J', (byte)'F', (byte)'I', (byte)'F', 0 };
        var ex = await Assert.ThrowsAsync<InvalidImageException>(() => uploads.UploadAsync(new UploadCommand { UserId = "u", Content = jpeg }));
        Assert.StartsWith("The JPEG file is corrupt", ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("jpeg.", ex.Code, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Stages_WhenImageIsJpeg_ShouldDecodeItAndSendTheModelAPngOfTheSameSize()
    {
        var raster = PngDecoder.Decode(SamplePng(40, 24));
        var id = (await uploads.UploadAsync(new UploadCommand { UserId = "u", Content = JpegEncoder.Encode(raster) })).ImageId;

        var classification = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        await stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = classification.Modality });
        var heatmap = await stages.Heatmap.RunAsync(new StageRequest { ImageId = id });

        var record = (await records.GetAsync(id))!;
        Assert.Equal(FileFormat.Jpeg, record.FileFormat);
        var preprocessed = PngDecoder.Decode(objects.Objects[ObjectKeys.Preprocessed(id)].Content);
        Assert.Equal((40, 24), (preprocessed.Width, preprocessed.Height));
        var overlay = PngDecoder.Decode(objects.Objects[heatmap.HeatmapKey].Content);
        Assert.Equal((40, 24), (overlay.Width, overlay.Height));
        Assert.Equal(ImageFormat.Jpeg, ImageFormatDetector.Detect(objects.Objects[heatmap.PreviewKey].Content));
    }

    // Feature: medvision-ai-platform, Property 5: the DICOM header's patient and study facts are kept on the record and in FHIR.
    [Fact]
    public async Task Stages_WhenImageIsDicom_ShouldTakeModalityFromTheHeaderAndPutTheMetadataIntoFhir()
    {
        var id = (await uploads.UploadAsync(new UploadCommand { UserId = "u", Content = TestDicom.Image("CT", 64, 80) })).ImageId;
        var uploaded = (await records.GetAsync(id))!;
        Assert.Equal(FileFormat.Dicom, uploaded.FileFormat);
        Assert.Equal(TestDicom.StudyUid, uploaded.Dicom!.StudyInstanceUid);
        Assert.Equal("2024-01-31T10:11:12", uploaded.AcquisitionDate); // from Study Date/Time when the form gave none

        var classification = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        Assert.Equal(Modality.Ct, classification.Modality);
        Assert.Equal("dicom-header", classification.Source);
        Assert.Equal(1.0, classification.Confidence);
        await stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = classification.Modality });
        await stages.Heatmap.RunAsync(new StageRequest { ImageId = id });
        var report = await stages.Report.RunAsync(new StageRequest { ImageId = id });

        // The header decided: the classifier was never asked, the CT detector was.
        Assert.Equal(["medvision-ct-detector"], endpoint.Calls.ToArray());
        var preprocessed = PngDecoder.Decode(objects.Objects[ObjectKeys.Preprocessed(id)].Content);
        Assert.Equal((80, 64), (preprocessed.Width, preprocessed.Height));

        var studyId = (await records.GetAsync(id))!.ImagingStudyId!;
        Assert.NotNull(report.DiagnosticReportId);
        var study = (await fhir.ReadAsync<Fhir.ImagingStudy>(studyId))!;
        Assert.Equal("urn:oid:" + TestDicom.StudyUid, study.Identifier![0].Value);
        Assert.Equal("CT", study.Modality![0].Code);
        Assert.Equal("Chest CT", study.Description);
        Assert.Equal(TestDicom.SeriesUid, study.Series![0].Uid);
        Assert.Equal(TestDicom.SopUid, study.Series[0].Instance![0].Uid);
        var patientRef = study.Subject!.ReferenceValue!.Split('/');
        Assert.Equal("Patient", patientRef[0]);
        var patient = (await fhir.ReadAsync<Fhir.Patient>(patientRef[1]))!;
        Assert.Equal("Doe", patient.Name![0].Family);
        Assert.Equal("female", patient.Gender);
        Assert.Equal("1970-01-01", patient.BirthDate);
    }

    [Fact]
    public async Task Classify_WhenDicomModalityIsNotOneOfTheFour_ShouldAskTheModel()
    {
        var id = (await uploads.UploadAsync(new UploadCommand { UserId = "u", Content = TestDicom.Image("OT", 32, 32, signed16: false) })).ImageId;
        var classification = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        Assert.Equal("model", classification.Source);
        Assert.Equal(["medvision-modality-classifier"], endpoint.Calls.ToArray());
    }

    [Fact]
    public async Task UploadAsync_WhenDicomIsTruncated_ShouldRejectWithTheDicomCodeAndStoreNothing()
    {
        var dicom = TestDicom.Image();
        var ex = await Assert.ThrowsAsync<InvalidImageException>(() =>
            uploads.UploadAsync(new UploadCommand { UserId = "u", Content = dicom.AsMemory(0, dicom.Length - 100) }));
        Assert.StartsWith("dicom.", ex.Code, StringComparison.Ordinal);
        Assert.Contains("offset", ex.Message, StringComparison.Ordinal);
        Assert.Empty(archive.Sets);
        Assert.Empty(workflow.Started);
    }

    [Fact]
    public async Task UploadAsync_WhenDicomHasNoPixelData_ShouldRejectIt()
    {
        var ds = new MedVision.Dicom.DicomDataset();
        ds.SetString(new MedVision.Dicom.DicomTag(0x0008, 0x0060), MedVision.Dicom.DicomVR.CS, "SR");
        var bytes = new MedVision.Dicom.DicomFile(new MedVision.Dicom.DicomDataset(), ds, MedVision.Dicom.TransferSyntax.ExplicitVRLittleEndian).ToBytes();
        var ex = await Assert.ThrowsAsync<InvalidImageException>(() => uploads.UploadAsync(new UploadCommand { UserId = "u", Content = bytes }));
        Assert.Equal("dicom.no_pixel_data", ex.Code);
    }

    [Fact]
    public async Task History_WhenLimitIsOutOfRange_ShouldRejectIt()
    {
        var queries = stages.Queries;
        await Assert.ThrowsAsync<ValidationException>(() => queries.HistoryAsync("u1", 0, null));
        await Assert.ThrowsAsync<ValidationException>(() => queries.HistoryAsync("u1", ImageQueries.MaxHistoryLimit + 1, null));
    }

    // Feature: medvision-ai-platform, Property 25: another user's image is answered as not found.
    [Fact]
    public async Task GetImageAsync_WhenImageBelongsToAnotherUser_ShouldAnswerNotFound()
    {
        var id = await UploadAsync();
        var queries = stages.Queries;
        await Assert.ThrowsAsync<NotFoundException>(() => queries.GetImageAsync(id, "someone-else"));
        Assert.Equal(id, (await queries.GetImageAsync(id, "u1")).ImageId);
    }
}
