namespace MedVision.Dicom.Dictionary;

/// <summary>Helpers for the generated tables, which keep their strings as NUL-terminated ASCII in one blob.</summary>
internal static class DictionaryText
{
    /// <summary>The NUL-terminated field at the start of the span.</summary>
    public static ReadOnlySpan<byte> Field(ReadOnlySpan<byte> text) => text[..text.IndexOf((byte)0)];

    /// <summary>Ordinal comparison of ASCII bytes with a string, so a lookup decodes nothing.</summary>
    public static int CompareOrdinal(ReadOnlySpan<byte> ascii, string text)
    {
        var length = Math.Min(ascii.Length, text.Length);
        for (var i = 0; i < length; i++)
        {
            var difference = ascii[i] - text[i];
            if (difference != 0)
            {
                return difference;
            }
        }

        return ascii.Length - text.Length;
    }
}
