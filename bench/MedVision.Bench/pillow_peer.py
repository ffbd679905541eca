#!/usr/bin/env python3
"""In-process peer timings with Pillow (libjpeg-turbo and zlib). Prints one JSON object.

Usage: pillow_peer.py GRAY.pgm RGB.ppm RUNS
Run with Debian's /usr/bin/python3 (python3-pil).
"""
import io, json, statistics, sys, time

from PIL import Image

gray_path, rgb_path, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])


def median_ms(fn):
    fn()  # warm-up
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples)


result = {"pillow": Image.__version__}
for label, path in (("gray", gray_path), ("rgb", rgb_path)):
    img = Image.open(path)
    img.load()
    png_buf = io.BytesIO(); img.save(png_buf, "PNG")  # default: zlib level 6
    png = png_buf.getvalue()
    with open(path + ".pillow.png", "wb") as f:  # the harness decodes Pillow's own file too (same bytes on both sides)
        f.write(png)
    jpg_buf = io.BytesIO(); img.save(jpg_buf, "JPEG", quality=85)
    jpg = jpg_buf.getvalue()

    def png_encode():
        b = io.BytesIO(); img.save(b, "PNG")

    def png_decode():
        Image.open(io.BytesIO(png)).load()

    def jpeg_encode():
        b = io.BytesIO(); img.save(b, "JPEG", quality=85)

    def jpeg_decode():
        Image.open(io.BytesIO(jpg)).load()

    result[label] = {
        "png_encode_ms": median_ms(png_encode),
        "png_decode_ms": median_ms(png_decode),
        "png_bytes": len(png),
        "jpeg_encode_ms": median_ms(jpeg_encode),
        "jpeg_decode_ms": median_ms(jpeg_decode),
        "jpeg_bytes": len(jpg),
    }
print(json.dumps(result))
