using MedVision.Core.Classification;

namespace MedVision.Models.Tests.Evaluation;

/// <summary>
/// Fits the classifier's softmax temperature (docs/reference-analyzers.md, "Calibration"): minimise the mean negative
/// log-likelihood of the true modality over the calibration set, on a 0.01 grid, subject to every off-distribution
/// probe (an image of no modality) keeping its top probability at or below <see cref="ProbeCeiling"/>.
/// The synthetic set is separable, so the unconstrained optimum is a temperature near 0 (every image certain) —
/// which would also make flat fields and noise certain; the probe constraint is what binds.
/// </summary>
internal static class Calibration
{
    /// <summary>Under the 0.85 manual-review threshold with room for images the probes do not cover.</summary>
    public const double ProbeCeiling = 0.80;

    public const double GridStep = 0.01;

    public const double MinTemperature = 0.05;

    public const double MaxTemperature = 2.0;

    /// <summary>
    /// Images that fit no modality, distinct in size, level and seed from the ones the safety tests use
    /// (ClassifierTests), so those tests check the fitted temperature on images it was not fitted on.
    /// </summary>
    public static IReadOnlyList<ClassifierOutcome> Probes() =>
        ReferenceEvaluation.Map(
            [
                TestImages.Uniform(200, 160, 60),
                TestImages.Uniform(256, 256, 200),
                TestImages.Noise(101, 256, 256),
                TestImages.Noise(102, 400, 300),
                TestImages.Gradient("horizontal", 256, 200),
                TestImages.Gradient("vertical", 256, 200),
                TestImages.Gradient("diagonal", 256, 200),
                TestImages.Gradient("radial", 256, 200),
                TestImages.Gradient("cone", 256, 200),
            ],
            image => ReferenceEvaluation.Classify(new SyntheticStudy("probe", image, Modality.XRay, null)));

    public static double MaxProbeProbability(IReadOnlyList<ClassifierOutcome> probes, double temperature) =>
        probes.Max(p => p.Probabilities(temperature).Max(kv => kv.Value));

    /// <summary>The feasible temperature with the lowest NLL; ties go to the higher (more cautious) temperature.</summary>
    public static double FitTemperature(IReadOnlyList<ClassifierOutcome> calibration, IReadOnlyList<ClassifierOutcome> probes)
    {
        var best = double.NaN;
        var bestNll = double.PositiveInfinity;
        var steps = (int)Math.Round((MaxTemperature - MinTemperature) / GridStep);
        for (var k = steps; k >= 0; k--)
        {
            var t = Math.Round(MinTemperature + (k * GridStep), 2);
            if (MaxProbeProbability(probes, t) > ProbeCeiling)
            {
                continue;
            }

            var nll = ClassificationMetrics.Of(calibration, t).MeanNll;
            if (nll < bestNll)
            {
                bestNll = nll;
                best = t;
            }
        }

        return best;
    }
}
