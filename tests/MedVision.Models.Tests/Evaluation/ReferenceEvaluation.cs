using System.Globalization;
using System.Text;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Core.Pipeline;
using MedVision.Imaging;

namespace MedVision.Models.Tests.Evaluation;

/// <summary>
/// Labelled synthetic sets for calibrating and evaluating the reference analyzers (docs/reference-analyzers.md).
/// Each modality gets <c>perModality</c> studies with consecutive seeds from <c>firstSeed</c>; consecutive pairs share
/// a size, the first of a pair with a planted finding and the second without, so half have findings and every size
/// is seen both ways. The calibration and evaluation sets use disjoint seed ranges.
/// </summary>
internal static class LabelledSets
{
    public const int EvaluationFirstSeed = 10_000;

    public const int CalibrationFirstSeed = 50_000;

    public const int PerModality = 40;

    /// <summary>Square, landscape and portrait, from below the classifier's input size up to above the largest route's.</summary>
    public static readonly (int Width, int Height)[] Sizes =
        [(320, 320), (512, 512), (400, 300), (300, 400), (640, 480), (256, 256), (480, 640), (720, 560), (200, 200), (560, 720)];

    public static IReadOnlyList<SyntheticStudy> Build(int firstSeed, int perModality)
    {
        var studies = new List<SyntheticStudy>();
        foreach (var modality in Modalities.All)
        {
            for (var i = 0; i < perModality; i++)
            {
                var (width, height) = Sizes[(i / 2) % Sizes.Length];
                studies.Add(SyntheticStudies.Generate(modality, firstSeed + i, width, height, withFinding: i % 2 == 0));
            }
        }

        return studies;
    }
}

/// <summary>What the classifier saw and said for one labelled study, at the classifier route's input size.</summary>
internal sealed record ClassifierOutcome(Modality Label, IReadOnlyDictionary<Modality, double> Scores)
{
    public IReadOnlyList<KeyValuePair<Modality, double>> Probabilities(double temperature) =>
        ReferenceModalityClassifier.Probabilities(Scores, temperature);
}

/// <summary>
/// The pipeline's post-processed findings for one study (original-image pixels), its planted box, and the raw
/// response and input (for the saliency checks).
/// </summary>
internal sealed record DetectionOutcome(Modality Modality, BoundingBox? Planted, IReadOnlyList<Abnormality> Findings, ModelResponse Response, PreparedInput Input);

internal static class ReferenceEvaluation
{
    public const double MatchIou = 0.5;

    private static readonly ModelRoutingOptions Routes = new();
    private static readonly ReferenceAbnormalityDetector Detector = new();

    /// <summary>Exactly what the pipeline sends: 8-bit gray, long side scaled to the route's input size, PNG round trip.</summary>
    public static (Raster Image, PreparedInput Input) Prepare(Raster original, int inputSize)
    {
        var input = ModelClient.Prepare(original, inputSize);
        return (PngDecoder.Decode(input.Png), input);
    }

    public static ClassifierOutcome Classify(SyntheticStudy study)
    {
        var (image, _) = Prepare(study.Image, Routes.Classifier.InputSize);
        return new ClassifierOutcome(study.Modality, ReferenceModalityClassifier.Score(ReferenceModalityClassifier.ExtractFeatures(image)));
    }

    /// <summary>The detector of the study's true modality, then AnalyzeStage's post-processing (threshold, NMS, scale back).</summary>
    public static DetectionOutcome Detect(SyntheticStudy study)
    {
        var (image, input) = Prepare(study.Image, Routes.DetectorFor(study.Modality).InputSize);
        var response = Detector.Detect(image, study.Modality);
        var call = new DetectionCall(response, input, new ModelTarget("evaluation"), false, TimeSpan.Zero);
        var result = AnalyzeStage.BuildResult(study.Name, study.Modality, call, 0, DateTimeOffset.UnixEpoch, () => "id");
        return new DetectionOutcome(study.Modality, study.PlantedBox, result.Abnormalities, response, input);
    }

    /// <summary>Runs <paramref name="work"/> on every item in parallel; results keep the input order.</summary>
    public static TResult[] Map<T, TResult>(IReadOnlyList<T> items, Func<T, TResult> work)
    {
        var results = new TResult[items.Count];
        Parallel.For(0, items.Count, i => results[i] = work(items[i]));
        return results;
    }
}

/// <summary>Saliency statistics of one detect response: mean gray inside the planted box (mapped onto the map), outside it, and the maximum.</summary>
internal sealed record SaliencyStats(double MeanInside, double MeanOutside, int Max)
{
    public static SaliencyStats Of(DetectionOutcome outcome)
    {
        var map = PngDecoder.Decode(outcome.Response.Saliency!.Data!);
        var sx = (double)map.Width / outcome.Input.OriginalWidth;
        var sy = (double)map.Height / outcome.Input.OriginalHeight;
        double inside = 0, outside = 0;
        int insideN = 0, outsideN = 0, max = 0;
        for (var y = 0; y < map.Height; y++)
        {
            for (var x = 0; x < map.Width; x++)
            {
                var v = map.Data[(y * map.Width) + x];
                max = Math.Max(max, v);
                var cx = (x + 0.5) / sx;
                var cy = (y + 0.5) / sy;
                if (outcome.Planted is { } b && cx >= b.X && cx < b.X + b.Width && cy >= b.Y && cy < b.Y + b.Height)
                {
                    inside += v;
                    insideN++;
                }
                else
                {
                    outside += v;
                    outsideN++;
                }
            }
        }

        return new SaliencyStats(insideN == 0 ? 0 : inside / insideN, outsideN == 0 ? 0 : outside / outsideN, max);
    }
}

internal sealed record ClassificationMetrics(
    int Count, double Accuracy, double ManualReviewShare, double Ece, double MeanNll, int[,] Confusion)
{
    /// <summary>Accuracy, review share (top probability below 0.85), ECE over 10 equal-width bins of the top probability.</summary>
    public static ClassificationMetrics Of(IReadOnlyList<ClassifierOutcome> outcomes, double temperature)
    {
        var k = Modalities.All.Count;
        var confusion = new int[k, k];
        var binCount = new int[10];
        var binConfidence = new double[10];
        var binCorrect = new double[10];
        int correct = 0, review = 0;
        var nll = 0.0;
        foreach (var o in outcomes)
        {
            var p = o.Probabilities(temperature);
            var top = p.MaxBy(kv => kv.Value);
            var hit = top.Key == o.Label;
            correct += hit ? 1 : 0;
            review += top.Value < ModalityClassification.ManualReviewThreshold ? 1 : 0;
            confusion[Index(o.Label), Index(top.Key)]++;
            nll -= Math.Log(Math.Max(1e-12, p.First(kv => kv.Key == o.Label).Value));
            var bin = Math.Min(9, (int)(top.Value * 10));
            binCount[bin]++;
            binConfidence[bin] += top.Value;
            binCorrect[bin] += hit ? 1 : 0;
        }

        var n = outcomes.Count;
        var ece = 0.0;
        for (var b = 0; b < 10; b++)
        {
            if (binCount[b] > 0)
            {
                ece += Math.Abs(binCorrect[b] - binConfidence[b]) / n;
            }
        }

        return new ClassificationMetrics(n, (double)correct / n, (double)review / n, ece, nll / n, confusion);
    }

    public static int Index(Modality m)
    {
        for (var i = 0; i < Modalities.All.Count; i++)
        {
            if (Modalities.All[i] == m)
            {
                return i;
            }
        }

        throw new ArgumentOutOfRangeException(nameof(m));
    }
}

internal sealed record DetectionMetrics(int Planted, int Matched, int Findings, int TruePositives, int Normals, int FindingsOnNormals)
{
    public double Recall => Planted == 0 ? 1 : (double)Matched / Planted;

    public double Precision => Findings == 0 ? 1 : (double)TruePositives / Findings;

    public double FalseFindingsPerNormal => Normals == 0 ? 0 : (double)FindingsOnNormals / Normals;

    /// <summary>
    /// A finding matches the planted lesion when IoU ≥ 0.5; each lesion matches at most one finding (the most
    /// confident), every other finding is a false positive, including all findings on normal studies.
    /// </summary>
    public static DetectionMetrics Of(IEnumerable<DetectionOutcome> outcomes)
    {
        int planted = 0, matched = 0, findings = 0, normals = 0, onNormals = 0;
        foreach (var o in outcomes)
        {
            findings += o.Findings.Count;
            if (o.Planted is { } box)
            {
                planted++;
                matched += o.Findings.Any(f => f.BoundingBox.IntersectionOverUnion(box) >= ReferenceEvaluation.MatchIou) ? 1 : 0;
            }
            else
            {
                normals++;
                onNormals += o.Findings.Count;
            }
        }

        return new DetectionMetrics(planted, matched, findings, matched, normals, onNormals);
    }
}

/// <summary>The tables docs/reference-analyzers.md shows, as markdown.</summary>
internal static class EvaluationReport
{
    public static string Classification(string title, ClassificationMetrics m)
    {
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"{title}: n = {m.Count}, accuracy {m.Accuracy:P1}, manual review {m.ManualReviewShare:P1}, ECE {m.Ece:0.0000}, NLL {m.MeanNll:0.0000}");
        s.AppendLine();
        s.AppendLine("| true \\ predicted | " + string.Join(" | ", Modalities.All.Select(x => x.WireName())) + " |");
        s.AppendLine("| --- |" + string.Concat(Enumerable.Repeat(" ---: |", Modalities.All.Count)));
        for (var i = 0; i < Modalities.All.Count; i++)
        {
            s.Append(CultureInfo.InvariantCulture, $"| {Modalities.All[i].WireName()} |");
            for (var j = 0; j < Modalities.All.Count; j++)
            {
                s.Append(CultureInfo.InvariantCulture, $" {m.Confusion[i, j]} |");
            }

            s.AppendLine();
        }

        return s.ToString();
    }

    public static string Detection(IReadOnlyList<(string Name, DetectionMetrics Metrics)> rows)
    {
        var s = new StringBuilder();
        s.AppendLine("| modality | planted | matched | recall | findings | precision | normals | false findings / normal |");
        s.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, m) in rows)
        {
            s.AppendLine(CultureInfo.InvariantCulture,
                $"| {name} | {m.Planted} | {m.Matched} | {m.Recall:P1} | {m.Findings} | {m.Precision:P1} | {m.Normals} | {m.FalseFindingsPerNormal:0.000} |");
        }

        return s.ToString();
    }
}
