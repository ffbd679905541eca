#!/usr/bin/env python3
"""Writes the DICOM benchmark inputs (native explicit VR little endian) into a directory. Deterministic: fixed seeds,
fixed UIDs and dates, so every run parses and compresses the same bytes.

Usage: make_dicom_inputs.py DIR [CT_SLICES]
  DIR/dx.dcm          3000x2500 DX radiograph, 16 bits allocated, 12 stored, MONOCHROME2 (~15 MB)
  DIR/window.dcm      3056x2544 DX, 16 bits allocated and stored (7.8 MP), for window/level
  DIR/ct/ct_NNN.dcm   CT_SLICES (default 200) 512x512 CT slices, 16 allocated, 12 stored, rescale -1024
  DIR/tiny.dcm        8x8 CT slice: measures the start-up floor of the DCMTK tools
Run with Debian's /usr/bin/python3 (python3-pydicom, python3-numpy). The DCMTK compressed variants are made by the
harness (dcmcrle, dcmcjpeg) from these files.
"""
import os
import sys

import numpy as np
from pydicom.dataset import Dataset, FileDataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian

ROOT = "1.2.826.0.1.3680043.10.1234"  # fixed, made-up UID root: the files are identical run to run
CT_IMAGE = "1.2.840.10008.5.1.4.1.1.2"
DX_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1"


def code(value, scheme, meaning):
    item = Dataset()
    item.CodeValue = value
    item.CodingSchemeDesignator = scheme
    item.CodeMeaning = meaning
    return item


def new_file(path, sop_class, sop_instance):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = sop_class
    meta.MediaStorageSOPInstanceUID = sop_instance
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    meta.ImplementationClassUID = ROOT + ".0.1"
    meta.ImplementationVersionName = "MEDVISION_BENCH"
    ds = FileDataset(path, {}, file_meta=meta, preamble=b"\0" * 128)
    ds.is_little_endian = True
    ds.is_implicit_VR = False
    return ds


def patient_study(ds, study, modality, description):
    ds.SpecificCharacterSet = "ISO_IR 100"
    ds.StudyDate = "20240311"
    ds.SeriesDate = "20240311"
    ds.AcquisitionDate = "20240311"
    ds.ContentDate = "20240311"
    ds.StudyTime = "101512.000000"
    ds.SeriesTime = "101745.000000"
    ds.AcquisitionTime = "101801.250000"
    ds.ContentTime = "101802.000000"
    ds.AccessionNumber = "ACC%07d" % study
    ds.Modality = modality
    ds.Manufacturer = "MedVision Synthetic Systems"
    ds.InstitutionName = "Bench General Hospital"
    ds.InstitutionAddress = "1 Benchmark Road, Testville"
    ds.ReferringPhysicianName = "Doe^Jane^^Dr."
    ds.StationName = "BENCH-" + modality
    ds.StudyDescription = description
    ds.ProcedureCodeSequence = Sequence([code("RPID16", "RADLEX", description)])
    ds.SeriesDescription = description + " series"
    ds.InstitutionalDepartmentName = "Radiology"
    ds.PerformingPhysicianName = "Roe^Richard"
    ds.OperatorsName = "Tech^Terry"
    ds.ManufacturerModelName = "Synth " + modality + " 3000"
    ds.PatientName = "Bench^Patient^Alpha"
    ds.PatientID = "PID%06d" % study
    ds.IssuerOfPatientID = "BENCH"
    ds.PatientBirthDate = "19610704"
    ds.PatientSex = "F"
    ds.PatientAge = "062Y"
    ds.PatientSize = "1.68"
    ds.PatientWeight = "71.5"
    ds.DeviceSerialNumber = "SN-%s-0042" % modality
    ds.SoftwareVersions = ["VA20A", "SP3"]
    ds.ProtocolName = description
    ds.StudyInstanceUID = "%s.1.%d" % (ROOT, study)
    ds.StudyID = str(study)
    ds.BodyPartExamined = "CHEST"
    if modality == "CT":
        ds.PatientPosition = "HFS"
    req = Dataset()
    req.RequestedProcedureID = "RP%d" % study
    req.ScheduledProcedureStepID = "SPS%d" % study
    req.ScheduledProcedureStepDescription = description
    ds.RequestAttributesSequence = Sequence([req])


def private_block(ds, size, seed):
    # A vendor block like the ones real scanners write (creator, a few strings, a binary blob).
    block = ds.private_block(0x0029, "MEDVISION BENCH 1.0", create=True)
    block.add_new(0x08, "CS", "IMAGE NUM 4")
    block.add_new(0x09, "LO", "20240311")
    block.add_new(0x10, "OB", np.random.default_rng(seed).integers(0, 256, size, dtype=np.uint8).tobytes())


def radiograph(rows, cols, seed, bits):
    """A chest-radiograph-like picture: smooth anatomy (body, lungs, ribs, spine) plus detector noise."""
    y = np.linspace(-1.0, 1.0, rows, dtype=np.float32)[:, None]
    x = np.linspace(-1.0, 1.0, cols, dtype=np.float32)[None, :]
    top = float(2 ** bits - 1)
    img = np.full((rows, cols), 0.08 * top, dtype=np.float32)  # direct exposure (dark)
    body = ((x / 0.85) ** 2 + (y / 1.05) ** 2) < 1.0
    img += body * (0.45 * top)
    for cx in (-0.38, 0.38):  # lungs: less attenuation
        lung = ((x - cx) / 0.3) ** 2 + ((y + 0.05) / 0.55) ** 2
        img -= np.exp(-lung * lung * 2.0) * (0.22 * top)
    img += (np.abs(x) < 0.07) * (0.25 * top)  # spine
    ribs = 0.5 + 0.5 * np.sin(y * 38.0 + np.abs(x) * 6.0)
    img += body * (ribs ** 6) * (0.06 * top)
    rng = np.random.default_rng(seed)
    img += rng.standard_normal((rows, cols), dtype=np.float32) * (0.004 * top)
    return np.clip(img, 0, top).astype(np.uint16)


def write_dx(path, rows, cols, bits_stored, seed, number):
    sop = "%s.3.%d" % (ROOT, number)
    ds = new_file(path, DX_PRESENTATION, sop)
    patient_study(ds, 7000 + number, "DX", "XR CHEST PA")
    ds.ImageType = ["ORIGINAL", "PRIMARY"]
    ds.SOPClassUID = DX_PRESENTATION
    ds.SOPInstanceUID = sop
    ds.SeriesInstanceUID = "%s.2.%d" % (ROOT, number)
    ds.SeriesNumber = "1"
    ds.InstanceNumber = "1"
    ds.PresentationIntentType = "FOR PRESENTATION"
    ds.PatientOrientation = ["L", "F"]
    ds.KVP = "125"
    ds.ExposureTime = "8"
    ds.XRayTubeCurrent = "320"
    ds.Exposure = "3"
    ds.ImagerPixelSpacing = ["0.139", "0.139"]
    ds.PixelSpacing = ["0.139", "0.139"]
    ds.DistanceSourceToDetector = "1800"
    ds.DetectorType = "SCINTILLATOR"
    ds.DetectorID = "DET-1"
    ds.ViewPosition = "PA"
    ds.ViewCodeSequence = Sequence([code("R-10214", "SRT", "postero-anterior")])
    ds.AnatomicRegionSequence = Sequence([code("T-D3000", "SRT", "Chest")])
    ds.AcquisitionContextSequence = Sequence([])
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = rows
    ds.Columns = cols
    ds.BitsAllocated = 16
    ds.BitsStored = bits_stored
    ds.HighBit = bits_stored - 1
    ds.PixelRepresentation = 0
    ds.PixelIntensityRelationship = "LOG"
    ds.PixelIntensityRelationshipSign = 1
    ds.RescaleIntercept = "0"
    ds.RescaleSlope = "1"
    ds.RescaleType = "US"
    ds.WindowCenter = str(2 ** (bits_stored - 1))
    ds.WindowWidth = str(int(2 ** bits_stored * 0.8))
    ds.VOILUTFunction = "LINEAR"
    ds.PresentationLUTShape = "IDENTITY"
    ds.LossyImageCompression = "00"
    ds.BurnedInAnnotation = "NO"
    private_block(ds, 1536, seed + 1)
    ds.PixelData = radiograph(rows, cols, seed, bits_stored).tobytes()
    ds.save_as(path, write_like_original=False)


def ct_slice(size, z, rng):
    """Stored values of a chest CT slice (HU + 1024, clipped to 12 bits)."""
    y = np.linspace(-1.0, 1.0, size, dtype=np.float32)[:, None]
    x = np.linspace(-1.0, 1.0, size, dtype=np.float32)[None, :]
    hu = np.full((size, size), -1000.0, dtype=np.float32)
    scale = 1.0 + 0.08 * np.sin(z * 0.05)
    body = ((x / (0.82 * scale)) ** 2 + ((y - 0.05) / (0.6 * scale)) ** 2) < 1.0
    hu[body] = 40.0
    fat = ((x / (0.78 * scale)) ** 2 + ((y - 0.05) / (0.56 * scale)) ** 2) >= 1.0
    hu[body & fat] = -100.0
    for cx in (-0.36, 0.36):
        lung = (((x - cx) / 0.27) ** 2 + ((y - 0.0) / (0.38 + 0.02 * np.cos(z * 0.07))) ** 2) < 1.0
        hu[lung] = -850.0
    spine = ((x / 0.08) ** 2 + ((y - 0.45) / 0.1) ** 2) < 1.0
    hu[spine] = 700.0
    heart = (((x + 0.08) / 0.22) ** 2 + ((y + 0.05) / 0.2) ** 2) < 1.0
    hu[heart] = 45.0 + 30.0 * (z % 3)
    hu += rng.standard_normal((size, size), dtype=np.float32) * 14.0
    hu[~body] = -1000.0 + rng.standard_normal(int((~body).sum()), dtype=np.float32) * 6.0
    return np.clip(np.rint(hu + 1024.0), 0, 4095).astype(np.uint16)


def write_ct(path, size, index, rng):
    sop = "%s.5.%d" % (ROOT, index + 1)
    ds = new_file(path, CT_IMAGE, sop)
    patient_study(ds, 9001, "CT", "CT CHEST WITH CONTRAST")
    ds.ImageType = ["ORIGINAL", "PRIMARY", "AXIAL"]
    ds.SOPClassUID = CT_IMAGE
    ds.SOPInstanceUID = sop
    ds.SeriesInstanceUID = ROOT + ".4.1"
    ds.FrameOfReferenceUID = ROOT + ".6.1"
    ds.PositionReferenceIndicator = ""
    ds.SeriesNumber = "3"
    ds.AcquisitionNumber = "1"
    ds.InstanceNumber = str(index + 1)
    z = -50.0 - 1.25 * index
    ds.ImagePositionPatient = ["-175.000", "-175.000", "%.3f" % z]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.SliceLocation = "%.3f" % z
    ds.SliceThickness = "1.25"
    ds.SpacingBetweenSlices = "1.25"
    ds.PixelSpacing = ["0.683594", "0.683594"]
    ds.KVP = "120"
    ds.DataCollectionDiameter = "500"
    ds.ReconstructionDiameter = "350"
    ds.DistanceSourceToDetector = "949.075012"
    ds.DistanceSourceToPatient = "541"
    ds.GantryDetectorTilt = "0"
    ds.TableHeight = "152.5"
    ds.RotationDirection = "CW"
    ds.ExposureTime = "500"
    ds.XRayTubeCurrent = "280"
    ds.Exposure = "140"
    ds.FilterType = "BODY FILTER"
    ds.GeneratorPower = "34"
    ds.FocalSpots = "1.2"
    ds.ConvolutionKernel = "STANDARD"
    ds.RevolutionTime = 0.5
    ds.SingleCollimationWidth = 0.625
    ds.TotalCollimationWidth = 40.0
    ds.TableSpeed = 78.75
    ds.TableFeedPerRotation = 39.375
    ds.SpiralPitchFactor = 0.984375
    ds.CTDIvol = 11.84
    ds.CTDIPhantomTypeCodeSequence = Sequence([code("113691", "DCM", "IEC Body Dosimetry Phantom")])
    ds.ContrastBolusAgent = "OMNIPAQUE 350"
    ds.ContrastBolusRoute = "IV"
    ds.ContrastBolusVolume = "80"
    ds.ReferencedImageSequence = Sequence([])
    ref = Dataset()
    ref.ReferencedSOPClassUID = CT_IMAGE
    ref.ReferencedSOPInstanceUID = ROOT + ".5.0"
    ds.ReferencedImageSequence.append(ref)
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.Rows = size
    ds.Columns = size
    ds.BitsAllocated = 16
    ds.BitsStored = 12
    ds.HighBit = 11
    ds.PixelRepresentation = 0
    ds.WindowCenter = ["40", "-600"]
    ds.WindowWidth = ["400", "1500"]
    ds.WindowCenterWidthExplanation = ["WINDOW1", "WINDOW2"]
    ds.RescaleIntercept = "-1024"
    ds.RescaleSlope = "1"
    ds.RescaleType = "HU"
    ds.LossyImageCompression = "00"
    private_block(ds, 2048, 1000 + index)
    ds.PixelData = ct_slice(size, index, rng).tobytes()
    ds.save_as(path, write_like_original=False)


def main():
    out = sys.argv[1]
    slices = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    os.makedirs(os.path.join(out, "ct"), exist_ok=True)
    write_dx(os.path.join(out, "dx.dcm"), 2500, 3000, 12, 11, 1)
    write_dx(os.path.join(out, "window.dcm"), 2544, 3056, 16, 12, 2)
    rng = np.random.default_rng(13)
    for i in range(slices):
        write_ct(os.path.join(out, "ct", "ct_%03d.dcm" % i), 512, i, rng)
    write_ct(os.path.join(out, "tiny.dcm"), 8, 999, np.random.default_rng(14))


if __name__ == "__main__":
    main()
