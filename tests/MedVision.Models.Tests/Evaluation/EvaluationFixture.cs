namespace MedVision.Models.Tests.Evaluation;

/// <summary>Generates and runs the labelled sets once for all evaluation, calibration and saliency tests.</summary>
public sealed class EvaluationFixture
{
    private readonly Lazy<IReadOnlyList<ClassifierOutcome>> _calibration = new(() =>
        ReferenceEvaluation.Map(LabelledSets.Build(LabelledSets.CalibrationFirstSeed, LabelledSets.PerModality), ReferenceEvaluation.Classify));

    private readonly Lazy<IReadOnlyList<SyntheticStudy>> _evaluation = new(() =>
        LabelledSets.Build(LabelledSets.EvaluationFirstSeed, LabelledSets.PerModality));

    private readonly Lazy<IReadOnlyList<ClassifierOutcome>> _classified;
    private readonly Lazy<IReadOnlyList<DetectionOutcome>> _detected;
    private readonly Lazy<IReadOnlyList<ClassifierOutcome>> _probes = new(Evaluation.Calibration.Probes);

    public EvaluationFixture()
    {
        _classified = new(() => ReferenceEvaluation.Map(_evaluation.Value, ReferenceEvaluation.Classify));
        _detected = new(() => ReferenceEvaluation.Map(_evaluation.Value, ReferenceEvaluation.Detect));
    }

    internal IReadOnlyList<ClassifierOutcome> Calibration => _calibration.Value;

    internal IReadOnlyList<ClassifierOutcome> Probes => _probes.Value;

    internal IReadOnlyList<ClassifierOutcome> Classified => _classified.Value;

    internal IReadOnlyList<DetectionOutcome> Detected => _detected.Value;
}

[CollectionDefinition(Name)]
public sealed class EvaluationCollection : ICollectionFixture<EvaluationFixture>
{
    public const string Name = "Reference analyzer evaluation";
}
