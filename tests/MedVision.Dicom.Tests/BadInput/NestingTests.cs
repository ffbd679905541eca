namespace MedVision.Dicom.Tests.BadInput;

/// <summary>
/// Sequence nesting: hostile depth ends in TooDeep at <see cref="DicomReadOptions.MaxDepth"/> (the parser is
/// iterative, so it runs on a thread with a small stack), legal depth reads and round-trips.
/// </summary>
public sealed class NestingTests
{
    /// <summary>(0040,A730) Content Sequence: SQ in the dictionary, so implicit VR streams nest it too.</summary>
    private static readonly DicomTag Content = new(0x0040, 0xA730);

    private static readonly DicomTag Leaf = new(0x0040, 0xA160); // Text Value (UT)

    public static TheoryData<string, bool> Encodings() => new()
    {
        { DicomBytes.ExplicitLE, false },
        { DicomBytes.ExplicitLE, true },
        { DicomBytes.ImplicitLE, false },
        { DicomBytes.ImplicitLE, true },
        { DicomBytes.ExplicitBE, false },
        { DicomBytes.ExplicitBE, true },
    };

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Read_WhenSequencesNest10000Deep_ShouldThrowTooDeepWithoutExhaustingTheStack(string syntax, bool definedLengths)
    {
        var (bytes, starts) = Nested(syntax, 10_000, definedLengths);

        var ex = OnSmallStack(() => Assert.Throws<DicomFormatException>(() => DicomFile.Read(bytes)));

        Assert.Equal(DicomErrorCodes.TooDeep, ex.Code);
        Assert.Equal(Content, ex.Tag);
        Assert.Equal(starts[DicomReadOptions.Default.MaxDepth], ex.Offset); // the 65th sequence header
    }

    [Fact]
    public void Read_WhenUnknownUndefinedLengthElementsNest10000Deep_ShouldThrowTooDeep()
    {
        // Explicit UN of undefined length switches to implicit VR inside (PS3.5 §6.2.2); the private tag inside
        // is UN again by the dictionary, so each level is a sequence.
        var b = DicomBytes.Part10(DicomBytes.ExplicitLE);
        b.Header(0x0009, 0x1010, "UN", DicomBytes.Undefined).Item();
        var inner = new DicomBytes(explicitVR: false);
        for (var i = 1; i < 10_000; i++)
        {
            inner.Header(0x0009, 0x1010, "UN", DicomBytes.Undefined).Item();
        }

        b.Raw(inner.ToArray());
        var expectedAt = b.MetaEnd + 12 + 8 + ((DicomReadOptions.Default.MaxDepth - 1) * 16);

        var ex = OnSmallStack(() => Assert.Throws<DicomFormatException>(() => DicomFile.Read(b.ToArray())));

        Assert.Equal(DicomErrorCodes.TooDeep, ex.Code);
        Assert.Equal(new DicomTag(0x0009, 0x1010), ex.Tag);
        Assert.Equal(expectedAt, ex.Offset);
    }

    [Theory]
    [MemberData(nameof(Encodings))]
    public void Read_WhenSequencesNest60Deep_ShouldReadEveryLevelAndRoundTrip(string syntax, bool definedLengths)
    {
        var (bytes, _) = Nested(syntax, 60, definedLengths);

        var file = DicomFile.Read(bytes);

        Assert.Equal(60, Depth(file.Dataset, out var leaf));
        Assert.Equal("leaf", leaf.GetString(Leaf));
        var again = DicomFile.Read(file.ToBytes());
        Assert.Equal(60, Depth(again.Dataset, out var leafAgain));
        Assert.Equal("leaf", leafAgain.GetString(Leaf));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(64)]
    public void Read_WhenNestingIsExactlyMaxDepth_ShouldReadAndOneMoreShouldThrowTooDeep(int maxDepth)
    {
        var options = new DicomReadOptions { MaxDepth = maxDepth };
        var (exact, _) = Nested(DicomBytes.ExplicitLE, maxDepth, definedLengths: false);
        var (deeper, starts) = Nested(DicomBytes.ExplicitLE, maxDepth + 1, definedLengths: false);

        Assert.Equal(maxDepth, Depth(DicomFile.Read(exact, options).Dataset, out _));
        var ex = Assert.Throws<DicomFormatException>(() => DicomFile.Read(deeper, options));
        Assert.Equal(DicomErrorCodes.TooDeep, ex.Code);
        Assert.Equal(starts[maxDepth], ex.Offset);
    }

    /// <summary>
    /// <paramref name="depth"/> nested (0040,A730) sequences, one item each, a UT leaf in the innermost item. With
    /// defined lengths every length is computed inside out; returns the start offset of each sequence header.
    /// </summary>
    internal static (byte[] Bytes, int[] Starts) Nested(string syntax, int depth, bool definedLengths)
    {
        var b = DicomBytes.Part10(syntax);
        var leaf = new DicomBytes(b.ExplicitVR, b.BigEndian).Text(0x0040, 0xA160, "UT", "leaf").ToArray();
        var sequenceHeader = b.ExplicitVR ? 12 : 8;

        // itemContent[k]: bytes inside the k-th item (from the outside, 0-based).
        var itemContent = new long[depth];
        long inside = leaf.Length;
        for (var k = depth - 1; k >= 0; k--)
        {
            itemContent[k] = inside;
            inside = sequenceHeader + 8 + inside;
        }

        var starts = new int[depth];
        for (var k = 0; k < depth; k++)
        {
            starts[k] = b.Position;
            b.Sequence(0x0040, 0xA730, definedLengths ? (uint)(8 + itemContent[k]) : DicomBytes.Undefined);
            b.Item(definedLengths ? (uint)itemContent[k] : DicomBytes.Undefined);
        }

        b.Raw(leaf);
        if (!definedLengths)
        {
            for (var k = 0; k < depth; k++)
            {
                b.ItemEnd().SequenceEnd();
            }
        }

        return (b.ToArray(), starts);
    }

    private static int Depth(DicomDataset dataset, out DicomDataset innermost)
    {
        var depth = 0;
        innermost = dataset;
        while (innermost.GetItems(Content) is [var only])
        {
            innermost = only;
            depth++;
        }

        return depth;
    }

    /// <summary>Runs on a thread with a 256 KiB stack: a recursive parser would overflow (and kill the process) long before 10 000 levels.</summary>
    private static T OnSmallStack<T>(Func<T> work)
    {
        T result = default!;
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                failure = ex;
            }
        }, maxStackSize: 256 * 1024);
        thread.Start();
        thread.Join();
        if (failure is not null)
        {
            throw new InvalidOperationException("The work failed on the small-stack thread.", failure);
        }

        return result;
    }
}
