using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace MedVision.Dicom.Json;

/// <param name="IncludeFileMeta">Also write the group 0002 elements (they are not part of the data set).</param>
/// <param name="InlineBinaryLimit">Binary values (OB, OW, UN, ...) up to this many bytes are written as InlineBinary
/// (base64); larger ones, and all encapsulated pixel data, as a BulkDataURI that notes the size.</param>
/// <param name="Indented">Pretty-print (the CLI's default).</param>
public sealed record DicomJsonOptions(bool IncludeFileMeta = false, int InlineBinaryLimit = 1024, bool Indented = true);

/// <summary>
/// Writes a data set as the DICOM JSON Model (PS3.18 Annex F): an object keyed by GGGGEEEE with "vr" and "Value",
/// PN as Alphabetic/Ideographic/Phonetic objects, numbers as JSON numbers, sequences as arrays of objects. Text is
/// decoded with the data set's Specific Character Set; as the output is UTF-8, (0008,0005) is written as ISO_IR 192.
/// </summary>
public static class DicomJsonWriter
{
    public static byte[] ToUtf8(DicomFile file, DicomJsonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        using var stream = new MemoryStream();
        Write(file, stream, options);
        return stream.ToArray();
    }

    public static void Write(DicomFile file, Stream stream, DicomJsonOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(stream);
        options ??= new DicomJsonOptions();
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = options.Indented, SkipValidation = false });
        json.WriteStartObject();
        if (options.IncludeFileMeta)
        {
            WriteElements(json, file.FileMeta, options);
        }

        WriteElements(json, file.Dataset, options);
        json.WriteEndObject();
    }

    private static void WriteElements(Utf8JsonWriter json, DicomDataset dataset, DicomJsonOptions options)
    {
        foreach (var element in dataset)
        {
            json.WritePropertyName(element.Tag.ToJsonKey());
            json.WriteStartObject();
            json.WriteString("vr"u8, element.VR.Code());
            WriteValue(json, dataset, element, options);
            json.WriteEndObject();
        }
    }

    private static void WriteValue(Utf8JsonWriter json, DicomDataset dataset, DicomElement element, DicomJsonOptions options)
    {
        if (element.Items is { } items)
        {
            if (items.Count == 0)
            {
                return;
            }

            json.WriteStartArray("Value"u8);
            foreach (var item in items)
            {
                json.WriteStartObject();
                WriteElements(json, item, options);
                json.WriteEndObject();
            }

            json.WriteEndArray();
            return;
        }

        if (element.Fragments is { } fragments)
        {
            json.WriteString("BulkDataURI"u8,
                $"bulkdata:{element.Tag.ToJsonKey()}?encapsulated=true&fragments={fragments.Fragments.Count}&bytes={fragments.TotalLength}");
            return;
        }

        var bytes = element.Bytes;
        if (bytes.IsEmpty)
        {
            return;
        }

        var vr = element.VR;
        if (vr.IsBinaryBulk())
        {
            if (bytes.Length <= options.InlineBinaryLimit)
            {
                json.WriteBase64String("InlineBinary"u8, bytes.Span);
            }
            else
            {
                json.WriteString("BulkDataURI"u8, $"bulkdata:{element.Tag.ToJsonKey()}?bytes={bytes.Length}");
            }

            return;
        }

        json.WriteStartArray("Value"u8);
        var span = bytes.Span;
        switch (vr)
        {
            case DicomVR.US:
                for (var i = 0; i + 2 <= span.Length; i += 2)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadUInt16LittleEndian(span[i..]));
                }

                break;
            case DicomVR.SS:
                for (var i = 0; i + 2 <= span.Length; i += 2)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadInt16LittleEndian(span[i..]));
                }

                break;
            case DicomVR.UL:
                for (var i = 0; i + 4 <= span.Length; i += 4)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadUInt32LittleEndian(span[i..]));
                }

                break;
            case DicomVR.SL:
                for (var i = 0; i + 4 <= span.Length; i += 4)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadInt32LittleEndian(span[i..]));
                }

                break;
            case DicomVR.SV:
                for (var i = 0; i + 8 <= span.Length; i += 8)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadInt64LittleEndian(span[i..]));
                }

                break;
            case DicomVR.UV:
                for (var i = 0; i + 8 <= span.Length; i += 8)
                {
                    json.WriteNumberValue(BinaryPrimitives.ReadUInt64LittleEndian(span[i..]));
                }

                break;
            case DicomVR.FL:
                for (var i = 0; i + 4 <= span.Length; i += 4)
                {
                    WriteFloat(json, BinaryPrimitives.ReadSingleLittleEndian(span[i..]));
                }

                break;
            case DicomVR.FD:
                for (var i = 0; i + 8 <= span.Length; i += 8)
                {
                    WriteFloat(json, BinaryPrimitives.ReadDoubleLittleEndian(span[i..]));
                }

                break;
            case DicomVR.AT:
                for (var i = 0; i + 4 <= span.Length; i += 4)
                {
                    var tag = new DicomTag(BinaryPrimitives.ReadUInt16LittleEndian(span[i..]), BinaryPrimitives.ReadUInt16LittleEndian(span[(i + 2)..]));
                    json.WriteStringValue(tag.ToJsonKey());
                }

                break;
            case DicomVR.PN:
                foreach (var name in Values(dataset, element))
                {
                    WritePersonName(json, name);
                }

                break;
            case DicomVR.IS:
                foreach (var text in Values(dataset, element))
                {
                    if (text.Length == 0)
                    {
                        json.WriteNullValue();
                    }
                    else if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
                    {
                        json.WriteNumberValue(n);
                    }
                    else
                    {
                        json.WriteStringValue(text); // malformed IS: keep the text rather than lose it
                    }
                }

                break;
            case DicomVR.DS:
                foreach (var text in Values(dataset, element))
                {
                    if (text.Length == 0)
                    {
                        json.WriteNullValue();
                    }
                    else if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && double.IsFinite(d))
                    {
                        json.WriteNumberValue(d);
                    }
                    else
                    {
                        json.WriteStringValue(text);
                    }
                }

                break;
            default:
                if (element.Tag == DicomTag.SpecificCharacterSet)
                {
                    json.WriteStringValue("ISO_IR 192");
                    break;
                }

                foreach (var text in Values(dataset, element))
                {
                    if (text.Length == 0)
                    {
                        json.WriteNullValue();
                    }
                    else
                    {
                        json.WriteStringValue(text);
                    }
                }

                break;
        }

        json.WriteEndArray();
    }

    private static string[] Values(DicomDataset dataset, DicomElement element)
    {
        var text = dataset.DecodeText(element);
        if (element.VR.IsSingleValuedText())
        {
            return [text];
        }

        var parts = text.Split('\\');
        for (var i = 0; i < parts.Length; i++)
        {
            parts[i] = DicomDataset.TrimValue(parts[i], element.VR);
        }

        return parts;
    }

    private static void WritePersonName(Utf8JsonWriter json, string name)
    {
        if (name.Length == 0)
        {
            json.WriteNullValue();
            return;
        }

        var groups = name.Split('=');
        json.WriteStartObject();
        ReadOnlySpan<string> keys = ["Alphabetic", "Ideographic", "Phonetic"];
        for (var i = 0; i < groups.Length && i < keys.Length; i++)
        {
            if (groups[i].Length > 0)
            {
                json.WriteString(keys[i], groups[i]);
            }
        }

        json.WriteEndObject();
    }

    private static void WriteFloat(Utf8JsonWriter json, double value)
    {
        // JSON has no NaN or infinity; PS3.18 leaves them unrepresentable, so write the text.
        if (double.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static void WriteFloat(Utf8JsonWriter json, float value)
    {
        if (float.IsFinite(value))
        {
            json.WriteNumberValue(value);
        }
        else
        {
            json.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }
}
