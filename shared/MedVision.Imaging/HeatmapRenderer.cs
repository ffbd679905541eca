using System.Globalization;

namespace MedVision.Imaging;

/// <summary>Renders model findings as a saliency heatmap with outlined, labelled boxes over the source image.</summary>
public static class HeatmapRenderer
{
    /// <summary>Confidence at or above which a finding is drawn in <see cref="HighColor"/>.</summary>
    public const double HighConfidence = 0.8;

    /// <summary>Confidence at or above which (and below <see cref="HighConfidence"/>) a finding is drawn in <see cref="MediumColor"/>.</summary>
    public const double MediumConfidence = 0.6;

    /// <summary>Each blob's Gaussian sigma, as a fraction of the box's width (x) or height (y); at least 1 px.</summary>
    public const double SigmaPerSide = 0.25;

    /// <summary>Blobs are exactly zero beyond this many sigmas, so distant pixels keep the source's values.</summary>
    public const double CutoffSigmas = 3.0;

    /// <summary>Boxes at least this wide and tall get a 2-pixel outline; smaller ones get 1 pixel.</summary>
    public const int ThickOutlineMinSide = 8;

    public static (byte R, byte G, byte B) HighColor => (255, 0, 0);

    public static (byte R, byte G, byte B) MediumColor => (255, 255, 0);

    public static (byte R, byte G, byte B) LowColor => (0, 0, 255);

    private static readonly (byte R, byte G, byte B) PanelColor = (0, 0, 0);
    private static readonly (byte R, byte G, byte B) TextColor = (255, 255, 255);

    // Value of the un-normalised Gaussian at the cutoff; subtracting it makes blobs fall smoothly to exactly 0.
    private static readonly double CutoffValue = Math.Exp(-0.5 * CutoffSigmas * CutoffSigmas);

    public static (byte R, byte G, byte B) BandColor(double confidence) =>
        confidence >= HighConfidence ? HighColor : confidence >= MediumConfidence ? MediumColor : LowColor;

    /// <summary>
    /// Heat colour for a field value in [0, 1]: blue, cyan, green, yellow, red. The red channel never decreases
    /// with the value, so on a dark source a hotter field is never rendered less red.
    /// </summary>
    public static (byte R, byte G, byte B) HeatColor(double value)
    {
        var t = Math.Clamp(double.IsNaN(value) ? 0 : value, 0, 1);
        static byte Ramp(double f) => (byte)Math.Round(255 * Math.Clamp(f, 0, 1), MidpointRounding.AwayFromZero);
        return t switch
        {
            < 0.25 => (0, Ramp(t * 4), 255),
            < 0.5 => (0, 255, Ramp(1 - ((t - 0.25) * 4))),
            < 0.75 => (Ramp((t - 0.5) * 4), 255, 0),
            _ => (255, Ramp(1 - ((t - 0.75) * 4)), 0),
        };
    }

    /// <summary>
    /// Row-major saliency in [0, 1]: per finding a truncated Gaussian centred on its (clamped) box whose peak, at the
    /// box's centre pixel(s), equals its confidence; the field is the maximum over findings.
    /// </summary>
    public static float[] SaliencyField(int width, int height, IReadOnlyList<HeatmapFinding> findings)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(height);
        ArgumentNullException.ThrowIfNull(findings);
        var field = new float[(long)width * height];
        foreach (var finding in findings)
        {
            ArgumentNullException.ThrowIfNull(finding, nameof(findings));
            var confidence = ClampConfidence(finding.Confidence);
            if (confidence <= 0 || !TryClamp(finding.Box, width, height, out var x0, out var y0, out var x1, out var y1))
            {
                continue;
            }

            // Centre in pixel-index space; the half-pixel plateau makes both middle pixels of an even side peak.
            var cx = x0 + ((x1 - x0 - 1) / 2.0);
            var cy = y0 + ((y1 - y0 - 1) / 2.0);
            var sx = Math.Max(1.0, (x1 - x0) * SigmaPerSide);
            var sy = Math.Max(1.0, (y1 - y0) * SigmaPerSide);
            var left = Math.Max(0, (int)Math.Floor(cx - 0.5 - (CutoffSigmas * sx)));
            var right = Math.Min(width - 1, (int)Math.Ceiling(cx + 0.5 + (CutoffSigmas * sx)));
            var top = Math.Max(0, (int)Math.Floor(cy - 0.5 - (CutoffSigmas * sy)));
            var bottom = Math.Min(height - 1, (int)Math.Ceiling(cy + 0.5 + (CutoffSigmas * sy)));
            for (var y = top; y <= bottom; y++)
            {
                var dy = Math.Max(0, Math.Abs(y - cy) - 0.5) / sy;
                for (var x = left; x <= right; x++)
                {
                    var dx = Math.Max(0, Math.Abs(x - cx) - 0.5) / sx;
                    var d2 = (dx * dx) + (dy * dy);
                    if (d2 >= CutoffSigmas * CutoffSigmas)
                    {
                        continue;
                    }

                    var shape = (Math.Exp(-0.5 * d2) - CutoffValue) / (1 - CutoffValue);
                    var value = (float)(confidence * shape);
                    var i = ((long)y * width) + x;
                    if (value > field[i])
                    {
                        field[i] = value;
                    }
                }
            }
        }

        return field;
    }

    /// <summary>
    /// 8-bit RGB image the size of <paramref name="source"/>: heat blended with alpha Opacity × field, then legend,
    /// watermark, labels and finally box outlines (last, so no annotation can hide a finding's extent).
    /// Pixels where the field is 0 and nothing is drawn equal the source converted to RGB8.
    /// </summary>
    public static Raster RenderOverlay(Raster source, IReadOnlyList<HeatmapFinding> findings, HeatmapOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(findings);
        options ??= new HeatmapOptions();
        if (!(options.Opacity is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.Opacity, "Opacity must be between 0 and 1.");
        }

        foreach (var finding in findings)
        {
            ArgumentNullException.ThrowIfNull(finding, nameof(findings));
            if (double.IsNaN(finding.Confidence))
            {
                throw new ArgumentException("A finding's confidence is NaN.", nameof(findings));
            }
        }

        if (!(options.ModelSaliencyWeight is >= 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.ModelSaliencyWeight, "ModelSaliencyWeight must be between 0 and 1.");
        }

        var output = source.ToRgb8();
        var field = SaliencyField(source.Width, source.Height, findings);
        if (options.ModelSaliency is { } saliency)
        {
            AddModelSaliency(field, source.Width, source.Height, saliency, options.ModelSaliencyWeight);
        }

        BlendHeat(output, field, options.Opacity);

        var scale = TextScale(output);
        var watermarkHeight = 0;
        if (!string.IsNullOrEmpty(options.Watermark))
        {
            watermarkHeight = DrawWatermark(output, options.Watermark, scale);
        }

        DrawLegend(output, findings, scale, watermarkHeight);

        foreach (var finding in findings)
        {
            DrawLabel(output, finding, scale);
        }

        foreach (var finding in findings)
        {
            DrawOutline(output, finding);
        }

        return output;
    }

    /// <summary>The model's map, resized to the image, joins the field as max(field, weight × luminance).</summary>
    private static void AddModelSaliency(float[] field, int width, int height, Raster saliency, double weight)
    {
        var scaled = Resampler.AreaAverage(saliency.ToGray8(), width, height);
        var data = scaled.Data;
        var scale = (float)(weight / 255.0);
        for (var i = 0; i < field.Length; i++)
        {
            var v = data[i] * scale;
            if (v > field[i])
            {
                field[i] = v;
            }
        }
    }

    /// <summary>Area-average downsample so the longer side is at most <paramref name="maxSide"/>; keeps color model and depth.</summary>
    public static Raster Thumbnail(Raster source, int maxSide) => Resampler.FitWithin(source, maxSide);

    /// <summary>Both images as RGB8 next to each other, left first; the shorter one is padded with black below.</summary>
    public static Raster SideBySide(Raster left, Raster right)
    {
        ArgumentNullException.ThrowIfNull(left);
        ArgumentNullException.ThrowIfNull(right);
        var width = (long)left.Width + right.Width;
        if (width > int.MaxValue)
        {
            throw new ArgumentException("The combined width does not fit in one raster.", nameof(right));
        }

        var output = new Raster((int)width, Math.Max(left.Height, right.Height), ColorModel.Rgb, 8);
        CopyInto(left.ToRgb8(), output, 0);
        CopyInto(right.ToRgb8(), output, left.Width);
        return output;
    }

    private static void CopyInto(Raster rgb, Raster output, int offsetX)
    {
        var rowBytes = rgb.Width * 3;
        for (var y = 0; y < rgb.Height; y++)
        {
            rgb.Data.AsSpan(y * rowBytes, rowBytes).CopyTo(output.Data.AsSpan(((y * output.Width) + offsetX) * 3));
        }
    }

    private static double ClampConfidence(double confidence) => double.IsNaN(confidence) ? 0 : Math.Clamp(confidence, 0, 1);

    private static bool TryClamp(Box box, int width, int height, out int x0, out int y0, out int x1, out int y1)
    {
        x0 = (int)Math.Clamp((long)box.X, 0, width);
        y0 = (int)Math.Clamp((long)box.Y, 0, height);
        x1 = (int)Math.Clamp((long)box.X + Math.Max(0, box.Width), 0, width);
        y1 = (int)Math.Clamp((long)box.Y + Math.Max(0, box.Height), 0, height);
        return x1 > x0 && y1 > y0;
    }

    private static void BlendHeat(Raster rgb, float[] field, double opacity)
    {
        var data = rgb.Data;
        // A model saliency map spreads a few hundred distinct values over every pixel, and HeatColor plus three Mix calls
        // per pixel were most of the heatmap stage. A value seen a second time gets a table of Mix's results for each
        // channel and source byte, so the output is the same bytes Mix gives; one-off values (the findings' Gaussians)
        // are computed directly. Both maps are capped so a field of all-distinct values cannot grow them without bound.
        const int maxSeen = 1 << 16;
        const int maxTables = 4096;
        var seen = new Dictionary<float, byte[]?>();
        var tables = 0;
        byte[]? table = null;
        var tableValue = float.NaN;
        for (var i = 0; i < field.Length; i++)
        {
            var value = field[i];
            if (value <= 0)
            {
                continue; // untouched pixels must stay bit-identical to the source
            }

            if (!value.Equals(tableValue))
            {
                tableValue = value;
                if (!seen.TryGetValue(value, out table))
                {
                    if (seen.Count < maxSeen)
                    {
                        seen[value] = null;
                    }
                }
                else if (table is null && tables < maxTables)
                {
                    table = MixTable(value, opacity);
                    seen[value] = table;
                    tables++;
                }
            }
            else if (table is null && tables < maxTables && seen.ContainsKey(value))
            {
                table = MixTable(value, opacity);
                seen[value] = table;
                tables++;
            }

            var p = i * 3;
            if (table is not null)
            {
                data[p] = table[data[p]];
                data[p + 1] = table[256 + data[p + 1]];
                data[p + 2] = table[512 + data[p + 2]];
                continue;
            }

            var alpha = opacity * value;
            var (r, g, b) = HeatColor(value);
            data[p] = Mix(data[p], r, alpha);
            data[p + 1] = Mix(data[p + 1], g, alpha);
            data[p + 2] = Mix(data[p + 2], b, alpha);
        }
    }

    /// <summary>Mix of each source byte with the heat colour of <paramref name="value"/>: red, green, blue, 256 entries each.</summary>
    private static byte[] MixTable(float value, double opacity)
    {
        var alpha = opacity * value;
        var (r, g, b) = HeatColor(value);
        var table = new byte[768];
        for (var under = 0; under < 256; under++)
        {
            table[under] = Mix((byte)under, r, alpha);
            table[256 + under] = Mix((byte)under, g, alpha);
            table[512 + under] = Mix((byte)under, b, alpha);
        }

        return table;
    }

    private static byte Mix(byte under, byte over, double alpha) =>
        (byte)Math.Clamp(Math.Round(under + ((over - under) * alpha), MidpointRounding.AwayFromZero), 0, 255);

    // Text stays legible on large studies without swamping small thumbnails.
    private static int TextScale(Raster image) => Math.Max(1, Math.Min(image.Width, image.Height) / 256);

    private static void FillRect(Raster rgb, int x, int y, int width, int height, (byte R, byte G, byte B) color)
    {
        var x0 = Math.Max(0, x);
        var y0 = Math.Max(0, y);
        var x1 = (int)Math.Min(rgb.Width, (long)x + width);
        var y1 = (int)Math.Min(rgb.Height, (long)y + height);
        for (var py = y0; py < y1; py++)
        {
            for (var px = x0; px < x1; px++)
            {
                var i = ((py * rgb.Width) + px) * 3;
                rgb.Data[i] = color.R;
                rgb.Data[i + 1] = color.G;
                rgb.Data[i + 2] = color.B;
            }
        }
    }

    private static void DrawOutline(Raster rgb, HeatmapFinding finding)
    {
        if (!TryClamp(finding.Box, rgb.Width, rgb.Height, out var x0, out var y0, out var x1, out var y1))
        {
            return;
        }

        var color = BandColor(ClampConfidence(finding.Confidence));
        var t = Math.Min(x1 - x0, y1 - y0) >= ThickOutlineMinSide ? 2 : 1;
        FillRect(rgb, x0, y0, x1 - x0, t, color);
        FillRect(rgb, x0, y1 - t, x1 - x0, t, color);
        FillRect(rgb, x0, y0, t, y1 - y0, color);
        FillRect(rgb, x1 - t, y0, t, y1 - y0, color);
    }

    private static void DrawLabel(Raster rgb, HeatmapFinding finding, int scale)
    {
        if (!TryClamp(finding.Box, rgb.Width, rgb.Height, out var x0, out var y0, out _, out _))
        {
            return;
        }

        // Truncated (not rounded) to two decimals so the number shown never crosses into a higher band than the colour.
        var confidence = ClampConfidence(finding.Confidence);
        var shown = (Math.Floor((confidence * 100) + 1e-9) / 100).ToString("0.00", CultureInfo.InvariantCulture);
        var label = (finding.Label ?? string.Empty).Trim();
        var color = BandColor(confidence);
        foreach (var text in label.Length > 0 ? new[] { $"{label} {shown}", shown } : [shown])
        {
            var panelWidth = BitmapFont.MeasureWidth(text, scale) + (2 * scale);
            var panelHeight = LabelHeight(scale);
            if (panelWidth > rgb.Width || panelHeight > rgb.Height)
            {
                continue;
            }

            var x = Math.Min(x0, rgb.Width - panelWidth);
            var y = y0 - panelHeight >= 0 ? y0 - panelHeight : y0 + 2;
            if (y + panelHeight > rgb.Height)
            {
                continue;
            }

            // A tab in the band colour reads as part of the box; yellow needs dark text, red and blue light text.
            FillRect(rgb, x, y, panelWidth, panelHeight, color);
            BitmapFont.DrawText(rgb, x + scale, y + scale, text, color == MediumColor ? PanelColor : TextColor, scale);
            return;
        }
    }

    private static int LabelHeight(int scale) => BitmapFont.MeasureHeight(scale) + (2 * scale);

    private static void DrawLegend(Raster rgb, IReadOnlyList<HeatmapFinding> findings, int scale, int reservedBottom)
    {
        var entries = new[] { ("HIGH", HighColor), ("MED", MediumColor), ("LOW", LowColor) };
        var pad = 2 * scale;
        var swatch = BitmapFont.GlyphHeight * scale;
        var gap = 3 * scale;
        var width = pad + swatch + gap + BitmapFont.MeasureWidth("HIGH", scale) + pad;
        var height = pad + (entries.Length * swatch) + ((entries.Length - 1) * pad) + pad;
        var margin = 2 * scale;
        if (width + (2 * margin) > rgb.Width || height + (2 * margin) + reservedBottom > rgb.Height)
        {
            return; // no room: a clipped legend would be misleading
        }

        // Prefer the top-right corner, but move to a corner that hides no finding (box or its label tab).
        var right = rgb.Width - margin - width;
        var bottom = rgb.Height - reservedBottom - margin - height;
        (int X, int Y)[] corners = [(right, margin), (margin, margin), (right, bottom), (margin, bottom)];
        var (left, top) = corners[0];
        foreach (var corner in corners)
        {
            if (!findings.Any(f => Overlaps(f.Box, LabelHeight(scale), corner.X, corner.Y, width, height)))
            {
                (left, top) = corner;
                break;
            }
        }

        FillRect(rgb, left, top, width, height, PanelColor);
        for (var i = 0; i < entries.Length; i++)
        {
            var (text, color) = entries[i];
            var rowTop = top + pad + (i * (swatch + pad));
            FillRect(rgb, left + pad, rowTop, swatch, swatch, color);
            BitmapFont.DrawText(rgb, left + pad + swatch + gap, rowTop, text, TextColor, scale);
        }
    }

    private static bool Overlaps(Box box, int labelHeight, int x, int y, int width, int height)
    {
        if (box.Width <= 0 || box.Height <= 0)
        {
            return false;
        }

        long top = (long)box.Y - labelHeight;
        return box.X < (long)x + width && (long)box.X + box.Width > x && top < (long)y + height && (long)box.Y + box.Height > y;
    }

    /// <returns>Rows taken at the bottom edge, 0 when the watermark did not fit.</returns>
    private static int DrawWatermark(Raster rgb, string watermark, int scale)
    {
        var margin = 2 * scale;
        var textHeight = BitmapFont.MeasureHeight(scale);
        if (textHeight + (2 * margin) > rgb.Height)
        {
            return 0;
        }

        // Keep as many leading characters as fit the width rather than running off the edge.
        var fits = (rgb.Width - (2 * margin) + scale) / (BitmapFont.Advance * scale);
        if (fits <= 0)
        {
            return 0;
        }

        var text = watermark.Length > fits ? watermark[..fits] : watermark;
        var top = rgb.Height - margin - textHeight;
        FillRect(rgb, 0, top - scale, rgb.Width, textHeight + (2 * scale), PanelColor);
        BitmapFont.DrawText(rgb, margin, top, text, TextColor, scale);
        return textHeight + (2 * margin);
    }
}
