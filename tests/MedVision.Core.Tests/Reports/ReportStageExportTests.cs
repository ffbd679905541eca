using System.Security.Cryptography;
using MedVision.Core.Analysis;
using MedVision.Core.Inference;
using MedVision.Core.Pipeline;
using MedVision.Core.Ports;
using MedVision.Core.Reports;
using MedVision.Imaging;
using MedVision.Testing;

namespace MedVision.Core.Tests.Reports;

/// <summary>The Report stage writes report.pdf and, with a signer, report.sig.json next to report.json.</summary>
public sealed class ReportStageExportTests : IDisposable
{
    private readonly InMemoryObjectStore objects = new();
    private readonly InMemoryRecordStore records = new();
    private readonly ECDsa key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
    private readonly PipelineServices stages;
    private readonly UploadService uploads;

    public ReportStageExportTests()
    {
        var endpoint = new ScriptedEndpoint((name, request) => name == "medvision-modality-classifier"
            ? ModelAnswers.Scores(request, 0.9)
            : ModelAnswers.Findings(request, name, ModelAnswers.Finding(AbnormalityType.Lesion, 0.91, Severity.High, 4, 4, 8, 8)));
        stages = new TestPlatform { Objects = objects, Records = records, Inference = endpoint, ReportSigner = new EcdsaReportSigner(key) }.Build();
        uploads = stages.Uploads;
    }

    public void Dispose() => key.Dispose();

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task RunAsync_WhenASignerIsConfigured_ShouldStoreAPdfAndASignatureThatVerifies(bool withHeatmap)
    {
        var raster = new Raster(24, 20, ColorModel.Gray, 8);
        var id = (await uploads.UploadAsync(new UploadCommand { UserId = "u1", Content = PngEncoder.Encode(raster), FileName = "a.png" })).ImageId;
        var c = await stages.Classify.RunAsync(new StageRequest { ImageId = id });
        await stages.Analyze.RunAsync(new AnalyzeRequest { ImageId = id, Modality = c.Modality });
        if (withHeatmap)
        {
            await stages.Heatmap.RunAsync(new StageRequest { ImageId = id });
        }

        var result = await stages.Report.RunAsync(new StageRequest { ImageId = id });

        var pdf = objects.Objects[ObjectKeys.ReportPdf(result.ReportId)];
        Assert.Equal("application/pdf", pdf.ContentType);
        Assert.StartsWith("%PDF-1.4", System.Text.Encoding.ASCII.GetString(pdf.Content, 0, 8), StringComparison.Ordinal);
        var json = objects.Objects[result.ReportKey].Content;
        var file = ReportSignatures.Parse(objects.Objects[ObjectKeys.ReportSignature(result.ReportId)].Content);
        Assert.True(ReportSignatures.Verify(file, pdf.Content, json, key.ExportSubjectPublicKeyInfo()).Valid);

        // The report JSON points at its PDF.
        var report = System.Text.Json.JsonSerializer.Deserialize(json, Json.MedVisionJsonContext.Default.AnalysisReport)!;
        Assert.Equal(objects.UrlFor(ObjectKeys.ReportPdf(result.ReportId)), report.ReportUrls.Pdf);
    }
}
