using MedVision.Imaging;

namespace MedVision.Cli;

/// <summary>
/// `medvision image info FILE` (header facts, after checking the whole file decodes) and
/// `medvision image convert IN OUT [--quality Q]`. Bad input: one line naming the problem, exit 2.
/// </summary>
public static class ImageCommand
{
    public static int Info(string file, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        if (Read(file, error) is not { } bytes)
        {
            return 2;
        }

        try
        {
            var info = ImageCodec.ReadInfo(bytes);

            // Decode the pixels too: a file whose header is fine but whose data is broken is not "fine".
            _ = ImageCodec.Decode(bytes);
            output.WriteLine($"file:       {file}");
            output.WriteLine($"format:     {info.Format.ToString().ToUpperInvariant()}");
            output.WriteLine($"size:       {info.Width} x {info.Height}");
            output.WriteLine($"bit depth:  {info.BitDepth}");
            output.WriteLine($"color:      {info.Color}");
            output.WriteLine($"details:    {info.Details}");
            output.WriteLine($"file size:  {bytes.Length} bytes");
            return 0;
        }
        catch (ImageDecodeException ex)
        {
            error.WriteLine($"error: {file}: {ex.Message} [{ex.Code}]");
            return 2;
        }
    }

    public static int Convert(string input, string target, int quality, TextWriter output, TextWriter error)
    {
        ArgumentNullException.ThrowIfNull(target);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(error);
        var format = Path.GetExtension(target).ToLowerInvariant() switch
        {
            ".png" => ImageFormat.Png,
            ".jpg" or ".jpeg" => ImageFormat.Jpeg,
            _ => ImageFormat.Unknown,
        };
        if (format == ImageFormat.Unknown)
        {
            error.WriteLine($"error: {target}: the output name must end in .png, .jpg or .jpeg");
            return 2;
        }

        if (Read(input, error) is not { } bytes)
        {
            return 2;
        }

        Raster image;
        try
        {
            image = ImageCodec.Decode(bytes);
        }
        catch (ImageDecodeException ex)
        {
            error.WriteLine($"error: {input}: {ex.Message} [{ex.Code}]");
            return 2;
        }

        var encoded = ImageCodec.Encode(image, format, quality);
        try
        {
            File.WriteAllBytes(target, encoded);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: {target}: cannot write: {ex.Message}");
            return 2;
        }

        output.WriteLine($"wrote {target}: {format.ToString().ToUpperInvariant()} {image.Width} x {image.Height}, {encoded.Length} bytes");
        return 0;
    }

    private static byte[]? Read(string file, TextWriter error)
    {
        try
        {
            return File.ReadAllBytes(file);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            error.WriteLine(ex is FileNotFoundException or DirectoryNotFoundException
                ? $"error: {file}: no such file"
                : $"error: {file}: cannot read: {ex.Message}");
            return null;
        }
    }
}
