using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Images;
using MedVision.Core.Inference;
using MedVision.Core.Pipeline;

namespace MedVision.Core.Tests;

public class DomainTests
{
    [Theory]
    [InlineData(ImageStatus.Uploaded, ImageStatus.Processing, true)]
    [InlineData(ImageStatus.Processing, ImageStatus.Completed, true)]
    [InlineData(ImageStatus.Processing, ImageStatus.ManualReview, true)]
    [InlineData(ImageStatus.Failed, ImageStatus.Processing, true)]
    [InlineData(ImageStatus.Uploaded, ImageStatus.Completed, false)]
    [InlineData(ImageStatus.Completed, ImageStatus.Processing, false)]
    [InlineData(ImageStatus.Completed, ImageStatus.Failed, false)]
    [InlineData(ImageStatus.ManualReview, ImageStatus.Completed, false)]
    public void CanTransition_WhenAskedAboutLifecycleStep_ShouldFollowTheSpecLifecycle(ImageStatus from, ImageStatus to, bool allowed) =>
        Assert.Equal(allowed, ImageStatusRules.CanTransition(from, to));

    [Fact]
    public void IntersectionOverUnion_WhenBoxesAreIdenticalDisjointOrHalfOverlapping_ShouldGiveOneZeroAndAThird()
    {
        var a = new BoundingBox(0, 0, 10, 10);
        Assert.Equal(1.0, a.IntersectionOverUnion(a), 9);
        Assert.Equal(0.0, a.IntersectionOverUnion(new BoundingBox(20, 20, 5, 5)), 9);
        Assert.Equal(50.0 / 150.0, a.IntersectionOverUnion(new BoundingBox(5, 0, 10, 10)), 9);
    }

    [Fact]
    public void ClipTo_WhenBoxIsPartlyOutside_ShouldKeepOnlyTheInsidePartAndNullWhenFullyOutside()
    {
        Assert.Equal(new BoundingBox(90, 0, 10, 5), new BoundingBox(90, -5, 30, 10).ClipTo(100, 100));
        Assert.Null(new BoundingBox(150, 150, 10, 10).ClipTo(100, 100));
    }

    // Feature: medvision-ai-platform, Property 10: every kept finding has a valid type.
    // Feature: medvision-ai-platform, Property 11: every kept finding's confidence is in [0.5, 1].
    // Feature: medvision-ai-platform, Property 12: every kept box lies inside the image with positive size.
    // Feature: medvision-ai-platform, Property 13: findings are ordered by descending clinical significance.
    [Property]
    public Property Process_WhenGivenAnyRawDetections_ShouldReturnValidRankedFindings()
    {
        var detection =
            from type in Gen.Elements(Enum.GetValues<AbnormalityType>())
            from severity in Gen.Elements(Enum.GetValues<Severity>())
            from confidence in Gen.Choose(-200, 1200).Select(c => c / 1000.0)
            from x in Gen.Choose(-50, 300)
            from y in Gen.Choose(-50, 300)
            from w in Gen.Choose(-5, 200)
            from h in Gen.Choose(-5, 200)
            select new RawDetection(type, confidence, severity, new BoundingBox(x, y, w, h));
        var scenario =
            from width in Gen.Choose(1, 256)
            from height in Gen.Choose(1, 256)
            from detections in Gen.ListOf(detection)
            select (width, height, detections);

        return Prop.ForAll(scenario.ToArbitrary(), s =>
        {
            var ids = new Testing.SequentialIds();
            var findings = FindingPostProcessor.Process(s.detections, s.width, s.height, ids.NewId, "X-ray");
            Assert.All(findings, f =>
            {
                Assert.True(Enum.IsDefined(f.Type));
                Assert.InRange(f.Confidence, FindingPostProcessor.ConfidenceThreshold, 1.0);
                Assert.True(f.BoundingBox.IsValidWithin(s.width, s.height), $"{f.BoundingBox} outside {s.width}x{s.height}");
                Assert.False(string.IsNullOrWhiteSpace(f.Description));
            });
            for (var i = 1; i < findings.Count; i++)
            {
                Assert.True(findings[i - 1].ClinicalSignificanceScore >= findings[i].ClinicalSignificanceScore);
            }

            Assert.Equal(findings.Count, findings.Select(f => f.AbnormalityId).Distinct().Count());
        });
    }

    [Fact]
    public void Process_WhenTwoSameTypeBoxesOverlapHeavily_ShouldKeepOnlyTheMoreConfidentOne()
    {
        var findings = FindingPostProcessor.Process(
            [
                new RawDetection(AbnormalityType.Lesion, 0.7, Severity.Medium, new BoundingBox(10, 10, 20, 20)),
                new RawDetection(AbnormalityType.Lesion, 0.9, Severity.Medium, new BoundingBox(12, 11, 20, 20)),
                new RawDetection(AbnormalityType.Tumor, 0.6, Severity.Medium, new BoundingBox(12, 11, 20, 20)),
            ],
            100, 100, new Testing.SequentialIds().NewId, "CT");
        Assert.Equal(2, findings.Count);
        Assert.Equal(0.9, findings.Single(f => f.Type == AbnormalityType.Lesion).Confidence);
    }

    [Theory]
    [InlineData(0.5, true)]
    [InlineData(0.4999, false)]
    public void Process_WhenConfidenceIsAtTheThreshold_ShouldKeepFindingsAtOrAboveHalf(double confidence, bool kept)
    {
        var findings = FindingPostProcessor.Process(
            [new RawDetection(AbnormalityType.Other, confidence, Severity.Low, new BoundingBox(1, 1, 5, 5))],
            10, 10, new Testing.SequentialIds().NewId, "MRI");
        Assert.Equal(kept, findings.Count == 1);
    }

    [Fact]
    public void ClinicalSignificance_WhenSeverityOrSizeGrows_ShouldNeverDecrease()
    {
        var small = new BoundingBox(0, 0, 5, 5);
        var large = new BoundingBox(0, 0, 50, 50);
        Assert.True(FindingPostProcessor.ClinicalSignificance(0.8, Severity.High, small, 100, 100)
                    > FindingPostProcessor.ClinicalSignificance(0.8, Severity.Low, small, 100, 100));
        Assert.True(FindingPostProcessor.ClinicalSignificance(0.8, Severity.Medium, large, 100, 100)
                    > FindingPostProcessor.ClinicalSignificance(0.8, Severity.Medium, small, 100, 100));
    }

    [Theory]
    [InlineData(0.85, false)]
    [InlineData(0.8499, true)]
    public void Interpret_WhenTopScoreIsAtTheReviewThreshold_ShouldRequireReviewOnlyBelowIt(double top, bool review)
    {
        var rest = (1 - top) / 3;
        var response = Classification(new Dictionary<string, double> { ["xray"] = rest, ["mri"] = top, ["ct"] = rest, ["ultrasound"] = rest });
        var result = ClassifyStage.Interpret("img", response, DateTimeOffset.UnixEpoch);
        Assert.Equal(Modality.Mri, result.Modality);
        Assert.Equal(review, result.RequiresManualReview);
    }

    [Theory]
    [InlineData("ct", 1.5)]
    [InlineData("ct", -0.1)]
    [InlineData("missing", 0.5)]
    public void Interpret_WhenScoresBreakTheContract_ShouldThrowModelOutputInvalid(string key, double value)
    {
        var scores = new Dictionary<string, double> { ["xray"] = 0.1, ["mri"] = 0.1, ["ultrasound"] = 0.1 };
        scores[key] = value;
        Assert.Throws<ModelOutputInvalidException>(() =>
            ClassifyStage.Interpret("img", Classification(scores), DateTimeOffset.UnixEpoch));
    }

    private static ModelResponse Classification(Dictionary<string, double> scores) => new()
    {
        ContractVersion = InferenceContract.Version,
        Model = new ModelIdentity("m", "1"),
        Task = InferenceTask.Classify,
        InputWidth = 8,
        InputHeight = 8,
        ModalityScores = scores,
    };

    // Feature: medvision-ai-platform, Property 8: each modality routes to its own detector endpoint.
    [Fact]
    public void DetectorFor_WhenGivenEachModality_ShouldRouteToADistinctEndpoint()
    {
        var routes = new ModelRoutingOptions();
        var names = Modalities.All.Select(m => routes.DetectorFor(m).Primary.Endpoint).ToList();
        Assert.Equal(4, names.Distinct().Count());
        Assert.Contains("xray", routes.DetectorFor(Modality.XRay).Primary.Endpoint, StringComparison.Ordinal);
        Assert.Contains("ultrasound", routes.DetectorFor(Modality.Ultrasound).Primary.Endpoint, StringComparison.Ordinal);
    }

    [Fact]
    public void Describe_WhenCauseIsLambdaErrorJson_ShouldExtractTheMessage()
    {
        var (code, message) = FinishStages.Describe(new StateError
        {
            Error = "ModelUnavailableException",
            Cause = """{"errorMessage":"endpoint down","errorType":"ModelUnavailableException"}""",
        });
        Assert.Equal("ModelUnavailableException", code);
        Assert.Equal("endpoint down", message);
        Assert.Equal("plain text", FinishStages.Describe(new StateError { Error = "X", Cause = "plain text" }).Message);
    }
}
