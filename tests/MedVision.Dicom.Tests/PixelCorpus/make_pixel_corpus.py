#!/usr/bin/env python3
"""Pixel-data test cases and stored-value references, made with pydicom/numpy and DCMTK (independent of MedVision).

usage:
  make_pixel_corpus.py make OUTDIR
      Writes edge cases the shared corpus does not have (1-bit, 32-bit, High Bit above Bits Stored with junk bits,
      native YBR_FULL / YBR_FULL_422, 16-bit planar RGB, Modality/VOI LUT sequences, several windows, enhanced
      per-frame functional groups, multi-frame JPEG with Basic/Extended/no offset table and split fragments).
      OUTDIR/manifest.json: [{"name", "file", "description", "reference"}]; "reference" names a .i32 file of the
      expected stored values (int32 little endian, frames then rows then columns then samples), computed here from
      the numbers the file was made from, or null when the case is only rendered.
  make_pixel_corpus.py dump OUTDIR FILE...
      For each native FILE writes OUTDIR/<basename>.i32 with its stored values, extracted with numpy straight from
      the Pixel Data bytes (High Bit, Bits Stored masking, sign extension, planar configuration, 1-bit unpacking,
      YBR_FULL_422 chroma replication), and OUTDIR/<basename>.json with the image geometry.
Deterministic: fixed seeds and UIDs.
"""
import json
import os
import subprocess
import sys

import numpy as np
import pydicom
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.encaps import encapsulate, encapsulate_extended, generate_pixel_data_frame
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = "1.2.826.0.1.3680043.10.1234.99."
SC = "1.2.840.10008.5.1.4.1.1.7"
ENHANCED_MR = "1.2.840.10008.5.1.4.1.1.4.1"


# ---- dump: stored values of a native file -----------------------------------------------------------------------

def stored_values(ds):
    rows, cols = int(ds.Rows), int(ds.Columns)
    spp = int(getattr(ds, "SamplesPerPixel", 1))
    frames = int(getattr(ds, "NumberOfFrames", 1) or 1)
    alloc = int(ds.BitsAllocated)
    stored = int(getattr(ds, "BitsStored", alloc))
    high = int(getattr(ds, "HighBit", stored - 1))
    signed = int(getattr(ds, "PixelRepresentation", 0)) == 1
    planar = int(getattr(ds, "PlanarConfiguration", 0)) if spp > 1 else 0
    pi = str(ds.PhotometricInterpretation).strip()
    raw = bytes(ds.PixelData)
    pixels = rows * cols
    if alloc == 1:
        bits = np.unpackbits(np.frombuffer(raw, np.uint8), bitorder="little")
        vals = bits[: frames * pixels * spp].astype(np.int64).reshape(frames, rows, cols, spp)
        return vals
    dtype = {8: "<u1", 16: "<u2", 32: "<u4"}[alloc]
    if pi == "YBR_FULL_422":
        per = pixels * 2
        arr = np.frombuffer(raw, dtype)[: frames * per].astype(np.int64).reshape(frames, pixels // 2, 4)
        out = np.empty((frames, pixels // 2, 2, 3), np.int64)
        out[:, :, 0, 0] = arr[:, :, 0]
        out[:, :, 1, 0] = arr[:, :, 1]
        out[:, :, :, 1] = arr[:, :, 2:3]
        out[:, :, :, 2] = arr[:, :, 3:4]
        vals = out.reshape(frames, rows, cols, 3)
    else:
        arr = np.frombuffer(raw, dtype)[: frames * pixels * spp].astype(np.int64)
        if planar:
            vals = arr.reshape(frames, spp, rows, cols).transpose(0, 2, 3, 1)
        else:
            vals = arr.reshape(frames, rows, cols, spp)
    shift = high + 1 - stored
    vals = (vals >> shift) & ((1 << stored) - 1)
    if signed:
        vals = np.where(vals >= (1 << (stored - 1)), vals - (1 << stored), vals)
    return vals


def dump(outdir, files):
    os.makedirs(outdir, exist_ok=True)
    for path in files:
        ds = pydicom.dcmread(path, force=True)
        vals = stored_values(ds)
        stem = os.path.basename(path)
        vals.astype("<i4").tofile(os.path.join(outdir, stem + ".i32"))
        with open(os.path.join(outdir, stem + ".json"), "w") as f:
            json.dump({"frames": int(vals.shape[0]), "rows": int(vals.shape[1]), "columns": int(vals.shape[2]),
                       "samples": int(vals.shape[3]), "photometric": str(ds.PhotometricInterpretation)}, f)


# ---- make: edge cases -------------------------------------------------------------------------------------------

manifest = []


def new_ds(n, rows, cols, photometric="MONOCHROME2", samples=1, sop=SC, ts=ExplicitVRLittleEndian):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop
    meta.MediaStorageSOPInstanceUID = ROOT + "%d.3" % n
    meta.TransferSyntaxUID = ts
    meta.ImplementationClassUID = ROOT + "0.1"
    ds = FileDataset(None, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.SOPClassUID = sop
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = ROOT + "%d.1" % n
    ds.SeriesInstanceUID = ROOT + "%d.2" % n
    ds.Modality = "OT"
    ds.PatientID = "PIX-%03d" % n
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = photometric
    ds.Rows = rows
    ds.Columns = cols
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    return ds


def save(outdir, ds, name, description, expected=None):
    if not ds.file_meta.TransferSyntaxUID.is_compressed and len(ds.PixelData) % 2:
        ds.PixelData = ds.PixelData + b"\0"
    ds.save_as(os.path.join(outdir, name), write_like_original=False)
    ref = None
    if expected is not None:
        ref = name + ".i32"
        np.asarray(expected, np.int64).astype("<i4").tofile(os.path.join(outdir, ref))
    manifest.append({"name": name, "file": name, "description": description, "reference": ref})


def mono(ds, alloc, stored, high, signed):
    ds.BitsAllocated = alloc
    ds.BitsStored = stored
    ds.HighBit = high
    ds.PixelRepresentation = 1 if signed else 0


def make(outdir):
    os.makedirs(outdir, exist_ok=True)
    rng = np.random.default_rng(20240131)

    # Bits Allocated 1, two frames of 13x7 = 91 bits: frame 2 starts in the middle of a byte.
    ds = new_ds(1, 13, 7)
    mono(ds, 1, 1, 0, False)
    ds.NumberOfFrames = 2
    bits = rng.integers(0, 2, size=(2, 13, 7))
    ds.PixelData = np.packbits(bits.reshape(-1), bitorder="little").tobytes()
    save(outdir, ds, "bits1-2frames.dcm", "1-bit MONOCHROME2, 2 frames, frame 2 starts mid-byte", bits.reshape(2, 13, 7, 1))

    # 12 bits stored at the top of 16 (High Bit 15), junk in the 4 low bits.
    ds = new_ds(2, 20, 24)
    mono(ds, 16, 12, 15, False)
    vals = rng.integers(0, 4096, size=(20, 24))
    raw = (vals << 4) | rng.integers(0, 16, size=(20, 24))
    ds.PixelData = raw.astype("<u2").tobytes()
    save(outdir, ds, "u12-highbit15.dcm", "12 bits stored, High Bit 15, junk below", vals.reshape(1, 20, 24, 1))

    # Signed 12 bits in 16 with junk (not a sign extension) in the 4 high bits.
    ds = new_ds(3, 18, 22)
    mono(ds, 16, 12, 11, True)
    ds.RescaleSlope = "1"
    ds.RescaleIntercept = "-1024"
    vals = rng.integers(-2048, 2048, size=(18, 22))
    raw = (vals & 0xFFF) | (rng.integers(0, 16, size=(18, 22)) << 12)
    ds.PixelData = raw.astype("<u2").tobytes()
    save(outdir, ds, "s12-junk-high.dcm", "signed 12 bits in 16, junk in the high nibble", vals.reshape(1, 18, 22, 1))

    # 32-bit unsigned and signed.
    ds = new_ds(4, 9, 11)
    mono(ds, 32, 32, 31, False)
    vals = rng.integers(0, 1 << 31, size=(9, 11))
    ds.PixelData = vals.astype("<u4").tobytes()
    save(outdir, ds, "u32.dcm", "32-bit unsigned", vals.reshape(1, 9, 11, 1))

    ds = new_ds(5, 10, 8)
    mono(ds, 32, 24, 23, True)
    vals = rng.integers(-(1 << 23), 1 << 23, size=(10, 8))
    ds.PixelData = (vals & 0xFFFFFF).astype("<u4").tobytes()
    save(outdir, ds, "s24in32.dcm", "signed 24 bits in 32", vals.reshape(1, 10, 8, 1))

    # Native YBR_FULL and YBR_FULL_422 (8-bit), from an RGB picture converted with PS3.3's forward matrix.
    rows, cols = 16, 20
    y, x = np.mgrid[0:rows, 0:cols]
    rgb = np.stack([x * 12, y * 15, (x + y) * 7 % 256], axis=-1).astype(np.float64)
    yy = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    cb = -0.1687 * rgb[..., 0] - 0.3313 * rgb[..., 1] + 0.5 * rgb[..., 2] + 128
    cr = 0.5 * rgb[..., 0] - 0.4187 * rgb[..., 1] - 0.0813 * rgb[..., 2] + 128
    ybr = np.clip(np.rint(np.stack([yy, cb, cr], axis=-1)), 0, 255).astype(np.uint8)
    ds = new_ds(6, rows, cols, "YBR_FULL", 3)
    mono(ds, 8, 8, 7, False)
    ds.PlanarConfiguration = 0
    ds.PixelData = ybr.tobytes()
    save(outdir, ds, "ybr-full.dcm", "native YBR_FULL 8-bit", ybr.reshape(1, rows, cols, 3))

    ds = new_ds(7, rows, cols, "YBR_FULL_422", 3)
    mono(ds, 8, 8, 7, False)
    ds.PlanarConfiguration = 0
    pairs = ybr.reshape(rows, cols // 2, 2, 3)
    cb2 = pairs[:, :, 0, 1]  # chroma of the pair taken from its first pixel
    cr2 = pairs[:, :, 0, 2]
    packed = np.stack([pairs[:, :, 0, 0], pairs[:, :, 1, 0], cb2, cr2], axis=-1)
    ds.PixelData = packed.astype(np.uint8).tobytes()
    full = np.empty_like(pairs)
    full[:, :, :, 0] = pairs[:, :, :, 0]
    full[:, :, :, 1] = cb2[:, :, None]
    full[:, :, :, 2] = cr2[:, :, None]
    save(outdir, ds, "ybr-full-422.dcm", "native YBR_FULL_422 8-bit", full.reshape(1, rows, cols, 3))

    # 16-bit RGB, colour-by-plane.
    ds = new_ds(8, 6, 10, "RGB", 3)
    mono(ds, 16, 16, 15, False)
    ds.PlanarConfiguration = 1
    vals = rng.integers(0, 65536, size=(6, 10, 3))
    ds.PixelData = vals.transpose(2, 0, 1).astype("<u2").tobytes()
    save(outdir, ds, "rgb16-planar.dcm", "16-bit RGB colour-by-plane", vals.reshape(1, 6, 10, 3))

    # Grayscale transforms for the renderer: two windows, a VOI LUT, a Modality LUT.
    base = rng.integers(0, 4096, size=(32, 40))
    ds = new_ds(9, 32, 40)
    mono(ds, 16, 12, 11, False)
    ds.WindowCenter = ["2048", "1000"]
    ds.WindowWidth = ["4096", "500"]
    ds.WindowCenterWidthExplanation = ["FULL", "NARROW"]
    ds.PixelData = base.astype("<u2").tobytes()
    save(outdir, ds, "two-windows.dcm", "12-bit with two windows", base.reshape(1, 32, 40, 1))

    ds = new_ds(10, 32, 40)
    mono(ds, 16, 12, 11, False)
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 16]
    item.LUTExplanation = "GAMMA"
    table = (np.sqrt(np.arange(4096) / 4095.0) * 65535).astype(np.uint16)
    item.add_new(0x00283006, "US", table.tolist())
    ds.VOILUTSequence = Sequence([item])
    ds.PixelData = base.astype("<u2").tobytes()
    save(outdir, ds, "voi-lut.dcm", "12-bit with a 16-bit VOI LUT (square root)", base.reshape(1, 32, 40, 1))

    ds = new_ds(11, 32, 40)
    mono(ds, 16, 12, 11, False)
    item = Dataset()
    item.LUTDescriptor = [4096, 0, 12]
    item.ModalityLUTType = "OD"
    table = (4095 - np.arange(4096) // 2).astype(np.uint16)
    item.add_new(0x00283006, "US", table.tolist())
    ds.ModalityLUTSequence = Sequence([item])
    ds.WindowCenter = "3000"
    ds.WindowWidth = "1500"
    ds.PixelData = base.astype("<u2").tobytes()
    save(outdir, ds, "modality-lut.dcm", "12-bit with a Modality LUT and a window", base.reshape(1, 32, 40, 1))

    # Enhanced MR: per-frame rescale and windows, no top-level ones.
    frames = 3
    vals = rng.integers(0, 1000, size=(frames, 12, 14))
    ds = new_ds(12, 12, 14, sop=ENHANCED_MR)
    mono(ds, 16, 16, 15, False)
    ds.NumberOfFrames = frames
    shared = Dataset()
    measures = Dataset()
    measures.PixelSpacing = ["0.7", "0.8"]
    measures.SliceThickness = "1"
    shared.PixelMeasuresSequence = Sequence([measures])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    per = []
    for f in range(frames):
        g = Dataset()
        pv = Dataset()
        pv.RescaleSlope = str(f + 1)
        pv.RescaleIntercept = str(-100 * f)
        pv.RescaleType = "US"
        g.PixelValueTransformationSequence = Sequence([pv])
        voi = Dataset()
        voi.WindowCenter = str(300 + 200 * f)
        voi.WindowWidth = str(400 + 100 * f)
        g.FrameVOILUTSequence = Sequence([voi])
        per.append(g)
    ds.PerFrameFunctionalGroupsSequence = Sequence(per)
    ds.PixelData = vals.astype("<u2").tobytes()
    save(outdir, ds, "enhanced-perframe.dcm", "enhanced MR, per-frame rescale and window", vals.reshape(frames, 12, 14, 1))

    # Multi-frame JPEG lossless from DCMTK, then re-encapsulated: BOT, no BOT, EOT, frames split over fragments.
    frames = 4
    vals = rng.integers(0, 4096, size=(frames, 16, 12))
    ds = new_ds(13, 16, 12)
    mono(ds, 16, 12, 11, False)
    ds.NumberOfFrames = frames
    ds.PixelData = vals.astype("<u2").tobytes()
    native = os.path.join(outdir, "mf-native.tmp")
    ds.save_as(native, write_like_original=False)
    jpeg = os.path.join(outdir, "mf-jpeg.tmp")
    subprocess.run(["dcmcjpeg", "+e1", native, jpeg], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    src = pydicom.dcmread(jpeg)
    bitstreams = [bytes(f) for f in generate_pixel_data_frame(src.PixelData, frames)]
    os.remove(native)
    os.remove(jpeg)
    expected = vals.reshape(frames, 16, 12, 1)

    def variant(name, description, pixel_data, eot=None):
        d = src.copy()
        d.PixelData = pixel_data
        d["PixelData"].VR = "OB"
        d["PixelData"].is_undefined_length = True
        if eot is not None:
            d.ExtendedOffsetTable = eot[0]
            d.ExtendedOffsetTableLengths = eot[1]
        save(outdir, d, name, description, expected)

    variant("mf-jpeg-bot.dcm", "4-frame JPEG lossless, Basic Offset Table", encapsulate(bitstreams, has_bot=True))
    variant("mf-jpeg-nobot.dcm", "4-frame JPEG lossless, no offset table, one fragment per frame", encapsulate(bitstreams, has_bot=False))
    data, offsets, lengths = encapsulate_extended(bitstreams)
    variant("mf-jpeg-eot.dcm", "4-frame JPEG lossless, Extended Offset Table", data, (offsets, lengths))
    variant("mf-jpeg-split-bot.dcm", "4-frame JPEG lossless, 3 fragments per frame, Basic Offset Table",
            encapsulate(bitstreams, fragments_per_frame=3, has_bot=True))
    variant("mf-jpeg-split-nobot.dcm", "4-frame JPEG lossless, 3 fragments per frame, no offset table (SOI split)",
            encapsulate(bitstreams, fragments_per_frame=3, has_bot=False))

    with open(os.path.join(outdir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
    print(f"{len(manifest)} files in {outdir}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "make":
        make(sys.argv[2])
    elif len(sys.argv) >= 3 and sys.argv[1] == "dump":
        dump(sys.argv[2], sys.argv[3:])
    else:
        sys.exit(__doc__)
