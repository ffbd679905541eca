using System.Text;

namespace MedVision.Dicom.Text;

/// <summary>
/// TEMPORARY CONTRACT (being replaced by the full implementation): decodes string values according to
/// Specific Character Set (0008,0005).
/// </summary>
public sealed class DicomCharacterSet
{
    private readonly Encoding encoding;

    private DicomCharacterSet(string[] terms, Encoding encoding)
    {
        Terms = terms;
        this.encoding = encoding;
    }

    /// <summary>The defined terms as given (empty for the default repertoire).</summary>
    public IReadOnlyList<string> Terms { get; }

    /// <summary>ISO_IR 6 (the default repertoire).</summary>
    public static DicomCharacterSet Default { get; } = new([], Encoding.Latin1);

    /// <summary>Resolves the defined terms of (0008,0005). Unknown terms give a warning and fall back to the default, never throw.</summary>
    public static DicomCharacterSet FromTerms(IReadOnlyList<string> terms, out string? warning)
    {
        ArgumentNullException.ThrowIfNull(terms);
        warning = null;
        var first = terms.Count > 0 ? terms[0].Trim() : "";
        return first switch
        {
            "" or "ISO_IR 6" => Default,
            "ISO_IR 100" => new([.. terms], Encoding.Latin1),
            "ISO_IR 192" => new([.. terms], Encoding.UTF8),
            _ => Warn(terms, out warning),
        };
    }

    private static DicomCharacterSet Warn(IReadOnlyList<string> terms, out string? warning)
    {
        warning = $"Specific Character Set '{string.Join('\\', terms)}' is not supported; text is shown as ISO_IR 6 and the bytes are kept.";
        return new([.. terms], Encoding.Latin1);
    }

    /// <summary>Decodes a value of a VR that uses the character set (PN, LO, SH, LT, ST, UT, UC).</summary>
    public string Decode(ReadOnlySpan<byte> value, DicomVR vr) => encoding.GetString(value);

    /// <summary>Encodes text for a value; false when the character set cannot represent it.</summary>
    public bool TryEncode(string text, out byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(text);
        bytes = encoding.GetBytes(text);
        return encoding.GetString(bytes) == text;
    }
}
