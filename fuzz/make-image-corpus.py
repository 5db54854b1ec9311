#!/usr/bin/env python3
"""Writes the image loaders' seed corpus: one small file (under 4 KB) of each
kind the loaders read — PNG gray, gray+alpha, RGB, RGBA, 16-bit, palette,
interlaced; JPEG baseline, progressive, gray, CMYK; WebP lossy and lossless;
GIF; TIFF in strips, deflated, gray+alpha, 16-bit and float.

    fuzz/make-image-corpus.py [output folder, default fuzz/corpus/image]

Needs Pillow (Debian: python3-pil) and, for the interlaced PNG that Pillow
cannot write, ImageMagick's convert. The files are committed; rerun this only
to change the seeds."""
import io
import os
import subprocess
import sys

from PIL import Image


def picture(mode, w=11, h=7):
    img = Image.new("RGBA", (w, h))
    for y in range(h):
        for x in range(w):
            img.putpixel((x, y), (x * 23 % 256, y * 37 % 256, (x * y * 11) % 256, 255 - x * 9))
    if mode == "RGBA":
        return img
    return img.convert(mode)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "image")
    os.makedirs(out, exist_ok=True)
    seeds = {
        "gray.png": (picture("L"), "PNG", {}),
        "gray-alpha.png": (picture("LA"), "PNG", {}),
        "rgb.png": (picture("RGB"), "PNG", {}),
        "rgba.png": (picture("RGBA"), "PNG", {}),
        "gray16.png": (picture("L").convert("I;16"), "PNG", {}),
        "palette.png": (picture("RGB").convert("P", palette=Image.ADAPTIVE, colors=5), "PNG", {}),
        "baseline.jpg": (picture("RGB", 17, 9), "JPEG", {"quality": 80}),
        "progressive.jpg": (picture("RGB", 17, 9), "JPEG", {"quality": 80, "progressive": True}),
        "gray.jpg": (picture("L", 17, 9), "JPEG", {}),
        "cmyk.jpg": (picture("RGB", 17, 9).convert("CMYK"), "JPEG", {}),
        "lossy.webp": (picture("RGB"), "WEBP", {"quality": 70}),
        "lossless-alpha.webp": (picture("RGBA"), "WEBP", {"lossless": True}),
        "still.gif": (picture("RGB").convert("P", palette=Image.ADAPTIVE, colors=8), "GIF", {}),
        "strips.tif": (picture("RGB"), "TIFF", {}),
        "deflate-alpha.tif": (picture("RGBA"), "TIFF", {"compression": "tiff_adobe_deflate"}),
        "gray16.tif": (picture("L").convert("I;16"), "TIFF", {}),
        "gray-alpha.tif": (picture("LA"), "TIFF", {}),
        "float.tif": (picture("L").convert("F"), "TIFF", {}),
    }
    for name, (img, fmt, opts) in seeds.items():
        buf = io.BytesIO()
        try:
            img.save(buf, fmt, **opts)
        except (OSError, TypeError, ValueError) as e:
            print("skipped %s: %s" % (name, e))
            continue
        data = buf.getvalue()
        assert len(data) < 4096, name
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
    subprocess.run(["convert", os.path.join(out, "rgba.png"), "-strip", "-interlace", "PNG",
                    os.path.join(out, "interlaced.png")], check=True)


if __name__ == "__main__":
    main()
