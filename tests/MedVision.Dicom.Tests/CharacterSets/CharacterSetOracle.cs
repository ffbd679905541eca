using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using MedVision.Testing;

namespace MedVision.Dicom.Tests.CharacterSets;

/// <summary>One value to decode: the terms of (0008,0005), the VR, and the raw bytes of the element.</summary>
public sealed record CharsetCase(string Name, string[] Terms, DicomVR VR, byte[] Value, bool Pydicom = true, bool Dcmtk = true)
{
    public override string ToString() => Name;
}

/// <summary>
/// Decodes values with the independent implementations: pydicom (Python codecs) and DCMTK's dcmdump +U8 (glibc
/// iconv). Each case becomes a small Part 10 file written byte for byte here (explicit VR little endian, the raw
/// value untouched), and both tools read that same file.
/// </summary>
internal static partial class CharacterSetOracle
{
    /// <summary>pydicom reads every file and prints {file: decoded text}; multi-valued text joined with '\'.</summary>
    private const string PydicomScript = """
        import json, sys, warnings
        import pydicom, pydicom.charset as cs
        from pydicom.multival import MultiValue
        # pydicom 2.x predates ISO_IR 203 (Latin-9): give it Python's iso8859_15 so the comparison still means something.
        cs.python_encoding.setdefault('ISO_IR 203', 'iso8859_15')
        cs.python_encoding.setdefault('ISO 2022 IR 203', 'iso8859_15')
        cs.CODES_TO_ENCODINGS.setdefault(b'\x1b-b', 'iso8859_15')
        warnings.simplefilter('ignore')
        out = {}
        for path in sys.argv[1:]:
            ds = pydicom.dcmread(path)
            elem = list(ds)[-1]  # the test element has the highest tag
            value = elem.value
            if isinstance(value, (MultiValue, list)):
                text = '\\'.join(str(v) for v in value)
            else:
                text = str(value)
            out[path] = text
        sys.stdout.write(json.dumps(out))
        """;

    public static Dictionary<CharsetCase, string> Pydicom(IReadOnlyList<CharsetCase> cases, string folder)
    {
        var files = cases.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => Write(x.c, x.i, folder));
        var json = ExternalTools.RunOk(ExternalTools.Python, ["-c", PydicomScript, .. files.Values]);
        var decoded = JsonSerializer.Deserialize<Dictionary<string, string>>(json)!;
        return files.ToDictionary(kv => kv.Key, kv => decoded[kv.Value]);
    }

    /// <summary>
    /// dcmdump +U8 per file: the value between the brackets of the element (null when DCMTK failed), and whether
    /// DCMTK said its conversion library does not support the character set (glibc iconv has no ISO-2022-JP).
    /// </summary>
    public static Dictionary<CharsetCase, (string? Text, bool Unsupported)> Dcmtk(IReadOnlyList<CharsetCase> cases, string folder)
    {
        var result = new Dictionary<CharsetCase, (string?, bool)>();
        foreach (var (c, i) in cases.Select((c, i) => (c, i)))
        {
            var file = Write(c, i, folder);
            var (exit, stdout, stderr) = ExternalTools.Run("dcmdump", ["+U8", "+L", file]);
            // "... is not supported by the utilized character set conversion library" or "Cannot select source
            // character set: ... not supported".
            var unsupported = stderr.Contains("not supported", StringComparison.Ordinal);
            var (group, element) = TagFor(c.VR);
            var dump = Encoding.UTF8.GetString(stdout);
            var prefix = $"({group:x4},{element:x4}) {c.VR.Code()} [";
            var start = dump.IndexOf(prefix, StringComparison.Ordinal);
            result[c] = (exit != 0 || start < 0 ? null : ValueOf(dump, start + prefix.Length), unsupported);
        }

        return result;
    }

    /// <summary>dcmdump: "(0010,0010) PN [value]     #  12, 1 PatientName"; the value may hold ']' and line breaks.</summary>
    private static string ValueOf(string dump, int start)
    {
        var match = DumpValueEnd().Match(dump, start);
        return match.Success ? dump[start..match.Index] : dump[start..];
    }

    [GeneratedRegex(@"\][ ]*#[ ]*\d+, \d+ \S+")]
    private static partial Regex DumpValueEnd();

    private static (ushort Group, ushort Element) TagFor(DicomVR vr) => vr switch
    {
        DicomVR.PN => (0x0010, 0x0010), // Patient's Name
        DicomVR.LO => (0x0010, 0x1040), // Patient's Address
        DicomVR.SH => (0x0008, 0x0050), // Accession Number
        DicomVR.LT => (0x0010, 0x4000), // Patient Comments
        DicomVR.ST => (0x0008, 0x0081), // Institution Address
        DicomVR.UT => (0x0040, 0xA160), // Text Value
        DicomVR.UC => (0x0018, 0x9937), // Requested Series Description
        _ => throw new ArgumentOutOfRangeException(nameof(vr), vr, "No test tag for this VR."),
    };

    private static string Write(CharsetCase c, int index, string folder)
    {
        var path = Path.Combine(folder, $"case{index:d3}-{c.VR.Code()}.dcm");
        File.WriteAllBytes(path, Part10(c));
        return path;
    }

    /// <summary>A minimal Part 10 file: preamble, meta group, (0008,0005), SOP class/instance, and the test element.</summary>
    private static byte[] Part10(CharsetCase c)
    {
        var meta = new MemoryStream();
        Element(meta, 0x0002, 0x0001, "OB", [0x00, 0x01]);
        Element(meta, 0x0002, 0x0002, "UI", Uid("1.2.840.10008.5.1.4.1.1.7"));
        Element(meta, 0x0002, 0x0003, "UI", Uid("1.2.826.0.1.3680043.2.1125.1"));
        Element(meta, 0x0002, 0x0010, "UI", Uid("1.2.840.10008.1.2.1"));
        var file = new MemoryStream();
        file.Write(new byte[128]);
        file.Write("DICM"u8);
        var length = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)meta.Length);
        Element(file, 0x0002, 0x0000, "UL", length);
        meta.WriteTo(file);
        Element(file, 0x0008, 0x0005, "CS", Encoding.ASCII.GetBytes(string.Join('\\', c.Terms)));
        Element(file, 0x0008, 0x0016, "UI", Uid("1.2.840.10008.5.1.4.1.1.7"));
        Element(file, 0x0008, 0x0018, "UI", Uid("1.2.826.0.1.3680043.2.1125.1"));
        var (group, element) = TagFor(c.VR);
        Element(file, group, element, c.VR.Code(), c.Value);
        return file.ToArray();
    }

    private static byte[] Uid(string uid) => Encoding.ASCII.GetBytes(uid);

    private static void Element(Stream stream, ushort group, ushort element, string vr, byte[] value)
    {
        var padded = value.Length % 2 == 0 ? value : [.. value, vr == "UI" || vr == "OB" ? (byte)0 : (byte)' '];
        Span<byte> header = stackalloc byte[12];
        BinaryPrimitives.WriteUInt16LittleEndian(header, group);
        BinaryPrimitives.WriteUInt16LittleEndian(header[2..], element);
        header[4] = (byte)vr[0];
        header[5] = (byte)vr[1];
        if (vr is "OB" or "UT" or "UC" or "UN")
        {
            header[6] = header[7] = 0;
            BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)padded.Length);
            stream.Write(header);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(header[6..], (ushort)padded.Length);
            stream.Write(header[..8]);
        }

        stream.Write(padded);
    }
}
