using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Imaging;
using MedVision.Models.Tests.Evaluation;

namespace MedVision.Models.Tests;

/// <summary>The detector's saliency map: contract-valid, deterministic, and hot where the planted finding is.</summary>
[Collection(EvaluationCollection.Name)]
public class SaliencyTests(EvaluationFixture fixture)
{
    private static readonly ReferenceAbnormalityDetector Detector = new();

    // Measured on the evaluation set: inside/outside ≥ 10× and inside ≥ 47 for every planted finding; normals peak at
    // ≤ 106 (z ≈ 1.7). The bounds leave room: 5×, 40, and 128 (z = 2, confidence 0.27, far below the 0.5 threshold).
    private const double MinInsideToOutside = 5;
    private const double MinInsideMean = 40;
    private const int NormalHotLevel = 128;

    [Theory]
    [InlineData(Modality.XRay)]
    [InlineData(Modality.Mri)]
    [InlineData(Modality.Ct)]
    [InlineData(Modality.Ultrasound)]
    public void Detect_WhenFindingPlanted_ShouldMakeTheSaliencyHotterInsideThePlantedBox(Modality modality)
    {
        foreach (var outcome in fixture.Detected.Where(d => d.Modality == modality && d.Planted is not null))
        {
            var s = SaliencyStats.Of(outcome);

            Assert.True(s.MeanInside >= MinInsideMean, $"{outcome.Planted}: mean inside {s.MeanInside:0.0}");
            Assert.True(s.MeanInside >= MinInsideToOutside * Math.Max(1, s.MeanOutside), $"{outcome.Planted}: inside {s.MeanInside:0.0}, outside {s.MeanOutside:0.0}");
        }
    }

    [Theory]
    [InlineData(Modality.XRay)]
    [InlineData(Modality.Mri)]
    [InlineData(Modality.Ct)]
    [InlineData(Modality.Ultrasound)]
    public void Detect_WhenStudyIsNormal_ShouldHaveNoSaliencyHotSpot(Modality modality)
    {
        var normals = fixture.Detected.Where(d => d.Modality == modality && d.Planted is null).ToList();

        Assert.NotEmpty(normals);
        Assert.All(normals, n => Assert.True(SaliencyStats.Of(n).Max < NormalHotLevel, $"peak {SaliencyStats.Of(n).Max}"));
    }

    [Fact]
    public void Detect_WhenEvaluationSet_ShouldReturnSaliencyTheContractAccepts()
    {
        foreach (var outcome in fixture.Detected)
        {
            var saliency = outcome.Response.Saliency!;

            Assert.Empty(ModelClient.Problems(outcome.Response, InferenceTask.Detect, outcome.Input));
            Assert.InRange(Math.Max(saliency.Width, saliency.Height), 1, ReferenceAbnormalityDetector.WorkingSize);
            Assert.True(ReferenceAbnormalityDetector.WorkingSize <= InferenceContract.MaxSaliencySide);
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(31, 5)]
    [InlineData(300, 260)]
    [InlineData(1024, 700)]
    public void Detect_WhenAnySize_ShouldReturnAn8BitGrayMapAtTheWorkingResolution(int width, int height)
    {
        var image = width >= SyntheticStudies.MinimumSize && height >= SyntheticStudies.MinimumSize
            ? SyntheticStudies.Generate(Modality.Ct, 3, width, height).Image
            : TestImages.Noise(7, width, height);
        var factor = Math.Max(1, (Math.Max(width, height) + ReferenceAbnormalityDetector.WorkingSize - 1) / ReferenceAbnormalityDetector.WorkingSize);

        var response = Detector.Detect(image, Modality.Ct);
        var map = PngDecoder.Decode(response.Saliency!.Data!);

        Assert.Equal(((width + factor - 1) / factor, (height + factor - 1) / factor), (response.Saliency.Width, response.Saliency.Height));
        Assert.Equal((response.Saliency.Width, response.Saliency.Height), (map.Width, map.Height));
        Assert.Equal((ColorModel.Gray, 8), (map.Color, map.BitDepth));
        Assert.Equal(InferenceContract.ImageMediaType, response.Saliency.MediaType);
    }

    [Fact]
    public void Detect_WhenSameImageTwice_ShouldReturnByteIdenticalSaliency()
    {
        var image = SyntheticStudies.Ultrasound(12);

        var first = Detector.Detect(image, Modality.Ultrasound).Saliency!;
        var second = Detector.Detect(image.Clone(), Modality.Ultrasound).Saliency!;

        Assert.Equal(first.Data, second.Data);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(128)]
    public void Detect_WhenUniformImage_ShouldReturnAnAllBlackSaliency(byte value)
    {
        var map = PngDecoder.Decode(Detector.Detect(TestImages.Uniform(200, 150, value), Modality.Mri).Saliency!.Data!);

        Assert.All(map.Data, v => Assert.Equal(0, v));
    }
}
