using System.Text;
using MedVision.Core;

namespace MedVision.Functions.Api;

public sealed record MultipartPart(string Name, string? FileName, string? ContentType, ReadOnlyMemory<byte> Content);

/// <summary>A strict multipart/form-data reader (RFC 7578) for upload bodies.</summary>
public static class Multipart
{
    public const int MaxParts = 16;

    public static string Boundary(string? contentType)
    {
        if (contentType is null || !contentType.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            throw new ValidationException("request.not_multipart", "Upload requests must be multipart/form-data with a 'file' part.");
        }

        foreach (var piece in contentType.Split(';'))
        {
            var p = piece.Trim();
            if (p.StartsWith("boundary=", StringComparison.OrdinalIgnoreCase))
            {
                var b = p["boundary=".Length..].Trim('"');
                if (b.Length is > 0 and <= 70)
                {
                    return b;
                }
            }
        }

        throw new ValidationException("request.bad_multipart", "The multipart Content-Type has no valid boundary.");
    }

    public static IReadOnlyList<MultipartPart> Parse(ReadOnlyMemory<byte> body, string boundary)
    {
        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var span = body.Span;
        var parts = new List<MultipartPart>();
        var pos = span.IndexOf(delimiter);
        if (pos < 0)
        {
            throw Bad("the boundary never appears in the body");
        }

        pos += delimiter.Length;
        while (true)
        {
            if (span[pos..].StartsWith("--"u8))
            {
                return parts; // closing delimiter
            }

            if (!span[pos..].StartsWith("\r\n"u8))
            {
                throw Bad("a boundary is not followed by CRLF");
            }

            pos += 2;
            var headerEnd = span[pos..].IndexOf("\r\n\r\n"u8);
            if (headerEnd < 0)
            {
                throw Bad("a part has no end of headers");
            }

            var headers = Encoding.UTF8.GetString(span.Slice(pos, headerEnd));
            pos += headerEnd + 4;
            var next = span[pos..].IndexOf(Concat("\r\n"u8, delimiter));
            if (next < 0)
            {
                throw Bad("the body ends before the closing boundary");
            }

            if (parts.Count == MaxParts)
            {
                throw Bad($"more than {MaxParts} parts");
            }

            parts.Add(ParsePart(headers, body.Slice(pos, next)));
            pos += next + 2 + delimiter.Length;
        }
    }

    private static MultipartPart ParsePart(string headers, ReadOnlyMemory<byte> content)
    {
        string? name = null, fileName = null, contentType = null;
        foreach (var line in headers.Split("\r\n"))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var key = line[..colon].Trim();
            var value = line[(colon + 1)..].Trim();
            if (key.Equals("Content-Disposition", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var attr in value.Split(';').Skip(1))
                {
                    var kv = attr.Trim().Split('=', 2);
                    if (kv.Length == 2)
                    {
                        var v = kv[1].Trim().Trim('"');
                        if (kv[0].Equals("name", StringComparison.OrdinalIgnoreCase))
                        {
                            name = v;
                        }
                        else if (kv[0].Equals("filename", StringComparison.OrdinalIgnoreCase))
                        {
                            fileName = v;
                        }
                    }
                }
            }
            else if (key.Equals("Content-Type", StringComparison.OrdinalIgnoreCase))
            {
                contentType = value;
            }
        }

        return new MultipartPart(name ?? throw Bad("a part has no Content-Disposition name"), fileName, contentType, content);
    }

    private static byte[] Concat(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        var r = new byte[a.Length + b.Length];
        a.CopyTo(r);
        b.CopyTo(r.AsSpan(a.Length));
        return r;
    }

    private static ValidationException Bad(string why) => new("request.bad_multipart", $"The multipart body is malformed: {why}.");
}
