using System.Diagnostics;
using System.Globalization;
using System.Text;
using MedVision.Dicom.Deidentification;
using MedVision.Dicom.Imaging;
using MedVision.Dicom.Tests.BadInput;
using MedVision.Imaging;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests.Fuzz;

/// <summary>
/// Mutation fuzzing of everything that touches an untrusted upload: <see cref="DicomFile.Read"/> (full and
/// header-only), every value accessor over every element and item, <see cref="DicomFile.ToBytes"/> and a re-read
/// of what it wrote, pixel rendering (<see cref="DicomRenderer"/>, first and last frame) and de-identification
/// (<see cref="DicomDeidentifier"/>, then written and re-read). Every case must succeed or fail with
/// <see cref="ImageDecodeException"/> (which <see cref="DicomFormatException"/> derives from), within bounded
/// allocation and without hanging.
/// </summary>
/// <remarks>
/// Deterministic: case i of base seed S always mutates the same seed file the same way. Knobs (environment):
/// MEDVISION_FUZZ_CASES (default <see cref="DefaultCases"/>), MEDVISION_FUZZ_SECONDS (stop early, for the long
/// runs of scripts/fuzz.sh), MEDVISION_FUZZ_SEED (base seed), MEDVISION_FUZZ_CASE (replay one case, verbosely).
/// A failure prints the case, its seed file, the mutation steps and where the input was saved.
/// </remarks>
public sealed class DicomFuzzTests(ITestOutputHelper output)
{
    private const int DefaultCases = 10_000;
    private const int DefaultSeed = 20240131;

    /// <summary>Per-case allocation allowance: 64 bytes per input (or inflated) byte plus 16 MiB.</summary>
    private const long AllocationPerByte = 64;
    private const long AllocationBase = 16L << 20;

    /// <summary>Tight limits: a mutated length or a deflate stream cannot make a case costly.</summary>
    private static readonly DicomReadOptions FuzzOptions = new()
    {
        MaxInputBytes = 1 << 20, MaxInflatedBytes = 256 << 10, MaxItems = 20_000, MaxFragments = 20_000,
    };

    private static readonly DicomReadOptions HeaderOnly = FuzzOptions with { StopBeforePixelData = true };

    /// <summary>A hang detector, not a timing assertion: one case running this long means a loop that does not end.</summary>
    private static readonly TimeSpan HangGuard = TimeSpan.FromMinutes(2);

    [Fact]
    public async Task Read_WhenGivenMutatedFiles_ShouldOnlyEverThrowDicomFormatException()
    {
        var cases = Setting("MEDVISION_FUZZ_CASES", 0) is > 0 and var n ? n : DefaultCases;
        var baseSeed = Setting("MEDVISION_FUZZ_SEED", DefaultSeed);
        var only = Setting("MEDVISION_FUZZ_CASE", -1);
        var budget = Setting("MEDVISION_FUZZ_SECONDS", 0);
        var seeds = Seeds();
        output.WriteLine($"base seed {baseSeed}; {seeds.Count} seed files; {(only >= 0 ? $"case {only} only" : $"{cases} cases")}" +
                         (budget > 0 ? $", at most {budget} s" : ""));

        var stats = new FuzzStats();
        var current = new CaseClock();
        using var stop = budget > 0 ? new CancellationTokenSource(TimeSpan.FromSeconds(budget)) : new CancellationTokenSource();
        var watch = Stopwatch.StartNew();
        var run = Task.Run(() =>
        {
            for (var i = only >= 0 ? only : 0; i < (only >= 0 ? only + 1 : cases) && !stop.IsCancellationRequested; i++)
            {
                var seed = seeds[i % seeds.Count];
                var random = new Random(unchecked((baseSeed * 1_000_003) ^ i));
                var (input, steps) = DicomMutator.Mutate(seed, random, seeds);
                if (only >= 0)
                {
                    output.WriteLine($"case {i}: {seed.Name}, {input.Length} bytes: {string.Join("; ", steps)}");
                }

                current.Start(i);
                var before = GC.GetAllocatedBytesForCurrentThread();
                try
                {
                    Exercise(input, stats);
                }
                catch (Exception ex)
                {
                    throw new FuzzFailureException(Describe(baseSeed, i, seed, steps, input, $"threw {ex.GetType().Name}: {ex.Message}"), ex);
                }

                var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
                var allowance = (AllocationPerByte * Math.Max(input.Length, IsDeflated(input) ? FuzzOptions.MaxInflatedBytes : 0)) + AllocationBase;
                if (allocated > allowance)
                {
                    throw new FuzzFailureException(Describe(baseSeed, i, seed, steps, input, $"allocated {allocated >> 10} KiB (allowance {allowance >> 10} KiB)"));
                }

                stats.Done(i, allocated, input.Length, current.Stop());
            }
        });

        while (await Task.WhenAny(run, Task.Delay(TimeSpan.FromSeconds(1))) != run)
        {
            Assert.False(current.Running > HangGuard, $"case {current.Case} (base seed {baseSeed}) has not returned after {HangGuard.TotalSeconds} s");
        }

        await run; // rethrows a FuzzFailureException with the case description
        var seconds = watch.Elapsed.TotalSeconds;
        output.WriteLine($"{stats.Cases} cases in {seconds:0.0} s ({stats.Cases / Math.Max(seconds, 1e-3):0} cases/s): " +
                         $"{stats.Read} read, {stats.Rejected.Values.Sum()} rejected ({Counts(stats.Rejected)}); written and re-read {stats.Written}");
        output.WriteLine($"rendered {stats.Rendered}, render rejected {stats.RenderRejected.Values.Sum()} ({Counts(stats.RenderRejected)}); " +
                         $"de-identified {stats.Deidentified}, de-identification rejected {stats.DeidentifyRejected.Values.Sum()} ({Counts(stats.DeidentifyRejected)})");
        output.WriteLine($"largest allocation {stats.MaxAllocated >> 10} KiB (case {stats.MaxAllocatedCase}, {stats.MaxAllocatedInput} byte input); " +
                         $"slowest case {stats.SlowestCase} ({stats.SlowestMs:0.0} ms)");
        if (only < 0 && stats.Cases >= 200)
        {
            Assert.True(stats.Read > stats.Cases / 20, "almost nothing read: the mutator destroys every file");
            Assert.True(stats.Rejected.Count >= 4, "few kinds of rejection: the mutator is not reaching the parser");
        }
    }

    /// <summary>The fuzz target: read, walk, header-only read, render, de-identify, write, re-read, walk again.</summary>
    private static void Exercise(byte[] input, FuzzStats stats)
    {
        DicomFile file;
        try
        {
            file = DicomFile.Read(input, FuzzOptions);
        }
        catch (DicomFormatException ex)
        {
            Assert.False(string.IsNullOrWhiteSpace(ex.Code));
            stats.Reject(ex.Code);

            // The header-only read may still succeed (the damage can lie after Pixel Data); it must not crash.
            try
            {
                Walk(DicomFile.Read(input, HeaderOnly));
            }
            catch (DicomFormatException)
            {
            }

            return;
        }

        stats.Read++;
        Walk(file);

        // Whatever reads in full also reads header-only, with a subset of the elements.
        var header = DicomFile.Read(input, HeaderOnly);
        Assert.All(header.Dataset, e => Assert.True(file.Dataset.Contains(e.Tag), $"header-only read has {e.Tag}, the full read has not"));

        Render(file, stats);
        Deidentify(file, stats);

        // Whatever reads must write, and our own output must read back and write again byte for byte.
        var written = file.ToBytes();
        var again = DicomFile.Read(written, FuzzOptions with { MaxInputBytes = long.MaxValue });
        Walk(again);
        Assert.True(again.ToBytes().AsSpan().SequenceEqual(written), "writing the re-read file gave different bytes");
        stats.Written++;
    }

    /// <summary>Renders the first and the last frame; undecodable or inconsistent pixel data must fail as ImageDecodeException.</summary>
    private static void Render(DicomFile file, FuzzStats stats)
    {
        try
        {
            var frames = DicomPixelData.FromFile(file).FrameCount;
            var raster = DicomRenderer.Render(file, 0);
            Assert.True(raster.Width > 0 && raster.Height > 0);
            if (frames > 1)
            {
                _ = DicomRenderer.Render(file, frames - 1);
            }

            stats.Rendered++;
        }
        catch (ImageDecodeException ex)
        {
            stats.RenderRejected[ex.Code] = stats.RenderRejected.GetValueOrDefault(ex.Code) + 1;
        }
    }

    /// <summary>De-identifies with the basic profile; the result must walk, write and read back.</summary>
    private static void Deidentify(DicomFile file, FuzzStats stats)
    {
        DicomFile clean;
        try
        {
            clean = new DicomDeidentifier().Deidentify(file).File;
        }
        catch (ImageDecodeException ex)
        {
            stats.DeidentifyRejected[ex.Code] = stats.DeidentifyRejected.GetValueOrDefault(ex.Code) + 1;
            return;
        }
        stats.Deidentified++;
        Walk(clean);
        Walk(DicomFile.Read(clean.ToBytes(), FuzzOptions with { MaxInputBytes = long.MaxValue }));
    }

    /// <summary>Every accessor over every element, items recursively (the reader caps the depth).</summary>
    private static void Walk(DicomFile file)
    {
        _ = file.Warnings.Count;
        _ = file.TransferSyntax.ToString();
        Walk(file.FileMeta, 0);
        Walk(file.Dataset, 0);
        _ = file.Dataset.Clone();
    }

    private static void Walk(DicomDataset dataset, int depth)
    {
        Assert.True(depth <= FuzzOptions.MaxDepth, $"items nest {depth} deep");
        _ = dataset.CharacterSet.Terms.Count;
        _ = dataset.CharacterSetWarning;
        foreach (var element in dataset)
        {
            var tag = element.Tag;
            _ = element.ToString();
            _ = dataset.GetString(tag);
            _ = dataset.GetStrings(tag);
            _ = dataset.GetFirstString(tag);
            _ = dataset.TryGetNumbers(tag, out _);
            _ = dataset.TryGetUInt16(tag, out _);
            _ = dataset.TryGetInt32(tag, out _);
            _ = dataset.TryGetDouble(tag, out _);
            if (element.Items is null && element.Fragments is null)
            {
                _ = dataset.DecodeText(element);
            }

            if (element.Fragments is { } fragments)
            {
                _ = fragments.BasicOffsets();
                _ = fragments.FragmentItemOffsets();
                _ = fragments.TotalLength;
            }

            foreach (var item in dataset.GetItems(tag))
            {
                Walk(item, depth + 1);
            }
        }
    }

    private List<FuzzSeed> Seeds()
    {
        var files = Samples.All().Select(s => ("sample:" + s.Name, s.Bytes)).Concat(ExtraSeeds()).ToList();
        if (TruncationTests.CorpusAvailable(output.WriteLine))
        {
            // Small files only: every case stays cheap (the corpus files are a few KB).
            files.AddRange(TestCorpus.Files.Where(f => new FileInfo(f.Path).Length <= 64 * 1024).Select(f => ("corpus:" + f.Name, File.ReadAllBytes(f.Path))));
        }
        else
        {
            output.WriteLine("corpus unavailable: fuzzing the synthetic seeds only");
        }

        return [.. files.Select(f => FuzzSeed.Prepare(f.Item1, f.Item2))];
    }

    /// <summary>Small files that reach the corners the samples do not: deep legal nesting, UN sequences, odd lengths, character sets, numbers.</summary>
    private static IEnumerable<(string, byte[])> ExtraSeeds()
    {
        yield return ("nested-60-defined", NestingTests.Nested(DicomBytes.ExplicitLE, 60, definedLengths: true).Bytes);
        yield return ("nested-60-implicit", NestingTests.Nested(DicomBytes.ImplicitLE, 60, definedLengths: false).Bytes);

        var un = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0060, "CS", "OT");
        un.Header(0x0009, 0x1010, "UN", DicomBytes.Undefined).Item();
        un.Raw(new DicomBytes(explicitVR: false).Text(0x0008, 0x0100, "SH", "CODE").Text(0x0010, 0x0010, "PN", "Doe^John").ToArray());
        un.ItemEnd().SequenceEnd().Text(0x0010, 0x0020, "LO", "ID");
        yield return ("un-sequence", un.ToArray());

        var odd = DicomBytes.Part10(DicomBytes.ExplicitLE).Element(0x0008, 0x0060, "CS", "OTX"u8).Element(0x0010, 0x0010, "PN", "abc"u8);
        yield return ("odd-lengths", odd.Element(0x0010, 0x0020, "LO", "12345"u8).Raw(0).ToArray());

        var bare = new DicomBytes(explicitVR: false).Text(0x0008, 0x0060, "CS", "MR").UInt16s(0x0028, 0x0010, 2).UInt16s(0x0028, 0x0011, 2);
        yield return ("bare-implicit", bare.Element(0x7FE0, 0x0010, "OW", new byte[8]).ToArray());

        var frames = DicomBytes.Part10(DicomBytes.Rle).Text(0x0008, 0x0060, "CS", "OT").Text(0x0028, 0x0008, "IS", "3");
        frames.UInt16s(0x0028, 0x0010, 1).UInt16s(0x0028, 0x0011, 1).Header(0x7FE0, 0x0010, "OB", DicomBytes.Undefined);
        frames.Item(12).Raw([.. DicomBytes.LE32(0), .. DicomBytes.LE32(76), .. DicomBytes.LE32(152)]);
        for (var f = 0; f < 3; f++)
        {
            // RLE header (one segment at 64), then a literal run of one byte and two no-op runs.
            frames.Item(68).Raw([.. DicomBytes.LE32(1), .. DicomBytes.LE32(64), .. new byte[56], 0, (byte)(f * 40), 0x80, 0x80]);
        }

        yield return ("rle-3-frames", frames.SequenceEnd().ToArray());

        // Character sets, each item with its own: ISO 2022 escapes, UTF-8, invalid bytes.
        var cs = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0005, "CS", "\\ISO 2022 IR 87");
        cs.Element(0x0010, 0x0010, "PN", Encoding.Latin1.GetBytes("Yamada^Tarou=\x1B$B;3ED\x1B(B^\x1B$BB@O:\x1B(B"));
        cs.Sequence(0x0040, 0xA730);
        foreach (var (terms, text) in new[] { ("ISO_IR 192", "J\xC3\xBCrgen\xC0\xAF"), ("ISO 2022 IR 149", "\x1B$)C\xC8\xAB"), ("GB18030", "\xD6\xD0\xCE\xC4"), ("ISO_IR 100", "M\xFCller") })
        {
            cs.Item().Text(0x0008, 0x0005, "CS", terms).Element(0x0040, 0xA160, "UT", Encoding.Latin1.GetBytes(text)).ItemEnd();
        }

        yield return ("charsets", cs.SequenceEnd().ToArray());

        var numbers = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0018, 0x0050, "DS", "1.25").Text(0x0020, 0x0013, "IS", "-7 ");
        numbers.Text(0x0020, 0x0032, "DS", "-125.5\\-130\\1e2").Text(0x0020, 0x0037, "DS", "1\\0\\0\\0\\1\\0");
        numbers.Element(0x0020, 0x9157, "UL", [1, 0, 0, 0, 2, 0, 0, 0]).Element(0x0028, 0x0034, "IS", "1\\1 "u8);
        numbers.Element(0x0028, 0x0106, "SS", [0x00, 0x80]).Text(0x0028, 0x1050, "DS", "40\\400").Text(0x0028, 0x1051, "DS", "400\\1500");
        numbers.Text(0x0028, 0x1052, "DS", "-1024").Text(0x0028, 0x1053, "DS", "1");
        numbers.Element(0x0040, 0xA30A, "DS", "3.14159 "u8).Element(0x0072, 0x0074, "FD", BitConverter.GetBytes(double.NaN));
        numbers.Element(0x0072, 0x0076, "FL", BitConverter.GetBytes(float.PositiveInfinity)).Element(0x0072, 0x0078, "UL", [0xFF, 0xFF, 0xFF, 0xFF]);
        numbers.Element(0x0072, 0x007A, "US", [0xFF, 0xFF]).Element(0x0072, 0x007C, "SL", [0, 0, 0, 0x80]);
        numbers.Element(0x0072, 0x0082, "SV", BitConverter.GetBytes(long.MinValue)).Element(0x0072, 0x0083, "UV", BitConverter.GetBytes(ulong.MaxValue));
        yield return ("numbers", numbers.ToArray());
    }

    /// <summary>The deflated syntax UID in the first KiB: the input's cost scales with what it inflates to.</summary>
    private static bool IsDeflated(byte[] input) => input.AsSpan(0, Math.Min(input.Length, 1024)).IndexOf("1.2.840.10008.1.2.1.99"u8) >= 0;

    private static string Counts(Dictionary<string, int> counts) =>
        string.Join(", ", counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} {c.Value}"));

    private static int Setting(string name, int fallback) =>
        int.TryParse(Environment.GetEnvironmentVariable(name), NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) && v >= 0 ? v : fallback;

    private static string Describe(int baseSeed, int i, FuzzSeed seed, List<string> steps, byte[] input, string problem)
    {
        var dir = Path.Combine(Path.GetTempPath(), "medvision-dicom-fuzz");
        Directory.CreateDirectory(dir);
        var path = Path.Combine(dir, $"seed{baseSeed}-case{i}.dcm");
        File.WriteAllBytes(path, input);
        return $"case {i} (base seed {baseSeed}, seed file {seed.Name}) {problem}\n" +
               $"mutations: {string.Join("; ", steps)}\n" +
               $"input: {input.Length} bytes, saved to {path}; first bytes after the preamble: {Convert.ToHexString(input.AsSpan(Math.Min(128, input.Length), Math.Min(64, Math.Max(0, input.Length - 128))))}\n" +
               $"replay: MEDVISION_FUZZ_SEED={baseSeed} MEDVISION_FUZZ_CASE={i} dotnet test tests/MedVision.Dicom.Tests -c Release --filter FullyQualifiedName~DicomFuzzTests";
    }

    private sealed class FuzzStats
    {
        public int Cases { get; private set; }

        public int Read { get; set; }

        public int Written { get; set; }

        public Dictionary<string, int> Rejected { get; } = [];

        public long MaxAllocated { get; private set; }

        public int MaxAllocatedCase { get; private set; }

        public int MaxAllocatedInput { get; private set; }

        public int SlowestCase { get; private set; }

        public double SlowestMs { get; private set; }

        public int Rendered { get; set; }

        public Dictionary<string, int> RenderRejected { get; } = [];

        public int Deidentified { get; set; }

        public Dictionary<string, int> DeidentifyRejected { get; } = [];

        public void Reject(string code) => Rejected[code] = Rejected.GetValueOrDefault(code) + 1;

        public void Done(int i, long allocated, int inputLength, double ms)
        {
            Cases++;
            if (allocated > MaxAllocated)
            {
                (MaxAllocated, MaxAllocatedCase, MaxAllocatedInput) = (allocated, i, inputLength);
            }

            if (ms > SlowestMs)
            {
                (SlowestCase, SlowestMs) = (i, ms);
            }
        }
    }

    /// <summary>Which case runs and since when, read by the hang detector on another thread.</summary>
    private sealed class CaseClock
    {
        private readonly Lock gate = new();
        private long started = -1;

        public int Case { get; private set; } = -1;

        public TimeSpan Running
        {
            get
            {
                lock (gate)
                {
                    return started < 0 ? TimeSpan.Zero : Stopwatch.GetElapsedTime(started);
                }
            }
        }

        public void Start(int i)
        {
            lock (gate)
            {
                Case = i;
                started = Stopwatch.GetTimestamp();
            }
        }

        public double Stop()
        {
            lock (gate)
            {
                var ms = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
                started = -1;
                return ms;
            }
        }
    }
}

/// <summary>A fuzz case failed; the message says how to replay it.</summary>
public sealed class FuzzFailureException : Exception
{
    public FuzzFailureException()
    {
    }

    public FuzzFailureException(string message)
        : base(message)
    {
    }

    public FuzzFailureException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
