using System.Globalization;

namespace MedVision.Models.Tests.Evaluation;

[Collection(EvaluationCollection.Name)]
public class CalibrationTests(EvaluationFixture fixture)
{
    /// <summary>The shipped constant is the fit's result, not a hand-picked number; refit and update both together.</summary>
    [Fact]
    public void FitTemperature_WhenCalibrationSet_ShouldReproduceTheShippedTemperature()
    {
        var fitted = Calibration.FitTemperature(fixture.Calibration, fixture.Probes);

        Assert.Equal(ReferenceModalityClassifier.Temperature, fitted, 9);
    }

    [Fact]
    public void FitTemperature_WhenProbeConstraintDropped_ShouldCollapseToTheSharpestTemperature()
    {
        // Why the constraint exists: the synthetic set is separable, so NLL alone always prefers a sharper softmax.
        var sharper = ClassificationMetrics.Of(fixture.Calibration, Calibration.MinTemperature).MeanNll;
        var shipped = ClassificationMetrics.Of(fixture.Calibration, ReferenceModalityClassifier.Temperature).MeanNll;

        Assert.True(sharper < shipped, string.Create(CultureInfo.InvariantCulture, $"NLL {sharper} at T={Calibration.MinTemperature} vs {shipped}"));
        Assert.True(Calibration.MaxProbeProbability(fixture.Probes, Calibration.MinTemperature) > 0.85);
        Assert.True(Calibration.MaxProbeProbability(fixture.Probes, ReferenceModalityClassifier.Temperature) <= Calibration.ProbeCeiling);
    }
}
