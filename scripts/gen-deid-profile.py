#!/usr/bin/env python3
"""Generates shared/MedVision.Dicom/Deidentification/DeidentificationProfile.Generated.cs from PS3.15 Table E.1-1.

Usage (python3, standard library only):
    python3 scripts/gen-deid-profile.py [INPUT [OUTPUT]]
INPUT defaults to data/ps3.15-table-E.1-1.csv (the repo's copy; see data/README.md), OUTPUT to the generated
file. Same input, byte-identical output; tests/MedVision.Dicom.Tests/DeidentificationProfileTests.cs
regenerates it and compares.

One rule per CSV row. Tag forms in the table, and what they become (a tag matches when tag & mask == value):
  (gggg,eeee)                      one tag                      -> value gggg_eeee, mask FFFF_FFFF
  (50XX,XXXX), (60XX,3000), (60XX,4000)
                                   repeating groups; X is any hex digit, and the group must be even (odd
                                   groups are private, PS3.5 7.6) -> e.g. (60XX,3000): value 6000_3000,
                                   mask FF01_FFFF
  (GGGG,EEEE) WHERE GGGG IS ODD    private attributes           -> value 0001_0000, mask 0001_0000
Any other form stops the script. Rule order in the output: exact tags ascending (DeidentificationProfile.Find
binary-searches them), then the patterns, most specific first.

Names: whitespace runs (the table has a line break in "Icon Image Sequence (see Note 11)") become one space.
Actions are copied as the table writes them (D, Z, X, K, C, U, X/Z, X/D, X/Z/D, X/Z/U*, Z/D); an empty option
cell becomes null (the option leaves the Basic Profile action alone). Unknown codes stop the script.
"""
import csv
import hashlib
import io
import os
import re
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_INPUT = os.path.join(REPO, "data", "ps3.15-table-E.1-1.csv")
DEFAULT_OUTPUT = os.path.join(REPO, "shared", "MedVision.Dicom", "Deidentification",
                              "DeidentificationProfile.Generated.cs")
RELEASE = "2024b"  # of the table in data/; see data/README.md

COLUMNS = ["tag", "name", "stdCompIOD", "basicProfile", "cleanDescOpt", "cleanStructContOpt",
           "rtnLongFullDatesOpt", "rtnLongModifDatesOpt", "rtnUIDsOpt", "rtnPatCharsOpt", "rtnDevIdOpt",
           "rtnInstIdOpt", "cleanGraphOpt", "rtnSafePrivOpt"]
# DeidentificationRule's option parameters, in its parameter order, and the column each comes from.
OPTIONS = [
    ("RetainLongFullDates", "rtnLongFullDatesOpt"),
    ("RetainLongModifiedDates", "rtnLongModifDatesOpt"),
    ("RetainPatientCharacteristics", "rtnPatCharsOpt"),
    ("RetainUids", "rtnUIDsOpt"),
    ("RetainDeviceIdentity", "rtnDevIdOpt"),
    ("RetainInstitutionIdentity", "rtnInstIdOpt"),
    ("CleanDescriptors", "cleanDescOpt"),
    ("CleanStructuredContent", "cleanStructContOpt"),
    ("CleanGraphics", "cleanGraphOpt"),
    ("RetainSafePrivate", "rtnSafePrivOpt"),
]
BASIC_ACTIONS = {"D", "Z", "X", "K", "C", "U", "X/Z", "X/D", "X/Z/D", "X/Z/U*", "Z/D"}
OPTION_ACTIONS = {"", "K", "C", "D", "Z", "X", "U"}


def fail(message):
    sys.exit(f"gen-deid-profile: {message}")


def parse_tag(text, row_no):
    """A tag cell -> (value, mask)."""
    if re.fullmatch(r"\(GGGG,EEEE\) WHERE GGGG IS ODD", text):
        return 0x00010000, 0x00010000
    m = re.fullmatch(r"\(([0-9A-FX]{4}),([0-9A-FX]{4})\)", text)
    if not m:
        fail(f"row {row_no}: tag form '{text}' is not one the script knows; extend parse_tag and the docstring")
    value = mask = 0
    for digit in m.group(1) + m.group(2):
        value, mask = value << 4, mask << 4
        if digit != "X":
            value |= int(digit, 16)
            mask |= 0xF
    if mask != 0xFFFFFFFF:
        if m.group(1)[:2] not in ("50", "60") or m.group(1)[2:] != "XX":
            fail(f"row {row_no}: wildcard tag '{text}' is not a 50xx/60xx repeating group")
        mask |= 0x00010000  # even groups only
    return value, mask


def read_rules(data):
    text = data.decode("utf-8")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if reader.fieldnames != COLUMNS:
        fail(f"columns are {reader.fieldnames}, expected {COLUMNS}")
    rules = []
    for row_no, row in enumerate(reader, 2):
        value, mask = parse_tag(row["tag"].strip(), row_no)
        name = " ".join(row["name"].split())
        basic = row["basicProfile"].strip()
        if basic not in BASIC_ACTIONS:
            fail(f"row {row_no}: unknown basic profile action '{basic}'")
        options = []
        for _, column in OPTIONS:
            action = row[column].strip()
            if action not in OPTION_ACTIONS:
                fail(f"row {row_no}: unknown {column} action '{action}'")
            options.append(action or None)
        rules.append(dict(value=value, mask=mask, name=name, basic=basic, options=options, tag=row["tag"]))
    return rules


def csharp_string(text):
    if not all(" " <= ch <= "~" for ch in text):
        fail(f"non-ASCII or control character in {text!r}")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def generate(data, input_label):
    rules = read_rules(data)
    exact = sorted((r for r in rules if r["mask"] == 0xFFFFFFFF), key=lambda r: r["value"])
    patterns = sorted((r for r in rules if r["mask"] != 0xFFFFFFFF),
                      key=lambda r: (-bin(r["mask"]).count("1"), r["value"]))
    if len({r["value"] for r in exact}) != len(exact):
        fail("a tag has two rows")
    pattern_forms = sorted({r["tag"] for r in patterns})

    sha = hashlib.sha256(data).hexdigest()
    out = []
    w = out.append
    w("// <auto-generated>")
    w("//   Generated by scripts/gen-deid-profile.py from DICOM PS3.15 Table E.1-1 (Application Level Confidentiality")
    w("//   Profile Attributes). Do not edit; rerun the script.")
    w(f"//   Source: {input_label} (DICOM standard release {RELEASE}; provenance in data/README.md)")
    w(f"//   SHA-256 of the source: {sha}")
    w(f"//   {len(rules)} rows: {len(exact)} tags and {len(patterns)} patterns ({', '.join(pattern_forms)}).")
    w("// </auto-generated>")
    w("")
    w("namespace MedVision.Dicom.Deidentification;")
    w("")
    w("public static partial class DeidentificationProfile")
    w("{")
    w("    /// <summary>Rules for single tags, which come first in the table, in ascending tag order.</summary>")
    w(f"    private const int ExactRuleCount = {len(exact)};")
    w("")
    w("    private static readonly DeidentificationRule[] Table =")
    w("    [")
    for r in exact + patterns:
        args = [f"0x{r['value']:08X}", f"0x{r['mask']:08X}", csharp_string(r["name"]), csharp_string(r["basic"])]
        args += [f"{param}: {csharp_string(action)}" for (param, _), action in zip(OPTIONS, r["options"]) if action]
        w(f"        new({', '.join(args)}),")
    w("    ];")
    w("}")
    return ("\n".join(out) + "\n").encode("utf-8")


def main(argv):
    if len(argv) > 2 or any(a.startswith("-") for a in argv):
        sys.exit(__doc__)
    input_path = argv[0] if argv else DEFAULT_INPUT
    output_path = argv[1] if len(argv) > 1 else DEFAULT_OUTPUT
    with open(input_path, "rb") as f:
        data = f.read()
    # A path inside the repo is written relative to it, so every clone generates the same file.
    absolute = os.path.abspath(input_path)
    inside = os.path.commonpath([absolute, REPO]) == REPO
    label = os.path.relpath(absolute, REPO).replace(os.sep, "/") if inside else input_path
    with open(output_path, "wb") as f:
        f.write(generate(data, label))


if __name__ == "__main__":
    main(sys.argv[1:])
