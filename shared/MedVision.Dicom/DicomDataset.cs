using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Text;
using MedVision.Dicom.Text;

namespace MedVision.Dicom;

/// <summary>
/// A data set: elements kept in ascending tag order, as the standard requires on the wire. Item data sets of a
/// sequence point to their <see cref="Parent"/> so they inherit its Specific Character Set.
/// </summary>
public sealed class DicomDataset : IEnumerable<DicomElement>
{
    private readonly List<DicomElement> elements;
    private DicomCharacterSet? characterSet;
    private string? characterSetWarning;

    public DicomDataset(DicomDataset? parent = null)
    {
        elements = [];
        Parent = parent;
    }

    internal DicomDataset(DicomDataset? parent, int capacity)
    {
        elements = new List<DicomElement>(capacity);
        Parent = parent;
    }

    /// <summary>The data set that holds the sequence this item belongs to; null at the top level.</summary>
    public DicomDataset? Parent { get; internal set; }

    public int Count => elements.Count;

    /// <summary>The Specific Character Set in force: this data set's (0008,0005), else the parent's, else ISO_IR 6.</summary>
    public DicomCharacterSet CharacterSet
    {
        get
        {
            if (characterSet is { } known)
            {
                return known;
            }

            if (TryGet(DicomTag.SpecificCharacterSet, out var element))
            {
                var terms = SplitValues(Encoding.ASCII.GetString(element.Bytes.Span), trim: true);
                return characterSet = DicomCharacterSet.FromTerms(terms, out characterSetWarning);
            }

            return Parent?.CharacterSet ?? DicomCharacterSet.Default;
        }
    }

    /// <summary>Why this data set's Specific Character Set could not be honoured exactly; null when it could.</summary>
    public string? CharacterSetWarning
    {
        get
        {
            _ = CharacterSet;
            return characterSetWarning;
        }
    }

    public DicomElement this[DicomTag tag] =>
        TryGet(tag, out var element) ? element : throw new KeyNotFoundException($"{tag} is not in the data set.");

    public bool Contains(DicomTag tag) => IndexOf(tag) >= 0;

    public bool TryGet(DicomTag tag, out DicomElement element)
    {
        var i = IndexOf(tag);
        element = i >= 0 ? elements[i] : null!;
        return i >= 0;
    }

    /// <summary>Adds or replaces the element with the same tag, keeping tag order.</summary>
    public void AddOrUpdate(DicomElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        if (element.Items is { } items)
        {
            foreach (var item in items)
            {
                item.Parent = this;
            }
        }

        if (element.Tag == DicomTag.SpecificCharacterSet)
        {
            characterSet = null;
            characterSetWarning = null;
        }

        // Readers add in ascending order: appending is the common case.
        if (elements.Count == 0 || elements[^1].Tag < element.Tag)
        {
            elements.Add(element);
            return;
        }

        var i = IndexOf(element.Tag);
        if (i >= 0)
        {
            elements[i] = element;
        }
        else
        {
            elements.Insert(~i, element);
        }
    }

    public bool Remove(DicomTag tag)
    {
        var i = IndexOf(tag);
        if (i < 0)
        {
            return false;
        }

        if (tag == DicomTag.SpecificCharacterSet)
        {
            characterSet = null;
            characterSetWarning = null;
        }

        elements.RemoveAt(i);
        return true;
    }

    /// <summary>Removes every element the predicate selects (this level only); returns how many.</summary>
    public int RemoveAll(Predicate<DicomElement> match)
    {
        var removed = elements.RemoveAll(match);
        characterSet = null;
        characterSetWarning = null;
        return removed;
    }

    /// <summary>A deep copy (byte values are immutable and shared).</summary>
    public DicomDataset Clone(DicomDataset? parent = null)
    {
        var copy = new DicomDataset(parent, elements.Count);
        foreach (var element in elements)
        {
            copy.elements.Add(element.Clone(copy));
        }

        return copy;
    }

    public IEnumerator<DicomElement> GetEnumerator() => elements.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    // ---- typed reads ------------------------------------------------------------------------------------------

    /// <summary>The whole value as text (all values, backslashes kept), padding trimmed; null when absent or not text.</summary>
    public string? GetString(DicomTag tag) => TryGet(tag, out var e) && e.Items is null && e.Fragments is null ? DecodeText(e) : null;

    /// <summary>The first value as text, or null when absent or empty.</summary>
    public string? GetFirstString(DicomTag tag)
    {
        var values = GetStrings(tag);
        return values.Length > 0 && values[0].Length > 0 ? values[0] : null;
    }

    /// <summary>All values of a string element, each trimmed of padding.</summary>
    public string[] GetStrings(DicomTag tag)
    {
        if (!TryGet(tag, out var e) || e.Items is not null || e.Fragments is not null || e.Bytes.IsEmpty)
        {
            return [];
        }

        var text = DecodeRaw(e);
        return e.VR.IsSingleValuedText() ? [TrimValue(text, e.VR)] : SplitValues(text, trim: true, e.VR);
    }

    /// <summary>Decodes an element's bytes as text with this data set's character set where its VR uses it.</summary>
    public string DecodeText(DicomElement element)
    {
        ArgumentNullException.ThrowIfNull(element);
        return TrimValue(DecodeRaw(element), element.VR);
    }

    private string DecodeRaw(DicomElement element)
    {
        var span = element.Bytes.Span;
        return element.VR.UsesSpecificCharacterSet() ? CharacterSet.Decode(span, element.VR) : Encoding.Latin1.GetString(span);
    }

    public bool TryGetUInt16(DicomTag tag, out ushort value)
    {
        value = 0;
        if (!TryGetNumbers(tag, out var numbers) || numbers.Length == 0 || numbers[0] is < 0 or > ushort.MaxValue)
        {
            return false;
        }

        value = (ushort)numbers[0];
        return true;
    }

    public bool TryGetInt32(DicomTag tag, out int value)
    {
        value = 0;
        if (!TryGetNumbers(tag, out var numbers) || numbers.Length == 0 || numbers[0] is < int.MinValue or > int.MaxValue || double.IsNaN(numbers[0]))
        {
            return false;
        }

        value = (int)numbers[0];
        return true;
    }

    public bool TryGetDouble(DicomTag tag, out double value)
    {
        value = 0;
        if (!TryGetNumbers(tag, out var numbers) || numbers.Length == 0)
        {
            return false;
        }

        value = numbers[0];
        return true;
    }

    public int GetInt32OrDefault(DicomTag tag, int fallback) => TryGetInt32(tag, out var v) ? v : fallback;

    /// <summary>
    /// All values of a numeric element as doubles: binary VRs (US, SS, UL, SL, FL, FD, SV, UV) and the numeric
    /// strings (IS, DS). False when absent, not numeric, or a string value does not parse.
    /// </summary>
    public bool TryGetNumbers(DicomTag tag, out double[] values)
    {
        values = [];
        if (!TryGet(tag, out var e) || e.Items is not null || e.Fragments is not null)
        {
            return false;
        }

        var span = e.Bytes.Span;
        switch (e.VR)
        {
            case DicomVR.US:
            case DicomVR.OW:
                values = new double[span.Length / 2];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadUInt16LittleEndian(span[(2 * i)..]);
                }

                return true;
            case DicomVR.SS:
                values = new double[span.Length / 2];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadInt16LittleEndian(span[(2 * i)..]);
                }

                return true;
            case DicomVR.UL:
            case DicomVR.OL:
                values = new double[span.Length / 4];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadUInt32LittleEndian(span[(4 * i)..]);
                }

                return true;
            case DicomVR.SL:
                values = new double[span.Length / 4];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadInt32LittleEndian(span[(4 * i)..]);
                }

                return true;
            case DicomVR.FL:
            case DicomVR.OF:
                values = new double[span.Length / 4];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadSingleLittleEndian(span[(4 * i)..]);
                }

                return true;
            case DicomVR.FD:
            case DicomVR.OD:
                values = new double[span.Length / 8];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadDoubleLittleEndian(span[(8 * i)..]);
                }

                return true;
            case DicomVR.SV:
                values = new double[span.Length / 8];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadInt64LittleEndian(span[(8 * i)..]);
                }

                return true;
            case DicomVR.UV:
            case DicomVR.OV:
                values = new double[span.Length / 8];
                for (var i = 0; i < values.Length; i++)
                {
                    values[i] = BinaryPrimitives.ReadUInt64LittleEndian(span[(8 * i)..]);
                }

                return true;
            case DicomVR.IS:
            case DicomVR.DS:
                var parts = GetStrings(tag);
                var parsed = new double[parts.Length];
                for (var i = 0; i < parts.Length; i++)
                {
                    if (!double.TryParse(parts[i], NumberStyles.Float, CultureInfo.InvariantCulture, out parsed[i]))
                    {
                        return false;
                    }
                }

                values = parsed;
                return true;
            default:
                return false;
        }
    }

    /// <summary>The items of a sequence; empty when absent or not a sequence.</summary>
    public IReadOnlyList<DicomDataset> GetItems(DicomTag tag) =>
        TryGet(tag, out var e) && e.Items is { } items ? items : [];

    // ---- typed writes -----------------------------------------------------------------------------------------

    /// <summary>Sets a string element (values joined with '\'), encoded in this data set's character set and padded to even length.</summary>
    public void SetString(DicomTag tag, DicomVR vr, string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        byte[] bytes;
        if (vr.UsesSpecificCharacterSet())
        {
            if (!CharacterSet.TryEncode(value, out bytes))
            {
                throw new ArgumentException($"{tag}: the text cannot be written in the data set's character set ({string.Join('\\', CharacterSet.Terms)}).", nameof(value));
            }
        }
        else
        {
            foreach (var c in value)
            {
                if (c > 0x7E)
                {
                    throw new ArgumentException($"{tag}: VR {vr.Code()} allows only the default repertoire.", nameof(value));
                }
            }

            bytes = Encoding.ASCII.GetBytes(value);
        }

        if ((bytes.Length & 1) == 1)
        {
            Array.Resize(ref bytes, bytes.Length + 1);
            bytes[^1] = vr.PaddingByte();
        }

        AddOrUpdate(DicomElement.FromBytes(tag, vr, bytes));
    }

    public void SetUInt16(DicomTag tag, params ushort[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        var bytes = new byte[values.Length * 2];
        for (var i = 0; i < values.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), values[i]);
        }

        AddOrUpdate(DicomElement.FromBytes(tag, DicomVR.US, bytes));
    }

    public void SetBytes(DicomTag tag, DicomVR vr, ReadOnlyMemory<byte> bytes) => AddOrUpdate(DicomElement.FromBytes(tag, vr, bytes));

    public void SetSequence(DicomTag tag, IEnumerable<DicomDataset> items) => AddOrUpdate(DicomElement.Sequence(tag, items));

    // ---- helpers ----------------------------------------------------------------------------------------------

    private int IndexOf(DicomTag tag)
    {
        // Binary search on the tag value; List<T>.BinarySearch would need an element instance.
        int lo = 0, hi = elements.Count - 1;
        var key = tag.Value;
        while (lo <= hi)
        {
            var mid = (int)((uint)(lo + hi) >> 1);
            var v = elements[mid].Tag.Value;
            if (v == key)
            {
                return mid;
            }

            if (v < key)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return ~lo;
    }

    internal static string TrimValue(string text, DicomVR vr)
    {
        // Trailing spaces and NULs are padding for every string VR; leading spaces are significant only in text VRs.
        var trimmed = text.TrimEnd(' ', '\0');
        return vr is DicomVR.LT or DicomVR.ST or DicomVR.UT ? trimmed : trimmed.TrimStart(' ');
    }

    internal static string[] SplitValues(string text, bool trim, DicomVR vr = DicomVR.CS)
    {
        var parts = text.Split('\\');
        if (trim)
        {
            for (var i = 0; i < parts.Length; i++)
            {
                parts[i] = TrimValue(parts[i], vr);
            }
        }

        return parts;
    }
}
