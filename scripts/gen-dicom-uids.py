#!/usr/bin/env python3
"""Generates shared/MedVision.Dicom/Dictionary/DicomUids.Generated.cs from pydicom's UID table.

Usage (python3, standard library only; pydicom itself is not imported):
    python3 scripts/gen-dicom-uids.py [INPUT [OUTPUT]]
INPUT defaults to /usr/lib/python3/dist-packages/pydicom/_uid_dict.py (Debian package python3-pydicom,
installed by scripts/test.sh): pydicom's UID_dictionary, transcribed from PS3.6 Annex A, as
uid -> (Name, Type, Info, Retired, Keyword). The file is read as Python literals (ast), not executed;
pydicom's version and DICOM edition come from _version.py next to it. OUTPUT defaults to the generated file in
the repo. Same input, byte-identical output; tests/MedVision.Dicom.Tests/UidDictionaryTests.cs regenerates it
and compares.

Kept: the UIDs a data set names (PS3.6 Table A-1 types): Transfer Syntax, SOP Class, Meta SOP Class and the
Well-known SOP Instances (including the printer and print queue ones). Left out: coding schemes, frames of
reference, LDAP OIDs, application contexts and the like, which the pipeline does not look up.

SUPPLEMENT lists UIDs the standard added after pydicom's table was made; they are used only when the table
lacks them, and the header says how many were.

Layout: UIDs sorted ordinally (binary search), one UTF-8 blob "Uid\\0Name\\0Keyword\\0" per entry with its
offset, and a byte per entry with the type and a retired flag. RVA statics only.
"""
import ast
import hashlib
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = "/usr/lib/python3/dist-packages/pydicom/_uid_dict.py"
DEFAULT_OUTPUT = os.path.join(REPO, "shared", "MedVision.Dicom", "Dictionary", "DicomUids.Generated.cs")

# pydicom's type -> DicomUidType member.
TYPES = {
    "Transfer Syntax": "TransferSyntax",
    "SOP Class": "SopClass",
    "Meta SOP Class": "MetaSopClass",
    "Well-known SOP Instance": "WellKnownSopInstance",
    "Well-known Printer SOP Instance": "WellKnownSopInstance",
    "Well-known Print Queue SOP Instance": "WellKnownSopInstance",
}
TYPE_CODES = {"TransferSyntax": 0, "SopClass": 1, "MetaSopClass": 2, "WellKnownSopInstance": 3}

# High-Throughput JPEG 2000 (PS3.6 2023 and later, Table A-1), newer than pydicom 2.3.1's table.
SUPPLEMENT = {
    "1.2.840.10008.1.2.4.201": ("High-Throughput JPEG 2000 Image Compression (Lossless Only)", "Transfer Syntax", "",
                                "", "HTJ2KLossless"),
    "1.2.840.10008.1.2.4.202": ("High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only)",
                                "Transfer Syntax", "", "", "HTJ2KLosslessRPCL"),
    "1.2.840.10008.1.2.4.203": ("High-Throughput JPEG 2000 Image Compression", "Transfer Syntax", "", "", "HTJ2K"),
}


def fail(message):
    sys.exit(f"gen-dicom-uids: {message}")


def read_table(data):
    """UID_dictionary's value, read from the module's source without running it."""
    module = ast.parse(data.decode("utf-8"))
    for node in module.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        if any(isinstance(t, ast.Name) and t.id == "UID_dictionary" for t in targets):
            return ast.literal_eval(node.value)
    fail("no UID_dictionary assignment in the input")


def pydicom_version(input_path):
    """'2.3.1 (DICOM 2022a)' from pydicom's _version.py beside the input."""
    path = os.path.join(os.path.dirname(input_path), "_version.py")
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read()
    except OSError:
        fail(f"cannot read {path} for pydicom's version")
    version = re.search(r"^__version__(?::\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    edition = re.search(r"^__dicom_version__(?::\s*str)?\s*=\s*['\"]([^'\"]+)['\"]", text, re.MULTILINE)
    if not version:
        fail(f"no __version__ in {path}")
    return version.group(1) + (f", DICOM {edition.group(1)}" if edition else "")


def csharp_utf8(text):
    out = []
    for ch in text:
        if ch in "\\\"":
            out.append("\\" + ch)
        elif ch == "\0":
            out.append("\\0")
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            fail(f"unexpected character {ch!r}")
    return "".join(out)


def generate(data, input_path, version):
    table = read_table(data)
    supplemented = 0
    for uid, value in SUPPLEMENT.items():
        if uid not in table:
            table[uid] = value
            supplemented += 1
    entries = []
    for uid, value in table.items():
        if len(value) != 5:
            fail(f"{uid}: expected (Name, Type, Info, Retired, Keyword)")
        name, kind, _info, retired, keyword = value
        if kind not in TYPES:
            continue
        if not re.fullmatch(r"[0-9]+(\.[0-9]+)*", uid) or len(uid) > 64:
            fail(f"'{uid}' is not a UID")
        if retired not in ("", "Retired"):
            fail(f"{uid}: unexpected retired field '{retired}'")
        entries.append((uid, name, TYPES[kind], keyword, retired == "Retired"))
    entries.sort(key=lambda e: e[0])  # ordinal, as C#'s string.CompareOrdinal on ASCII

    sha = hashlib.sha256(data).hexdigest()
    counts = {t: sum(1 for e in entries if e[2] == t) for t in TYPE_CODES}
    out = []
    w = out.append
    w("// <auto-generated>")
    w("//   Generated by scripts/gen-dicom-uids.py from pydicom's UID table (PS3.6 Annex A). Do not edit; rerun the script.")
    w(f"//   Source: {input_path}")
    debian = " (Debian package python3-pydicom)" if input_path.startswith("/usr/lib/python3/dist-packages/") else ""
    w(f"//   pydicom {version}{debian}")
    w(f"//   SHA-256 of the source: {sha}")
    w(f"//   {len(entries)} UIDs: " + ", ".join(f"{counts[t]} {t}" for t in TYPE_CODES)
      + f"; {supplemented} added from the script's SUPPLEMENT (newer than the table).")
    w("// </auto-generated>")
    w("")
    w("namespace MedVision.Dicom.Dictionary;")
    w("")
    w("public static partial class DicomUids")
    w("{")
    w("    /// <summary>UIDs in the table.</summary>")
    w(f"    public const int Count = {len(entries)};")
    w("")
    w("    private const byte RetiredFlag = 0x80;")
    w("")
    w("    private const byte TypeMask = 0x7F;")
    w("")
    w("    /// <summary>DicomUidType per entry, with RetiredFlag.</summary>")
    w("    private static ReadOnlySpan<byte> Attributes =>")
    w("    [")
    codes = [f"0x{TYPE_CODES[e[2]] | (0x80 if e[4] else 0):02X}" for e in entries]
    for i in range(0, len(codes), 16):
        w("        " + ", ".join(codes[i:i + 16]) + ",")
    w("    ];")
    w("")
    offsets, pieces, offset = [], [], 0
    for uid, name, _kind, keyword, _retired in entries:
        piece = f"{uid}\0{name}\0{keyword}\0"
        offsets.append(offset)
        pieces.append(piece)
        offset += len(piece.encode("utf-8"))
    w("    /// <summary>Offset of each entry's \"Uid\\0Name\\0Keyword\\0\" in Text.</summary>")
    w("    private static ReadOnlySpan<int> TextOffsets =>")
    w("    [")
    for i in range(0, len(offsets), 12):
        w("        " + ", ".join(str(o) for o in offsets[i:i + 12]) + ",")
    w("    ];")
    w("")
    w("    /// <summary>\"Uid\\0Name\\0Keyword\\0\" per entry, UIDs in ordinal order.</summary>")
    w("    private static ReadOnlySpan<byte> Text =>")
    for i, piece in enumerate(pieces):
        terminator = ";" if i == len(pieces) - 1 else " +"
        w(f"        \"{csharp_utf8(piece)}\"u8{terminator}")
    w("}")
    return ("\n".join(out) + "\n").encode("utf-8")


def main(argv):
    if len(argv) > 2 or any(a.startswith("-") for a in argv):
        sys.exit(__doc__)
    input_path = argv[0] if argv else DEFAULT_INPUT
    output_path = argv[1] if len(argv) > 1 else DEFAULT_OUTPUT
    with open(input_path, "rb") as f:
        data = f.read()
    result = generate(data, input_path, pydicom_version(input_path))
    with open(output_path, "wb") as f:
        f.write(result)


if __name__ == "__main__":
    main(sys.argv[1:])
