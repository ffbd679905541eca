#!/usr/bin/env python3
"""Builds the DICOM test corpus with independent tools: pydicom writes the native base files, then DCMTK
(dcmconv, dcmcrle, dcmcjpeg) and GDCM (gdcmconv) transcode them. Writes OUTDIR/manifest.json:
[{"name", "file", "base", "ts", "lossless", "description"}], where "base" names the native file the entry was made
from (its pixels are the lossless reference). Deterministic: fixed seeds and UIDs.

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


def save(ds, name, description, base=None, ts="1.2.840.10008.1.2.1", lossless=True):
    path = os.path.join(OUT, name)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    if len(ds.PixelData) % 2:
        ds.PixelData = ds.PixelData + b"\0"  # values are even-length on the wire (PS3.5 7.1.1)
    ds.save_as(path, write_like_original=False)
    manifest.append({"name": name, "file": name, "base": base or name, "ts": ts, "lossless": lossless, "description": description})
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
    return save(ds, name, f"{modality} {bits_stored}/{bits_alloc}-bit {'signed' if signed else 'unsigned'} {photometric} {rows}x{cols}x{frames}")


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
    return save(ds, name, f"US RGB planar={planar} {rows}x{cols}")


def tool(*args):
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def derive(base, name, ts, lossless, description, *command):
    tool(*[a.replace("{in}", os.path.join(OUT, base)).replace("{out}", os.path.join(OUT, name)) for a in command])
    manifest.append({"name": name, "file": name, "base": base, "ts": ts, "lossless": lossless, "description": description})


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

derive("cr-8u.dcm", "cr-8u-baseline.dcm", "1.2.840.10008.1.2.4.50", False, "JPEG baseline (dcmcjpeg +eb)", "dcmcjpeg", "+eb", "{in}", "{out}")
derive("dx-12u-mono1.dcm", "dx-12u-extended.dcm", "1.2.840.10008.1.2.4.51", False, "JPEG extended 12-bit (dcmcjpeg +ee)", "dcmcjpeg", "+ee", "{in}", "{out}")
derive("mr-multiframe.dcm", "mr-multiframe-rle.dcm", "1.2.840.10008.1.2.5", True, "multi-frame RLE (dcmcrle)", "dcmcrle", "{in}", "{out}")
derive("mr-16u.dcm", "mr-16u-jpegls.dcm", "1.2.840.10008.1.2.4.80", True, "JPEG-LS (gdcmconv --jpegls): archived, not decoded", "gdcmconv", "--jpegls", "{in}", "{out}")
derive("mr-16u.dcm", "mr-16u-j2k.dcm", "1.2.840.10008.1.2.4.90", True, "JPEG 2000 (gdcmconv --j2k): archived, not decoded", "gdcmconv", "--j2k", "{in}", "{out}")

with open(os.path.join(OUT, "manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
print(f"{len(manifest)} files in {OUT}")
