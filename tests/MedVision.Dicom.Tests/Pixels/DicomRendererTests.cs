using System.Diagnostics;
using MedVision.Dicom.Imaging;
using MedVision.Imaging;
using MedVision.Testing;
using Xunit.Abstractions;
using static MedVision.Dicom.Tests.Pixels.PixelTestData;

namespace MedVision.Dicom.Tests.Pixels;

/// <summary>The renderer against MedVision.Imaging's <see cref="Windowing"/> and against hand-computed transforms.</summary>
public class DicomRendererTests(ITestOutputHelper output)
{
    private static DicomFile SignedCt(int rows, int columns, out int[] values)
    {
        var random = new Random(7);
        values = [.. Enumerable.Range(0, rows * columns).Select(_ => random.Next(-2048, 2048))];
        var ds = Gray(rows, columns, stored: 12, signed: true);
        ds.SetString(RescaleSlope, DicomVR.DS, "1");
        ds.SetString(RescaleIntercept, DicomVR.DS, "-1024");
        ds.SetString(WindowCenter, DicomVR.DS, "40\\-600");
        ds.SetString(WindowWidth, DicomVR.DS, "400\\1500");
        return Native(ds, UInt16Bytes(values.Select(v => v & 0xFFFF)));
    }

    [Fact]
    public void Render_WhenCtHasWindows_ShouldEqualWindowingOfTheStoredValues()
    {
        var file = SignedCt(20, 30, out var values);
        var raster = new Raster(30, 20, ColorModel.Gray, 16);
        for (var i = 0; i < values.Length; i++)
        {
            raster.Samples16[i] = (ushort)values[i];
        }

        for (var w = 0; w < 2; w++)
        {
            var window = DicomImageInfo.FromDataset(file.Dataset).Windows[w];
            var expected = Windowing.RenderGray8(raster, new GrayRendering(1, -1024, window, false, true, 12));
            var actual = DicomRenderer.Render(file, 0, new RenderOptions { WindowIndex = w });
            Assert.Equal(expected.Data, actual.Data);
        }
    }

    [Fact]
    public void Render_WhenMonochrome1_ShouldInvertMonochrome2()
    {
        var file = SignedCt(8, 8, out _);
        var normal = DicomRenderer.Render(file);
        file.Dataset.SetString(Photometric, DicomVR.CS, "MONOCHROME1");
        var inverted = DicomRenderer.Render(file);
        Assert.Equal(normal.Data.Select(b => (byte)(255 - b)), inverted.Data);
        Assert.Equal(normal.Data, DicomRenderer.Render(file, 0, new RenderOptions { Invert = false }).Data);
    }

    [Fact]
    public void Render_WhenNoWindowIsGiven_ShouldUseTheMinMaxOfTheModalityValues()
    {
        var ds = Gray(1, 4, stored: 12, signed: true);
        ds.SetString(RescaleSlope, DicomVR.DS, "2");
        ds.SetString(RescaleIntercept, DicomVR.DS, "10");
        var file = Native(ds, UInt16Bytes([-100 & 0xFFF, 0, 50, 300]));
        var pixels = DicomPixelData.FromFile(file);

        // Modality values -190 .. 610: c = (lo + hi + 1) / 2, w = hi - lo + 1 spans them exactly.
        Assert.Equal(new WindowLevel(210.5, 801), DicomRenderer.ResolveWindow(pixels));
        var rendered = DicomRenderer.Render(pixels).Data;
        Assert.Equal(0, rendered[0]);
        Assert.Equal(255, rendered[3]);
    }

    [Fact]
    public void Render_WhenVoiLutOrModalityLutIsPresent_ShouldApplyTheTables()
    {
        if (!ExternalTools.Require(output.WriteLine, PixelOracle.Tools))
        {
            return;
        }

        // VOI LUT: out = round(entry * 255 / 65535), entry = sqrt(v / 4095) * 65535 truncated.
        var voiFile = DicomFile.Open(PixelOracle.Case("voi-lut.dcm").Path);
        var stored = DicomPixelData.FromFile(voiFile).GetFrame(0).ToInt32Array();
        var voi = DicomRenderer.Render(voiFile).Data;
        for (var i = 0; i < stored.Length; i++)
        {
            var entry = (int)(Math.Sqrt(stored[i] / 4095.0) * 65535);
            Assert.Equal((byte)Math.Round(entry * 255.0 / 65535, MidpointRounding.AwayFromZero), voi[i]);
        }

        // Modality LUT 4095 - v / 2, then the file's window 3000/1500 over the table's output.
        var modalityFile = DicomFile.Open(PixelOracle.Case("modality-lut.dcm").Path);
        var modality = DicomRenderer.Render(modalityFile).Data;
        var lut = Windowing.BuildLut(new GrayRendering(Window: new WindowLevel(3000, 1500), BitsStored: 12), 16);
        for (var i = 0; i < stored.Length; i++)
        {
            Assert.Equal(lut[4095 - (stored[i] / 2)], modality[i]);
        }

        // Without the Modality LUT (DCMTK's -M), the window applies to the stored values.
        var raw = DicomRenderer.Render(modalityFile, 0, new RenderOptions { ApplyModalityLut = false }).Data;
        Assert.Equal(lut[stored[0]], raw[0]);
    }

    [Fact]
    public void Render_WhenNativeYbrFull_ShouldComeCloseToTheRgbItWasMadeFrom()
    {
        if (!ExternalTools.Require(output.WriteLine, PixelOracle.Tools))
        {
            return;
        }

        // make_pixel_corpus.py made the YBR from R = 12x, G = 15y, B = 7(x + y) mod 256, rounded to integers.
        var rendered = DicomRenderer.Render(DicomFile.Open(PixelOracle.Case("ybr-full.dcm").Path));
        Assert.Equal(ColorModel.Rgb, rendered.Color);
        var max = 0;
        for (var y = 0; y < 16; y++)
        {
            for (var x = 0; x < 20; x++)
            {
                int[] expected = [12 * x, 15 * y, 7 * (x + y) % 256];
                for (var c = 0; c < 3; c++)
                {
                    max = Math.Max(max, Math.Abs(rendered.GetSample(x, y, c) - Math.Min(255, expected[c])));
                }
            }
        }

        output.WriteLine($"max |rendered - original RGB| = {max}");
        Assert.True(max <= 2, $"{max}");
    }

    [Fact]
    public void Render_WhenPaletteColor_ShouldLookEachIndexUpInTheThreePalettes()
    {
        // 4 indices through 16-bit palettes of 4 entries starting at index 0 (C.7.6.3.1.5); output = entry * 255 / 65535.
        var ds = Gray(1, 4, allocated: 8, stored: 8, photometric: "PALETTE COLOR");
        ushort[] red = [0, 65535, 32768, 0], green = [0, 0, 65535, 257], blue = [65535, 0, 0, 514];
        foreach (var (descriptor, data, table) in new[] { (0x1101, 0x1201, red), (0x1102, 0x1202, green), (0x1103, 0x1203, blue) })
        {
            ds.SetUInt16(new DicomTag(0x0028, (ushort)descriptor), 4, 0, 16);
            ds.SetBytes(new DicomTag(0x0028, (ushort)data), DicomVR.OW, UInt16Bytes(table.Select(v => (int)v)));
        }

        var rendered = DicomRenderer.Render(Native(ds, [3, 2, 1, 0]));
        Assert.Equal(ColorModel.Rgb, rendered.Color);
        Assert.Equal(new byte[] { 0, 1, 2, 128, 255, 0, 255, 0, 0, 0, 0, 255 }, rendered.Data);
    }

    [Fact]
    public void Render_WhenFrameIsOutOfRangeOrWindowMissing_ShouldThrowArgumentOutOfRange()
    {
        var file = SignedCt(4, 4, out _);
        Assert.Throws<ArgumentOutOfRangeException>(() => DicomRenderer.Render(file, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => DicomRenderer.Render(file, 0, new RenderOptions { Voi = VoiSource.Window, WindowIndex = 2 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => DicomRenderer.Render(file, 0, new RenderOptions { Voi = VoiSource.VoiLut }));
    }

    [Fact]
    public void Render_When16BitImageIs7Point8Megapixels_ShouldEqualWindowingTheSameSamples()
    {
        // Large enough that the renderer takes its parallel path. Speed is measured by bench/, never asserted here.
        const int size = 2800;
        var random = new Random(3);
        var values = new ushort[size * size];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (ushort)random.Next(4096);
        }

        var ds = Gray(size, size, stored: 12);
        ds.SetString(WindowCenter, DicomVR.DS, "2048");
        ds.SetString(WindowWidth, DicomVR.DS, "1000");
        var bytes = new byte[values.Length * 2];
        Buffer.BlockCopy(values, 0, bytes, 0, bytes.Length);
        var file = Native(ds, bytes);
        var raster = new Raster(size, size, ColorModel.Gray, 16, bytes);
        var rendering = new GrayRendering(Window: new WindowLevel(2048, 1000), BitsStored: 12);
        Assert.Equal(Windowing.RenderGray8(raster, rendering).Data, DicomRenderer.Render(file).Data);
    }

    [Fact]
    public void Decode_WhenRleFrameIsLarge_ShouldGiveBackEveryCodedValue()
    {
        // A 2048x2048 12-bit CT-like frame (smooth ramp plus noise), RLE-coded row by row as the standard requires.
        const int size = 2048;
        var random = new Random(11);
        var values = new int[size * size];
        for (var y = 0; y < size; y++)
        {
            for (var x = 0; x < size; x++)
            {
                values[(y * size) + x] = x < 200 ? 0 : Math.Clamp(((x + y) * 2) + random.Next(-20, 20), 0, 4095);
            }
        }

        var high = new byte[values.Length];
        var low = new byte[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            high[i] = (byte)(values[i] >> 8);
            low[i] = (byte)values[i];
        }

        var frame = RleFrame(PackBitsRows(high, size), PackBitsRows(low, size));
        var ds = Gray(size, size, stored: 12);
        ds.SetString(new DicomTag(0x0008, 0x0016), DicomVR.UI, "1.2.840.10008.5.1.4.1.1.7");
        ds.SetString(new DicomTag(0x0008, 0x0018), DicomVR.UI, "1.2.826.0.1.3680043.10.1234.99.77");
        var file = Encapsulated(ds, TransferSyntax.RleLossless, [frame]);
        var pixels = DicomPixelData.FromFile(file);
        Assert.Equal(values, pixels.GetFrame(0).ToInt32Array());
    }

    /// <summary>PackBits, each row on its own (PS3.5 G.3.1): replicate runs of 3 or more, literals otherwise.</summary>
    private static byte[] PackBitsRows(byte[] plane, int width)
    {
        var result = new List<byte>(plane.Length);
        for (var row = 0; row < plane.Length; row += width)
        {
            var data = plane.AsSpan(row, width);
            var i = 0;
            while (i < data.Length)
            {
                var run = 1;
                while (i + run < data.Length && run < 128 && data[i + run] == data[i])
                {
                    run++;
                }

                if (run >= 3)
                {
                    result.Add((byte)(1 - run));
                    result.Add(data[i]);
                    i += run;
                    continue;
                }

                var start = i;
                while (i < data.Length && i - start < 128
                       && !(i + 2 < data.Length && data[i] == data[i + 1] && data[i] == data[i + 2]))
                {
                    i++;
                }

                result.Add((byte)(i - start - 1));
                result.AddRange(data[start..i].ToArray());
            }
        }

        if ((result.Count & 1) == 1)
        {
            result.Add(0);
        }

        return [.. result];
    }
}
