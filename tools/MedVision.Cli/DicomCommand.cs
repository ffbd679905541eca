using System.Text;
using MedVision.Dicom;
using MedVision.Dicom.Deidentification;
using MedVision.Dicom.Imaging;
using MedVision.Imaging;
using MedVision.Dicom.Json;
using MedVision.Dicom.Metadata;

namespace MedVision.Cli;

/// <summary>
/// `medvision dicom dump|info|render|deidentify`. Bad input: one line naming the problem and its offset, exit 2.
/// </summary>
public static class DicomCommand
{
    public static int Dump(string file, DicomJsonOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (Open(file, error) is not { } dicom)
        {
            return 2;
        }

        if (ReferenceEquals(output, Console.Out))
        {
            // The common case writes UTF-8 straight to stdout: no string of the whole document.
            using var stdout = Console.OpenStandardOutput();
            DicomJsonWriter.Write(dicom, stdout, options);
            stdout.Write("\n"u8);
        }
        else
        {
            output.WriteLine(Encoding.UTF8.GetString(DicomJsonWriter.ToUtf8(dicom, options)));
        }

        Warn(file, dicom, error);
        return 0;
    }

    public static int Info(string file, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (Open(file, error) is not { } dicom)
        {
            return 2;
        }

        var m = DicomStudyMetadata.From(dicom);
        output.WriteLine($"file:               {file}");
        output.WriteLine($"transfer syntax:    {dicom.TransferSyntax}");
        output.WriteLine($"sop class:          {m.SopClassUid}");
        output.WriteLine($"modality:           {m.Modality}");
        output.WriteLine($"size:               {m.Columns} x {m.Rows}, {m.NumberOfFrames} frame(s), {m.PhotometricInterpretation}, {m.BitsStored} bits stored");
        output.WriteLine($"study:              {m.StudyInstanceUid} ({m.StudyDateTimeIso})");
        output.WriteLine($"series:             {m.SeriesInstanceUid}");
        output.WriteLine($"instance:           {m.SopInstanceUid}");
        output.WriteLine($"body part:          {m.BodyPartExamined}");
        output.WriteLine($"pixel spacing (mm): {(m.PixelSpacing is { } s ? string.Join(" x ", s) : "")}");
        output.WriteLine($"manufacturer:       {m.Manufacturer}");
        output.WriteLine($"burned-in text:     {(m.BurnedInAnnotation ? "YES" : "no")}");
        output.WriteLine($"decodable:          {(dicom.TransferSyntax.IsDecodable ? "yes" : "no (archived only)")}");
        Warn(file, dicom, error);
        return 0;
    }

    public static int Render(string file, string target, int frame, RenderOptions options, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (Open(file, error) is not { } dicom)
        {
            return 2;
        }

        try
        {
            var raster = DicomRenderer.Render(dicom, frame, options);
            var png = PngEncoder.Encode(raster);
            File.WriteAllBytes(target, png);
            output.WriteLine($"{target}: {raster.Width} x {raster.Height} {(raster.Channels == 1 ? "gray" : "RGB")}, frame {frame}");
            return 0;
        }
        catch (ImageDecodeException ex)
        {
            error.WriteLine($"error: {file}: {ex.Message} [{ex.Code}]");
            return 2;
        }
        catch (ArgumentOutOfRangeException ex)
        {
            error.WriteLine($"error: {file}: {ex.Message}");
            return 2;
        }
    }

    /// <summary>
    /// De-identifies one file or every file under a folder. One de-identifier serves the whole run, so UIDs stay
    /// consistent across the instances of a study. Prints counts only: never a value from the files.
    /// </summary>
    public static int Deidentify(
        string input, string target, DeidentificationOptions options, string? keyFile, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        IUidMap? map = null;
        if (keyFile is not null)
        {
            var key = File.Exists(keyFile) ? File.ReadAllBytes(keyFile) : throw new UsageException($"key file '{keyFile}' does not exist");
            map = key.Length >= 16 ? new KeyedUidMap(key) : throw new UsageException("the key file must hold at least 16 bytes");
        }

        var files = Directory.Exists(input)
            ? Directory.EnumerateFiles(input, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal).ToList()
            : File.Exists(input) ? [input] : throw new UsageException($"'{input}' does not exist");
        var deidentifier = new DicomDeidentifier(options, map);
        var failures = 0;
        foreach (var file in files)
        {
            var destination = Directory.Exists(input) ? Path.Combine(target, Path.GetRelativePath(input, file)) : target;
            if (Open(file, error) is not { } dicom)
            {
                failures++;
                continue;
            }

            var result = deidentifier.Deidentify(dicom);
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(destination))!);
            result.File.Save(destination);
            var c = result.Counts;
            output.WriteLine($"{destination}: removed {c.Removed} (+{c.PrivateRemoved} private), emptied {c.Emptied}, replaced {c.Replaced}, cleaned {c.Cleaned}, new UIDs {c.UidsReplaced}");
            if (result.BurnedInAnnotation)
            {
                error.WriteLine($"warning: {file}: the pixels may show burned-in identifying text (Burned In Annotation); pixel data was not changed — review it before sharing");
            }

            foreach (var warning in result.Warnings)
            {
                error.WriteLine($"warning: {file}: {warning}");
            }
        }

        return failures == 0 ? 0 : 2;
    }

    private static void Warn(string file, DicomFile dicom, TextWriter error)
    {
        foreach (var warning in dicom.Warnings)
        {
            error.WriteLine($"warning: {file}: {warning}");
        }
    }

    /// <summary>Reads a DICOM file; on failure prints one line (problem, offset, tag, code) and returns null.</summary>
    internal static DicomFile? Open(string file, TextWriter error)
    {
        try
        {
            return DicomFile.Open(file);
        }
        catch (DicomFormatException ex)
        {
            error.WriteLine($"error: {file}: {ex.Message} [{ex.Code}]");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {file}: {ex.Message}");
        }

        return null;
    }
}
