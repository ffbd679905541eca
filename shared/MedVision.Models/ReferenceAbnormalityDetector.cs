using System.Diagnostics.CodeAnalysis;
using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Core.Inference;
using MedVision.Imaging;

namespace MedVision.Models;

/// <summary>
/// Reference abnormality detector: multi-scale centre-surround blob detection on the luminance, normalised
/// by the surround's own variability. Classical image analysis, not a trained or clinically validated model
/// (see README.md for the rules).
/// </summary>
public sealed class ReferenceAbnormalityDetector
{
    public const string ModelNamePrefix = "reference-detector";

    public const string Version = "1.2";

    /// <summary>Detection runs at most at this size on the long side; boxes are scaled back.</summary>
    public const int WorkingSize = 256;

    /// <summary>At most this many detections per image, strongest first.</summary>
    public const int MaxDetections = 20;

    /// <summary>Candidates weaker than this confidence are not reported at all.</summary>
    public const double ReportFloor = 0.05;

    // Centre half-sizes (working pixels).
    private static readonly int[] Scales = [2, 3, 5, 8, 12];

    // Pixels of centre-map z below this do not join a candidate region.
    private const double CandidateZ = 1.5;

    // Confidence = logistic((z − Z0) / ZSlope): z = 2.5 is a coin toss, z ≥ 3.2 gives ≥ 0.8, and the
    // z ≤ 1.8 that anatomy and noise reach on the synthetic normals stays below 0.2.
    private const double Z0 = 2.5;
    private const double ZSlope = 0.5;

    // Keeps a flat surround (synthetic or heavily smoothed images) from turning tiny steps into huge z.
    private const double NoiseFloor = 0.02;

    private const float BackgroundLevel = 0.06f;
    private const float BoneLevel = 0.85f;

    /// <summary>Saliency maps z linearly to gray: 0 at z = 0, white at this z (confidence ≈ 0.95).</summary>
    public const double SaliencyFullZ = 4.0;

    public static ModelIdentity ModelFor(Modality modality) => new($"{ModelNamePrefix}-{modality.WireName()}", Version);

    [SuppressMessage("Performance", "CA1822:Mark members as static", Justification = "Instance API so hosts can inject, share and later swap analyzers.")]
    public ModelResponse Detect(Raster image, Modality modality)
    {
        ArgumentNullException.ThrowIfNull(image);
        _ = modality.WireName(); // rejects undefined enum values up front
        var g = GrayImage.FromRaster(image, WorkingSize, out var factor);
        var candidates = Analyze(g, modality, out var evidence, out var mask);
        var detections = candidates
            .Select(c => ToFinding(c, modality, factor, image.Width, image.Height))
            .ToList();
        return new ModelResponse
        {
            ContractVersion = InferenceContract.Version,
            Model = ModelFor(modality),
            Task = InferenceTask.Detect,
            InputWidth = image.Width,
            InputHeight = image.Height,
            Findings = detections,
            Saliency = new ModelImage { Width = g.Width, Height = g.Height, Data = SaliencyPng(evidence, mask, g.Width, g.Height) },
        };
    }

    /// <summary>
    /// The evidence map behind the findings: the best-over-scales positive centre–surround z (without the components
    /// the shape and anatomy rules rejected, such as CT bone or ribs), smoothed with a 3×3
    /// mean (so a blob reads as a spot, not single pixels), masked to the body and scaled so z = 0 is black and
    /// <see cref="SaliencyFullZ"/> or more is white. Working resolution (≤ 256 px), 8-bit gray PNG; the same
    /// sequential float operations on the same pixels give the same bytes.
    /// </summary>
    private static byte[] SaliencyPng(double[] z, bool[] mask, int w, int h)
    {
        var level = new float[z.Length];
        for (var i = 0; i < z.Length; i++)
        {
            level[i] = (float)Math.Clamp(z[i] / SaliencyFullZ, 0, 1);
        }

        var smooth = new GrayImage(w, h, level).BoxBlur(1);
        var raster = new Raster(w, h, ColorModel.Gray, 8);
        for (var i = 0; i < z.Length; i++)
        {
            raster.Data[i] = mask[i] ? (byte)Math.Round(255 * Math.Clamp(smooth.Pixels[i], 0f, 1f)) : (byte)0;
        }

        return PngEncoder.Encode(raster);
    }

    /// <summary>The candidates, strongest first; <paramref name="evidence"/> is the z-map minus rejected components.</summary>
    private static List<Candidate> Analyze(GrayImage g, Modality modality, out double[] evidence, out bool[] mask)
    {
        var w = g.Width;
        var h = g.Height;
        var n = w * h;

        // A 3×3 mean suppresses pixel noise and ultrasound speckle before any statistics.
        var smooth = g.BoxBlur(1);
        var background = g.BorderBackground(BackgroundLevel);
        var bgCount = background.Count(b => b);
        mask = new bool[n];
        var distance = GrayImage.DistanceToBackground(background, w, h);

        // With a body on a background, its outer band (skin, fat, skull, CT bone ring, fan edge) is anatomy
        // seen edge-on and must not be a finding.
        var edgeBand = 0.0;
        if (bgCount > 0.05 * n && bgCount < n)
        {
            edgeBand = Math.Max(2.0, 0.08 * Math.Sqrt((n - bgCount) / Math.PI));
        }

        for (var i = 0; i < n; i++)
        {
            mask[i] = !background[i];
        }

        var values = new IntegralImage(w, h, smooth.Pixels);
        var squares = IntegralImage.OfSquares(w, h, smooth.Pixels);
        var inMask = IntegralImage.OfMask(w, h, mask);
        var polarity = modality == Modality.Ultrasound ? -1.0 : 1.0;

        var z = new double[n];
        var bestScale = new int[n];
        var surround = new double[n];
        var cellMeans = new double[8];
        var cellAreas = new double[8];
        foreach (var r in Scales)
        {
            // Centre box of half-size r; a guard gap keeps the blob's own soft edge out of the surround.
            // The surround (half-size inner+1 .. outer) is split into 8 cells, so one bright neighbour
            // (heart, bone) cannot hide a blob and a line through the centre can be recognised.
            var gap = Math.Max(1, r / 2);
            var inner = r + gap;
            var outer = (2 * r) + gap;
            var outerArea = ((2 * outer) + 1) * ((2 * outer) + 1);
            var centreArea = ((2 * r) + 1) * ((2 * r) + 1);
            for (var y = outer; y < h - outer; y++)
            {
                for (var x = outer; x < w - outer; x++)
                {
                    var i = (y * w) + x;
                    if (!mask[i] || distance[i] <= edgeBand)
                    {
                        continue;
                    }

                    // The whole window must lie on the body: background inside it would fake contrast.
                    if (inMask.Sum(x - outer, y - outer, x + outer, y + outer) < outerArea - 0.5)
                    {
                        continue;
                    }

                    var centre = polarity * values.Sum(x - r, y - r, x + r, y + r) / centreArea;
                    Surround(values, squares, x, y, inner, outer, polarity, cellMeans, cellAreas, out var baseline, out var noise);

                    var contrast = centre - baseline;
                    if (contrast <= 0 || IsLinear(cellMeans, baseline + (0.5 * contrast)))
                    {
                        continue;
                    }

                    var score = contrast / (noise + NoiseFloor);
                    if (score > z[i])
                    {
                        z[i] = score;
                        bestScale[i] = r;
                        surround[i] = polarity * baseline;
                    }
                }
            }
        }

        var maskValues = new List<float>();
        for (var i = 0; i < n; i++)
        {
            if (mask[i])
            {
                maskValues.Add(smooth.Pixels[i]);
            }
        }

        var maskMedian = Fuzzy.Quantile(maskValues, 0.5);
        var candidates = new List<Candidate>();
        var labelled = new bool[n];
        var members = new List<int>();
        evidence = (double[])z.Clone();
        for (var start = 0; start < n; start++)
        {
            if (labelled[start] || z[start] < CandidateZ)
            {
                continue;
            }

            var peak = PeakOfComponent(start, z, labelled, w, h, members);
            var candidate = Describe(peak, z[peak], bestScale[peak], surround[peak], smooth, mask, polarity, modality, maskMedian);
            if (candidate is not null)
            {
                candidates.Add(candidate);
            }
            else
            {
                // Rejected as anatomy (bone, rib, edge): not evidence, so not hot on the saliency map either.
                foreach (var i in members)
                {
                    evidence[i] = 0;
                }
            }
        }

        // Strongest first; position breaks ties so the order is fully deterministic.
        candidates.Sort((a, b) => b.Z != a.Z ? b.Z.CompareTo(a.Z) : a.Peak.CompareTo(b.Peak));
        var kept = new List<Candidate>();
        foreach (var c in candidates)
        {
            if (kept.Count >= MaxDetections)
            {
                break;
            }

            if (!kept.Exists(k => k.Box.IntersectionOverUnion(c.Box) > 0.5))
            {
                kept.Add(c);
            }
        }

        return kept;
    }

    // Ring order of the 8 surround cells: TL, T, TR, R, BR, B, BL, L (neighbours differ by 1 mod 8).
    private static readonly (int Col, int Row)[] Cells = [(0, 0), (1, 0), (2, 0), (2, 1), (2, 2), (1, 2), (0, 2), (0, 1)];

    /// <summary>
    /// Surround statistics from the 8 cells, polarity-adjusted (so "brighter" means "more like a finding").
    /// The baseline is the ring mean. The noise combines the pixel variability inside the cells (noise,
    /// speckle, texture) with the upward semi-variance between cells: a cell brighter than the ring (an edge,
    /// a rib, a neighbouring bright organ) competes with the centre and raises the bar, while a darker cell
    /// (a ventricle, a lung) only makes the centre stand out more and does not.
    /// </summary>
    private static void Surround(
        IntegralImage values, IntegralImage squares, int x, int y, int inner, int outer, double polarity,
        double[] means, double[] areas, out double baseline, out double noise)
    {
        Span<int> starts = [-outer, -inner, inner + 1];
        Span<int> ends = [-inner - 1, inner, outer];
        double total = 0, sum = 0, within = 0;
        for (var k = 0; k < 8; k++)
        {
            var (col, row) = Cells[k];
            var x0 = x + starts[col];
            var x1 = x + ends[col];
            var y0 = y + starts[row];
            var y1 = y + ends[row];
            var area = (double)(x1 - x0 + 1) * (y1 - y0 + 1);
            var cellSum = values.Sum(x0, y0, x1, y1);
            var mean = cellSum / area;
            within += Math.Max(0, squares.Sum(x0, y0, x1, y1) - (cellSum * mean));
            means[k] = polarity * mean;
            areas[k] = area;
            total += area;
            sum += cellSum;
        }

        baseline = polarity * sum / total;
        var upward = 0.0;
        for (var k = 0; k < 8; k++)
        {
            var d = Math.Max(0, means[k] - baseline);
            upward += areas[k] * d * d;
        }

        noise = Math.Sqrt((within + upward) / total);
    }

    /// <summary>
    /// True when the cells reaching the half-contrast level are not one compact arc: more than 3 of them,
    /// or two that are not neighbours (a rib, vessel or edge passing through the centre).
    /// </summary>
    private static bool IsLinear(double[] means, double level)
    {
        var count = 0;
        for (var a = 0; a < 8; a++)
        {
            if (means[a] < level)
            {
                continue;
            }

            count++;
            for (var b = a + 1; b < 8; b++)
            {
                if (means[b] >= level && Math.Min(b - a, 8 - (b - a)) >= 3)
                {
                    return true;
                }
            }
        }

        return count > 3;
    }

    /// <summary>Labels the 8-connected component of z ≥ CandidateZ containing start (listed in <paramref name="members"/>); returns its peak.</summary>
    private static int PeakOfComponent(int start, double[] z, bool[] labelled, int w, int h, List<int> members)
    {
        members.Clear();
        var peak = start;
        var queue = new Queue<int>();
        labelled[start] = true;
        queue.Enqueue(start);
        while (queue.Count > 0)
        {
            var i = queue.Dequeue();
            members.Add(i);
            if (z[i] > z[peak])
            {
                peak = i;
            }

            var x = i % w;
            var y = i / w;
            for (var dy = -1; dy <= 1; dy++)
            {
                for (var dx = -1; dx <= 1; dx++)
                {
                    var nx = x + dx;
                    var ny = y + dy;
                    if (nx < 0 || ny < 0 || nx >= w || ny >= h)
                    {
                        continue;
                    }

                    var j = (ny * w) + nx;
                    if (!labelled[j] && z[j] >= CandidateZ)
                    {
                        labelled[j] = true;
                        queue.Enqueue(j);
                    }
                }
            }
        }

        return peak;
    }

    /// <summary>
    /// Grows the blob from the peak over pixels beyond half the centre-surround contrast within a window
    /// of ±3× the scale, applies the shape and anatomy rules, and boxes the part of the region within the
    /// scale's own extent. Null when the candidate is rejected.
    /// </summary>
    private static Candidate? Describe(
        int peak, double peakZ, int scale, double baseline, GrayImage smooth, bool[] mask, double polarity, Modality modality, double maskMedian)
    {
        var w = smooth.Width;
        var h = smooth.Height;
        var confidence = Fuzzy.Logistic((peakZ - Z0) / ZSlope);
        if (confidence < ReportFloor)
        {
            return null;
        }

        var px = peak % w;
        var py = peak / w;
        var level = (smooth.Pixels[peak] + baseline) / 2;
        var limit = 3 * scale;
        var extent = scale + Math.Max(1, scale / 2);
        var seen = new HashSet<int> { peak };
        var queue = new Queue<int>();
        queue.Enqueue(peak);
        int minX = px, maxX = px, minY = py, maxY = py, count = 0;
        int boxMinX = px, boxMaxX = px, boxMinY = py, boxMaxY = py, boxCount = 0;
        double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
        var maxValue = 0f;
        void Visit(int nx, int ny)
        {
            if (nx < 0 || ny < 0 || nx >= w || ny >= h || Math.Abs(nx - px) > limit || Math.Abs(ny - py) > limit)
            {
                return;
            }

            var j = (ny * w) + nx;
            if (mask[j] && polarity * (smooth.Pixels[j] - level) > 0 && seen.Add(j))
            {
                queue.Enqueue(j);
            }
        }

        while (queue.Count > 0)
        {
            var i = queue.Dequeue();
            var x = i % w;
            var y = i / w;
            count++;
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
            maxValue = Math.Max(maxValue, smooth.Pixels[i]);
            minX = Math.Min(minX, x);
            maxX = Math.Max(maxX, x);
            minY = Math.Min(minY, y);
            maxY = Math.Max(maxY, y);
            if (Math.Abs(x - px) <= extent && Math.Abs(y - py) <= extent)
            {
                boxCount++;
                boxMinX = Math.Min(boxMinX, x);
                boxMaxX = Math.Max(boxMaxX, x);
                boxMinY = Math.Min(boxMinY, y);
                boxMaxY = Math.Max(boxMaxY, y);
            }

            Visit(x - 1, y);
            Visit(x + 1, y);
            Visit(x, y - 1);
            Visit(x, y + 1);
        }

        // Part of a larger structure (the region runs out of the window on 3 or 4 sides): not focal.
        var sides = (px - minX >= limit ? 1 : 0) + (maxX - px >= limit ? 1 : 0) + (py - minY >= limit ? 1 : 0) + (maxY - py >= limit ? 1 : 0);
        if (sides >= 3)
        {
            return null;
        }

        // Linear structures (ribs, vessels, organ edges) are not blobs: reject strongly elongated regions.
        var mx = sx / count;
        var my = sy / count;
        var cxx = (sxx / count) - (mx * mx);
        var cyy = (syy / count) - (my * my);
        var cxy = (sxy / count) - (mx * my);
        var half = (cxx + cyy) / 2;
        var root = Math.Sqrt(Math.Max(0, (half * half) - ((cxx * cyy) - (cxy * cxy))));
        var major = half + root;
        var minor = Math.Max(1e-6, half - root);
        if (count >= 6 && major / minor > 9)
        {
            return null;
        }

        // CT: bone-density structures (ribs, vertebrae) are anatomy, not masses.
        if (modality == Modality.Ct && maxValue >= BoneLevel)
        {
            return null;
        }

        return new Candidate(
            peak,
            peakZ,
            confidence,
            scale,
            new BoundingBox(boxMinX, boxMinY, boxMaxX - boxMinX + 1, boxMaxY - boxMinY + 1),
            boxCount,
            Aerated: baseline < maskMedian);
    }

    private static ModelFinding ToFinding(Candidate c, Modality modality, int factor, int width, int height)
    {
        var box = new BoundingBox(c.Box.X * factor, c.Box.Y * factor, c.Box.Width * factor, c.Box.Height * factor)
            .ClipTo(width, height) ?? new BoundingBox(0, 0, 1, 1);

        // Equivalent diameter of the grown region, as a fraction of the image's short side.
        var diameter = Math.Sqrt(4 * c.Area / Math.PI) * factor / Math.Min(width, height);
        var type = Classify(modality, diameter, c.Aerated);
        var severity = c.Confidence >= 0.8 && diameter >= 0.06 ? Severity.High
            : c.Confidence >= 0.6 || diameter >= 0.06 ? Severity.Medium
            : Severity.Low;
        var appearance = modality switch
        {
            Modality.XRay => "bright focal opacity",
            Modality.Ct => "hyperdense focal region",
            Modality.Mri => "hyperintense focal region",
            _ => "anechoic round region",
        };
        return new ModelFinding
        {
            Type = type,
            Confidence = Math.Round(c.Confidence, 4),
            Severity = severity,
            BoundingBox = new ModelBox(box.X, box.Y, box.Width, box.Height),
            Description = $"Reference analyzer: {appearance}, local contrast z={c.Z:0.0} at {c.Scale * factor} px scale, " +
                          $"{box.Width}×{box.Height} px. Not a clinical diagnosis.",
        };
    }

    /// <summary>Modality-specific type rules (README.md): size and surroundings only, never texture.</summary>
    private static AbnormalityType Classify(Modality modality, double diameter, bool aerated) => modality switch
    {
        Modality.XRay when !aerated => AbnormalityType.Other,
        Modality.XRay => diameter >= 0.15 ? AbnormalityType.Infection : AbnormalityType.Lesion,
        Modality.Ct or Modality.Mri => diameter >= 0.10 ? AbnormalityType.Tumor : AbnormalityType.Lesion,
        _ => AbnormalityType.Other,
    };

    private sealed record Candidate(int Peak, double Z, double Confidence, int Scale, BoundingBox Box, int Area, bool Aerated);
}
