using MedVision.Testing;
using System.Buffers.Binary;
using System.Diagnostics;
using MedVision.Imaging.Tests.Jpeg;
using Xunit.Abstractions;

namespace MedVision.Imaging.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing over valid PNG and JPEG seeds: every mutated file must decode or fail with
/// <see cref="ImageDecodeException"/>, within bounded memory and without hanging. CI runs a few thousand
/// cases; scripts/fuzz.sh runs many more (MEDVISION_FUZZ_CASES).
/// </summary>
public sealed class CodecFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCases = 3000;

    /// <summary>Tight limits so a mutated header cannot make a case allocate much.</summary>
    private static readonly ImageLimits FuzzLimits = new(MaxWidth: 4096, MaxHeight: 4096, MaxPixels: 4_000_000, MaxDecodedBytes: 64L << 20, MaxChunks: 2000);

    private const long MaxAllocatedPerCase = 512L << 20;

    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(10);

    [Fact]
    public async Task Decode_WhenGivenMutatedValidFiles_ShouldOnlyEverThrowImageDecodeException()
    {
        var cases = int.TryParse(Environment.GetEnvironmentVariable("MEDVISION_FUZZ_CASES"), out var n) && n > 0 ? n : DefaultCases;
        var seeds = Seeds();
        var current = -1;
        var outcomes = new int[2];
        var slowest = (Case: -1, Ms: 0.0);
        long maxAllocated = 0;

        var run = Task.Run(() =>
        {
            for (var i = 0; i < cases; i++)
            {
                Volatile.Write(ref current, i);
                var (name, seed) = seeds[i % seeds.Count];
                var mutated = Mutate(seed, new Random(i), name.StartsWith("png", StringComparison.Ordinal));
                var before = GC.GetAllocatedBytesForCurrentThread();
                var watch = Stopwatch.StartNew();
                try
                {
                    var raster = ImageCodec.Decode(mutated, FuzzLimits);
                    Assert.True(raster.Width > 0 && raster.Height > 0);
                    outcomes[0]++;
                }
                catch (ImageDecodeException ex)
                {
                    Assert.False(string.IsNullOrWhiteSpace(ex.Code));
                    outcomes[1]++;
                }
                catch (Exception ex)
                {
                    Assert.Fail($"case {i} (seed {name}) threw {ex.GetType().Name}: {ex.Message}\nfirst bytes: {Convert.ToHexString(mutated.AsSpan(0, Math.Min(64, mutated.Length)))}");
                }

                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                maxAllocated = Math.Max(maxAllocated, allocated);
                Assert.True(allocated <= MaxAllocatedPerCase, $"case {i} (seed {name}) allocated {allocated} bytes");
                if (watch.Elapsed.TotalMilliseconds > slowest.Ms)
                {
                    slowest = (i, watch.Elapsed.TotalMilliseconds);
                }
            }
        });

        // A hang detector, not a timing assertion: it only trips if a case never returns.
        Assert.True(await Task.WhenAny(run, Task.Delay(HangGuard)) == run, $"decoding hung on case {Volatile.Read(ref current)}");
        await run;
        output.WriteLine($"{cases} cases over {seeds.Count} seeds: {outcomes[0]} decoded, {outcomes[1]} rejected; " +
                         $"max allocation {maxAllocated / 1024} KiB; slowest case {slowest.Case} ({slowest.Ms:0.0} ms)");
        Assert.True(outcomes[1] > 0, "no mutation was rejected: the mutator is not mutating");
    }

    private static List<(string Name, byte[] Bytes)> Seeds()
    {
        var seeds = new List<(string, byte[])>();
        var gray = Synthetic(61, 47, ColorModel.Gray, 8);
        var rgb = Synthetic(40, 33, ColorModel.Rgb, 8);
        seeds.Add(("png-gray8", PngEncoder.Encode(gray)));
        seeds.Add(("png-rgba16", PngEncoder.Encode(Synthetic(23, 17, ColorModel.Rgba, 16))));
        seeds.Add(("png-graya8", PngEncoder.Encode(Synthetic(9, 31, ColorModel.GrayAlpha, 8))));
        seeds.Add(("jpeg-gray", JpegEncoder.Encode(gray, new JpegEncodeOptions(80))));
        seeds.Add(("jpeg-420", JpegEncoder.Encode(rgb, new JpegEncodeOptions(75, JpegSubsampling.Yuv420))));
        seeds.Add(("jpeg-444", JpegEncoder.Encode(rgb, new JpegEncodeOptions(90, JpegSubsampling.Yuv444))));

        // Progressive and restart-marker seeds come from jpegtran (libjpeg-turbo), when present.
        foreach (var (name, args) in new[] { ("jpeg-progressive", new[] { "-progressive" }), ("jpeg-restart", new[] { "-restart", "2B" }) })
        {
            if (Jpegtran(seeds[4].Item2, args) is { } made)
            {
                seeds.Add((name, made));
            }
            else if (Environment.GetEnvironmentVariable("MEDVISION_REQUIRE_ORACLES") == "1")
            {
                throw new InvalidOperationException("Required oracle missing: jpegtran (apt-get install libjpeg-turbo-progs).");
            }
        }

        // 12-bit DCT (DCMTK-made, embedded) and lossless (written from T.81 by the test encoder) reach the 16-bit paths.
        seeds.Add(("jpeg12-extended-gray", TwelveBitSamples.ExtendedGray));
        seeds.Add(("jpeg12-progressive-420", TwelveBitSamples.ProgressiveColor));
        seeds.Add(("jpeg-lossless-gray16-sv7-restart",
            LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(29, 17, 1, 16, 1), 29, 17, 1, 16, 7, restartInterval: 29)));
        seeds.Add(("jpeg-lossless-rgb8-sv4-pt1",
            LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(23, 13, 3, 8, 2), 23, 13, 3, 8, 4, pointTransform: 1)));
        seeds.Add(("jpeg-lossless-rgb12-sv2-scans",
            LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(19, 11, 3, 12, 3), 19, 11, 3, 12, 2, restartInterval: 7, interleaved: false)));
        seeds.Add(("jpeg-lossless-gray5-sv6",
            LosslessJpegTestEncoder.Encode(DicomJpegOracle.Synthetic(31, 9, 1, 5, 4), 31, 9, 1, 5, 6)));
        return seeds;
    }

    private static Raster Synthetic(int width, int height, ColorModel color, int depth)
    {
        var raster = new Raster(width, height, color, depth);
        var random = new Random(width * 31 + height);
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                for (var c = 0; c < raster.Channels; c++)
                {
                    var smooth = ((x * 5) + (y * 3) + (c * 40)) % 256;
                    raster.SetSample(x, y, c, Math.Clamp(smooth + random.Next(-8, 9), 0, 255) * (raster.MaxValue / 255));
                }
            }
        }

        return raster;
    }

    private static byte[] Mutate(byte[] seed, Random random, bool isPng)
    {
        var data = new List<byte>(seed);
        var rounds = 1 + random.Next(4);
        for (var r = 0; r < rounds && data.Count > 0; r++)
        {
            var at = random.Next(data.Count);
            switch (random.Next(7))
            {
                case 0: // bit flips
                    data[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 1: // interesting bytes
                    data[at] = (byte)new[] { 0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE }[random.Next(6)];
                    break;
                case 2: // insertion
                    data.InsertRange(at, Enumerable.Range(0, 1 + random.Next(16)).Select(_ => (byte)random.Next(256)));
                    break;
                case 3: // deletion
                    data.RemoveRange(at, Math.Min(data.Count - at, 1 + random.Next(32)));
                    break;
                case 4: // truncation
                    data.RemoveRange(at, data.Count - at);
                    break;
                case 5: // duplicate a run (chunk/segment/marker repeats)
                    var len = Math.Min(data.Count - at, 1 + random.Next(64));
                    data.InsertRange(at, data.GetRange(at, len));
                    break;
                default: // big-endian length field smash
                    if (at + 4 <= data.Count)
                    {
                        var value = (uint)random.Next() | (random.Next(2) == 0 ? 0x80000000u : 0);
                        data[at] = (byte)(value >> 24);
                        data[at + 1] = (byte)(value >> 16);
                        data[at + 2] = (byte)(value >> 8);
                        data[at + 3] = (byte)value;
                    }

                    break;
            }
        }

        var bytes = data.ToArray();
        if (isPng && random.Next(2) == 0)
        {
            RepairPngCrcs(bytes); // half the PNG cases get past the CRC check into the deeper decoder
        }

        return bytes;
    }

    private static void RepairPngCrcs(byte[] png)
    {
        var pos = 8;
        while (pos + 12 <= png.Length)
        {
            var length = BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(pos));
            if (length > (uint)(png.Length - pos - 12))
            {
                return;
            }

            var crc = TestPng.Crc(png.AsSpan(pos + 4, (int)length + 4));
            BinaryPrimitives.WriteUInt32BigEndian(png.AsSpan(pos + 8 + (int)length), crc);
            pos += 12 + (int)length;
        }
    }

    private static byte[]? Jpegtran(byte[] input, string[] args)
    {
        if (!ExternalTools.Has("jpegtran"))
        {
            return null;
        }

        var (exit, stdout, _) = ExternalTools.Run("jpegtran", args, stdin: input);
        return exit == 0 && stdout.Length > 0 ? stdout : null;
    }
}
