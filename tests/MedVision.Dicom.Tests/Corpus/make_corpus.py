#!/usr/bin/env python3
"""Builds the DICOM test corpus with independent tools: pydicom writes the native base files, then DCMTK
(dcmconv, dcmcrle, dcmcjpeg, img2dcm) and GDCM (gdcmconv, gdcmimg) transcode or make them; ImageMagick turns a
repository sample into the JPEG, BMP and PGM inputs of img2dcm and gdcmimg. A few encodings no tool writes (UN of
undefined length in explicit VR, meta without preamble) are assembled from pydicom output and hand-made bytes.
Writes OUTDIR/manifest.json: [{"name", "file", "base", "ts", "lossless", "description", "features", "text"?}], where
"base" names the native file the entry was made from (its pixels are the lossless reference), "features" lists the
encoding features the file exercises, and "text" (character set files only) maps element paths to the values as
pydicom decodes them (the oracle where DCMTK cannot convert, e.g. ISO 2022 IR 87). Every file carries pixel data.
Deterministic: fixed seeds and UIDs (img2dcm -k, a gdcmimg template, dcmcjpeg +un keep tools from inventing them).

usage: make_corpus.py OUTDIR
"""
import json
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

OUT = sys.argv[1]
ROOT = "1.2.826.0.1.3680043.10.1234."  # fixed test UIDs; the corpus must be reproducible
manifest = []


def uid(*parts):
    return ROOT + ".".join(str(p) for p in parts)


def base_dataset(n, modality, sop_class, rows, cols, photometric="MONOCHROME2", samples=1):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = uid(n, 3)
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = uid(0, 1)
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyDate = "20240131"
    ds.StudyTime = "101112.5"
    ds.AccessionNumber = "ACC%04d" % n
    ds.Modality = modality
    ds.Manufacturer = "MedVision Corpus"
    ds.PatientName = "Müller^Jürgen"
    ds.PatientID = "PID-%04d" % n
    ds.PatientBirthDate = "19600229"
    ds.PatientSex = "M"
    ds.BodyPartExamined = "CHEST"
    ds.StudyInstanceUID = uid(n, 1)
    ds.SeriesInstanceUID = uid(n, 2)
    ds.InstanceNumber = n
    ds.PixelSpacing = [0.5, 0.25]
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows
    ds.Columns = cols
    # A nested sequence and a private block, so transcoding and round trips cover them.
    item = Dataset()
    item.CodeValue = "T-D3000"
    item.CodingSchemeDesignator = "SRT"
    item.CodeMeaning = "Chest"
    inner = Dataset()
    inner.CodeValue = "R-102C0"
    inner.CodingSchemeDesignator = "SRT"
    item.ModifierCodeSequence = Sequence([inner])
    ds.AnatomicRegionSequence = Sequence([item])
    ds.add_new(0x00090010, "LO", "MEDVISION TEST")
    ds.add_new(0x00091001, "LO", "private value")
    return ds


def gray_pixels(rows, cols, bits, signed, seed, frames=1):
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:rows, 0:cols]
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    lo = -(1 << (bits - 1)) if signed else 0
    planes = []
    for f in range(frames):
        ramp = lo + (x * 7 + y * 3 + f * 11) * (hi - lo) / (cols * 7 + rows * 3 + 1)
        noise = rng.integers(-(hi - lo) // 50 - 1, (hi - lo) // 50 + 1, size=(rows, cols))
        planes.append(np.clip(ramp + noise, lo, hi))
    return np.array(planes)


def add(name, base, ts, lossless, description, features, **extra):
    entry = {"name": name, "file": name, "base": base or name, "ts": ts, "lossless": lossless, "description": description,
             "features": sorted(set(features))}
    entry.update(extra)
    manifest.append(entry)


def save(ds, name, description, base=None, ts="1.2.840.10008.1.2.1", lossless=True, features=()):
    path = os.path.join(OUT, name)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    if len(ds.PixelData) % 2:
        ds.PixelData = ds.PixelData + b"\0"  # values are even-length on the wire (PS3.5 7.1.1)
    ds.save_as(path, write_like_original=False)
    add(name, base, ts, lossless, description, ["preamble", "meta", "explicit-le", "sequences", "private", "native"] + list(features))
    return path


def gray_file(n, name, modality, sop, rows, cols, bits_alloc, bits_stored, signed, frames=1, photometric="MONOCHROME2"):
    ds = base_dataset(n, modality, sop, rows, cols, photometric)
    ds.BitsAllocated = bits_alloc
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 1 if signed else 0
    if frames > 1:
        ds.NumberOfFrames = frames
    if modality == "CT":
        ds.RescaleIntercept = "-1024"
        ds.RescaleSlope = "1"
        ds.WindowCenter = "40"
        ds.WindowWidth = "400"
    px = gray_pixels(rows, cols, bits_stored, signed, n, frames)
    dtype = {(8, False): np.uint8, (8, True): np.int8, (16, False): np.uint16, (16, True): np.int16}[(bits_alloc, signed)]
    arr = px.astype(dtype)
    ds.PixelData = (arr if frames > 1 else arr[0]).tobytes()
    return save(ds, name, f"{modality} {bits_stored}/{bits_alloc}-bit {'signed' if signed else 'unsigned'} {photometric} {rows}x{cols}x{frames}",
                features=["multi-frame"] if frames > 1 else [])


def rgb_file(n, name, rows, cols, planar):
    ds = base_dataset(n, "US", "1.2.840.10008.5.1.4.1.1.6.1", rows, cols, "RGB", samples=3)
    ds.BitsAllocated = 8
    ds.BitsStored = 8
    ds.HighBit = 7
    ds.PixelRepresentation = 0
    ds.PlanarConfiguration = planar
    y, x = np.mgrid[0:rows, 0:cols]
    rgb = np.stack([(x * 255 // max(cols - 1, 1)), (y * 255 // max(rows - 1, 1)), ((x + y) % 256)], axis=-1).astype(np.uint8)
    data = rgb.transpose(2, 0, 1).tobytes() if planar else rgb.tobytes()
    ds.PixelData = data
    return save(ds, name, f"US RGB planar={planar} {rows}x{cols}", features=["color"])


def tool(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


TS_FEATURES = {
    "1.2.840.10008.1.2": ["implicit-le", "native"],
    "1.2.840.10008.1.2.1": ["explicit-le", "native"],
    "1.2.840.10008.1.2.1.99": ["explicit-le", "deflated", "native"],
    "1.2.840.10008.1.2.2": ["explicit-be", "native"],
}


def derive(base, name, ts, lossless, description, *command, features=()):
    tool(*[a.replace("{in}", os.path.join(OUT, base)).replace("{out}", os.path.join(OUT, name)) for a in command])
    inherited = [f for f in next(e["features"] for e in manifest if e["name"] == base)
                 if f not in ("explicit-le", "implicit-le", "explicit-be", "deflated", "native", "encapsulated")]
    add(name, manifest_base(base), ts, lossless, description,
        inherited + TS_FEATURES.get(ts, ["explicit-le", "encapsulated"]) + [command[0]] + list(features))


def manifest_base(name):
    return next(e["base"] for e in manifest if e["name"] == name)


os.makedirs(OUT, exist_ok=True)
CT = "1.2.840.10008.5.1.4.1.1.2"
MR = "1.2.840.10008.5.1.4.1.1.4"
CR = "1.2.840.10008.5.1.4.1.1.1"
DX = "1.2.840.10008.5.1.4.1.1.1.1"

gray_file(1, "ct-16s.dcm", "CT", CT, 64, 48, 16, 12, True)
gray_file(2, "mr-16u.dcm", "MR", MR, 40, 56, 16, 16, False)
gray_file(3, "cr-8u.dcm", "CR", CR, 33, 47, 8, 8, False)
gray_file(4, "dx-12u-mono1.dcm", "DX", DX, 50, 30, 16, 12, False, photometric="MONOCHROME1")
gray_file(5, "mr-multiframe.dcm", "MR", MR, 24, 20, 16, 16, False, frames=3)
rgb_file(6, "us-rgb.dcm", 30, 40, 0)
rgb_file(7, "us-rgb-planar.dcm", 31, 41, 1)

for base in ["ct-16s.dcm", "mr-16u.dcm", "cr-8u.dcm", "us-rgb.dcm"]:
    stem = base[:-4]
    derive(base, stem + "-implicit.dcm", "1.2.840.10008.1.2", True, "implicit VR LE (dcmconv +ti)", "dcmconv", "+ti", "{in}", "{out}")
    derive(base, stem + "-bigendian.dcm", "1.2.840.10008.1.2.2", True, "explicit VR BE (dcmconv +tb)", "dcmconv", "+tb", "{in}", "{out}")
    derive(base, stem + "-deflated.dcm", "1.2.840.10008.1.2.1.99", True, "deflated (dcmconv +td)", "dcmconv", "+td", "{in}", "{out}")
    derive(base, stem + "-rle.dcm", "1.2.840.10008.1.2.5", True, "RLE (dcmcrle)", "dcmcrle", "{in}", "{out}")
    derive(base, stem + "-sv1.dcm", "1.2.840.10008.1.2.4.70", True, "JPEG lossless SV1 (dcmcjpeg +e1)", "dcmcjpeg", "+e1", "{in}", "{out}")
    if base != "cr-8u.dcm":  # gdcmconv --rle asserts (aborts) on odd row lengths
        derive(base, stem + "-gdcm-rle.dcm", "1.2.840.10008.1.2.5", True, "RLE (gdcmconv --rle)", "gdcmconv", "--rle", "{in}", "{out}")

derive("cr-8u.dcm", "cr-8u-baseline.dcm", "1.2.840.10008.1.2.4.50", False, "JPEG baseline (dcmcjpeg +eb)", "dcmcjpeg", "+eb", "+un", "{in}", "{out}")
derive("dx-12u-mono1.dcm", "dx-12u-extended.dcm", "1.2.840.10008.1.2.4.51", False, "JPEG extended 12-bit (dcmcjpeg +ee)", "dcmcjpeg", "+ee", "+un", "{in}", "{out}")
derive("mr-multiframe.dcm", "mr-multiframe-rle.dcm", "1.2.840.10008.1.2.5", True, "multi-frame RLE (dcmcrle)", "dcmcrle", "{in}", "{out}")
derive("mr-16u.dcm", "mr-16u-jpegls.dcm", "1.2.840.10008.1.2.4.80", True, "JPEG-LS (gdcmconv --jpegls): archived, not decoded", "gdcmconv", "--jpegls", "{in}", "{out}")
derive("mr-16u.dcm", "mr-16u-j2k.dcm", "1.2.840.10008.1.2.4.90", True, "JPEG 2000 (gdcmconv --j2k): archived, not decoded", "gdcmconv", "--j2k", "{in}", "{out}")

# ---- encodings beyond the transcodes above ------------------------------------------------------------------------
import io
import shutil
import struct

from pydicom import encaps
from pydicom.pixel_data_handlers.rle_handler import rle_encode_frame
from pydicom.valuerep import PersonName

pydicom.config.replace_un_with_known_vr = False  # keep a standard tag written as UN as UN

SC = "1.2.840.10008.5.1.4.1.1.7"
LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}
SEQ_DELIM = struct.pack("<HHI", 0xFFFE, 0xE0DD, 0)
SAMPLES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "samples")
WORK = os.path.join(OUT, ".work")
os.makedirs(WORK, exist_ok=True)


def raw_el(tag, vr, value, explicit=True, undefined=False):
    """One little-endian element, by hand (for encodings no tool writes)."""
    group, element = tag >> 16, tag & 0xFFFF
    length = 0xFFFFFFFF if undefined else len(value)
    if not explicit:
        return struct.pack("<HHI", group, element, length) + value
    if vr in LONG_VRS:
        return struct.pack("<HH2sHI", group, element, vr.encode(), 0, length) + value
    return struct.pack("<HH2sH", group, element, vr.encode(), length) + value


def raw_item(content, undefined=True):
    if undefined:
        return struct.pack("<HHI", 0xFFFE, 0xE000, 0xFFFFFFFF) + content + struct.pack("<HHI", 0xFFFE, 0xE00D, 0)
    return struct.pack("<HHI", 0xFFFE, 0xE000, len(content)) + content


def small_image(ds, n, rows=8, cols=6, signed=False):
    """Adds a small 16-bit grey image, so every corpus file has pixel data."""
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = 16
    ds.HighBit = 15
    ds.PixelRepresentation = 1 if signed else 0
    px = gray_pixels(rows, cols, 16, signed, n)[0].astype(np.int16 if signed else np.uint16)
    ds.PixelData = px.tobytes()
    return ds


def to_bytes(ds, write_like_original=False):
    if not write_like_original:
        ds.is_little_endian = True
        ds.is_implicit_VR = False
    buffer = io.BytesIO()
    ds.save_as(buffer, write_like_original=write_like_original)
    return buffer.getvalue()


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def text_oracle(ds, prefix=""):
    """Element path -> value as pydicom decodes it, for every value that Specific Character Set affects."""
    out = {}
    for elem in ds:
        path = prefix + "(%04X,%04X)" % (elem.tag.group, elem.tag.element)
        if elem.VR == "SQ":
            for i, item in enumerate(elem.value):
                out.update(text_oracle(item, "%s[%d]." % (path, i)))
        elif elem.VR in ("PN", "LO", "SH", "ST", "LT", "UT", "UC") and elem.value not in (None, ""):
            values = elem.value if elem.VM > 1 else [elem.value]
            out[path] = "\\".join(str(v) for v in values)
    return out


# img2dcm from a JPEG (grey and colour) and from a BMP, made from a repository sample by ImageMagick.
sample = os.path.join(SAMPLES, "ultrasound-cyst-401.png")
tool("convert", sample, "-resize", "40x32!", "-colorspace", "Gray", "-quality", "85", os.path.join(WORK, "gray.jpg"))
tool("convert", sample, "-resize", "33x25!", "-type", "TrueColor", "-quality", "90", os.path.join(WORK, "color.jpg"))
tool("convert", os.path.join(SAMPLES, "brain-mri-lesion-201.png"), "-resize", "34x26!", "-type", "TrueColor", "BMP3:" + os.path.join(WORK, "rgb.bmp"))
tool("convert", os.path.join(SAMPLES, "chest-xray-nodule-101.png"), "-resize", "36x28!", "-colorspace", "Gray", "-depth", "8", os.path.join(WORK, "gray.pgm"))


def img2dcm(n, name, source, description, features, *options):
    keys = []
    for key, value in [("SOPInstanceUID", uid(n, 3)), ("StudyInstanceUID", uid(n, 1)), ("SeriesInstanceUID", uid(n, 2)),
                       ("PatientName", "Img2dcm^Test"), ("PatientID", "PID-%04d" % n)]:
        keys += ["-k", "%s=%s" % (key, value)]
    tool("img2dcm", *options, *keys, os.path.join(WORK, source), os.path.join(OUT, name))
    ts = "1.2.840.10008.1.2.4.50" if "BMP" not in options else "1.2.840.10008.1.2.1"
    add(name, None, ts, "BMP" in options, description, ["preamble", "meta", "explicit-le", "img2dcm"] + features)


img2dcm(20, "sc-jpeg-img2dcm.dcm", "gray.jpg", "img2dcm from an ImageMagick JPEG (grey, baseline)",
        ["encapsulated", "jpeg-baseline", "bot-filled", "single-fragment"])
img2dcm(21, "sc-jpeg-color-img2dcm.dcm", "color.jpg", "img2dcm from an ImageMagick JPEG (colour, YBR_FULL_422)",
        ["encapsulated", "jpeg-baseline", "bot-filled", "single-fragment", "color"])
img2dcm(22, "sc-bmp-img2dcm.dcm", "rgb.bmp", "img2dcm -i BMP from an ImageMagick BMP (RGB, native)",
        ["native", "color"], "-i", "BMP")

# GDCM: gdcmimg from a PGM (UIDs and dates from a template), gdcmconv --raw, --implicit, --explicit, --split.
template = Dataset()  # gdcmimg takes UIDs, dates and times from a template; without one they are random
template.file_meta = FileMetaDataset()
template.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
template.file_meta.MediaStorageSOPClassUID = SC
template.file_meta.MediaStorageSOPInstanceUID = uid(23, 3)
template.preamble = b"\0" * 128
template.SOPClassUID = SC
template.SOPInstanceUID = uid(23, 3)
template.StudyInstanceUID = uid(23, 1)
template.SeriesInstanceUID = uid(23, 2)
template.StudyDate = template.ContentDate = "20240131"
template.StudyTime = template.ContentTime = "101112"
template.PatientName = "Gdcmimg^Test"
template.PatientID = "PID-0023"
template.save_as(os.path.join(WORK, "template.dcm"), write_like_original=False)
tool("gdcmimg", "--template", os.path.join(WORK, "template.dcm"), "-i", os.path.join(WORK, "gray.pgm"), "-o", os.path.join(OUT, "gdcmimg-pgm.dcm"))
add("gdcmimg-pgm.dcm", None, "1.2.840.10008.1.2.1", True, "gdcmimg from an ImageMagick PGM (8-bit grey)",
    ["preamble", "meta", "explicit-le", "native", "gdcmimg"])
derive("ct-16s-rle.dcm", "ct-16s-gdcm-raw.dcm", "1.2.840.10008.1.2.1", True, "gdcmconv --raw of the dcmcrle file", "gdcmconv", "--raw", "{in}", "{out}")
derive("ct-16s.dcm", "ct-16s-gdcm-implicit.dcm", "1.2.840.10008.1.2", True, "gdcmconv --implicit", "gdcmconv", "--implicit", "{in}", "{out}")
derive("ct-16s-implicit.dcm", "ct-16s-gdcm-explicit.dcm", "1.2.840.10008.1.2.1", True, "gdcmconv --explicit of the dcmconv implicit file", "gdcmconv", "--explicit", "{in}", "{out}")
derive("cr-8u-baseline.dcm", "cr-8u-baseline-gdcm-split.dcm", "1.2.840.10008.1.2.4.50", False, "gdcmconv --split 300: one frame in several fragments", "gdcmconv", "--split", "300", "{in}", "{out}", features=["multi-fragment-frame", "bot-empty"])

# Lengths and group lengths: undefined-length sequences and items, group lengths in every group and item, padding.
derive("ct-16s.dcm", "ct-16s-undefined-grouplen.dcm", "1.2.840.10008.1.2.1", True, "undefined-length sequences/items, group lengths everywhere (dcmconv -e +g)", "dcmconv", "-e", "+g", "{in}", "{out}", features=["undefined-length", "group-length"])
derive("ct-16s.dcm", "ct-16s-implicit-undefined-grouplen.dcm", "1.2.840.10008.1.2", True, "implicit, undefined lengths, group lengths (dcmconv +ti -e +g)", "dcmconv", "+ti", "-e", "+g", "{in}", "{out}", features=["undefined-length", "group-length"])
derive("ct-16s.dcm", "ct-16s-bigendian-grouplen.dcm", "1.2.840.10008.1.2.2", True, "big endian, group lengths, undefined lengths (dcmconv +tb +g -e)", "dcmconv", "+tb", "+g", "-e", "{in}", "{out}", features=["undefined-length", "group-length"])
derive("ct-16s.dcm", "ct-16s-padded.dcm", "1.2.840.10008.1.2.1", True, "data set and item trailing padding (FFFC,FFFC) (dcmconv +p 256 16)", "dcmconv", "+p", "256", "16", "{in}", "{out}", features=["trailing-padding"])

# No preamble: bare data sets (no meta) in explicit and implicit VR, and a meta group without preamble.
for n, name, implicit in [(30, "bare-explicit.dcm", False), (31, "bare-implicit.dcm", True)]:
    ds = small_image(base_dataset(n, "OT", SC, 8, 6), n)
    ds.file_meta = FileMetaDataset()
    ds.preamble = None
    ds.is_little_endian = True
    ds.is_implicit_VR = implicit
    write(name, to_bytes(ds, write_like_original=True))
    add(name, None, "1.2.840.10008.1.2" if implicit else "1.2.840.10008.1.2.1", True,
        "bare data set: no preamble, no file meta (%s VR LE)" % ("implicit" if implicit else "explicit"),
        ["no-preamble", "no-meta", "implicit-le" if implicit else "explicit-le", "sequences", "private", "native"])

ds = small_image(base_dataset(32, "OT", SC, 8, 6), 32)
ds.preamble = None
ds.file_meta.FileMetaInformationGroupLength = 0  # recomputed by pydicom
ds.file_meta.FileMetaInformationVersion = b"\0\1"
ds.is_little_endian = True
ds.is_implicit_VR = False
write("meta-no-preamble.dcm", to_bytes(ds, write_like_original=True))
add("meta-no-preamble.dcm", None, "1.2.840.10008.1.2.1", True, "file meta information but no preamble and no DICM",
    ["no-preamble", "meta", "explicit-le", "sequences", "private", "native"])

ds = small_image(base_dataset(37, "OT", SC, 8, 6), 37)
ds.file_meta.pop(0x00020000, None)  # pydicom writes no group length unless one is present
ds.file_meta.FileMetaInformationVersion = b"\0\1"
ds.preamble = b"\0" * 128
ds.is_little_endian = True
ds.is_implicit_VR = False
write("meta-no-grouplength.dcm", to_bytes(ds, write_like_original=True))
add("meta-no-grouplength.dcm", None, "1.2.840.10008.1.2.1", True, "file meta information without its group length (0002,0000)",
    ["preamble", "meta", "meta-no-group-length", "explicit-le", "sequences", "private", "native"])

ds = small_image(base_dataset(38, "OT", SC, 8, 6), 38)
pixels = ds.PixelData
del ds.PixelData
head = to_bytes(ds)  # groups 0002-0028; the odd-length elements (group 0099) and the pixel data follow
odd = (raw_el(0x00990010, "LO", b"MEDVISION ODD")                  # 13 bytes, no padding
       + raw_el(0x00991001, "OB", bytes([1, 2, 3]))
       + raw_el(0x00991002, "UN", bytes([9]))
       + raw_el(0x00991003, "SH", b"abc")
       + raw_el(0x00991004, "UT", b"odd text"[:7]))
write("odd-lengths.dcm", head + odd + raw_el(0x7FE00010, "OW", pixels))
add("odd-lengths.dcm", None, "1.2.840.10008.1.2.1", True, "values of odd length (not padded), as some writers send them",
    ["preamble", "meta", "explicit-le", "sequences", "private", "odd-length", "native"])

# Private sequences in implicit VR: undefined length (reads as UN, i.e. a sequence) and defined length (reads as bytes).
PRIVATE = "MEDVISION PRIVATE"
ds = small_image(base_dataset(33, "OT", SC, 8, 6), 33)
ds.add_new(0x00290010, "LO", PRIVATE)
inner = Dataset()
inner.CodeValue = "INNER"
inner.add_new(0x00290010, "LO", PRIVATE)
inner.add_new(0x00291001, "LO", "nested private")
inner.is_undefined_length_sequence_item = True
item1 = Dataset()
item1.CodeValue = "ITEM-1"
item1.CodeMeaning = "first item"
item1.add_new(0x00290010, "LO", PRIVATE)
item1.add_new(0x00291001, "LO", "item private")
item1.add_new(0x00291002, "SQ", Sequence([inner]))
item1[0x00291002].is_undefined_length = True
item1.is_undefined_length_sequence_item = True
item2 = Dataset()
item2.CodeValue = "ITEM-2"
item2.ReferencedSOPInstanceUID = uid(33, 9)
ds.add_new(0x00291010, "SQ", Sequence([item1, item2]))
ds[0x00291010].is_undefined_length = True
defined = Dataset()
defined.CodeValue = "DEFINED"
ds.add_new(0x00291020, "SQ", Sequence([defined]))  # defined length: an implicit VR reader sees UN bytes
ds.is_little_endian = True
ds.is_implicit_VR = True
ds.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2"
ds.save_as(os.path.join(OUT, "private-sq-implicit.dcm"), write_like_original=False)
add("private-sq-implicit.dcm", None, "1.2.840.10008.1.2", True,
    "private sequences in implicit VR: undefined length (UN holding a sequence) and defined length (UN bytes)",
    ["preamble", "meta", "implicit-le", "sequences", "private", "private-sequence", "un-sequence", "un-defined-length",
     "undefined-length", "native"])

# UN in explicit VR: undefined length holding implicit VR items (CP-246), defined length, and a standard tag as UN.
ds = small_image(base_dataset(34, "OT", SC, 8, 6), 34)
ds.add_new(0x00180050, "UN", b"2.5 ")  # Slice Thickness sent as UN
pixels = ds.PixelData
del ds.PixelData
head = to_bytes(ds)  # groups 0002-0028; group 0099 and the pixel data follow in tag order
implicit_inner = (raw_el(0x00080100, "SH", b"REF1", explicit=False)
                  + raw_el(0x00081150, "UI", b"1.2.840.10008.5.1.4.1.1.7\0", explicit=False))
un_items = (raw_item(raw_el(0x00080100, "SH", b"UN-1", explicit=False)
                     + raw_el(0x00080104, "LO", b"inside UN ", explicit=False)
                     + raw_el(0x00081140, "SQ", raw_item(implicit_inner, undefined=False) + SEQ_DELIM, explicit=False, undefined=True)
                     + raw_el(0x00990010, "LO", b"MEDVISION UN", explicit=False)
                     + raw_el(0x00991001, "UN", b"abc ", explicit=False))
            + raw_item(raw_el(0x00080100, "SH", b"UN-2", explicit=False), undefined=False))
tail = (raw_el(0x00990010, "LO", b"MEDVISION UN")
        + raw_el(0x00991010, "UN", un_items + SEQ_DELIM, undefined=True)
        + raw_el(0x00991011, "UN", bytes(range(1, 7)))
        + raw_el(0x00991012, "UN", raw_item(raw_el(0x00080100, "SH", b"BYTES!", explicit=False)) + SEQ_DELIM))
write("un-explicit.dcm", head + tail + raw_el(0x7FE00010, "OW", pixels))
add("un-explicit.dcm", None, "1.2.840.10008.1.2.1", True,
    "explicit VR with UN of undefined length holding implicit VR items (CP-246), UN of defined length, a standard tag as UN",
    ["preamble", "meta", "explicit-le", "sequences", "private", "un-sequence", "un-defined-length", "undefined-length", "native"])

# Encapsulated pixel data: extended offset table, several fragments per frame with a filled basic offset table,
# an empty basic offset table with several frames.
derive("mr-multiframe.dcm", "mr-multiframe-sv1.dcm", "1.2.840.10008.1.2.4.70", True, "multi-frame JPEG lossless SV1 (dcmcjpeg +e1)", "dcmcjpeg", "+e1", "{in}", "{out}", features=["bot-filled", "multi-frame"])
derive("mr-multiframe.dcm", "mr-multiframe-sv1-nobot.dcm", "1.2.840.10008.1.2.4.70", True, "multi-frame JPEG lossless, empty basic offset table (dcmcjpeg +e1 -ot)", "dcmcjpeg", "+e1", "-ot", "{in}", "{out}", features=["bot-empty", "multi-frame"])
derive("ct-16s.dcm", "ct-16s-sv1-fragments.dcm", "1.2.840.10008.1.2.4.70", True, "JPEG lossless in 1 KiB fragments (dcmcjpeg +e1 +fs 1)", "dcmcjpeg", "+e1", "+fs", "1", "{in}", "{out}", features=["bot-filled", "multi-fragment-frame"])

mf = pydicom.dcmread(os.path.join(OUT, "mr-multiframe-sv1.dcm"))
frames = [f for f in encaps.generate_pixel_data_frame(mf.PixelData, int(mf.NumberOfFrames))]
mf.PixelData = encaps.encapsulate(frames, fragments_per_frame=3, has_bot=True)
mf["PixelData"].is_undefined_length = True
mf.save_as(os.path.join(OUT, "mr-multiframe-sv1-fragments.dcm"), write_like_original=False)
add("mr-multiframe-sv1-fragments.dcm", "mr-multiframe.dcm", "1.2.840.10008.1.2.4.70", True,
    "multi-frame JPEG lossless, 3 fragments per frame, basic offset table filled (pydicom encapsulate)",
    ["preamble", "meta", "explicit-le", "sequences", "private", "encapsulated", "bot-filled", "multi-fragment-frame", "multi-frame"])

mf = pydicom.dcmread(os.path.join(OUT, "mr-multiframe.dcm"))
arr = mf.pixel_array
rle_frames = [rle_encode_frame(arr[i]) for i in range(arr.shape[0])]
pixel_data, eot, eot_lengths = encaps.encapsulate_extended(rle_frames)
mf.PixelData = pixel_data
mf["PixelData"].VR = "OB"
mf["PixelData"].is_undefined_length = True
mf.ExtendedOffsetTable = eot
mf.ExtendedOffsetTableLengths = eot_lengths
mf.file_meta.TransferSyntaxUID = "1.2.840.10008.1.2.5"
mf.save_as(os.path.join(OUT, "mr-multiframe-eot.dcm"), write_like_original=False)
add("mr-multiframe-eot.dcm", "mr-multiframe.dcm", "1.2.840.10008.1.2.5", True,
    "multi-frame RLE with an Extended Offset Table (OV) and an empty basic offset table (pydicom)",
    ["preamble", "meta", "explicit-le", "sequences", "private", "encapsulated", "bot-empty", "extended-offset-table", "multi-frame"])

# Sequences nested 8 deep, lengths mixed (even levels undefined), an empty sequence, an empty item, several items.
ds = small_image(base_dataset(35, "OT", SC, 8, 6), 35)
level = None
for depth in range(8, 0, -1):
    item = Dataset()
    item.ValueType = "CONTAINER"
    item.CodeValue = "L%d" % depth
    item.CodeMeaning = "level %d of 8" % depth
    if depth == 8:
        item.add_new(0x00290010, "LO", PRIVATE)
        item.add_new(0x00291001, "LO", "deepest private")
        item.PatientName = "Deep^Nested"
    if level is not None:
        item.ContentSequence = Sequence([level])
        item["ContentSequence"].is_undefined_length = depth % 2 == 0
    item.is_undefined_length_sequence_item = depth % 2 == 1
    level = item
siblings = [Dataset(), Dataset()]
siblings[0].CodeValue = "SIB-1"
siblings[1].ReferencedImageSequence = Sequence([])  # an empty sequence inside an item
ds.ContentSequence = Sequence([level] + siblings + [Dataset()])  # the last item is empty
ds.ReferencedImageSequence = Sequence([])
save(ds, "nested-8.dcm", "sequences nested 8 levels deep, mixed defined/undefined lengths, empty sequence and item",
     features=["nested-8", "undefined-length", "empty-sequence", "empty-item"])
derive("nested-8.dcm", "nested-8-implicit.dcm", "1.2.840.10008.1.2", True, "implicit VR, undefined lengths (dcmconv +ti -e)", "dcmconv", "+ti", "-e", "{in}", "{out}")
derive("nested-8.dcm", "nested-8-bigendian.dcm", "1.2.840.10008.1.2.2", True, "big endian, explicit lengths (dcmconv +tb)", "dcmconv", "+tb", "{in}", "{out}")

# Every VR: multi-valued numbers and strings, AT, binary numbers of every size, long-text VRs, empty values.
ds = small_image(base_dataset(36, "MR", MR, 8, 6), 36, signed=True)
ds.SmallestImagePixelValue = -1000  # "US or SS": SS because Pixel Representation is 1
ds.LargestImagePixelValue = 1000
ds.PatientAge = "045Y"
ds.AcquisitionDateTime = "20240131101112.123456+0100"
ds.RetrieveAETitle = "MEDVISION_AE"
ds.ImagePositionPatient = ["-125.5", "3e2", "0.000001"]
ds.PixelAspectRatio = [4, 3]
ds.add_new(0x00280009, "AT", [0x00181063, 0x00181065])        # Frame Increment Pointer
ds.add_new(0x00209165, "AT", 0x00209056)                       # Dimension Index Pointer
ds.add_new(0x00180013, "FL", [1.5, -3.14159, 1e-30])           # FL, multi-valued
ds.add_new(0x00081163, "FD", [0.1, -1e300, 2.0 ** -1074])      # FD, multi-valued, a denormal
ds.add_new(0x00186020, "SL", [-5, 2147483647])                 # SL
ds.add_new(0x00189219, "SS", [-300, 32767])                    # SS
ds.add_new(0x00080309, "UL", [1, 4294967295])                  # UL
ds.add_new(0x00181622, "US", [0, 1, 65535])                    # US, multi-valued (Shutter Presentation Value)
ds.add_new(0x00660016, "OF", struct.pack("<3f", 1.0, -2.5, 1e20))
ds.add_new(0x00660022, "OD", struct.pack("<2d", 3.141592653589793, -0.0))
ds.add_new(0x00660040, "OL", struct.pack("<3I", 0, 1, 4294967295))
ds.add_new(0x00720081, "OV", struct.pack("<2Q", 1, 2 ** 64 - 1))
ds.add_new(0x00720082, "SV", [-5, 2 ** 40])
ds.add_new(0x00720083, "UV", [7, 2 ** 63 + 5])
ds.add_new(0x00080119, "UC", "A long code value that is longer than sixteen characters\\second")
ds.add_new(0x0008010E, "UR", "https://example.org/coding?scheme=1&x=%20")
ds.add_new(0x00100218, "UT", "Unlimited text: backslash \\ is not a separator here. ")
ds.add_new(0x00104000, "LT", "Line one\r\nLine two\twith a tab")
ds.add_new(0x00080081, "ST", "  Leading spaces are significant in ST")
ds.add_new(0x00181030, "LO", ["first", "second", ""])          # multi-valued LO with an empty value
ds.ReferringPhysicianName = ""                                 # empty (zero length) values
ds.AcquisitionNumber = None
ds.add_new(0x00189087, "FD", None)
ds.add_new(0x00280008, "IS", "1")
ds.add_new(0x00091002, "OB", bytes(range(0, 200, 7)))          # private OB, odd count padded by pydicom
ds.add_new(0x00091003, "OW", struct.pack("<4H", 1, 0x1234, 0xFFFF, 0x8000))
ds.add_new(0x00091004, "UN", b"\x00\xff\x10\x20")
ds.add_new(0x00281101, "SS", [256, -100, 16])                   # "US or SS" descriptor at the top level
lut = Dataset()
lut.add_new(0x00283002, "US", [4, 0, 16])                       # LUT Descriptor ("US or SS") in an item
lut.LUTExplanation = "identity"
lut.ModalityLUTType = "HU"
lut.add_new(0x00283006, "US", [0, 100, 200, 300])               # LUT Data ("US or OW")
ds.ModalityLUTSequence = Sequence([lut])
ds.add_new(0x60000010, "US", 8)                                 # overlay plane: repeating group 60xx
ds.add_new(0x60000011, "US", 8)
ds.add_new(0x60000040, "CS", "G")
ds.add_new(0x60000050, "SS", [1, 1])
ds.add_new(0x60000100, "US", 1)
ds.add_new(0x60000102, "US", 0)
ds.add_new(0x60003000, "OW", bytes([0xA5, 0x5A] * 4))           # "OB or OW"
icon = Dataset()                                                 # pixel data inside an item: not the image's
icon.SamplesPerPixel = 1
icon.PhotometricInterpretation = "MONOCHROME2"
icon.Rows = 4
icon.Columns = 4
icon.BitsAllocated = 8
icon.BitsStored = 8
icon.HighBit = 7
icon.PixelRepresentation = 0
icon.add_new(0x7FE00010, "OB", bytes(range(0, 160, 10)))
ds.IconImageSequence = Sequence([icon])
save(ds, "vr-zoo.dcm", "every VR: multi-valued DS/IS/FD/FL/US/SS/SL/UL/AT, OF/OD/OL/OV/SV/UV, UC/UR/UT/LT/ST, empty values",
     features=["all-vrs", "multi-valued", "empty-values", "us-or-ss", "lut", "overlay", "icon-pixel-data"])
derive("vr-zoo.dcm", "vr-zoo-implicit.dcm", "1.2.840.10008.1.2", True, "implicit VR (dcmconv +ti)", "dcmconv", "+ti", "{in}", "{out}")
derive("vr-zoo.dcm", "vr-zoo-bigendian.dcm", "1.2.840.10008.1.2.2", True, "explicit VR big endian (dcmconv +tb)", "dcmconv", "+tb", "{in}", "{out}")
derive("vr-zoo.dcm", "vr-zoo-deflated.dcm", "1.2.840.10008.1.2.1.99", True, "deflated (dcmconv +td)", "dcmconv", "+td", "{in}", "{out}")
derive("vr-zoo.dcm", "vr-zoo-rle.dcm", "1.2.840.10008.1.2.5", True, "RLE image and RLE icon pixel data inside an item (dcmcrle)", "dcmcrle", "{in}", "{out}", features=["icon-pixel-data"])


# Specific Character Sets: ISO_IR 192 (UTF-8), ISO 2022 IR 87 (PS3.5 Annex H.3.1), ISO_IR 100 (Latin-1).
def charset_file(n, name, terms, values, description, features):
    ds = small_image(base_dataset(n, "OT", SC, 8, 6), n)
    ds.SpecificCharacterSet = terms
    for keyword, value in values:
        setattr(ds, keyword, value)
    item = Dataset()
    item.CodeValue = "CS-%d" % n
    item.CodeMeaning = values[0][1] if isinstance(values[0][1], str) else "item text"
    ds.AnatomicRegionSequence = Sequence([item])  # an item inherits the character set of its data set
    path = save(ds, name, description, features=["specific-character-set"] + features)
    manifest[-1]["text"] = text_oracle(pydicom.dcmread(path))


charset_file(40, "charset-utf8.dcm", "ISO_IR 192", [
    ("InstitutionName", "Klinikum Größe Ωμέγα"),
    ("PatientName", "Wang^XiaoDong=王^小東="),
    ("StationName", "Ωμέγα-1"),
    ("InstitutionAddress", "日本語のテキスト, Straße 1"),
    ("PatientComments", "Zeile eins\r\nZeile zwei ✓"),
    ("ImageComments", "emoji 😀 and more"),
], "ISO_IR 192 (UTF-8) in PN, LO, SH, ST, LT", ["utf-8"])
JAPANESE_PN = bytes.fromhex(
    "59616d6164615e5461726f753d1b24423b3345441b28425e1b244242404f3a1b28423d"
    "1b244224642 45e24401b28425e1b2442243f246d24261b2842".replace(" ", ""))  # PS3.5 H.3.1, Yamada^Tarou
charset_file(41, "charset-iso2022-jp.dcm", ["", "ISO 2022 IR 87"], [
    ("PatientName", PersonName(JAPANESE_PN, encodings=["iso8859", "iso2022_jp"])),
    ("InstitutionName", "山田病院"),
], "ISO 2022 IR 87 (JIS X 0208 by code extension) in PN (PS3.5 H.3.1) and LO", ["iso-2022"])
charset_file(42, "charset-latin1.dcm", "ISO_IR 100", [
    ("InstitutionName", "Hôpital Saint-Éloi"),
    ("PatientName", "Ångström^Zoë"),
    ("InstitutionAddress", "Rue de la Santé, Genève"),
    ("PatientComments", "Größe: 180 cm; Gewicht: 80 kg ±2"),
], "ISO_IR 100 (Latin-1) in PN, LO, ST, LT", ["latin-1"])
derive("charset-utf8.dcm", "charset-utf8-implicit.dcm", "1.2.840.10008.1.2", True, "implicit VR (dcmconv +ti)", "dcmconv", "+ti", "{in}", "{out}")
manifest[-1]["text"] = next(e["text"] for e in manifest if e["name"] == "charset-utf8.dcm")

shutil.rmtree(WORK)

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
print(f"{len(manifest)} files in {OUT}")
