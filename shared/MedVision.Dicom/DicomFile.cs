using MedVision.Dicom.IO;

namespace MedVision.Dicom;

/// <summary>A Part 10 file (or a bare data set read as one): file meta information, data set and transfer syntax.</summary>
public sealed class DicomFile
{
    public DicomFile(DicomDataset fileMeta, DicomDataset dataset, TransferSyntax transferSyntax)
        : this(fileMeta, dataset, transferSyntax, default, false, [], false)
    {
    }

    internal DicomFile(DicomDataset fileMeta, DicomDataset dataset, TransferSyntax transferSyntax, ReadOnlyMemory<byte> preamble,
        bool hasPreamble, IReadOnlyList<string> warnings, bool stoppedBeforePixelData)
    {
        FileMeta = fileMeta;
        Dataset = dataset;
        TransferSyntax = transferSyntax;
        Preamble = preamble;
        HasPreamble = hasPreamble;
        Warnings = warnings;
        StoppedBeforePixelData = stoppedBeforePixelData;
    }

    /// <summary>Group 0002 elements; empty for a bare data set.</summary>
    public DicomDataset FileMeta { get; }

    public DicomDataset Dataset { get; }

    /// <summary>The syntax the data set was encoded in (for deflated files, the deflated syntax).</summary>
    public TransferSyntax TransferSyntax { get; }

    /// <summary>The 128-byte preamble (often zeros); empty when the file had none.</summary>
    public ReadOnlyMemory<byte> Preamble { get; }

    public bool HasPreamble { get; }

    /// <summary>Problems the reader tolerated (odd lengths, unknown character sets, guessed transfer syntax). No patient data.</summary>
    public IReadOnlyList<string> Warnings { get; }

    /// <summary>True when the read was header-only and stopped before Pixel Data.</summary>
    public bool StoppedBeforePixelData { get; }

    /// <summary>
    /// The first read of <see cref="ReadHeader"/>: most headers (even with a private block) fit in 16 KiB, and reading
    /// more only costs time that a header-only parse is meant to save.
    /// </summary>
    public const int HeaderFirstReadBytes = 16 * 1024;

    /// <summary>Parses a whole file held in memory. Values are slices of <paramref name="bytes"/>, which must stay unchanged.</summary>
    public static DicomFile Read(ReadOnlyMemory<byte> bytes, DicomReadOptions? options = null) => DicomReader.Read(bytes, options);

    /// <summary>Reads a whole file; one larger than <see cref="DicomReadOptions.MaxInputBytes"/> is refused before any of it is read.</summary>
    public static DicomFile Open(string path, DicomReadOptions? options = null)
    {
        var limit = (options ?? DicomReadOptions.Default).MaxInputBytes;
        var length = new FileInfo(path).Length;
        if (length > limit)
        {
            throw new DicomFormatException(DicomErrorCodes.TooLarge, $"The file is {length} bytes; the limit is {limit}.", 0, null);
        }

        return Read(File.ReadAllBytes(path), options);
    }

    /// <summary>
    /// Reads everything before Pixel Data and nothing after: the file is read in growing chunks (<see cref="HeaderFirstReadBytes"/> first, then 4× more each time), so the
    /// header of a 15 MB image costs one small read and the pixel data is never touched.
    /// </summary>
    public static DicomFile ReadHeader(string path, DicomReadOptions? options = null)
    {
        var headerOptions = (options ?? DicomReadOptions.Default) with { StopBeforePixelData = true };
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
        var length = stream.Length;
        if (length > headerOptions.MaxInputBytes)
        {
            throw new DicomFormatException(DicomErrorCodes.TooLarge, $"The file is {length} bytes; the limit is {headerOptions.MaxInputBytes}.", 0, null);
        }

        var buffer = new byte[(int)Math.Min(length, HeaderFirstReadBytes)];
        var filled = 0;
        while (true)
        {
            while (filled < buffer.Length)
            {
                var n = stream.Read(buffer, filled, buffer.Length - filled);
                if (n == 0)
                {
                    length = filled; // the file shrank while being read: what is there is all there is
                    break;
                }

                filled += n;
            }

            if (filled >= length)
            {
                return DicomReader.Read(buffer.AsMemory(0, filled), headerOptions);
            }

            if (DicomReader.TryReadPrefix(buffer.AsMemory(0, filled), headerOptions) is { } file)
            {
                return file;
            }

            Array.Resize(ref buffer, (int)Math.Min(length, (long)buffer.Length * 4));
        }
    }

    /// <summary>Encodes the file as Part 10 (explicit VR little endian unless the pixel data is encapsulated).</summary>
    public byte[] ToBytes() => DicomWriter.Write(this);

    public void Save(string path)
    {
        var bytes = ToBytes();
        var temp = path + ".tmp-" + Environment.ProcessId;
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
