namespace MedVision.Dicom.Text;

/// <summary>
/// ISO 2022 code extension techniques as DICOM restricts them (PS3.5 §6.1.2.5): G0 and G1 only, both invoked
/// permanently (G0 for 0x21-0x7E, G1 for 0xA0-0xFF; no shifts), designations by escape sequences, and the state
/// reset to the one of value 1 of Specific Character Set at the start of the value and before every delimiter
/// (§6.1.2.5.3): control characters other than ESC (CR, LF, FF, TAB, ...), the backslash of multi-valued VRs, and
/// '^' and '=' in PN.
/// </summary>
/// <param name="InitialG0">What G0 holds at each reset (ASCII, or JIS X 0201 Romaji for ISO 2022 IR 13).</param>
/// <param name="InitialG1">What G1 holds at each reset (the G1 set of value 1, or nothing).</param>
/// <param name="Declared">Every code element the terms name, in term order (the encoder's preference).</param>
internal sealed record Iso2022(CodeElement InitialG0, CodeElement? InitialG1, CodeElement[] Declared)
{
    private const byte Esc = 0x1B;

    /// <summary>Decodes into <paramref name="output"/>, which needs one char per byte at most; returns the count written.</summary>
    public int Decode(ReadOnlySpan<byte> value, DicomVR vr, Span<char> output)
    {
        var personName = vr == DicomVR.PN;
        var multiValued = !vr.IsSingleValuedText();
        var g0 = InitialG0;
        var g1 = InitialG1;
        var written = 0;
        var i = 0;
        while (i < value.Length)
        {
            var b = value[i];
            if (b == Esc)
            {
                var length = CodeElement.ParseEscape(value[i..], out var element);
                if (element is not null)
                {
                    if (element.IsG1)
                    {
                        g1 = element;
                    }
                    else
                    {
                        g0 = element;
                    }
                }
                else
                {
                    // Unknown or truncated: keep the bytes, as ISO_IR 6 would show them.
                    for (var k = 0; k < length; k++)
                    {
                        output[written++] = (char)value[i + k];
                    }
                }

                i += length;
                continue;
            }

            if (b is >= 0x21 and <= 0x7E && g0.IsDoubleByte)
            {
                // Inside a double-byte G0 set '\', '^' and '=' are halves of characters, not delimiters: an encoder
                // has to switch G0 back before a delimiter (PS3.5 Annex H writes ESC ( B before each '^' and '=').
                if (i + 1 < value.Length && value[i + 1] is >= 0x21 and <= 0x7E)
                {
                    output[written++] = g0.DecodePair(b, value[i + 1]);
                    i += 2;
                }
                else
                {
                    output[written++] = CodeElement.Replacement;
                    i++;
                }

                continue;
            }

            if (b < 0x80)
            {
                if (b < 0x20 || (b == '\\' && multiValued) || ((b == '^' || b == '=') && personName))
                {
                    g0 = InitialG0;
                    g1 = InitialG1;
                }

                // ASCII, and JIS X 0201 Romaji read as ASCII (see CodeElement.Romaji); SPACE and DEL in any G0.
                output[written++] = (char)b;
                i++;
                continue;
            }

            if (b < 0xA0 || g1 is null)
            {
                output[written++] = (char)b; // C1 controls, or no G1 set: byte-preserving (as Latin-1)
                i++;
                continue;
            }

            if (!g1.IsDoubleByte)
            {
                output[written++] = g1.DecodeHigh(b);
                i++;
                continue;
            }

            if (b is >= 0xA1 and <= 0xFE && i + 1 < value.Length && value[i + 1] is >= 0xA1 and <= 0xFE)
            {
                output[written++] = g1.DecodePair(b & 0x7F, value[i + 1] & 0x7F);
                i += 2;
            }
            else
            {
                output[written++] = CodeElement.Replacement;
                i++;
            }
        }

        return written;
    }

    /// <summary>
    /// Encodes with the fewest switches it can find: ASCII in the initial G0, other characters in the G1 or G0 set
    /// in use, else the first declared set that has them. G0 returns to its initial set before every delimiter any
    /// VR could have ('\', '^', '=', controls) and at the end of the value. After a '\', '^' or '=' (which reset
    /// only in some VRs) a G1 set other than the initial one counts as unknown and is designated again when next
    /// needed, so the bytes decode the same whatever the VR. Null when a character is in none of the sets.
    /// </summary>
    public byte[]? Encode(string text)
    {
        var output = new List<byte>(text.Length + 8);
        var g0 = InitialG0;
        var g1 = InitialG1;
        var g1Known = true;
        foreach (var c in text)
        {
            if (c < 0x80)
            {
                var delimiter = c < 0x20 || c is '\\' or '^' or '=';
                if (c == Esc)
                {
                    return null;
                }

                if (g0 != InitialG0 && (delimiter || g0.IsDoubleByte))
                {
                    output.AddRange(InitialG0.Escape);
                    g0 = InitialG0;
                }

                output.Add((byte)c);
                if (c < 0x20)
                {
                    g1 = InitialG1; // controls reset G1 in every VR
                    g1Known = true;
                }
                else if (delimiter && g1 != InitialG1)
                {
                    g1Known = false; // reset in PN (or a multi-valued VR), not in LT/ST/UT
                }

                continue;
            }

            var element = Pick(c, g0, g1Known ? g1 : null, out var code);
            if (element is null)
            {
                return null;
            }

            if (element.IsG1)
            {
                if (element != g1 || !g1Known)
                {
                    output.AddRange(element.Escape);
                    g1 = element;
                    g1Known = true;
                }
            }
            else if (element != g0)
            {
                output.AddRange(element.Escape);
                g0 = element;
            }

            switch (element.Kind)
            {
                case ElementKind.G1SingleByte:
                    output.Add((byte)code);
                    break;
                case ElementKind.G1DoubleByte:
                    output.Add((byte)((code >> 8) | 0x80));
                    output.Add((byte)(code | 0x80));
                    break;
                default:
                    output.Add((byte)(code >> 8));
                    output.Add((byte)code);
                    break;
            }
        }

        if (g0 != InitialG0)
        {
            output.AddRange(InitialG0.Escape);
        }

        return [.. output];
    }

    private CodeElement? Pick(char c, CodeElement g0, CodeElement? g1, out ushort code)
    {
        if (g1 is not null && g1.TryEncode(c, out code))
        {
            return g1;
        }

        if (g0.IsDoubleByte && g0.TryEncode(c, out code))
        {
            return g0;
        }

        foreach (var element in Declared)
        {
            if (element.TryEncode(c, out code))
            {
                return element;
            }
        }

        code = 0;
        return null;
    }
}
