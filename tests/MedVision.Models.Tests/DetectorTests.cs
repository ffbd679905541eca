using MedVision.Core.Inference;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Pipeline;

namespace MedVision.Models.Tests;

public class DetectorTests
{
    private static readonly ReferenceAbnormalityDetector Detector = new();

    public static TheoryData<Modality, int> Seeds()
    {
        var data = new TheoryData<Modality, int>();
        foreach (var modality in Modalities.All)
        {
            foreach (var seed in new[] { 1, 2, 3, 11, 29 })
            {
                data.Add(modality, seed);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Detect_WhenFindingPlanted_ShouldReportABoxOverlappingItWithConfidenceAtLeastHalf(Modality modality, int seed)
    {
        var study = SyntheticStudies.Generate(modality, seed);
        var planted = study.PlantedBox!.Value;

        var response = Detector.Detect(study.Image, modality);

        var hit = response.Findings!
            .Where(d => d.BoundingBox.Px().IntersectionOverUnion(planted) >= 0.3)
            .OrderByDescending(d => d.Confidence)
            .FirstOrDefault();
        Assert.True(hit is not null, $"no detection overlaps {planted}: {Describe(response.Findings!)}");
        Assert.True(hit.Confidence >= FindingPostProcessor.ConfidenceThreshold, $"confidence {hit.Confidence}");
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Detect_WhenPlantedFindingIsClear_ShouldBeTheOnlyReportableFinding(Modality modality, int seed)
    {
        var study = SyntheticStudies.Generate(modality, seed);

        var response = Detector.Detect(study.Image, modality);
        var input = new PreparedInput([], study.Image.Width, study.Image.Height, study.Image.Width, study.Image.Height);
        var call = new DetectionCall(response, input, new ModelTarget("detector"), false, TimeSpan.Zero);
        var result = AnalyzeStage.BuildResult("img", modality, call, 1, DateTimeOffset.UnixEpoch, () => "id");

        var finding = Assert.Single(result.Abnormalities);
        Assert.True(finding.BoundingBox.IntersectionOverUnion(study.PlantedBox!.Value) >= 0.3);
        Assert.Equal(OverallAssessment.Abnormal, result.OverallAssessment);
    }

    [Theory]
    [MemberData(nameof(Seeds))]
    public void Detect_WhenStudyIsNormal_ShouldReportNothingAtOrAboveHalf(Modality modality, int seed)
    {
        var study = SyntheticStudies.Generate(modality, seed, withFinding: false);

        var response = Detector.Detect(study.Image, modality);

        Assert.DoesNotContain(response.Findings!, d => d.Confidence >= FindingPostProcessor.ConfidenceThreshold);
    }

    [Theory]
    [InlineData(Modality.XRay, AbnormalityType.Lesion)]
    [InlineData(Modality.Ultrasound, AbnormalityType.Other)]
    [InlineData(Modality.Ct, AbnormalityType.Tumor)]
    public void Detect_WhenFindingPlanted_ShouldTypeItByTheModalityRules(Modality modality, AbnormalityType expected)
    {
        var study = SyntheticStudies.Generate(modality, 3);

        var best = Detector.Detect(study.Image, modality).Findings!.MaxBy(d => d.Confidence);

        Assert.NotNull(best);
        Assert.Equal(expected, best.Type);
        Assert.False(string.IsNullOrWhiteSpace(best.Description));
    }

    [Fact]
    public void Detect_WhenMriLesionPlanted_ShouldCallItTumorOrLesion()
    {
        var study = SyntheticStudies.Generate(Modality.Mri, 3);

        var best = Detector.Detect(study.Image, Modality.Mri).Findings!.MaxBy(d => d.Confidence);

        Assert.NotNull(best);
        Assert.Contains(best.Type, new[] { AbnormalityType.Tumor, AbnormalityType.Lesion });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(128)]
    [InlineData(255)]
    public void Detect_WhenUniformImage_ShouldReportNothing(byte value)
    {
        var image = TestImages.Uniform(300, 260, value);

        foreach (var modality in Modalities.All)
        {
            Assert.Empty(Detector.Detect(image, modality).Findings!);
        }
    }

    [Theory]
    [InlineData("horizontal")]
    [InlineData("vertical")]
    [InlineData("diagonal")]
    [InlineData("radial")]
    public void Detect_WhenSmoothGradient_ShouldReportNothing(string kind)
    {
        var image = TestImages.Gradient(kind, 320, 300);

        foreach (var modality in Modalities.All)
        {
            Assert.Empty(Detector.Detect(image, modality).Findings!);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Detect_WhenRandomNoise_ShouldReportNothingAtOrAboveHalf(int seed)
    {
        var image = TestImages.Noise(seed, 320, 320);

        foreach (var modality in Modalities.All)
        {
            Assert.DoesNotContain(Detector.Detect(image, modality).Findings!, d => d.Confidence >= 0.5);
        }
    }

    [Fact]
    public void Detect_WhenCalled_ShouldNameTheModalityAndEchoTheImageSize()
    {
        var image = SyntheticStudies.BrainMri(4, 300, 280);

        foreach (var modality in Modalities.All)
        {
            var response = Detector.Detect(image, modality);
            Assert.Equal($"{ReferenceAbnormalityDetector.ModelNamePrefix}-{modality.WireName()}", response.Model.Name);
            Assert.Equal(300, response.InputWidth);
            Assert.Equal(280, response.InputHeight);
        }
    }

    [Fact]
    public void Detect_WhenBodyOnBlackBackground_ShouldReportNothingOutsideTheBody()
    {
        var study = SyntheticStudies.Generate(Modality.Ct, 8);
        var image = study.Image;

        foreach (var d in Detector.Detect(image, Modality.Ct).Findings!)
        {
            var b = d.BoundingBox.Px();
            var cx = b.X + (b.Width / 2);
            var cy = b.Y + (b.Height / 2);
            Assert.True(image.GetSample(cx, cy, 0) > 15, $"detection centred on background at {b}");
        }
    }

    /// <summary>Properties 10, 11 and 12 over random studies and sizes: valid types, confidences, boxes.</summary>
    // Feature: medvision-ai-platform, Property 10: the reference detector only answers valid types.
    // Feature: medvision-ai-platform, Property 11: its confidences are in [0, 1].
    // Feature: medvision-ai-platform, Property 12: its boxes lie inside the image.
    [Property(MaxTest = 60)]
    public Property Detect_WhenAnyStudy_ShouldReturnValidTypesConfidencesAndBoxesInsideTheImage()
    {
        var cases =
            from modality in Gen.Elements(Modalities.All.ToArray())
            from study in Gen.Choose(0, 4)
            from seed in Gen.Choose(0, 100_000)
            from width in Gen.Choose(32, 400)
            from height in Gen.Choose(32, 400)
            from withFinding in Gen.Elements(true, false)
            select (modality, study < 4
                ? SyntheticStudies.Generate(Modalities.All[study], seed, width, height, withFinding).Image
                : TestImages.Noise(seed, width, height));

        return Prop.ForAll(Arb.From(cases), c =>
        {
            var (modality, image) = c;
            var response = Detector.Detect(image, modality);
            return response.InputWidth == image.Width
                && response.InputHeight == image.Height
                && response.Findings!.Count <= ReferenceAbnormalityDetector.MaxDetections
                && response.Findings!.All(d =>
                    Enum.IsDefined(d.Type)
                    && Enum.IsDefined(d.Severity)
                    && d.Confidence is >= 0 and <= 1
                    && d.BoundingBox.Px().IsValidWithin(image.Width, image.Height));
        });
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 7)]
    [InlineData(31, 5)]
    [InlineData(9, 40)]
    public void Detect_WhenImageIsTiny_ShouldNotThrow(int width, int height)
    {
        var image = TestImages.Noise(width * height, width, height);

        foreach (var modality in Modalities.All)
        {
            Assert.All(Detector.Detect(image, modality).Findings!, d => Assert.True(d.BoundingBox.Px().IsValidWithin(width, height)));
        }
    }

    private static string Describe(IEnumerable<Core.Inference.ModelFinding> detections) =>
        string.Join("; ", detections.Select(d => $"{d.Type} {d.Confidence:0.00} {d.BoundingBox}"));
}
