using MedVision.Testing;
using Xunit.Abstractions;

namespace MedVision.Dicom.Tests.BadInput;

/// <summary>
/// Every prefix of a valid file either reads as the shorter file it is (the first k elements, byte for byte) or
/// fails with a <see cref="DicomFormatException"/> whose code says why: never another exception.
/// </summary>
public sealed class TruncationTests(ITestOutputHelper output)
{
    public static TheoryData<string> SampleNames() => [.. Samples.All().Select(s => s.Name)];

    [Theory]
    [MemberData(nameof(SampleNames))]
    public void Read_WhenSampleIsTruncatedAtEveryOffset_ShouldReadTheFirstElementsOrThrowTruncatedOrLengthExceedsData(string sample)
    {
        var bytes = Samples.All().Single(s => s.Name == sample).Bytes;
        var full = DicomFile.Read(bytes);
        Assert.Equal(Samples.TopLevelElements, full.Dataset.Count);

        var isPart10 = sample != "bare-dataset";
        var notDicomBelow = isPart10 ? 132 : 8;
        var shorterFiles = 0;
        for (var n = 0; n < bytes.Length; n++)
        {
            var prefix = bytes.AsMemory(0, n);
            try
            {
                var file = DicomFile.Read(prefix);
                Assert.True(n >= notDicomBelow, $"prefix {n}: {n} bytes cannot be a file");
                AssertIsLeadingPart(full.Dataset, file.Dataset, n);
                shorterFiles++;
            }
            catch (DicomFormatException ex)
            {
                var expected = n < notDicomBelow ? new[] { DicomErrorCodes.NotDicom } : new[] { DicomErrorCodes.Truncated, DicomErrorCodes.LengthExceedsData };
                Assert.True(expected.Contains(ex.Code), $"prefix {n}: {ex.Code} ({ex.Message})");
                Assert.InRange(ex.Offset, 0, sample == "deflated" ? long.MaxValue : n);
            }
        }

        // Cuts on element boundaries leave complete shorter files: at least one per top-level element.
        Assert.True(shorterFiles >= Samples.TopLevelElements - 1, $"only {shorterFiles} prefixes read");
    }

    public static IEnumerable<object[]> CorpusNames() => TestCorpus.Names();

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void Read_WhenCorpusFileIsTruncatedAtEveryOffset_ShouldReadTheFirstElementsOrThrowDicomFormatException(string name)
    {
        if (!CorpusAvailable(output.WriteLine))
        {
            return;
        }

        var bytes = File.ReadAllBytes(TestCorpus.Get(name).Path);
        var full = DicomFile.Read(bytes);
        var codes = new SortedDictionary<string, int>(StringComparer.Ordinal);

        // Below 132 bytes (8 without a preamble) there is no file yet. A meta group without a group length can be
        // cut at an element boundary before (0002,0010): that reads as a meta without a Transfer Syntax UID.
        var notDicomBelow = full.HasPreamble ? 132 : 8;
        var zeroPreamble = full.HasPreamble && !full.Preamble.Span.ContainsAnyExcept((byte)0);
        var cutMetaIsBadSyntax = full.FileMeta.Count > 0 && !full.FileMeta.Contains(DicomTag.FileMetaInformationGroupLength);

        // Every offset up to the end of the Pixel Data header and in the last 24 bytes; native pixel bytes in
        // between are all alike, so a stride covers them (deflated files are compressed: every offset).
        var bulkFrom = full.TransferSyntax.IsDeflated || !full.Dataset.Contains(DicomTag.PixelData)
            ? bytes.Length : (int)full.Dataset[DicomTag.PixelData].SourceOffset + 16;
        for (var n = 0; n < bytes.Length; n = n < bulkFrom || n >= bytes.Length - 24 ? n + 1 : Math.Min(n + 7, bytes.Length - 24))
        {
            try
            {
                AssertIsLeadingPart(full.Dataset, DicomFile.Read(bytes.AsMemory(0, n)).Dataset, n);
                codes["(read)"] = codes.GetValueOrDefault("(read)") + 1;
            }
            catch (DicomFormatException ex)
            {
                var allowed = n < notDicomBelow
                    ? (zeroPreamble ? [DicomErrorCodes.NotDicom] : new[] { DicomErrorCodes.NotDicom, DicomErrorCodes.Truncated })
                    : cutMetaIsBadSyntax ? [DicomErrorCodes.Truncated, DicomErrorCodes.LengthExceedsData, DicomErrorCodes.BadTransferSyntax]
                    : [DicomErrorCodes.Truncated, DicomErrorCodes.LengthExceedsData];
                Assert.True(allowed.Contains(ex.Code), $"prefix {n}: {ex.Code} ({ex.Message})");
                codes[ex.Code] = codes.GetValueOrDefault(ex.Code) + 1;
            }
        }

        output.WriteLine($"{name}: {bytes.Length} bytes: {string.Join(", ", codes.Select(c => $"{c.Key} {c.Value}"))}");
    }

    /// <summary>The corpus tools, checked once per process (the pydicom check starts Python).</summary>
    internal static bool CorpusAvailable(Action<string> log) =>
        CorpusTools.Value || ExternalTools.Require(log, TestCorpus.Tools);

    private static readonly Lazy<bool> CorpusTools = new(() => TestCorpus.Tools.All(ExternalTools.Has));

    [Fact]
    public void ReadHeader_WhenFileIsTruncatedAtEveryOffset_ShouldBehaveAsAHeaderOnlyReadOfTheSameBytes()
    {
        var bytes = Samples.ExplicitLittleEndian();
        var pixelHeaderEnd = (int)DicomFile.Read(bytes).Dataset[DicomTag.PixelData].SourceOffset + 12;
        var headerOnly = new DicomReadOptions { StopBeforePixelData = true };
        using var dir = new TempDir();
        for (var n = 0; n < bytes.Length; n++)
        {
            var path = dir.Write($"cut-{n}.dcm", bytes.AsSpan(0, n));
            var expected = Outcome(() => DicomFile.Read(bytes.AsMemory(0, n), headerOnly));
            var actual = Outcome(() => DicomFile.ReadHeader(path));
            Assert.True(expected == actual, $"prefix {n}: ReadHeader gave {actual}, a header-only Read gave {expected}");
            if (n >= pixelHeaderEnd)
            {
                Assert.Equal($"read {Samples.TopLevelElements - 1} stopped", actual);
            }
        }
    }

    /// <summary>Regression: ReadHeader took a 64 KiB first read that ended on an element boundary for the end of the file.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(-4)]
    [InlineData(-8)]
    [InlineData(-12)]
    [InlineData(1)]
    [InlineData(6)]
    [InlineData(11)]
    public void ReadHeader_WhenTheFirst64KiBReadEndsNearAnElementBoundary_ShouldReadTheWholeHeader(int shift)
    {
        // A private OB element ends at 65536 + shift; the image pixel module and Pixel Data come after it.
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0060, "CS", "OT");
        b.Element(0x0009, 0x1010, "OB", new byte[(64 * 1024) + shift - b.Position - 12]);
        b.UInt16s(0x0028, 0x0010, 512).UInt16s(0x0028, 0x0011, 512);
        b.Element(0x7FE0, 0x0010, "OW", new byte[512 * 512 * 2]);
        using var dir = new TempDir();
        var path = dir.Write("big.dcm", b.ToArray());

        var file = DicomFile.ReadHeader(path);

        Assert.True(file.StoppedBeforePixelData);
        Assert.Equal(new[] { 0x00080060u, 0x00091010u, 0x00280010u, 0x00280011u }, file.Dataset.Select(e => e.Tag.Value));
        Assert.True(file.Dataset.TryGetUInt16(new DicomTag(0x0028, 0x0011), out var columns) && columns == 512);
    }

    [Theory]
    [InlineData(70_000, 0x0009, 0x1011, 65_536)]                // inside the second large value, past the first 64 KiB read
    [InlineData(65_536 + 100_000 + 6, 0x0028, 0x0010, 165_536)] // inside the header of (0028,0010)
    public void ReadHeader_WhenALargeFileIsTruncatedInsideItsHeader_ShouldThrowTruncated(int length, int group, int element, int offset)
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE);
        b.Element(0x0009, 0x1010, "OB", new byte[(64 * 1024) - b.Position - 12]);
        b.Element(0x0009, 0x1011, "OB", new byte[100_000 - 12]);
        Assert.Equal(65_536 + 100_000, b.Position);
        b.Raw(0x28, 0x00, 0x10, 0x00, (byte)'U', (byte)'S', 2, 0, 0, 2);
        b.Element(0x7FE0, 0x0010, "OW", new byte[4096]);
        using var dir = new TempDir();
        var path = dir.Write("cut.dcm", b.ToArray().AsSpan(0, length));

        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.ReadHeader(path));

        Assert.Equal(DicomErrorCodes.Truncated, ex.Code);
        Assert.Equal(offset, ex.Offset);
        Assert.Equal(new DicomTag((ushort)group, (ushort)element), ex.Tag);
    }

    [Fact]
    public void ReadHeader_WhenALargeFileIsTruncatedInsidePixelData_ShouldStopBeforePixelData()
    {
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE).Text(0x0008, 0x0060, "CS", "OT");
        b.UInt16s(0x0028, 0x0010, 512).UInt16s(0x0028, 0x0011, 512);
        b.Element(0x7FE0, 0x0010, "OW", new byte[512 * 512 * 2]);
        using var dir = new TempDir();
        var path = dir.Write("cut.dcm", b.ToArray().AsSpan(0, 300_000));

        var file = DicomFile.ReadHeader(path);

        Assert.True(file.StoppedBeforePixelData);
        Assert.Equal(3, file.Dataset.Count);
        Assert.Equal(DicomErrorCodes.Truncated, Assert.Throws<DicomFormatException>(() => DicomFile.Open(path)).Code);
    }

    /// <summary>A prefix that reads holds exactly the first elements of the full data set, with the same values.</summary>
    private static void AssertIsLeadingPart(DicomDataset full, DicomDataset part, int n)
    {
        var expected = full.Take(part.Count).ToList();
        Assert.True(part.Count <= full.Count, $"prefix {n} has more elements than the file");
        var i = 0;
        foreach (var element in part)
        {
            Assert.True(element.Tag == expected[i].Tag, $"prefix {n}: element {i} is {element.Tag}, expected {expected[i].Tag}");
            Assert.True(element.Bytes.Span.SequenceEqual(expected[i].Bytes.Span), $"prefix {n}: {element.Tag} differs");
            Assert.Equal(expected[i].Items?.Count, element.Items?.Count);
            i++;
        }
    }

    private static string Outcome(Func<DicomFile> read)
    {
        try
        {
            var file = read();
            return $"read {file.Dataset.Count}{(file.StoppedBeforePixelData ? " stopped" : "")}";
        }
        catch (DicomFormatException ex)
        {
            return $"{ex.Code} at {ex.Offset} {ex.Tag}";
        }
    }
}

/// <summary>A temp folder removed with everything in it.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "medvision-badinput-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Write(string name, ReadOnlySpan<byte> bytes)
    {
        var path = System.IO.Path.Combine(Path, name);
        using var stream = File.Create(path);
        stream.Write(bytes);
        return path;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
