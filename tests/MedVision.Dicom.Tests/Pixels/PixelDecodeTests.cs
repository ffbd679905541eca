using MedVision.Dicom.Imaging;
using static MedVision.Dicom.Tests.Pixels.PixelTestData;

namespace MedVision.Dicom.Tests.Pixels;

/// <summary>Native extraction, RLE and fragment mapping on data small enough to check by hand.</summary>
public class PixelDecodeTests
{
    [Fact]
    public void DecodeSegment_WhenPackBitsHasEveryRunKind_ShouldExpandThem()
    {
        // literal 3, replicate 4 x 9, no-op, literal 1.
        byte[] segment = [2, 10, 11, 12, 0xFD, 9, 0x80, 0, 77];
        var frame = RleFrame(segment);
        Assert.Equal(new byte[] { 10, 11, 12, 9, 9, 9, 9, 77 }, RleDecoder.Decode(frame, 2, 4, 1, 1));
    }

    [Fact]
    public void Decode_WhenTheLastRunOvershootsOrPaddingFollows_ShouldClipLikePydicom()
    {
        // A replicate run of 6 for 4 remaining bytes, then a padding byte.
        byte[] segment = [0xFB, 5, 0];
        Assert.Equal(new byte[] { 5, 5, 5, 5 }, RleDecoder.Decode(RleFrame(segment), 2, 2, 1, 1));
    }

    [Fact]
    public void Decode_When16BitRgb_ShouldInterleaveSixSegmentsMostSignificantFirst()
    {
        // 2 pixels: R = 0x0102, 0x0304; G = 0x0506, 0x0708; B = 0x090A, 0x0B0C.
        var frame = RleFrame(Literal([1, 3]), Literal([2, 4]), Literal([5, 7]), Literal([6, 8]), Literal([9, 11]), Literal([10, 12]));
        var decoded = RleDecoder.Decode(frame, 1, 2, 3, 2);
        Assert.Equal(new byte[] { 2, 1, 6, 5, 10, 9, 4, 3, 8, 7, 12, 11 }, decoded);
    }

    [Fact]
    public void Decode_When16BitGrayIsLarge_ShouldCombineHighAndLowPlanes()
    {
        var values = Enumerable.Range(0, 1000).Select(i => (i * 977) & 0xFFFF).ToArray();
        var high = values.Select(v => (byte)(v >> 8)).ToArray();
        var low = values.Select(v => (byte)v).ToArray();
        var decoded = RleDecoder.Decode(RleFrame(Literal(high), Literal(low)), 10, 100, 1, 2);
        Assert.Equal(UInt16Bytes(values), decoded);
    }

    [Fact]
    public void GetFrame_WhenStoredBitsSitBelowJunkOrAboveIt_ShouldMaskShiftAndSignExtend()
    {
        // 12 signed bits with junk above.
        var signed = DicomPixelData.FromFile(Native(Gray(1, 4, stored: 12, signed: true), UInt16Bytes([0xF800, 0x07FF, 0xAFFF, 0x0001])));
        Assert.Equal(new[] { -2048, 2047, -1, 1 }, signed.GetFrame(0).ToInt32Array());
        Assert.True(signed.GetFrame(0).IsSigned);
        Assert.Equal(-2048, signed.GetFrame(0).SignedSamples16[0]);

        // 10 bits at High Bit 13, junk in bits 0-3 and 14-15.
        var shifted = DicomPixelData.FromFile(Native(Gray(1, 2, stored: 10, highBit: 13), UInt16Bytes([(0x3FF << 4) | 0xC00F, 5 << 4])));
        Assert.Equal(new[] { 1023, 5 }, shifted.GetFrame(0).ToInt32Array());

        // 8-bit signed.
        var bytes = DicomPixelData.FromFile(Native(Gray(1, 2, allocated: 8, stored: 8, signed: true), [0x80, 0x7F]));
        Assert.Equal(new[] { -128, 127 }, bytes.GetFrame(0).ToInt32Array());
    }

    [Fact]
    public void GetFrame_WhenNativeDataNeedsNoExtraction_ShouldNotCopyIt()
    {
        var pixels = UInt16Bytes([1, 2, 3, 4]);
        var file = Native(Gray(2, 2), pixels);
        var frame = DicomPixelData.FromFile(file).GetFrame(0);
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(frame.Data, out var segment));
        Assert.Same(pixels, segment.Array);
    }

    [Fact]
    public void GetFrame_WhenRgbIsColourByPlane_ShouldInterleave()
    {
        var ds = Gray(1, 2, allocated: 8, stored: 8);
        ds.SetUInt16(SamplesPerPixel, 3);
        ds.SetString(Photometric, DicomVR.CS, "RGB");
        ds.SetUInt16(PlanarConfiguration, 1);
        var frame = DicomPixelData.FromFile(Native(ds, [1, 2, 3, 4, 5, 6])).GetFrame(0);
        Assert.Equal(new byte[] { 1, 3, 5, 2, 4, 6 }, frame.Samples8.ToArray());
        Assert.Equal(4, frame.GetValue(1, 0, 1));
    }

    [Fact]
    public void GetFrameData_WhenBasicOffsetTableSpansSeveralFragments_ShouldJoinEachFramesFragments()
    {
        // Frame 0 = fragments 0 and 1, frame 1 = fragment 2 (item offsets 0, 8 + 6, 2 * 8 + 6 + 4).
        byte[][] fragments = [[1, 2, 3, 4, 5, 6], [7, 8, 9, 10], [11, 12]];
        var file = Encapsulated(Gray(1, 1, allocated: 8, stored: 8, frames: 2), TransferSyntax.RleLossless, fragments, [0, 26]);
        var pixels = DicomPixelData.FromFile(file);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 }, pixels.GetFrameData(0).ToArray());
        Assert.Equal(new byte[] { 11, 12 }, pixels.GetFrameData(1).ToArray());
    }

    [Fact]
    public void GetFrame_WhenRleFramesAreSplitOverFragmentsWithATable_ShouldDecodeEach()
    {
        var frames = new[] { RleFrame(Literal([1, 2, 3, 4])), RleFrame(Literal([5, 6, 7, 8])) };
        byte[][] fragments = [frames[0][..30], frames[0][30..], frames[1]];
        var file = Encapsulated(Gray(2, 2, allocated: 8, stored: 8, frames: 2), TransferSyntax.RleLossless, fragments,
            [0, (uint)(16 + frames[0].Length)]);
        var pixels = DicomPixelData.FromFile(file);
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, pixels.GetFrame(0).Samples8.ToArray());
        Assert.Equal(new byte[] { 5, 6, 7, 8 }, pixels.GetFrame(1).Samples8.ToArray());
    }

    [Fact]
    public void GetFrame_WhenFrameIndexIsOutOfRange_ShouldThrowArgumentOutOfRange()
    {
        var pixels = DicomPixelData.FromFile(Native(Gray(2, 2), new byte[8]));
        Assert.Throws<ArgumentOutOfRangeException>(() => pixels.GetFrame(1));
        Assert.Throws<ArgumentOutOfRangeException>(() => pixels.GetFrame(-1));
    }
}
