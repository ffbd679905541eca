using MedVision.Core.Analysis;
using MedVision.Core.Classification;
using MedVision.Imaging;

namespace MedVision.Models;

/// <summary>A generated study and, when a finding was planted, the planted region's box.</summary>
public sealed record SyntheticStudy(string Name, Raster Image, Modality Modality, BoundingBox? PlantedBox)
{
    public bool HasFinding => PlantedBox is not null;
}

/// <summary>
/// Deterministic, plausible-looking 8-bit gray studies for samples and tests. They are cartoons of each
/// modality's typical appearance, drawn from <see cref="Random"/> seeded by the caller — not real anatomy.
/// </summary>
public static class SyntheticStudies
{
    /// <summary>Below this size the drawings stop resembling anything; the analyzers still accept them.</summary>
    public const int MinimumSize = 16;

    public static Raster ChestXray(int seed, int width = 320, int height = 320, bool withNodule = true) =>
        ChestXrayStudy(seed, width, height, withNodule).Image;

    public static Raster BrainMri(int seed, int width = 320, int height = 320, bool withLesion = true) =>
        BrainMriStudy(seed, width, height, withLesion).Image;

    public static Raster AbdomenCt(int seed, int width = 320, int height = 320, bool withMass = true) =>
        AbdomenCtStudy(seed, width, height, withMass).Image;

    public static Raster Ultrasound(int seed, int width = 320, int height = 320, bool withCyst = true) =>
        UltrasoundStudy(seed, width, height, withCyst).Image;

    /// <summary>The study of <paramref name="modality"/> with its planted box (null without a finding).</summary>
    public static SyntheticStudy Generate(Modality modality, int seed, int width = 320, int height = 320, bool withFinding = true) =>
        modality switch
        {
            Modality.XRay => ChestXrayStudy(seed, width, height, withFinding),
            Modality.Mri => BrainMriStudy(seed, width, height, withFinding),
            Modality.Ct => AbdomenCtStudy(seed, width, height, withFinding),
            Modality.Ultrasound => UltrasoundStudy(seed, width, height, withFinding),
            _ => throw new ArgumentOutOfRangeException(nameof(modality)),
        };

    /// <summary>One study of each modality with a finding, plus a normal chest X-ray (fixed seeds).</summary>
    public static IReadOnlyList<(string Name, Raster Image, Modality Modality, bool HasFinding)> SampleSet() =>
        new[]
        {
            ChestXrayStudy(101, 320, 320, true),
            ChestXrayStudy(102, 320, 320, false),
            BrainMriStudy(201, 320, 320, true),
            AbdomenCtStudy(301, 320, 320, true),
            UltrasoundStudy(401, 320, 320, true),
        }
        .Select(s => (s.Name, s.Image, s.Modality, s.HasFinding))
        .ToList();

    /// <summary>
    /// PA chest film: bright soft tissue filling the frame, two dark lung fields, a bright mediastinum and
    /// heart, ribs as bright curved bands, optionally a bright round nodule inside one lung.
    /// </summary>
    public static SyntheticStudy ChestXrayStudy(int seed, int width = 320, int height = 320, bool withNodule = true)
    {
        CheckSize(width, height);
        var random = new Random(seed);
        var c = new Canvas(width, height);
        var w = (double)width;
        var h = (double)height;
        var s = Math.Min(w, h);

        // Soft tissue, slightly brighter towards the abdomen.
        var tissue = 165 + Jitter(random, 10);
        c.Fill((x, y) => tissue + (18 * y / h));

        var lungY = h * (0.44 + Jitter(random, 0.02));
        var lungRx = w * (0.155 + Jitter(random, 0.01));
        var lungRy = h * (0.29 + Jitter(random, 0.015));
        var leftX = w * (0.30 + Jitter(random, 0.015));
        var rightX = w * (0.70 + Jitter(random, 0.015));
        var lungValue = 70 + Jitter(random, 10);
        var edge = Math.Max(1.0, 0.02 * s);
        c.BlendEllipse(leftX, lungY, lungRx, lungRy, edge, (_, y) => lungValue - (12 * (lungY - y) / lungRy));
        c.BlendEllipse(rightX, lungY, lungRx, lungRy, edge, (_, y) => lungValue - (12 * (lungY - y) / lungRy));

        // Heart bulging into the patient's left lung (image right), drawn over the lung.
        var heartX = w * 0.56;
        var heartY = h * 0.63;
        var heartRx = w * 0.13;
        var heartRy = h * 0.13;
        c.BlendEllipse(heartX, heartY, heartRx, heartRy, edge, (_, _) => 195);

        // Ribs: curved bright bands across both lungs, sloping down laterally.
        var ribs = 7;
        var ribThickness = Math.Max(1.0, 0.02 * h);
        for (var i = 0; i < ribs; i++)
        {
            var top = (h * 0.17) + (i * h * 0.075);
            c.Add((x, y) =>
            {
                var lateral = (x - (w / 2)) / (w * 0.42);
                if (Math.Abs(lateral) > 1.05 || Math.Abs(lateral) < 0.2)
                {
                    return 0;
                }

                var centre = top + (h * 0.09 * lateral * lateral);
                var d = Math.Abs(y - centre) / ribThickness;
                return d >= 1 ? 0 : 20 * (1 - (d * d));
            });
        }

        // Spine / mediastinum: a bright central column.
        c.Add((x, _) => 30 * Math.Exp(-Math.Pow((x - (w / 2)) / (w * 0.05), 2)));

        BoundingBox? planted = null;
        if (withNodule)
        {
            var side = random.Next(2) == 0 ? leftX : rightX;
            var radius = s * (0.035 + (random.NextDouble() * 0.012));
            double cx;
            double cy;
            do
            {
                // Inside the lung and clear of the heart border: a nodule fused with the heart shadow is
                // beyond what a local-contrast detector can separate.
                var angle = random.NextDouble() * Math.PI * 2;
                var reach = 0.2 + (random.NextDouble() * 0.35);
                cx = side + (Math.Cos(angle) * reach * lungRx);
                cy = lungY + (Math.Sin(angle) * reach * lungRy);
            }
            while (Math.Sqrt(Math.Pow((cx - heartX) / heartRx, 2) + Math.Pow((cy - heartY) / heartRy, 2)) < 1 + (3 * radius / heartRx));

            var amplitude = 70 + Jitter(random, 8);
            c.AddDisk(cx, cy, radius, amplitude);
            planted = BoxOf(cx, cy, radius, width, height);
        }

        c.AddGaussianNoise(random, 3, (_, _) => true);
        return new SyntheticStudy(withNodule ? $"chest-xray-nodule-{seed}" : $"chest-xray-normal-{seed}", c.ToRaster(), Modality.XRay, planted);
    }

    /// <summary>
    /// Axial brain MRI: black background, elliptical head with a bright scalp rim and a dark skull, gray
    /// matter around brighter white matter with soft texture, dark ventricles, optionally a bright lesion.
    /// </summary>
    public static SyntheticStudy BrainMriStudy(int seed, int width = 320, int height = 320, bool withLesion = true)
    {
        CheckSize(width, height);
        var random = new Random(seed);
        var c = new Canvas(width, height);
        var w = (double)width;
        var h = (double)height;
        var s = Math.Min(w, h);
        var cx = w * (0.5 + Jitter(random, 0.02));
        var cy = h * (0.5 + Jitter(random, 0.02));
        var rx = w * (0.36 + Jitter(random, 0.015));
        var ry = h * (0.43 + Jitter(random, 0.015));
        var edge = Math.Max(0.8, 0.006 * s);

        c.BlendEllipse(cx, cy, rx, ry, edge, (_, _) => 165 + Jitter(random, 8));
        c.BlendEllipse(cx, cy, rx * 0.95, ry * 0.95, edge, (_, _) => 35);
        var gray = 100 + Jitter(random, 6);
        c.BlendEllipse(cx, cy, rx * 0.92, ry * 0.92, edge, (_, _) => gray);

        // Soft white-matter texture: a few random low-frequency waves.
        var waves = Enumerable.Range(0, 4)
            .Select(_ => (Fx: (1 + (random.NextDouble() * 3)) / w, Fy: (1 + (random.NextDouble() * 3)) / h, Phase: random.NextDouble() * Math.PI * 2))
            .ToArray();
        double Texture(double x, double y) => waves.Sum(v => 3.5 * Math.Sin((2 * Math.PI * ((v.Fx * x) + (v.Fy * y))) + v.Phase));
        var white = 140 + Jitter(random, 6);
        c.BlendEllipse(cx, cy, rx * 0.72, ry * 0.74, Math.Max(1.5, 0.03 * s), (x, y) => white + Texture(x, y));

        // Ventricles: two dark crescents either side of the midline.
        var vEdge = Math.Max(0.8, 0.01 * s);
        c.BlendEllipse(cx - (w * 0.035), cy - (h * 0.02), w * 0.025, h * 0.09, vEdge, (_, _) => 40);
        c.BlendEllipse(cx + (w * 0.035), cy - (h * 0.02), w * 0.025, h * 0.09, vEdge, (_, _) => 40);

        BoundingBox? planted = null;
        if (withLesion)
        {
            var radius = s * (0.04 + (random.NextDouble() * 0.015));
            var angle = random.NextDouble() * Math.PI * 2;
            var reach = 0.3 + (random.NextDouble() * 0.25);
            var lx = cx + (Math.Cos(angle) * reach * rx);
            var ly = cy + (Math.Sin(angle) * reach * ry);
            c.BlendDisk(lx, ly, radius, 222 + Jitter(random, 8));
            planted = BoxOf(lx, ly, radius, width, height);
        }

        c.AddGaussianNoise(random, 3, (x, y) => Inside(x, y, cx, cy, rx, ry));
        c.AddRicianFloor(random, 2, (x, y) => !Inside(x, y, cx, cy, rx, ry));
        return new SyntheticStudy(withLesion ? $"brain-mri-lesion-{seed}" : $"brain-mri-normal-{seed}", c.ToRaster(), Modality.Mri, planted);
    }

    /// <summary>
    /// Axial abdominal CT: black air, elliptical body with a dark fat layer, a thin very bright bone ring
    /// and a bright vertebral body, homogeneous mid-gray soft tissue, optionally a hyperdense mass.
    /// </summary>
    public static SyntheticStudy AbdomenCtStudy(int seed, int width = 320, int height = 320, bool withMass = true)
    {
        CheckSize(width, height);
        var random = new Random(seed);
        var c = new Canvas(width, height);
        var w = (double)width;
        var h = (double)height;
        var s = Math.Min(w, h);
        var cx = w * (0.5 + Jitter(random, 0.015));
        var cy = h * (0.5 + Jitter(random, 0.015));
        var rx = w * (0.43 + Jitter(random, 0.015));
        var ry = h * (0.34 + Jitter(random, 0.015));
        var edge = Math.Max(0.7, 0.004 * s);

        c.BlendEllipse(cx, cy, rx, ry, edge, (_, _) => 80 + Jitter(random, 5));
        c.BlendEllipse(cx, cy, rx * 0.955, ry * 0.955, edge, (_, _) => 240);
        c.BlendEllipse(cx, cy, rx * 0.925, ry * 0.925, edge, (_, _) => 80);
        var soft = 122 + Jitter(random, 5);
        c.BlendEllipse(cx, cy, rx * 0.9, ry * 0.9, edge, (_, _) => soft);

        // Liver on the image left, a little denser than the rest; low contrast on purpose.
        c.BlendEllipse(cx - (rx * 0.45), cy - (ry * 0.15), rx * 0.35, ry * 0.45, Math.Max(1.0, 0.02 * s), (_, _) => soft + 8);

        // Vertebral body at the back (bottom of the image).
        var spineX = cx;
        var spineY = cy + (ry * 0.62);
        var spineR = s * 0.055;
        c.BlendDisk(spineX, spineY, spineR, 238);

        BoundingBox? planted = null;
        if (withMass)
        {
            var radius = s * (0.05 + (random.NextDouble() * 0.015));
            double mx;
            double my;
            do
            {
                var angle = random.NextDouble() * Math.PI * 2;
                var reach = 0.15 + (random.NextDouble() * 0.45);
                mx = cx + (Math.Cos(angle) * reach * rx);
                my = cy + (Math.Sin(angle) * reach * ry);
            }
            while (Math.Sqrt(Math.Pow(mx - spineX, 2) + Math.Pow(my - spineY, 2)) < spineR + (radius * 2.5));

            c.BlendDisk(mx, my, radius, 190 + Jitter(random, 6));
            planted = BoxOf(mx, my, radius, width, height);
        }

        c.AddGaussianNoise(random, 4, (x, y) => Inside(x, y, cx, cy, rx, ry));
        return new SyntheticStudy(withMass ? $"abdomen-ct-mass-{seed}" : $"abdomen-ct-normal-{seed}", c.ToRaster(), Modality.Ct, planted);
    }

    /// <summary>
    /// B-mode ultrasound: black surround, a sector (apex at top centre) of speckle over layered tissue
    /// echogenicity, optionally an anechoic round cyst with posterior enhancement.
    /// </summary>
    public static SyntheticStudy UltrasoundStudy(int seed, int width = 320, int height = 320, bool withCyst = true)
    {
        CheckSize(width, height);
        var random = new Random(seed);
        var w = (double)width;
        var h = (double)height;
        var s = Math.Min(w, h);
        var apexX = w / 2;
        var apexY = h * 0.03;
        var halfAngle = (38 + Jitter(random, 3)) * Math.PI / 180;
        var inner = h * 0.07;
        var outer = Math.Min(h * 0.93, (w * 0.48) / Math.Sin(halfAngle));

        bool InFan(double x, double y)
        {
            var dx = x - apexX;
            var dy = y - apexY;
            var r = Math.Sqrt((dx * dx) + (dy * dy));
            return r >= inner && r <= outer && dy > 0 && Math.Abs(Math.Atan2(dx, dy)) <= halfAngle;
        }

        // Layered echogenicity: brighter subcutaneous layer, two tissue layers, depth attenuation.
        var layer1 = apexY + (outer * (0.2 + Jitter(random, 0.03)));
        var layer2 = apexY + (outer * (0.6 + Jitter(random, 0.05)));
        var e1 = 150 + Jitter(random, 10);
        var e2 = 105 + Jitter(random, 10);
        var e3 = 120 + Jitter(random, 10);

        double cystX = 0, cystY = 0, cystR = 0;
        BoundingBox? planted = null;
        if (withCyst)
        {
            cystR = s * (0.06 + (random.NextDouble() * 0.02));
            var depth = outer * (0.4 + (random.NextDouble() * 0.25));
            var angle = halfAngle * 0.5 * ((random.NextDouble() * 2) - 1);
            cystX = apexX + (Math.Sin(angle) * depth);
            cystY = apexY + (Math.Cos(angle) * depth);
            planted = BoxOf(cystX, cystY, cystR, width, height);
        }

        // Speckle: Rayleigh amplitude (mean 1), correlated laterally as the beam is wider than the pulse.
        var speckle = new double[width * height];
        for (var i = 0; i < speckle.Length; i++)
        {
            speckle[i] = Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) / 1.2533;
        }

        var c = new Canvas(width, height);
        c.Fill((x, y) =>
        {
            var px = x + 0.5;
            var py = y + 0.5;
            if (!InFan(px, py))
            {
                return 0;
            }

            var echo = py < layer1 ? e1 : py < layer2 ? e2 : e3;
            echo *= 1 - (0.25 * (py - apexY) / outer);
            if (withCyst)
            {
                var d = Math.Sqrt(Math.Pow(px - cystX, 2) + Math.Pow(py - cystY, 2));
                var inside = Fuzzy.Step(cystR + 1, cystR - 1, d);
                var behind = py > cystY && Math.Abs(px - cystX) < cystR ? 1.15 : 1.0;
                echo = (echo * behind * (1 - inside)) + (10 * inside);
            }

            var i = (y * width) + x;
            var left = speckle[(y * width) + Math.Max(0, x - 1)];
            var right = speckle[(y * width) + Math.Min(width - 1, x + 1)];
            return echo * ((0.5 * speckle[i]) + (0.25 * left) + (0.25 * right));
        });

        return new SyntheticStudy(withCyst ? $"ultrasound-cyst-{seed}" : $"ultrasound-normal-{seed}", c.ToRaster(), Modality.Ultrasound, planted);
    }

    private static void CheckSize(int width, int height)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, MinimumSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, MinimumSize);
    }

    private static double Jitter(Random random, double amount) => ((random.NextDouble() * 2) - 1) * amount;

    private static bool Inside(double x, double y, double cx, double cy, double rx, double ry)
    {
        var dx = (x + 0.5 - cx) / rx;
        var dy = (y + 0.5 - cy) / ry;
        return (dx * dx) + (dy * dy) <= 1;
    }

    private static BoundingBox BoxOf(double cx, double cy, double radius, int width, int height)
    {
        var x0 = (int)Math.Floor(cx - radius);
        var y0 = (int)Math.Floor(cy - radius);
        var x1 = (int)Math.Ceiling(cx + radius);
        var y1 = (int)Math.Ceiling(cy + radius);
        return new BoundingBox(x0, y0, x1 - x0, y1 - y0).ClipTo(width, height) ?? new BoundingBox(0, 0, 1, 1);
    }

    /// <summary>Float drawing surface in gray levels (0..255), quantised once at the end.</summary>
    private sealed class Canvas(int width, int height)
    {
        private readonly double[] _v = new double[width * height];

        public void Fill(Func<int, int, double> value)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    _v[(y * width) + x] = value(x, y);
                }
            }
        }

        public void Add(Func<double, double, double> delta)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    _v[(y * width) + x] += delta(x + 0.5, y + 0.5);
                }
            }
        }

        /// <summary>Replaces the pixels inside the ellipse with <paramref name="value"/>, blending a soft edge.</summary>
        public void BlendEllipse(double cx, double cy, double rx, double ry, double edge, Func<double, double, double> value)
        {
            var r = Math.Max(rx, ry);
            var x0 = Math.Max(0, (int)(cx - rx - edge - 1));
            var x1 = Math.Min(width - 1, (int)(cx + rx + edge + 1));
            var y0 = Math.Max(0, (int)(cy - ry - edge - 1));
            var y1 = Math.Min(height - 1, (int)(cy + ry + edge + 1));
            for (var y = y0; y <= y1; y++)
            {
                for (var x = x0; x <= x1; x++)
                {
                    var px = x + 0.5;
                    var py = y + 0.5;
                    var dx = (px - cx) / rx;
                    var dy = (py - cy) / ry;

                    // Approximate distance outside the boundary in pixels, scaled by the larger radius.
                    var outside = (Math.Sqrt((dx * dx) + (dy * dy)) - 1) * r;
                    var alpha = Fuzzy.Step(edge, -edge, outside);
                    if (alpha > 0)
                    {
                        var i = (y * width) + x;
                        _v[i] = (_v[i] * (1 - alpha)) + (value(px, py) * alpha);
                    }
                }
            }
        }

        public void BlendDisk(double cx, double cy, double radius, double value) =>
            BlendEllipse(cx, cy, radius, radius, Math.Max(0.7, radius * 0.15), (_, _) => value);

        public void AddDisk(double cx, double cy, double radius, double amplitude)
        {
            var edge = Math.Max(0.7, radius * 0.2);
            Add((x, y) =>
            {
                var d = Math.Sqrt(Math.Pow(x - cx, 2) + Math.Pow(y - cy, 2));
                return amplitude * Fuzzy.Step(radius + edge, radius - edge, d);
            });
        }

        public void AddGaussianNoise(Random random, double sigma, Func<int, int, bool> where)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    // Box-Muller; draw even where unused so the sequence does not depend on the mask.
                    var u1 = 1 - random.NextDouble();
                    var u2 = random.NextDouble();
                    var n = Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
                    if (where(x, y))
                    {
                        _v[(y * width) + x] += sigma * n;
                    }
                }
            }
        }

        /// <summary>Magnitude noise in the background, as MRI shows (never negative).</summary>
        public void AddRicianFloor(Random random, double sigma, Func<int, int, bool> where)
        {
            for (var y = 0; y < height; y++)
            {
                for (var x = 0; x < width; x++)
                {
                    var a = random.NextDouble() - 0.5;
                    var b = random.NextDouble() - 0.5;
                    if (where(x, y))
                    {
                        _v[(y * width) + x] += sigma * 2 * Math.Sqrt((a * a) + (b * b));
                    }
                }
            }
        }

        public Raster ToRaster()
        {
            var data = new byte[_v.Length];
            for (var i = 0; i < data.Length; i++)
            {
                data[i] = (byte)Math.Clamp(Math.Round(_v[i]), 0, 255);
            }

            return new Raster(width, height, ColorModel.Gray, 8, data);
        }
    }
}
