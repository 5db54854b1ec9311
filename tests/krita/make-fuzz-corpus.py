#!/usr/bin/env python3
"""Writes the seed corpus of the bridge's libFuzzer target (fuzz/fuzz-bridge-frame.c):
one small file per request type and pixel format, and some malformed streams.

    tests/krita/make-fuzz-corpus.py [output folder, default fuzz/corpus/bridge-frame]

The files are committed; rerun this only to change the seeds."""
import os
import struct
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "..", "plugin-krita-bridge", "pykrita"))
from comicgan.protocol import encode, encode_header  # noqa: E402

IMAGE = {"color_model": "RGBA", "style": "ink"}


def image(kind, depth, w, h, payload, **more):
    return encode(dict(IMAGE, type=kind, id=3, width=w, height=h, depth=depth, **more), payload)


def seeds():
    yield "hello", encode({"type": "hello", "id": 1, "protocol": 1, "client": "seed"})
    yield "list-styles", encode({"type": "list-styles", "id": 2, "thumbnail": 32})
    yield "cancel", encode({"type": "cancel", "id": 9, "target": 3})
    yield "stylize-u8", image("stylize", "U8", 2, 2, bytes(range(16)), strength=0.5, keep_colors=True)
    yield "stylize-u16-mask", image("stylize", "U16", 2, 1, bytes(range(16)) + b"\x00\xff", mask=True)
    yield "stylize-f16", image("stylize", "F16", 1, 2, struct.pack("<8H", *[0x3c00, 0x3800, 0, 0x3c00] * 2))
    yield "stylize-f32-linear", image("stylize", "F32", 1, 1, struct.pack("<4f", 0.25, 0.5, 1.0, 1.0),
                                      transfer="linear", tile=64, line_weight=0.5, denoise=0.2, contrast=1.5)
    yield "stylize-mix", encode({"type": "stylize", "id": 4, "width": 1, "height": 1, "color_model": "RGBA",
                                 "depth": "U8", "mix": {"ink": 0.7, "paint": 0.3}}, b"\x01\x02\x03\x04")
    yield "stylize-frames", encode(dict(IMAGE, type="stylize-frames", id=5, depth="U8", mask=True,
                                        frames=[{"width": 1, "height": 2}, {"width": 2, "height": 1}]),
                                   bytes(range(8)) + b"\x00\x80" + bytes(range(8)) + b"\xff\x00")
    yield "attention", image("attention", "U8", 2, 1, bytes(8), point="cam", opacity=0.5)
    yield "stylize-reference", (encode({"type": "hello", "id": 1, "protocol": 4})
                                + image("stylize", "U8", 2, 1, bytes(range(8)) + b"\x00\xff"
                                        + struct.pack("<8H", *[0x3c00, 0x3800, 0, 0x3c00] * 2), mask=True,
                                        style="ref", reference={"width": 1, "height": 2, "depth": "F16",
                                                                "transfer": "linear"}))
    yield "stylize-style-code", image("stylize", "U8", 1, 1, b"\x10\x20\x30\x40", style="ref",
                                      style_code=[0.5, -1.25, 3, 1])
    yield "session", (encode({"type": "hello", "id": 1, "protocol": 1})
                      + encode({"type": "list-styles", "id": 2})
                      + image("stylize", "U8", 1, 1, b"\x10\x20\x30\x40")
                      + encode({"type": "cancel", "id": 4, "target": 3}))
    yield "animation", (encode({"type": "hello", "id": 1, "protocol": 3})
                        + encode(dict(IMAGE, type="animation", id=2, count=2, depth="U8", scale="auto"))
                        + encode({"type": "animation-frame", "id": 3, "animation": 2, "index": 0, "width": 1,
                                  "height": 1, "color_model": "RGBA", "depth": "U8"}, b"\x10\x20\x30\x40")
                        + encode({"type": "animation-frame", "id": 4, "animation": 2, "index": 0, "width": 1,
                                  "height": 1, "color_model": "RGBA", "depth": "U8", "mask": True},
                                 b"\x10\x20\x30\x40\x80")
                        + encode({"type": "animation-end", "id": 5, "animation": 2}))
    yield "bad-magic-then-hello", b"XXXXjunk" + encode({"type": "hello", "id": 1, "protocol": 1})
    yield "bad-json", b"CGBR" + struct.pack("<I", 9) + b'{"type":}'
    yield "bad-member-skipped-payload", (encode_header({"type": "stylize", "id": 7, "width": "x"}, 4) + b"CGBR"
                                         + encode({"type": "hello", "id": 8, "protocol": 1}))
    yield "payload-mismatch", encode(dict(IMAGE, type="stylize", id=3, width=4, height=4, depth="U8"), bytes(5))
    yield "gray", image("stylize", "U8", 1, 1, bytes(4), color_model="GRAYA")
    yield "nested", encode({"type": "hello", "id": 1, "protocol": 1, "x": [[[[[[[[[[1]]]]]]]]]]})
    yield "huge-length", b"CGBR" + struct.pack("<I", 0xFFFFFFFF) + b"{}"


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "..", "fuzz", "corpus", "bridge-frame")
    os.makedirs(out, exist_ok=True)
    for name, data in seeds():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
