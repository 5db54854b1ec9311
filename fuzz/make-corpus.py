#!/usr/bin/env python3
"""Writes the safetensors seed corpus: small valid files (valid-*) and one
invalid file per loader rule (invalid-*), each under 4 KB.

    fuzz/make-corpus.py [output folder, default fuzz/corpus/safetensors]

The files are committed; rerun this only to change the seeds. The test
tests/model/test-safetensors.c loads every seed and checks that valid-* files
load and invalid-* files are refused."""
import json
import os
import struct
import sys


def image(header, data=b"", hlen=None, pad=True):
    text = header if isinstance(header, bytes) else header.encode()
    if pad and hlen is None:
        text += b" " * ((8 - len(text) % 8) % 8)
    n = len(text) if hlen is None else hlen
    return struct.pack("<Q", n) + text + data


def entry(dtype, shape, begin, end):
    return {"dtype": dtype, "shape": shape, "data_offsets": [begin, end]}


def f32(*values):
    return struct.pack("<%df" % len(values), *values)


def js(obj):
    return json.dumps(obj, separators=(",", ":"))


def valid():
    meta = {
        "comicgan.format": "1",
        "comicgan.arch": js({"generator": "resnet", "blocks": 2, "width": 8, "norm": "cin",
                             "attention": ["cam"]}),
        "comicgan.styles": js([{"id": "manga", "name": "Manga", "display": "Manga (ink)",
                                "mode": "cyclegan"}]),
        "comicgan.provenance": js({"recipe": "tiny", "steps": 10, "engine": "0.1.0"}),
    }
    w = f32(*[0.01 * i - 0.1 for i in range(2 * 3 * 2 * 2)])
    b = f32(0.5, -0.25)
    u = f32(1.0, 0.0)
    yield "valid-model", image(js({"__metadata__": meta,
                                   "enc.weight": entry("F32", [2, 3, 2, 2], 0, len(w)),
                                   "enc.bias": entry("F32", [2], len(w), len(w) + 8),
                                   "enc.sn_u": entry("F32", [2], len(w) + 8, len(w) + 16)}),
                               w + b + u)
    yield "valid-one", image(js({"x": entry("F32", [1], 0, 4)}), f32(3.5))
    yield "valid-empty", image("{}")
    yield "valid-metadata-only", image(js({"__metadata__": {"comicgan.format": "1"}}))
    yield "valid-scalar-and-empty", image(js({"s": entry("F32", [], 0, 4),
                                              "e": entry("F32", [0, 4], 4, 4)}), f32(1.0))
    yield "valid-f16", image(js({"h": entry("F16", [2, 2], 0, 8)}),
                             struct.pack("<4H", 0x3C00, 0xC000, 0x7BFF, 0x0001))
    yield "valid-bf16", image(js({"b": entry("BF16", [3], 0, 6)}), struct.pack("<3H", 0x3F80, 0xC120, 0x0001))
    yield "valid-mixed-dtypes", image(js({"a": entry("F32", [1], 0, 4), "b": entry("F16", [1], 4, 6),
                                          "c": entry("BF16", [1], 6, 8)}),
                                      f32(2.0) + struct.pack("<2H", 0x3800, 0x4000))
    yield "valid-out-of-order", image(js({"z": entry("F32", [1], 8, 12), "y": entry("F32", [2], 0, 8)}),
                                      f32(1.0, 2.0, 3.0))
    yield "valid-4d", image(js({"w": entry("F32", [1, 2, 2, 2], 0, 32)}), f32(*range(8)))
    yield "valid-unpadded", image(js({"x": entry("F32", [1], 0, 4)}), f32(-1.0), pad=False)
    yield "valid-unicode", image(js({"__metadata__": {"name": "\u6f2b\u753b"}, "\u00e9": entry("F32", [1], 0, 4)}),
                                 f32(0.0))


def invalid():
    one = f32(1.0, 1.0)
    a = entry("F32", [2], 0, 8)
    yield "invalid-short", b"\x02\x00\x00"
    yield "invalid-hlen-past-end", image("{}", hlen=1000)
    yield "invalid-hlen-huge", struct.pack("<Q", 2 ** 63) + b"{}"
    yield "invalid-hlen-one", image("{", hlen=1)
    yield "invalid-truncated-header", image(js({"a": a}), one)[:20]
    yield "invalid-truncated-data", image(js({"a": a}), one)[:-3]
    yield "invalid-not-json", image("{\"a\":1,}")
    yield "invalid-bare-word", image("{\"a\": nope}")
    yield "invalid-single-quotes", image("{'a':1}")
    yield "invalid-comment", image("{/* c */}")
    yield "invalid-octal-number", image(js({"a": entry("F32", [8], 0, 32)}).replace("[8]", "[010]"), b"\0" * 32)
    yield "invalid-hex-number", image(js({"a": entry("F32", [1], 0, 4)}).replace("[1]", "[0x1FFFFFFFFFFFFFFFF]"),
                                      f32(1.0))
    yield "invalid-raw-control", image(b'{"__metadata__":{"k":"a\tb"}}')
    yield "invalid-octal-escape", image(b'{"__metadata__":{"name":"\\253"}}')
    yield "invalid-unterminated", image('{"abc')
    yield "invalid-not-object", image("[1, 2, 3]")
    yield "invalid-nul", image(b"{\"a\x00\":1}")
    yield "invalid-escaped-nul", image(js({"__metadata__": {"k": "a\u0000b"}}))
    yield "invalid-utf8", image(b"{\"\xff\xfe\":1}")
    yield "invalid-deep", image("{\"a\":" + "[" * 20 + "]" * 20 + "}")
    yield "invalid-long-integer", image(js({"a": entry("F32", [1234567890123456789], 0, 4)}), f32(1.0))
    yield "invalid-dtype-i64", image(js({"a": entry("I64", [1], 0, 8)}), b"\x00" * 8)
    yield "invalid-dtype-unknown", image(js({"a": entry("F33", [1], 0, 4)}), f32(1.0))
    yield "invalid-negative-dim", image(js({"a": entry("F32", [2, -1], 0, 8)}), one)
    yield "invalid-huge-dim", image(js({"a": entry("F32", [4294967297], 0, 4)}), f32(1.0))
    yield "invalid-count-overflow", image(js({"a": entry("F32", [4294967296, 4294967296, 16], 0, 4)}), f32(1.0))
    yield "invalid-five-dims", image(js({"a": entry("F32", [1, 1, 1, 1, 1], 0, 4)}), f32(1.0))
    yield "invalid-overlap", image(js({"a": a, "b": entry("F32", [2], 4, 12)}), f32(1, 2, 3))
    yield "invalid-gap", image(js({"a": a, "b": entry("F32", [2], 12, 20)}), f32(1, 2, 3, 4, 5))
    yield "invalid-out-of-range", image(js({"a": a}), f32(1.0))
    yield "invalid-trailing-bytes", image(js({"a": a}), f32(1, 2, 3))
    yield "invalid-offsets-shape", image(js({"a": entry("F32", [2], 0, 12)}), f32(1, 2, 3))
    yield "invalid-nan", image(js({"a": a}), f32(1.0, float("nan")))
    yield "invalid-inf-f16", image(js({"h": entry("F16", [1], 0, 2)}), struct.pack("<H", 0x7C00))
    yield "invalid-duplicate", image("{\"a\":%s,\"a\":%s}" % (js(a), js(entry("F32", [2], 8, 16))), one + one)
    yield "invalid-metadata-number", image(js({"__metadata__": {"comicgan.format": 1}}))
    yield "invalid-metadata-array", image(js({"__metadata__": ["a"]}))
    yield "invalid-unknown-key", image(js({"a": dict(a, extra=1)}), one)
    yield "invalid-missing-key", image(js({"a": {"dtype": "F32", "shape": [2]}}), one)
    yield "invalid-empty-name", image(js({"": a}), one)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "corpus", "safetensors")
    os.makedirs(out, exist_ok=True)
    for name, data in list(valid()) + list(invalid()):
        assert len(data) < 4096, name
        with open(os.path.join(out, name + ".safetensors"), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
