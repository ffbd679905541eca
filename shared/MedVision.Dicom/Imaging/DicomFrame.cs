using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace MedVision.Dicom.Imaging;

/// <summary>
/// One decoded frame: stored values (PS3.5 §8: the Bits Stored field at High Bit, sign-extended when Pixel
/// Representation is 1), interleaved (colour-by-pixel) whatever the file's planar configuration, row-major.
/// Values live in a container of <see cref="BytesPerSample"/> bytes (1 for Bits Allocated 1 and 8, 2 for 16, 4 for 32),
/// little endian: read them through <see cref="Samples8"/>, <see cref="Samples16"/>/<see cref="SignedSamples16"/>,
/// <see cref="Samples32"/>, <see cref="GetValue"/> or <see cref="ToInt32Array"/>.
/// </summary>
public sealed class DicomFrame
{
    internal DicomFrame(int index, int rows, int columns, int samplesPerPixel, int bytesPerSample, int bitsStored, bool signed,
        string photometric, ReadOnlyMemory<byte> data)
    {
        Index = index;
        Rows = rows;
        Columns = columns;
        SamplesPerPixel = samplesPerPixel;
        BytesPerSample = bytesPerSample;
        BitsStored = bitsStored;
        IsSigned = signed;
        PhotometricInterpretation = photometric;
        Data = data;
    }

    /// <summary>0-based frame number.</summary>
    public int Index { get; }

    public int Rows { get; }

    public int Columns { get; }

    public int SamplesPerPixel { get; }

    /// <summary>1, 2 or 4.</summary>
    public int BytesPerSample { get; }

    public int BitsStored { get; }

    public bool IsSigned { get; }

    /// <summary>
    /// What the samples are: the file's interpretation, except RGB after a JPEG decode converted YCbCr (as DCMTK's
    /// dcmdjpeg does) and YBR_FULL for native YBR_FULL_422, whose chroma is replicated to every pixel.
    /// </summary>
    public string PhotometricInterpretation { get; }

    /// <summary>The container bytes (little endian), <see cref="SampleCount"/> * <see cref="BytesPerSample"/> long.</summary>
    public ReadOnlyMemory<byte> Data { get; }

    public int PixelCount => Rows * Columns;

    public int SampleCount => Rows * Columns * SamplesPerPixel;

    /// <summary>Unsigned 8-bit values (or signed ones as bit patterns); 1-byte containers only.</summary>
    public ReadOnlySpan<byte> Samples8 => BytesPerSample == 1 ? Data.Span : throw Container(1);

    /// <summary>Unsigned 16-bit values (or signed ones as two's complement patterns); 2-byte containers only.</summary>
    public ReadOnlySpan<ushort> Samples16 => BytesPerSample == 2 ? MemoryMarshal.Cast<byte, ushort>(Data.Span) : throw Container(2);

    /// <summary>Signed 16-bit values; 2-byte containers only (meaningful when <see cref="IsSigned"/>).</summary>
    public ReadOnlySpan<short> SignedSamples16 => BytesPerSample == 2 ? MemoryMarshal.Cast<byte, short>(Data.Span) : throw Container(2);

    /// <summary>32-bit values (unsigned ones above int.MaxValue read negative here; use <see cref="GetValue"/>); 4-byte containers only.</summary>
    public ReadOnlySpan<int> Samples32 => BytesPerSample == 4 ? MemoryMarshal.Cast<byte, int>(Data.Span) : throw Container(4);

    /// <summary>The stored value of sample <paramref name="sampleIndex"/> (pixel * samples per pixel + sample).</summary>
    public long GetValue(int sampleIndex)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(sampleIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sampleIndex, SampleCount);
        var span = Data.Span;
        return (BytesPerSample, IsSigned) switch
        {
            (1, false) => span[sampleIndex],
            (1, true) => (sbyte)span[sampleIndex],
            (2, false) => BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * sampleIndex)..]),
            (2, true) => BinaryPrimitives.ReadInt16LittleEndian(span[(2 * sampleIndex)..]),
            (_, false) => BinaryPrimitives.ReadUInt32LittleEndian(span[(4 * sampleIndex)..]),
            _ => BinaryPrimitives.ReadInt32LittleEndian(span[(4 * sampleIndex)..]),
        };
    }

    /// <summary>The stored value at (<paramref name="x"/>, <paramref name="y"/>) of <paramref name="sample"/>.</summary>
    public long GetValue(int x, int y, int sample = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(x);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(x, Columns);
        ArgumentOutOfRangeException.ThrowIfNegative(y);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(y, Rows);
        ArgumentOutOfRangeException.ThrowIfNegative(sample);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(sample, SamplesPerPixel);
        return GetValue((((y * Columns) + x) * SamplesPerPixel) + sample);
    }

    /// <summary>All stored values widened to int.</summary>
    /// <exception cref="InvalidOperationException">Unsigned 32-bit values above int.MaxValue.</exception>
    public int[] ToInt32Array()
    {
        var result = new int[SampleCount];
        var span = Data.Span;
        switch (BytesPerSample, IsSigned)
        {
            case (1, false):
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = span[i];
                }

                break;
            case (1, true):
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = (sbyte)span[i];
                }

                break;
            case (2, false):
                var u16 = MemoryMarshal.Cast<byte, ushort>(span);
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = u16[i];
                }

                break;
            case (2, true):
                var s16 = MemoryMarshal.Cast<byte, short>(span);
                for (var i = 0; i < result.Length; i++)
                {
                    result[i] = s16[i];
                }

                break;
            default:
                MemoryMarshal.Cast<byte, int>(span)[..result.Length].CopyTo(result);
                if (!IsSigned && BitsStored == 32 && result.AsSpan().IndexOfAnyInRange(int.MinValue, -1) >= 0)
                {
                    throw new InvalidOperationException("The frame has unsigned 32-bit values above int.MaxValue; read them with GetValue.");
                }

                break;
        }

        return result;
    }

    public override string ToString() =>
        $"frame {Index}: {Columns}x{Rows}x{SamplesPerPixel} {PhotometricInterpretation}, {BitsStored} bits {(IsSigned ? "signed" : "unsigned")} in {BytesPerSample * 8}";

    private static InvalidOperationException Container(int wanted) =>
        new($"This view needs a {wanted}-byte sample container; the frame's samples are held in a different width.");
}
