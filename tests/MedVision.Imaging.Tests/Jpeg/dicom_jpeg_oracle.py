#!/usr/bin/python3
"""DICOM plumbing for the JPEG 12-bit/lossless oracle tests (pydicom only, no numpy).

Usage: dicom_jpeg_oracle.py MANIFEST

Each line of MANIFEST is one operation, fields separated by tabs:
  native  RAW  DCM  WIDTH  HEIGHT  BITS_STORED  SAMPLES
      Writes an uncompressed (explicit VR little endian) DICOM whose pixel data is RAW as is: 8-bit samples when
      BITS_STORED <= 8, else 16-bit little endian; MONOCHROME2 for 1 sample, RGB (interleaved) for 3.
  encap   JPG  DCM  WIDTH  HEIGHT  BITS_STORED  SAMPLES  TRANSFER_SYNTAX_UID
      Wraps the JPEG codestream JPG as the single frame of an encapsulated DICOM with that transfer syntax.
  frame   DCM  JPG
      Writes the first frame's JPEG codestream of an encapsulated DICOM (fragments joined).
  pixels  DCM  RAW
      Writes the native pixel data bytes of an uncompressed DICOM (as stored: little endian) and a RAW.txt holding
      "rows columns samples bits_allocated bits_stored photometric planar_configuration".
"""

import sys

import pydicom
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate, generate_pixel_data_frame
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid


def _dataset(width, height, bits, samples, transfer_syntax):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = transfer_syntax
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = meta.MediaStorageSOPClassUID
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.StudyInstanceUID = generate_uid()
    ds.SeriesInstanceUID = generate_uid()
    ds.Modality = "OT"
    ds.PatientName = "Oracle^Test"
    ds.PatientID = "ORACLE"
    ds.Rows = height
    ds.Columns = width
    ds.SamplesPerPixel = samples
    ds.PhotometricInterpretation = "MONOCHROME2" if samples == 1 else "RGB"
    if samples > 1:
        ds.PlanarConfiguration = 0
    ds.BitsAllocated = 8 if bits <= 8 else 16
    ds.BitsStored = bits
    ds.HighBit = bits - 1
    ds.PixelRepresentation = 0
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    return ds


def native(raw, dcm, width, height, bits, samples):
    ds = _dataset(int(width), int(height), int(bits), int(samples), ExplicitVRLittleEndian)
    with open(raw, "rb") as f:
        ds.PixelData = f.read()
    ds["PixelData"].VR = "OB" if ds.BitsAllocated == 8 else "OW"
    ds.save_as(dcm, write_like_original=False)


def encap(jpg, dcm, width, height, bits, samples, transfer_syntax):
    ds = _dataset(int(width), int(height), int(bits), int(samples), transfer_syntax)
    with open(jpg, "rb") as f:
        ds.PixelData = encapsulate([f.read()])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.save_as(dcm, write_like_original=False)


def frame(dcm, jpg):
    ds = pydicom.dcmread(dcm)
    with open(jpg, "wb") as f:
        f.write(next(generate_pixel_data_frame(ds.PixelData)))


def pixels(dcm, raw):
    ds = pydicom.dcmread(dcm)
    if ds.file_meta.TransferSyntaxUID.is_compressed:
        raise SystemExit(f"{dcm} is still compressed ({ds.file_meta.TransferSyntaxUID})")
    with open(raw, "wb") as f:
        f.write(ds.PixelData)
    with open(raw + ".txt", "w") as f:
        planar = int(getattr(ds, "PlanarConfiguration", 0))
        f.write(f"{ds.Rows} {ds.Columns} {ds.SamplesPerPixel} {ds.BitsAllocated} {ds.BitsStored} {ds.PhotometricInterpretation} {planar}\n")


OPERATIONS = {"native": native, "encap": encap, "frame": frame, "pixels": pixels}


def main():
    with open(sys.argv[1]) as manifest:
        for line in manifest:
            fields = line.rstrip("\n").split("\t")
            if fields and fields[0]:
                OPERATIONS[fields[0]](*fields[1:])


if __name__ == "__main__":
    main()
