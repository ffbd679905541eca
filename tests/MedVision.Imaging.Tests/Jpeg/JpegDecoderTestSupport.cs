using System.Text;
using Xunit.Abstractions;

namespace MedVision.Imaging.Tests.Jpeg;

/// <summary>Fixtures, synthetic images, PNM I/O and oracle-process plumbing shared by the JPEG decoder tests.</summary>
internal static class JpegDecoderTestSupport
{
    // 24x16 colour 4:2:0, quality 75, restart every 2 MCUs, made by libjpeg-turbo 2.1.5 cjpeg; embedded so the
    // error and mutation tests run without the oracle tools.
    public static readonly byte[] Baseline = Convert.FromBase64String(
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wAARCAAQABgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/90ABAAE/9oADAMBAAIRAxEAPwDz610IBs7M8c89vrXRaZoQ83OzHy9PXmulttIjiXMm1RlQGZsZJOAPrkgD6/St2ysLcJFMZoyswzEVkB8w4yAvrlcnjtz2rkwWMVOrGc3ZLdnFlucto5ptMi0+yeeXbGEI4IBzkjA6jHpk8DrRXXNZxXkLr5is219iRP8AMdhwcAEEkNwcHrxRU4jjKtKo1h1aK7rV+fl6H0VfPatDltK10f/Z");

    // The same image as a progressive JPEG (cjpeg -progressive: spectral selection and successive approximation).
    public static readonly byte[] Progressive = Convert.FromBase64String(
        "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/2wBDAQkJCQwLDBgNDRgyIRwhMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjIyMjL/wgARCAAQABgDASIAAhEBAxEB/8QAFwABAQEBAAAAAAAAAAAAAAAABQAEBv/EABYBAQEBAAAAAAAAAAAAAAAAAAMBBf/aAAwDAQACEAMQAAAB55FPcIGy9NH/xAAaEAADAQADAAAAAAAAAAAAAAABAgMAEhMh/9oACAEBAAEFAlhpw96xNFkBkRdwDj//xAAYEQADAQEAAAAAAAAAAAAAAAAAAgQRIf/aAAgBAwEBPwGawe5kzp//xAAbEQACAgMBAAAAAAAAAAAAAAABAgADBRIjMf/aAAgBAgEBPwGm7VgTLMy5bn5P/8QAGhAAAgMBAQAAAAAAAAAAAAAAAAERITEQkf/aAAgBAQAGPwLkuixOVeXpvh//xAAdEAACAgIDAQAAAAAAAAAAAAAAAREhMUFRgaHh/9oACAEBAAE/IbsHE0NxFASYLFtkKm1eHQ2Kg3DhNdfT/9oADAMBAAIAAwAAABDcP//EABcRAQEBAQAAAAAAAAAAAAAAAAEAESH/2gAIAQMBAT8QVLnsaX//xAAbEQEAAgIDAAAAAAAAAAAAAAABABEhYTFRcf/aAAgBAgEBPxAldByxACh2Zd68n//EABsQAQEAAgMBAAAAAAAAAAAAAAERACExUXFB/9oACAEBAAE/EBK31vfz3D316d7yN4zSDakOSdV0c5dQUEFVge1A98wzkCsGpQ7WnXzfzOyQPrjARU0Y86z/2Q==");

    /// <summary>Gradients, noise and hard edges: exercises smooth areas, high frequencies and chroma transitions.</summary>
    public static Raster Synthetic(int width, int height, bool color, int seed)
    {
        var raster = new Raster(width, height, color ? ColorModel.Rgb : ColorModel.Gray, 8);
        var random = new Random(seed);
        var channels = raster.Channels;
        for (var y = 0; y < height; y++)
        {
            for (var x = 0; x < width; x++)
            {
                var edge = ((x / 13) + (y / 9)) % 2 == 0 ? 70 : 0;
                for (var c = 0; c < channels; c++)
                {
                    var gradient = c switch
                    {
                        0 => (x * 255) / Math.Max(1, width - 1),
                        1 => (y * 255) / Math.Max(1, height - 1),
                        _ => ((x + y) * 255) / Math.Max(1, width + height - 2),
                    };
                    var value = ((gradient + edge) % 256) + random.Next(-24, 25);
                    raster.Data[(((y * width) + x) * channels) + c] = (byte)Math.Clamp(value, 0, 255);
                }
            }
        }

        return raster;
    }

    public static byte[] ToPnm(Raster raster)
    {
        var header = Encoding.ASCII.GetBytes($"{(raster.Color == ColorModel.Gray ? "P5" : "P6")}\n{raster.Width} {raster.Height}\n255\n");
        return [.. header, .. raster.Data];
    }

    /// <summary>Reads binary PGM/PPM (P5/P6, maxval 255) as djpeg and ImageMagick write them.</summary>
    public static Raster FromPnm(byte[] pnm)
    {
        var pos = 0;
        string Token()
        {
            while (pos < pnm.Length && (char.IsWhiteSpace((char)pnm[pos]) || pnm[pos] == '#'))
            {
                if (pnm[pos] == '#')
                {
                    while (pnm[pos] != '\n')
                    {
                        pos++;
                    }
                }

                pos++;
            }

            var start = pos;
            while (!char.IsWhiteSpace((char)pnm[pos]))
            {
                pos++;
            }

            return Encoding.ASCII.GetString(pnm, start, pos - start);
        }

        var magic = Token();
        var width = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        var height = int.Parse(Token(), System.Globalization.CultureInfo.InvariantCulture);
        var max = Token();
        Assert.Equal("255", max);
        pos++; // the single whitespace byte after maxval
        var color = magic == "P6" ? ColorModel.Rgb : ColorModel.Gray;
        var length = width * height * (color == ColorModel.Rgb ? 3 : 1);
        return new Raster(width, height, color, 8, pnm.AsSpan(pos, length).ToArray());
    }

    /// <summary>Max |difference| and count of samples differing by more than 1.</summary>
    public static (int Max, long Over1, long Samples) Compare(Raster expected, Raster actual)
    {
        Assert.Equal((expected.Width, expected.Height, expected.Color), (actual.Width, actual.Height, actual.Color));
        var max = 0;
        long over = 0;
        for (var i = 0; i < expected.Data.Length; i++)
        {
            var d = Math.Abs(expected.Data[i] - actual.Data[i]);
            max = Math.Max(max, d);
            if (d > 1)
            {
                over++;
            }
        }

        return (max, over, expected.Data.Length);
    }

    /// <summary>An APP1 Exif segment whose IFD0 holds only the orientation tag, in either byte order.</summary>
    public static byte[] ExifOrientationSegment(int orientation, bool littleEndian)
    {
        var tiff = new List<byte>();
        void U16(int v) => tiff.AddRange(littleEndian ? [(byte)v, (byte)(v >> 8)] : [(byte)(v >> 8), (byte)v]);
        void U32(int v) => tiff.AddRange(littleEndian
            ? [(byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24)]
            : [(byte)(v >> 24), (byte)(v >> 16), (byte)(v >> 8), (byte)v]);
        tiff.AddRange(littleEndian ? "II"u8.ToArray() : "MM"u8.ToArray());
        U16(42);
        U32(8);
        U16(2); // two entries: an unrelated tag first, so the search has to walk the IFD
        U16(0x010F); // Make, ASCII, count 4, inline "abc"
        U16(2);
        U32(4);
        tiff.AddRange("abc\0"u8.ToArray());
        U16(0x0112);
        U16(3);
        U32(1);
        U16(orientation);
        U16(0);
        U32(0);
        var payload = "Exif\0\0"u8.ToArray().Concat(tiff).ToArray();
        var length = payload.Length + 2;
        return [0xFF, 0xE1, (byte)(length >> 8), (byte)length, .. payload];
    }

    /// <summary>Inserts segments straight after SOI.</summary>
    public static byte[] InsertAfterSoi(byte[] jpeg, params byte[][] segments) =>
        [.. jpeg.AsSpan(0, 2), .. segments.SelectMany(s => s), .. jpeg.AsSpan(2)];

    /// <summary>(marker, offset of FF, total length incl. marker) of each segment up to and including the first SOS.</summary>
    public static List<(int Marker, int Offset, int Length)> Segments(byte[] jpeg)
    {
        var result = new List<(int, int, int)>();
        var pos = 2;
        while (pos + 4 <= jpeg.Length)
        {
            int marker = jpeg[pos + 1];
            var length = (jpeg[pos + 2] << 8) | jpeg[pos + 3];
            result.Add((marker, pos, length + 2));
            if (marker == 0xDA)
            {
                break;
            }

            pos += length + 2;
        }

        return result;
    }

    /// <summary>Independent reference for EXIF orientation: where pixel (x, y) of the upright image comes from.</summary>
    public static Raster ReferenceOrient(Raster src, int orientation)
    {
        var transposed = orientation >= 5;
        var dst = new Raster(transposed ? src.Height : src.Width, transposed ? src.Width : src.Height, src.Color, 8);
        for (var y = 0; y < dst.Height; y++)
        {
            for (var x = 0; x < dst.Width; x++)
            {
                // Undo the geometric steps in terms of the source frame, one case at a time from the EXIF table.
                int sx, sy;
                switch (orientation)
                {
                    case 1: sx = x; sy = y; break;
                    case 2: sx = src.Width - 1 - x; sy = y; break;
                    case 3: sx = src.Width - 1 - x; sy = src.Height - 1 - y; break;
                    case 4: sx = x; sy = src.Height - 1 - y; break;
                    case 5: sx = y; sy = x; break;
                    case 6: sx = y; sy = src.Height - 1 - x; break;
                    case 7: sx = src.Width - 1 - y; sy = src.Height - 1 - x; break;
                    default: sx = src.Width - 1 - y; sy = x; break;
                }

                for (var c = 0; c < src.Channels; c++)
                {
                    dst.SetSample(x, y, c, src.GetSample(sx, sy, c));
                }
            }
        }

        return dst;
    }
}
