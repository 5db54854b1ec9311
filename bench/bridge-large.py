#!/usr/bin/python3
"""A large image through comicgan-bridge (what the Krita plug-in sends) and
through the comicgan command, timed in one run, to read the bridge's cost
against the command's on the same machine.

    bench/bridge-large.py BUILD_DIR [--style NAME] [--width W] [--height H] [--scale S]

Makes a W x H picture (default 4000x3000: smooth gradients and hard-edged
discs), stylizes it once with `comicgan stylize` (PNG in and out, as a user
would) and once through the bridge (a U8 RGBA layer as Krita sends it, from
the stylize request to the result), and prints both wall times, their ratio,
and the bridge's progress frames: how many, whether they only grew, and the
longest gap between two. The default scale is 1 (native), the linear-cost
case; `--scale auto` is the plug-in's default.
"""
import argparse
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "plugin-krita-bridge", "pykrita", "comicgan"))
import protocol  # noqa: E402  (plain Python: no Krita needed)


def picture(width, height):
    """BGRA bytes (the bridge's U8 layout) and RGB rows for a PNG."""
    bgra = bytearray(width * height * 4)
    rgb_rows = []
    for y in range(height):
        row = bytearray(width * 3)
        v = y / height
        for x in range(width):
            u = x / width
            cx, cy = x % 512 - 256, y % 512 - 256
            if cx * cx + cy * cy < 160 * 160:
                r, g, b = 230, 51, 26
            else:
                r, g, b = int(255 * u), int(255 * v), int(127 * (u + v))
            row[3 * x:3 * x + 3] = bytes((r, g, b))
            i = 4 * (y * width + x)
            bgra[i:i + 4] = bytes((b, g, r, 255))
        rgb_rows.append(bytes(row))
    return bytes(bgra), rgb_rows


def write_png(path, width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\0" + r for r in rows)
    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
                chunk(b"IDAT", zlib.compress(raw, 1)) + chunk(b"IEND", b""))


def bridge_run(bridge, header, payload):
    """Wall seconds from sending the request to the result, and the progress fractions with their times."""
    p = subprocess.Popen([bridge], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    decoder = protocol.Decoder()

    def reply():
        while True:
            for frame in pending:
                return frame
            data = os.read(p.stdout.fileno(), 1 << 20)
            if not data:
                raise RuntimeError("the bridge closed its output")
            pending.extend(decoder.feed(data))

    pending = []

    def next_frame():
        frame = reply()
        pending.remove(frame)
        return frame

    p.stdin.write(protocol.encode({"type": "hello", "id": 1, "protocol": protocol.VERSION, "client": "bridge-large"}))
    p.stdin.flush()
    next_frame()
    start = time.monotonic()
    p.stdin.write(protocol.encode(header, payload))
    p.stdin.flush()
    progress = []
    while True:
        head, _ = next_frame()
        if head["type"] == "progress":
            progress.append((time.monotonic() - start, head["fraction"]))
        elif head["type"] == "result":
            break
        else:
            raise RuntimeError("the bridge answered %s" % head)
    seconds = time.monotonic() - start
    p.stdin.close()
    p.wait()
    return seconds, progress


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("build")
    ap.add_argument("--style", default="cel")
    ap.add_argument("--width", type=int, default=4000)
    ap.add_argument("--height", type=int, default=3000)
    ap.add_argument("--scale", default="1")
    a = ap.parse_args()
    comicgan = os.path.join(a.build, "cli", "comicgan")
    bridge = os.path.join(a.build, "plugin-krita-bridge", "comicgan-bridge")
    bgra, rows = picture(a.width, a.height)
    with tempfile.TemporaryDirectory(prefix="bridge-large-") as tmp:
        src, out = os.path.join(tmp, "in.png"), os.path.join(tmp, "out.png")
        write_png(src, a.width, a.height, rows)
        del rows
        start = time.monotonic()
        subprocess.run([comicgan, "stylize", "--style", a.style, "--scale", a.scale, src, out], check=True,
                       stderr=subprocess.DEVNULL)
        command = time.monotonic() - start
    scale = a.scale if a.scale == "auto" else float(a.scale)
    header = {"type": "stylize", "id": 2, "width": a.width, "height": a.height, "color_model": "RGBA",
              "depth": "U8", "transfer": "srgb", "style": a.style, "scale": scale}
    seconds, progress = bridge_run(bridge, header, bgra)
    fractions = [f for _, f in progress]
    times = [0.0] + [t for t, _ in progress] + [seconds]
    gap = max(b - t for t, b in zip(times, times[1:]))
    print("%dx%d, style %s, scale %s" % (a.width, a.height, a.style, a.scale))
    print("comicgan stylize (PNG in and out): %8.1f s" % command)
    print("comicgan-bridge (U8 layer)       : %8.1f s" % seconds)
    print("bridge / command                 : %8.2f" % (seconds / command))
    print("bridge progress frames           : %d, only growing: %s, last %.3f, longest gap %.1f s" %
          (len(fractions), all(b >= x for x, b in zip(fractions, fractions[1:])), fractions[-1] if fractions else 0,
           gap))


if __name__ == "__main__":
    main()
