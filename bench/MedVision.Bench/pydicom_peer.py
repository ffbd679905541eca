#!/usr/bin/env python3
"""In-process peer timings with pydicom (+ numpy) on the DICOM bench inputs. Prints one JSON object.

Usage: pydicom_peer.py DIR RUNS
DIR is what Dicom/make_dicom_inputs.py wrote (dx.dcm, window.dcm, ct/ct_NNN.dcm). Same conventions as the C# harness:
one warm-up call, then RUNS timed calls, median in ms. The CT numbers are per slice (a pass over all slices / count).
Run with Debian's /usr/bin/python3 (python3-pydicom, python3-numpy).
"""
import glob
import json
import os
import statistics
import sys
import time

import numpy as np
import pydicom
from pydicom.pixel_data_handlers.util import apply_modality_lut, apply_voi_lut

directory, runs = sys.argv[1], int(sys.argv[2])
dx = os.path.join(directory, "dx.dcm")
window = os.path.join(directory, "window.dcm")
cts = sorted(glob.glob(os.path.join(directory, "ct", "ct_*.dcm")))


def median_ms(fn, per=1):
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000 / per)
    return statistics.median(samples)


def header(path):
    return pydicom.dcmread(path, stop_before_pixels=True)


def full(path):
    ds = pydicom.dcmread(path)
    ds.PixelData  # converts the raw element: the pixel bytes are in memory
    return ds


def render(ds):
    """The same work as DicomRenderer.Render: stored values -> modality LUT -> VOI (window) -> 8-bit."""
    ds._pixel_id = {}  # pydicom caches pixel_array; make every call extract the pixels again, as ours does
    arr = ds.pixel_array
    arr = apply_modality_lut(arr, ds)
    arr = apply_voi_lut(arr, ds, index=0)
    # apply_voi_lut maps the window onto the stored range (after rescale); scale that range to 0..255.
    bits = ds.BitsStored
    lo = float(ds.RescaleIntercept)
    hi = (2 ** bits - 1) * float(ds.RescaleSlope) + lo
    return ((arr - lo) * (255.0 / (hi - lo)) + 0.5).astype(np.uint8)


def render_ms(path):
    ds = pydicom.dcmread(path)  # already read, as ours renders an already-read DicomFile
    out = render(ds)
    return median_ms(lambda: render(ds)), int(out.mean() * 1000)


result = {"pydicom": pydicom.__version__, "numpy": np.__version__}
result["dx_header_ms"] = median_ms(lambda: header(dx))
result["dx_full_ms"] = median_ms(lambda: full(dx))
result["ct_header_ms"] = median_ms(lambda: [header(f) for f in cts], len(cts))
result["ct_full_ms"] = median_ms(lambda: [full(f) for f in cts], len(cts))
result["window_render_ms"], result["window_render_mean_x1000"] = render_ms(window)
result["dx_render_ms"], result["dx_render_mean_x1000"] = render_ms(dx)
result["ct_render_ms"], result["ct_render_mean_x1000"] = render_ms(cts[0])
print(json.dumps(result))
