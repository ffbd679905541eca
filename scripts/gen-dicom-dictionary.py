#!/usr/bin/env python3
"""Generates shared/MedVision.Dicom/Dictionary/DicomDictionary.Generated.cs from DCMTK's dicom.dic.

Usage (from anywhere; python3, standard library only):
    python3 scripts/gen-dicom-dictionary.py [INPUT [OUTPUT]]
INPUT defaults to /usr/share/libdcmtk17/dicom.dic (Debian package libdcmtk17, installed with dcmtk by
scripts/test.sh), OUTPUT to the generated file in the repo. The output depends only on the input bytes and
on the DCMTK upstream version (asked of dpkg, or --dcmtk-version), so the same input gives a byte-identical
file; tests/MedVision.Dicom.Tests/DictionaryTests.cs regenerates it and compares.

dicom.dic lines are "(tag)<TAB>VR<TAB>Keyword<TAB>VM<TAB>Version". What this script does with them:
  * Tags: "(gggg,eeee)" is one tag. "(gggg-gggg,eeee)" is a repeating group; DCMTK reads an unqualified
    range as even numbers only, "-o-" as odd only and "-u-" as both. A range is stored as a value and a
    mask (a tag matches when tag & mask == value); the even restriction becomes the group's low bit in
    the mask. The one element range, (0020,3100-31FF), is the standard's (0020,31xx): every element
    matches, although DCMTK's notation would say even only.
  * Version PRIVATE / ILLEGAL / GENERIC: DCMTK's catch-alls for private group lengths, private creators,
    group lengths and creators in the illegal groups 0001-0007, and any other group length. They are not
    data elements of the standard, so they are not table rows; DicomDictionary.cs implements the same
    rules in code (group length -> UL, private creator -> LO). The script checks they are exactly these.
  * Retired entries: DCMTK prefixes the keyword with "RETIRED_"; the standard's keyword has no prefix, so
    it is stripped and the entry is flagged retired.
  * Names: dicom.dic carries keywords only, so Name is the keyword split into words
    ("ReferencedSOPClassUID" -> "Referenced SOP Class UID"); it is not the standard's exact wording.
  * DCMTK's pseudo VRs (dcmdata's DcmVR) become a VR and an alternate VR. VR is what an implicit VR stream
    means, AlternateVR the other choice of "OB or OW" / "US or SS" / "US or OW":
        ox  OB or OW (overlay, waveform, curve data)  -> VR OW, alternate OB (implicit VR is OW, PS3.5 A.1)
        px  pixel data, OB or OW                      -> VR OW, alternate OB
        lt  LUT data, US or SS or OW                  -> VR OW, alternate US (implicit VR is OW, PS3.5 A.1)
        xs  US or SS (sign from Pixel Representation) -> VR US, alternate SS
        up  UL holding a file offset (DICOMDIR)       -> VR UL
        na  no VR (items and delimiters)              -> VR None
    Any other lower-case VR in the input stops the script.
  * Corrections: dicom.dic's own comments say that some retired attributes "should have" a repeating tag
    its notation cannot write ((0028,04x0), (0028,08x0), (1000,xxx0), (1010,xxxx)) and lists them at one
    fixed tag instead. A mask can write them, so those entries get the standard's pattern (PS3.6 and
    pydicom agree on it); the script checks the fixed tags are still the ones it expects.

Layout of the generated data (all RVA statics: no static constructor, nothing built at start-up):
  Tags          exact tags sorted ascending (binary search), then each repeating pattern's first member: the
                range's first tag, or for a correction the tag dicom.dic gives (tag & mask gives the pattern;
                (0028,04x0) cannot start at (0028,0400), which is Transform Label)
  PatternMasks  one mask per pattern, patterns ordered most specific first (they do not overlap)
  VRs, AlternateVRs  DicomVR numbers per entry
  Attributes    VM index (bits 0-6, into VMs) | 0x80 when retired
  TextOffsets   offset of "Keyword\\0Name\\0" in Text
  KeywordOrder  entry indices sorted by keyword (ordinal), for TryGetTag's binary search
"""
import hashlib
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = "/usr/share/libdcmtk17/dicom.dic"
DEFAULT_OUTPUT = os.path.join(REPO, "shared", "MedVision.Dicom", "Dictionary", "DicomDictionary.Generated.cs")

PSEUDO_VRS = {  # DCMTK pseudo VR -> (VR, alternate VR)
    "ox": ("OW", "OB"),
    "px": ("OW", "OB"),
    "lt": ("OW", "US"),
    "xs": ("US", "SS"),
    "up": ("UL", None),
    "na": (None, None),
}
STANDARD_VRS = set("AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI UL UN "
                   "UR US UT UV".split())

# DCMTK's catch-all rules, implemented in DicomDictionary.cs rather than tabulated.
CATCH_ALLS = {
    ("(0009-o-FFFF,0000)", "UL", "PrivateGroupLength", "1", "PRIVATE"),
    ("(0009-o-FFFF,0010-u-00FF)", "LO", "PrivateCreator", "1", "PRIVATE"),
    ("(0001-o-0007,0000)", "UL", "IllegalGroupLength", "1", "ILLEGAL"),
    ("(0001-o-0007,0010-u-00FF)", "LO", "IllegalPrivateCreator", "1", "ILLEGAL"),
    ("(0000-u-FFFF,0000)", "UL", "GenericGroupLength", "1", "GENERIC"),
}

# DCMTK keyword -> (tag dicom.dic gives, the standard's pattern as value and mask).
CORRECTIONS = {
    "RETIRED_RowsForNthOrderCoefficients": (0x00280410, 0x00280400, 0xFFFFFF0F),
    "RETIRED_ColumnsForNthOrderCoefficients": (0x00280411, 0x00280401, 0xFFFFFF0F),
    "RETIRED_CoefficientCoding": (0x00280412, 0x00280402, 0xFFFFFF0F),
    "RETIRED_CoefficientCodingPointers": (0x00280413, 0x00280403, 0xFFFFFF0F),
    "RETIRED_CodeLabel": (0x00280800, 0x00280800, 0xFFFFFF0F),
    "RETIRED_NumberOfTables": (0x00280802, 0x00280802, 0xFFFFFF0F),
    "RETIRED_CodeTableLocation": (0x00280803, 0x00280803, 0xFFFFFF0F),
    "RETIRED_BitsForCodeWord": (0x00280804, 0x00280804, 0xFFFFFF0F),
    "RETIRED_ImageDataLocation": (0x00280808, 0x00280808, 0xFFFFFF0F),
    "RETIRED_EscapeTriplet": (0x10000010, 0x10000000, 0xFFFF000F),
    "RETIRED_RunLengthTriplet": (0x10000011, 0x10000001, 0xFFFF000F),
    "RETIRED_HuffmanTableSize": (0x10000012, 0x10000002, 0xFFFF000F),
    "RETIRED_HuffmanTableTriplet": (0x10000013, 0x10000003, 0xFFFF000F),
    "RETIRED_ShiftTableSize": (0x10000014, 0x10000004, 0xFFFF000F),
    "RETIRED_ShiftTableTriplet": (0x10000015, 0x10000005, 0xFFFF000F),
    "RETIRED_ZonalMap": (0x10100004, 0x10100000, 0xFFFF0000),
}


def fail(message):
    sys.exit(f"gen-dicom-dictionary: {message}")


def parse_range(text, is_group, line_no):
    """One half of a tag ("0028", "6000-60FF", "0009-o-FFFF") -> (value, mask) over 16 bits."""
    m = re.fullmatch(r"([0-9A-Fa-f]{4})(?:-(?:([oue])-)?([0-9A-Fa-f]{4}))?", text, re.IGNORECASE)
    if not m:
        fail(f"line {line_no}: cannot read tag part '{text}'")
    low = int(m.group(1), 16)
    if m.group(3) is None:
        return low, 0xFFFF
    high = int(m.group(3), 16)
    restriction = (m.group(2) or ("e" if is_group else "u")).lower()
    free = low ^ high
    # The range must be whole hex digits: low has zeros where high has ones (e.g. 6000-60FF, 3100-31FF).
    if free not in (0x000F, 0x00FF, 0x0FFF, 0xFFFF) or low & free or high & free != free:
        fail(f"line {line_no}: range '{text}' is not a whole-digit pattern; extend the script")
    mask = 0xFFFF & ~free
    if restriction == "e":
        mask |= 1
    elif restriction == "o":
        fail(f"line {line_no}: odd-only range '{text}' outside the catch-all rules")
    return low, mask


def split_words(keyword):
    """'ReferencedSOPClassUIDInFile' -> 'Referenced SOP Class UID In File'."""
    words = re.findall(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+[A-Za-z]?(?![a-z])|[0-9]+", keyword)
    if "".join(words) != keyword:
        fail(f"cannot split keyword '{keyword}' into words")
    return " ".join(words)


def upstream_version(path, override):
    """DCMTK's upstream version (3.6.7) from the Debian package that owns the file; no Debian revision,
    so a security rebuild of the same dictionary does not change the output."""
    if override:
        return override
    try:
        owner = subprocess.run(["dpkg", "-S", os.path.realpath(path)], capture_output=True, text=True, check=True)
        package = owner.stdout.split(":", 1)[0].strip()
        version = subprocess.run(["dpkg-query", "-W", "-f=${Version}", package], capture_output=True, text=True,
                                 check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        fail(f"cannot ask dpkg which DCMTK version installed {path}; pass --dcmtk-version")
    return f"{version.split(':')[-1].split('-')[0]} (Debian package {package})"


def read_entries(data):
    text = data.decode("ascii")
    standard_edition = None
    exact, patterns, catch_alls = [], [], set()
    for line_no, line in enumerate(text.split("\n"), 1):
        line = line.rstrip("\r")
        if line.startswith("#"):
            m = re.match(r"# Generated automatically from (DICOM PS ?3\.6-\S+)", line)
            if m:
                standard_edition = m.group(1)
            continue
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 5:
            fail(f"line {line_no}: expected 5 tab-separated fields, got {len(fields)}")
        tag_text, vr, keyword, vm, version = fields
        if version in ("PRIVATE", "ILLEGAL", "GENERIC"):
            if tuple(fields) not in CATCH_ALLS:
                fail(f"line {line_no}: unexpected catch-all rule {line!r}; update DicomDictionary.cs and CATCH_ALLS")
            catch_alls.add(tuple(fields))
            continue
        if not version.startswith("DICOM"):
            fail(f"line {line_no}: unknown version field '{version}'")
        m = re.fullmatch(r"\(([^,]+),([^,]+)\)", tag_text)
        if not m:
            fail(f"line {line_no}: cannot read tag '{tag_text}'")
        group, group_mask = parse_range(m.group(1), True, line_no)
        element, element_mask = parse_range(m.group(2), False, line_no)
        value, mask = (group << 16) | element, (group_mask << 16) | element_mask
        if vr in PSEUDO_VRS:
            main_vr, alternate_vr = PSEUDO_VRS[vr]
        elif vr in STANDARD_VRS:
            main_vr, alternate_vr = vr, None
        else:
            fail(f"line {line_no}: unknown VR '{vr}'")
        retired = keyword.startswith("RETIRED_") or version.endswith("/retired")
        if keyword in CORRECTIONS:
            given, value_fix, mask_fix = CORRECTIONS[keyword]
            if mask != 0xFFFFFFFF or value != given:
                fail(f"line {line_no}: {keyword} is no longer at ({given >> 16:04X},{given & 0xFFFF:04X}); "
                     "review CORRECTIONS")
            first, value, mask = given, value_fix, mask_fix
        else:
            first = value
        plain_keyword = keyword[len("RETIRED_"):] if keyword.startswith("RETIRED_") else keyword
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]*", plain_keyword):
            fail(f"line {line_no}: keyword '{keyword}' is not a DICOM keyword")
        entry = dict(value=value, mask=mask, first=first, vr=main_vr, alt=alternate_vr, keyword=plain_keyword,
                     name=split_words(plain_keyword), vm=vm, retired=retired)
        (exact if mask == 0xFFFFFFFF else patterns).append(entry)
    if catch_alls != CATCH_ALLS:
        fail("dicom.dic lacks some of DCMTK's catch-all rules; DicomDictionary.cs assumes all of them")
    if standard_edition is None:
        fail("no 'Generated automatically from DICOM PS 3.6-...' line in the header")
    return exact, patterns, len(CATCH_ALLS), standard_edition


def check(exact, patterns):
    values = [e["value"] for e in exact]
    if len(set(values)) != len(values):
        fail("duplicate tags")
    keywords = [e["keyword"] for e in exact + patterns]
    if len(set(keywords)) != len(keywords):
        fail("duplicate keywords")
    for i, a in enumerate(patterns):
        # The lookup recovers the pattern as first & mask and never matches a group length against a pattern.
        if a["first"] & a["mask"] != a["value"] or a["first"] & 0xFFFF == 0 or a["first"] in values:
            fail(f"pattern {a['keyword']}: its first member must match it, not be a group length or an exact tag")
        for b in patterns[i + 1:]:
            if (a["value"] ^ b["value"]) & a["mask"] & b["mask"] == 0:
                fail(f"patterns {a['keyword']} and {b['keyword']} overlap")


def vr_expr(vr):
    return "0" if vr is None else f"0x{(ord(vr[0]) << 8) | ord(vr[1]):04X}"


def rows(items, per_line, indent="        "):
    out = []
    for i in range(0, len(items), per_line):
        out.append(indent + ", ".join(items[i:i + per_line]) + ",")
    return "\n".join(out)


def generate(data, input_path, dcmtk_version):
    exact, patterns, catch_all_count, standard_edition = read_entries(data)
    exact.sort(key=lambda e: e["value"])
    patterns.sort(key=lambda e: (-bin(e["mask"]).count("1"), e["value"]))
    check(exact, patterns)
    entries = exact + patterns
    vms = sorted({e["vm"] for e in entries}, key=lambda v: (v != "1", v))
    if len(vms) > 0x7F:
        fail("too many distinct VMs for the 7-bit index")

    text_parts, offsets, offset = [], [], 0
    for e in entries:
        piece = f"{e['keyword']}\0{e['name']}\0"
        offsets.append(offset)
        text_parts.append(piece)
        offset += len(piece)
    keyword_order = sorted(range(len(entries)), key=lambda i: entries[i]["keyword"])
    if len(entries) > 0xFFFF:
        fail("too many entries for 16-bit indices")

    sha = hashlib.sha256(data).hexdigest()
    out = []
    w = out.append
    w("// <auto-generated>")
    w("//   Generated by scripts/gen-dicom-dictionary.py from DCMTK's dicom.dic. Do not edit; rerun the script.")
    w(f"//   Source: {input_path}")
    w(f"//   DCMTK {dcmtk_version}; the file says it was generated from {standard_edition}.")
    w(f"//   SHA-256 of the source: {sha}")
    w(f"//   {len(exact)} tags and {len(patterns)} repeating patterns; DCMTK's {catch_all_count} catch-all rules "
      "(group lengths, private creators) are in DicomDictionary.cs.")
    w("// </auto-generated>")
    w("")
    w("namespace MedVision.Dicom.Dictionary;")
    w("")
    w("public static partial class DicomDictionary")
    w("{")
    w("    /// <summary>Data elements in the dictionary: every standard entry of dicom.dic.</summary>")
    w(f"    public const int Count = {len(entries)};")
    w("")
    w(f"    private const int ExactCount = {len(exact)};")
    w("")
    w("    private const byte RetiredFlag = 0x80;")
    w("")
    w("    private const byte VMIndexMask = 0x7F;")
    w("")
    w("    /// <summary>Exact tags ascending, then the first member of each repeating pattern (first &amp; mask is the pattern).</summary>")
    w("    private static ReadOnlySpan<uint> Tags =>")
    w("    [")
    w(rows([f"0x{e['first']:08X}" for e in entries], 8))
    w("    ];")
    w("")
    w("    /// <summary>Masks of the repeating patterns (entries ExactCount..Count-1), most specific first.</summary>")
    w("    private static ReadOnlySpan<uint> PatternMasks =>")
    w("    [")
    w(rows([f"0x{e['mask']:08X}" for e in patterns], 8))
    w("    ];")
    w("")
    w("    /// <summary>DicomVR numbers: the VR an implicit VR stream means.</summary>")
    w("    private static ReadOnlySpan<ushort> VRs =>")
    w("    [")
    w(rows([vr_expr(e["vr"]) for e in entries], 16))
    w("    ];")
    w("")
    w("    /// <summary>DicomVR numbers of the other VR of \"OB or OW\", \"US or SS\", \"US or OW\"; 0 for none.</summary>")
    w("    private static ReadOnlySpan<ushort> AlternateVRs =>")
    w("    [")
    w(rows([vr_expr(e["alt"]) for e in entries], 16))
    w("    ];")
    w("")
    w("    /// <summary>Index into VMs, with RetiredFlag.</summary>")
    w("    private static ReadOnlySpan<byte> Attributes =>")
    w("    [")
    w(rows([f"0x{vms.index(e['vm']) | (0x80 if e['retired'] else 0):02X}" for e in entries], 16))
    w("    ];")
    w("")
    w("    /// <summary>Offset of each entry's \"Keyword\\0Name\\0\" in Text.</summary>")
    w("    private static ReadOnlySpan<int> TextOffsets =>")
    w("    [")
    w(rows([str(o) for o in offsets], 12))
    w("    ];")
    w("")
    w("    /// <summary>Entry indices in ordinal keyword order.</summary>")
    w("    private static ReadOnlySpan<ushort> KeywordOrder =>")
    w("    [")
    w(rows([str(i) for i in keyword_order], 16))
    w("    ];")
    w("")
    w("    /// <summary>The distinct value multiplicities; literals, so nothing is allocated.</summary>")
    w("    private static string VMs(int index) => index switch")
    w("    {")
    for i, vm in enumerate(vms):
        w(f"        {i} => \"{vm}\",")
    w("        _ => throw new ArgumentOutOfRangeException(nameof(index)),")
    w("    };")
    w("")
    w("    /// <summary>\"Keyword\\0Name\\0\" per entry, in entry order (ASCII).</summary>")
    w("    private static ReadOnlySpan<byte> Text =>")
    # One u8 literal per entry, so a regenerated file diffs line by line; the compiler folds the + into one blob.
    for i, piece in enumerate(text_parts):
        terminator = ";" if i == len(text_parts) - 1 else " +"
        literal = piece.replace("\0", "\\0")
        w(f"        \"{literal}\"u8{terminator}")
    w("}")
    return ("\n".join(out) + "\n").encode("utf-8")


def main(argv):
    args = list(argv)
    dcmtk_version = None
    if "--dcmtk-version" in args:
        i = args.index("--dcmtk-version")
        if i + 1 >= len(args):
            fail("--dcmtk-version needs a value")
        dcmtk_version = args[i + 1]
        del args[i:i + 2]
    if len(args) > 2 or any(a.startswith("-") for a in args):
        sys.exit(__doc__)
    input_path = args[0] if args else DEFAULT_INPUT
    output_path = args[1] if len(args) > 1 else DEFAULT_OUTPUT
    with open(input_path, "rb") as f:
        data = f.read()
    result = generate(data, input_path, upstream_version(input_path, dcmtk_version))
    with open(output_path, "wb") as f:
        f.write(result)


if __name__ == "__main__":
    main(sys.argv[1:])
