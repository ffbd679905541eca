using System.Diagnostics.CodeAnalysis;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Imaging;

namespace MedVision.Models;

/// <summary>Image features the reference classifier scores on; exposed for diagnostics and tests.</summary>
/// <param name="BackgroundFraction">Share of near-black pixels connected to the image border.</param>
/// <param name="BoxFill">Foreground area / area of the foreground's bounding box (1 = fills a rectangle).</param>
/// <param name="EllipseFit">IoU of the foreground with the ellipse of equal second moments.</param>
/// <param name="TopToBottomWidth">Foreground row width at 25% of its height / width at 75% (fan ≪ 1).</param>
/// <param name="EdgeBright">Share of the outer foreground band brighter than 0.82 (CT bone ring).</param>
/// <param name="MidGray">Share of interior foreground in [0.2, 0.75] (soft tissue dominant).</param>
/// <param name="Speckle">Median |pixel − 3×3 mean| / median intensity over the interior.</param>
/// <param name="LungPair">Smaller of the left/right halves' share of large dark regions inside a bright field.</param>
/// <param name="CentralBright">How much brighter the central column is than the lateral dark regions (0..1).</param>
public sealed record ModalityFeatures(
    double BackgroundFraction,
    double BoxFill,
    double EllipseFit,
    double TopToBottomWidth,
    double EdgeBright,
    double MidGray,
    double Speckle,
    double LungPair,
    double CentralBright);

/// <summary>
/// Reference modality classifier: hand-written image features turned into a score per modality and a
/// softmax. Not a trained or clinically validated model (see README.md).
/// </summary>
public sealed class ReferenceModalityClassifier
{
    public static readonly ModelIdentity Model = new("reference-modality", "1.2");

    /// <summary>Work on at most this many pixels on the long side; features are coarse anyway.</summary>
    public const int WorkingSize = 256;

    /// <summary>
    /// Softmax temperature, fitted by minimising the negative log-likelihood on a labelled synthetic calibration set
    /// subject to images of no modality (flat, noise, ramps) staying at or below 0.80 (docs/reference-analyzers.md).
    /// The constraint binds: noise scores 0.75 ahead of X-ray for ultrasound, which reaches 0.80 at 0.45.
    /// </summary>
    public const double Temperature = 0.45;

    private const float BackgroundLevel = 0.06f;

    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Instance API so hosts can inject, share and later swap analyzers.")]
    public ModelResponse Classify(Raster image)
    {
        var probabilities = new Dictionary<string, double>();
        foreach (var (modality, p) in Probabilities(Score(ExtractFeatures(image)), Temperature))
        {
            probabilities[modality.WireName()] = p;
        }

        return new ModelResponse
        {
            ContractVersion = InferenceContract.Version,
            Model = Model,
            Task = InferenceTask.Classify,
            InputWidth = image.Width,
            InputHeight = image.Height,
            ModalityScores = probabilities,
        };
    }

    /// <summary>
    /// Softmax of score / temperature, in <see cref="Modalities.All"/> order. Public so the calibration fit and the
    /// evaluation can try other temperatures on the same scores.
    /// </summary>
    public static IReadOnlyList<KeyValuePair<Modality, double>> Probabilities(IReadOnlyDictionary<Modality, double> scores, double temperature)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(temperature);
        var logits = Modalities.All.Select(m => scores[m]).ToArray();
        var max = logits.Max();
        var exp = logits.Select(l => Math.Exp((l - max) / temperature)).ToArray();
        var total = exp.Sum();
        return Modalities.All.Select((m, i) => new KeyValuePair<Modality, double>(m, exp[i] / total)).ToList();
    }

    /// <summary>Raw (pre-softmax) evidence per modality. Each term is a fuzzy membership in [0, 1].</summary>
    public static IReadOnlyDictionary<Modality, double> Score(ModalityFeatures features)
    {
        ArgumentNullException.ThrowIfNull(features);
        var f = features;

        // Shape cues.
        var fullField = Fuzzy.Step(0.15, 0.03, f.BackgroundFraction) * Fuzzy.Step(0.7, 0.9, f.BoxFill);
        var fan = Fuzzy.Step(0.8, 0.55, f.TopToBottomWidth) * Fuzzy.Step(0.05, 0.2, f.BackgroundFraction);
        var body = Fuzzy.Step(0.08, 0.2, f.BackgroundFraction) * Fuzzy.Step(0.82, 0.92, f.EllipseFit) * (1 - fan);

        // Content cues.
        var speckle = Fuzzy.Step(0.06, 0.14, f.Speckle);
        var ring = Fuzzy.Step(0.04, 0.12, f.EdgeBright);
        var soft = Fuzzy.Step(0.6, 0.85, f.MidGray);
        var lungs = Fuzzy.Step(0.05, 0.14, f.LungPair);
        // Two dark fields only look like lungs with a brighter mediastinum between them; one central dark
        // region (a vignette, a radial falloff) spans both halves but has no bright middle.
        var mediastinum = Fuzzy.Step(0.05, 0.25, f.CentralBright);

        return new Dictionary<Modality, double>
        {
            [Modality.XRay] = (0.75 * fullField) + (2.25 * fullField * lungs * mediastinum) - speckle,
            [Modality.Ct] = (1.5 * body) + (2.0 * body * ring) - speckle,
            [Modality.Mri] = (1.5 * body) + (2.0 * body * (1 - ring) * soft) - speckle,
            [Modality.Ultrasound] = (2.0 * fan) + (0.5 * speckle) + (1.0 * fan * speckle),
        };
    }

    public static ModalityFeatures ExtractFeatures(Raster image)
    {
        var g = GrayImage.FromRaster(image, WorkingSize, out _);
        var w = g.Width;
        var h = g.Height;
        var n = w * h;
        var background = g.BorderBackground(BackgroundLevel);
        var bgCount = background.Count(b => b);
        var bgFraction = (double)bgCount / n;
        var fgCount = n - bgCount;
        if (fgCount == 0)
        {
            return new ModalityFeatures(1, 0, 0, 1, 0, 0, 0, 0, 0);
        }

        // Bounding box and second moments of the foreground.
        int minX = w, minY = h, maxX = -1, maxY = -1;
        double sx = 0, sy = 0;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                if (!background[(y * w) + x])
                {
                    minX = Math.Min(minX, x);
                    maxX = Math.Max(maxX, x);
                    minY = Math.Min(minY, y);
                    maxY = Math.Max(maxY, y);
                    sx += x;
                    sy += y;
                }
            }
        }

        var boxFill = (double)fgCount / ((maxX - minX + 1) * (maxY - minY + 1));
        var ellipseFit = EllipseFit(background, w, h, sx / fgCount, sy / fgCount, fgCount);
        var topToBottom = RowWidth(background, w, minY + (int)Math.Round(0.25 * (maxY - minY)))
            / Math.Max(1.0, RowWidth(background, w, minY + (int)Math.Round(0.75 * (maxY - minY))));

        // Outer band of the foreground (distance to background within 12% of the equivalent radius)
        // versus the interior.
        var distance = GrayImage.DistanceToBackground(background, w, h);
        var bandWidth = Math.Max(2.0, 0.12 * Math.Sqrt(fgCount / Math.PI));
        var smooth = g.BoxBlur(1);
        int band = 0, bandBright = 0, interior = 0, interiorMid = 0;
        var interiorValues = new List<float>();
        var residuals = new List<float>();
        for (var i = 0; i < n; i++)
        {
            if (background[i])
            {
                continue;
            }

            var v = g.Pixels[i];
            if (bgCount > 0 && distance[i] <= bandWidth)
            {
                band++;
                if (v > 0.82f)
                {
                    bandBright++;
                }
            }
            else
            {
                interior++;
                if (v is >= 0.2f and <= 0.75f)
                {
                    interiorMid++;
                }
            }

            if (distance[i] > 3)
            {
                interiorValues.Add(v);
                residuals.Add(Math.Abs(v - smooth.Pixels[i]));
            }
        }

        var medianLevel = Math.Max(0.05, Fuzzy.Quantile(interiorValues, 0.5));
        var speckle = Fuzzy.Quantile(residuals, 0.5) / medianLevel;
        var (lungPair, central) = LungFields(g, background);

        return new ModalityFeatures(
            BackgroundFraction: bgFraction,
            BoxFill: boxFill,
            EllipseFit: ellipseFit,
            TopToBottomWidth: topToBottom,
            EdgeBright: band == 0 ? 0 : (double)bandBright / band,
            MidGray: interior == 0 ? 0 : (double)interiorMid / interior,
            Speckle: speckle,
            LungPair: lungPair,
            CentralBright: central);
    }

    private static int RowWidth(bool[] background, int w, int y)
    {
        int first = -1, last = -1;
        for (var x = 0; x < w; x++)
        {
            if (!background[(y * w) + x])
            {
                if (first < 0)
                {
                    first = x;
                }

                last = x;
            }
        }

        return first < 0 ? 0 : last - first + 1;
    }

    /// <summary>IoU of the foreground with the ellipse having the same centroid and covariance.</summary>
    private static double EllipseFit(bool[] background, int w, int h, double cx, double cy, int count)
    {
        double sxx = 0, syy = 0, sxy = 0;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                if (!background[(y * w) + x])
                {
                    var dx = x - cx;
                    var dy = y - cy;
                    sxx += dx * dx;
                    syy += dy * dy;
                    sxy += dx * dy;
                }
            }
        }

        sxx /= count;
        syy /= count;
        sxy /= count;

        // A filled ellipse with semi-axes a, b has variances a²/4 and b²/4 along its axes, so the
        // matching ellipse is x·(4Σ)⁻¹·x ≤ 1.
        var det = (sxx * syy) - (sxy * sxy);
        if (det <= 1e-9)
        {
            return 0;
        }

        var ia = syy / (4 * det);
        var ib = -sxy / (4 * det);
        var ic = sxx / (4 * det);
        int inter = 0, ellipse = 0;
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var dx = x - cx;
                var dy = y - cy;
                var inside = (ia * dx * dx) + (2 * ib * dx * dy) + (ic * dy * dy) <= 1;
                if (inside)
                {
                    ellipse++;
                    if (!background[(y * w) + x])
                    {
                        inter++;
                    }
                }
            }
        }

        var union = count + ellipse - inter;
        return union == 0 ? 0 : (double)inter / union;
    }

    /// <summary>
    /// Chest-film cue: after heavy smoothing, large regions clearly darker than the field's median on
    /// both the left and the right half, with a brighter central column between them.
    /// </summary>
    private static (double LungPair, double Central) LungFields(GrayImage g, bool[] background)
    {
        var w = g.Width;
        var h = g.Height;
        var coarse = g.BoxBlur(Math.Max(1, Math.Min(w, h) / 24));
        var values = new List<float>();
        for (var i = 0; i < coarse.Pixels.Length; i++)
        {
            if (!background[i])
            {
                values.Add(coarse.Pixels[i]);
            }
        }

        var median = Fuzzy.Quantile(values, 0.5);
        var spread = Fuzzy.Quantile(values, 0.95) - Fuzzy.Quantile(values, 0.05);

        // Absolute floor: noise or a flat field must not produce "dark regions" from tiny fluctuations.
        var darkBelow = median - Math.Max(0.08, 0.25 * spread);
        int leftN = 0, leftDark = 0, rightN = 0, rightDark = 0;
        double lateralDarkSum = 0;

        // The central column is compared row by row with the lateral dark pixels of the same rows: a mediastinum
        // is brighter than the lungs beside it, whereas a ramp or a dark band across the whole width is not.
        var rowDark = new int[h];
        var rowCentralSum = new double[h];
        var rowCentralN = new int[h];
        for (var y = 0; y < h; y++)
        {
            for (var x = 0; x < w; x++)
            {
                var i = (y * w) + x;
                if (background[i])
                {
                    continue;
                }

                var v = coarse.Pixels[i];
                var dark = v < darkBelow;
                if (x < w * 0.45 || x >= w * 0.55)
                {
                    var left = x < w * 0.45;
                    leftN += left ? 1 : 0;
                    rightN += left ? 0 : 1;
                    if (dark)
                    {
                        leftDark += left ? 1 : 0;
                        rightDark += left ? 0 : 1;
                        lateralDarkSum += v;
                        rowDark[y]++;
                    }
                }
                else
                {
                    rowCentralSum[y] += v;
                    rowCentralN[y]++;
                }
            }
        }

        double centralSum = 0, weightSum = 0;
        for (var y = 0; y < h; y++)
        {
            if (rowDark[y] > 0 && rowCentralN[y] > 0)
            {
                centralSum += rowDark[y] * rowCentralSum[y] / rowCentralN[y];
                weightSum += rowDark[y];
            }
        }

        var leftFraction = leftN == 0 ? 0 : (double)leftDark / leftN;
        var rightFraction = rightN == 0 ? 0 : (double)rightDark / rightN;
        var darkCount = leftDark + rightDark;
        var central = 0.0;
        if (darkCount > 0 && weightSum > 0)
        {
            central = Math.Clamp((centralSum / weightSum) - (lateralDarkSum / darkCount), 0, 1);
        }

        return (Math.Min(leftFraction, rightFraction), central);
    }
}
