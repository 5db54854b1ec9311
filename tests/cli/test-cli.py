#!/usr/bin/env python3
"""Tests of the comicgan command, one group per run: test-cli.py GROUP.

Speaks TAP. Needs COMICGAN (the program), CLI_IMAGE (tests/cli/cli-image),
CLI_TEST_MODEL (the seeded test model) and COMICGAN_MODEL_PATH (its folder)
in the environment, as tests/cli/meson.build sets them, and MAKE_MODEL
(tests/support/make-model) for the reference group."""

import json
import os
import pty
import re
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import time
import zlib

COMICGAN = os.environ["COMICGAN"]
CLI_IMAGE = os.environ["CLI_IMAGE"]
MODEL = os.environ["CLI_TEST_MODEL"]


class Tap:
    def __init__(self):
        self.n = 0
        self.failed = 0

    def check(self, ok, what, detail=""):
        self.n += 1
        print(("ok" if ok else "not ok") + " %d - %s" % (self.n, what))
        if not ok:
            self.failed += 1
            for line in str(detail).splitlines():
                print("# " + line)
        sys.stdout.flush()
        return ok

    def done(self):
        print("1..%d" % self.n)
        return 1 if self.failed else 0


t = Tap()


def run(*args, env=None, timeout=240):
    """Runs comicgan; returns (exit status, stdout, stderr)."""
    p = subprocess.run([COMICGAN] + [str(a) for a in args], capture_output=True, text=True, env=env,
                       timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def image(*args):
    p = subprocess.run([CLI_IMAGE] + [str(a) for a in args], capture_output=True, text=True)
    if p.returncode != 0:
        raise RuntimeError("cli-image %s: %s%s" % (args, p.stdout, p.stderr))
    return p.stdout.strip()


def info(path):
    """(width, height, channels, bits) of an image file."""
    return tuple(int(v) for v in image("info", path).split())


# One step of an 8-bit sample; cli-image prints 6 decimals, so 1/255 reads as 0.003922.
ONE_STEP = 1 / 255 + 1e-6


def diff(a, b):
    return float(image("diff", a, b))


def one_error_line(err):
    """A failure prints exactly one line: comicgan: <what>: <why>."""
    lines = err.strip().splitlines()
    return len(lines) == 1 and re.match(r"^comicgan: [^:]+: .+", lines[0]) is not None


def png_bytes(width, height):
    """A PNG whose header claims width x height (the data does not follow)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(b"\0" * 1024)) + chunk(b"IEND", b""))


def listing(folder):
    return sorted(os.listdir(folder))


# ---- groups ----

def test_help(d):
    rc, out, err = run("--help")
    t.check(rc == 0 and "stylize" in out and "bench" in out, "comicgan --help lists the commands", out + err)
    rc, out, err = run("--version")
    t.check(rc == 0 and re.match(r"^comicgan \d+\.\d+", out), "comicgan --version", out + err)
    for cmd in ["stylize", "style-code", "info", "attention", "bench"]:
        rc, out, err = run(cmd, "--help")
        t.check(rc == 0 and ("comicgan " + cmd) in out, "comicgan %s --help exits 0 with its usage" % cmd, out + err)
    rc, out, err = run()
    t.check(rc != 0, "comicgan without a command fails", out + err)
    rc, out, err = run("paint")
    t.check(rc != 0 and one_error_line(err) and "paint" in err, "an unknown command fails with one line", err)
    rc, out, err = run("stylize", "--no-such-option", "a.png", "b.png")
    t.check(rc != 0 and one_error_line(err), "an unknown option fails with one line", err)


def test_stylize(d):
    src = os.path.join(d, "in.png")
    image("make", src, 96, 80)
    out = os.path.join(d, "out.png")
    rc, _, err = run("stylize", src, out)
    t.check(rc == 0 and info(out) == (96, 80, 3, 8), "stylize with the catalog's first style", err)
    t.check(rc == 0 and diff(src, out) > 0.05, "the style changes the picture")
    t.check(rc == 0 and err == "", "silent when stderr is not a terminal", err)
    # The style scale: the default is auto, which is native on a small image.
    same = os.path.join(d, "scale.png")
    for scale in ["1", "auto"]:
        rc, _, err = run("stylize", "--scale", scale, src, same)
        t.check(rc == 0 and diff(out, same) == 0, "--scale %s on a small image is the default result" % scale, err)
    rc, _, err = run("stylize", "--scale", "0.5", src, same)
    t.check(rc == 0 and info(same) == (96, 80, 3, 8) and diff(out, same) > 0,
            "--scale 0.5 gives another full-size result", err)
    rc, help_text, err = run("stylize", "--help")
    t.check(rc == 0 and "--scale" in help_text and "auto" in help_text and "default" in help_text,
            "stylize --help names the scale's default", help_text)
    for style in ["test-ink", "test-paint", "identity"]:
        o = os.path.join(d, style + ".png")
        rc, _, err = run("stylize", "--style", style, "--strength", "0", src, o)
        t.check(rc == 0 and diff(src, o) <= ONE_STEP, "%s at strength 0 gives the input back" % style, err)
    o = os.path.join(d, "identity1.png")
    rc, _, err = run("stylize", "--model", MODEL, "--style", "identity", "--strength", "1", src, o)
    t.check(rc == 0 and diff(src, o) <= ONE_STEP, "the identity style at strength 1 gives the input back",
            err + ("max difference %s" % (diff(src, o) if rc == 0 else "-")))
    o = os.path.join(d, "options.png")
    rc, _, err = run("stylize", "--model", MODEL, "--mix", "test-ink=0.7,test-paint=0.3", "--strength", "0.8",
                     "--tile", "32", "--keep-colors", "--line-weight", "-0.5", "--denoise", "0.3",
                     "--contrast", "1.2", src, o)
    t.check(rc == 0 and info(o) == (96, 80, 3, 8), "every stylize option at once", err)
    # Tiles give the whole-image result.
    whole, tiled = os.path.join(d, "whole.png"), os.path.join(d, "tiled.png")
    run("stylize", "--style", "test-ink", src, whole)
    rc, _, err = run("stylize", "--style", "test-ink", "--tile", "32", src, tiled)
    t.check(rc == 0 and diff(whole, tiled) <= ONE_STEP, "--tile 32 gives the untiled result", err)
    # With no memory to spare the activations between passes go through a temporary file, which goes away.
    spill = tempfile.mkdtemp(prefix="comicgan-tmpdir-")
    rc, _, err = run("stylize", "--style", "test-ink", "--tile", "32", "--memory-budget", "1", src, tiled,
                     env=dict(os.environ, TMPDIR=spill))
    t.check(rc == 0 and diff(whole, tiled) <= ONE_STEP and os.listdir(spill) == [],
            "--memory-budget 1 gives the untiled result and leaves no temporary file", err)
    os.rmdir(spill)
    # An existing output is replaced, keeping its permissions.
    os.chmod(out, 0o640)
    rc, _, err = run("stylize", "--style", "test-paint", src, out)
    t.check(rc == 0 and (os.stat(out).st_mode & 0o777) == 0o640, "replacing OUT keeps its permissions", err)
    t.check(listing(d) == sorted(["in.png", "out.png", "test-ink.png", "test-paint.png", "identity.png",
                                  "identity1.png", "options.png", "whole.png", "tiled.png", "scale.png"]),
            "no temporary files left", listing(d))
    # A still picture larger than the automatic scale's side streams from file to file, to one output
    # or into a folder; as frames (--frames) it is loaded whole: the same bytes.
    big = os.path.join(d, "big", "in.jpg")
    os.makedirs(os.path.dirname(big))
    image("make", big, 1400, 700)
    streamed, folder, frames = (os.path.join(d, "big", "streamed.png"), os.path.join(d, "big", "folder"),
                                os.path.join(d, "big", "frames"))
    style = ["--style", "test-paint", "--strength", "0.7"]
    rc, _, err = run("stylize", *style, big, streamed)
    rc2, _, err2 = run("stylize", *style, "-o", folder, "-f", "png", big)
    rc3, _, err3 = run("stylize", *style, "--frames", "-o", frames, "-f", "png", big)
    outs = [streamed, os.path.join(folder, "in.png"), os.path.join(frames, "in.png")]
    same = rc == rc2 == rc3 == 0 and len(set(open(f, "rb").read() for f in outs)) == 1
    t.check(same and info(streamed) == (1400, 700, 3, 8) and listing(folder) == ["in.png"],
            "a large picture streamed to one output or a folder has the bytes of the whole-image path",
            err + err2 + err3)
    shutil.rmtree(os.path.dirname(big))


def test_formats(d):
    cases = [("rgb.png", 8, 3), ("gray.png", 8, 1), ("rgba16.png", 16, 4), ("gray16.png", 16, 2),
             ("rgb.jpg", 8, 3), ("gray.jpg", 8, 1), ("float.tif", 32, 3), ("floata.tif", 32, 4),
             ("rgb16.tif", 16, 3), ("rgb.webp", 8, 3)]
    for name, bits, channels in cases:
        src = os.path.join(d, name)
        image("make", src, 77, 45, bits, channels)
        base, ext = os.path.splitext(name)
        out = os.path.join(d, base + "-out" + ext)
        rc, _, err = run("stylize", "--style", "test-ink", src, out)
        t.check(rc == 0 and info(out) == info(src), "%s: same size, depth and layout out" % name,
                err + " in %s out %s" % (info(src), info(out) if rc == 0 else "-"))
        same = os.path.join(d, base + "-s0" + ext)
        rc, _, err = run("stylize", "--strength", "0", src, same)
        # JPEG and (lossy) WebP move samples when written again; WebP's
        # halved chroma resolution moves them most, at colour edges.
        limit = {".jpg": 4 / 255, ".webp": 0.15}.get(ext, 1 / 255)
        t.check(rc == 0 and diff(src, same) <= limit, "%s: strength 0 gives the input back" % name, err)
    src = os.path.join(d, "rgba16.png")
    out = os.path.join(d, "converted.jpg")
    rc, _, err = run("stylize", "--quality", "70", src, out)
    t.check(rc == 0 and info(out) == (77, 45, 3, 8), "16-bit RGBA PNG to JPEG", err)


def expect_failure(what, args, keyword, must_not_exist, cwd_files=None):
    rc, out, err = run(*args)
    ok = rc != 0 and one_error_line(err) and keyword.lower() in err.lower()
    ok = ok and not any(os.path.exists(p) for p in must_not_exist)
    t.check(ok, what, "status %d, stderr: %s" % (rc, err))


def test_errors(d):
    src = os.path.join(d, "in.png")
    image("make", src, 64, 64)
    with open(src, "rb") as f:
        good = f.read()
    files = {
        "truncated.png": good[:len(good) // 2],
        "empty.png": b"",
        "text.png": b"this is not an image\n",
        "huge.png": png_bytes(100000, 100000),
    }
    for name, data in files.items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(data)
    out = os.path.join(d, "out.png")
    expect_failure("a missing input", ["stylize", os.path.join(d, "missing.png"), out], "missing.png", [out])
    expect_failure("a truncated PNG", ["stylize", os.path.join(d, "truncated.png"), out], "truncated", [out])
    expect_failure("a zero-byte file", ["stylize", os.path.join(d, "empty.png"), out], "empty", [out])
    expect_failure("a text file", ["stylize", os.path.join(d, "text.png"), out], "text.png", [out])
    expect_failure("a 100000x100000 PNG header", ["stylize", os.path.join(d, "huge.png"), out], "100000", [out])
    for bad in ["1.5", "-0.1", "nan", "strong"]:
        expect_failure("--strength %s" % bad, ["stylize", "--strength", bad, src, out], "strength", [out])
    expect_failure("--contrast 3", ["stylize", "--contrast", "3", src, out], "contrast", [out])
    for bad in ["nan", "0", "5", "-1", "0.001", "huge", ""]:
        expect_failure("--scale %r" % bad, ["stylize", "--scale", bad, src, out], "scale", [out])
    expect_failure("--denoise 2", ["stylize", "--denoise", "2", src, out], "denoise", [out])
    expect_failure("--line-weight 5", ["stylize", "--line-weight", "5", src, out], "line-weight", [out])
    expect_failure("--quality 101", ["stylize", "--quality", "101", src, out], "quality", [out])
    expect_failure("--tile -1", ["stylize", "--tile", "-1", src, out], "tile", [out])
    expect_failure("--memory-budget -1", ["stylize", "--memory-budget", "-1", src, out], "memory-budget", [out])
    expect_failure("an unknown style", ["stylize", "--style", "no-such-style", src, out], "no-such-style", [out])
    expect_failure("an unknown style in --model", ["stylize", "--model", MODEL, "--style", "nope", src, out], "nope",
                   [out])
    expect_failure("a missing model file", ["stylize", "--model", os.path.join(d, "missing.safetensors"), src, out],
                   "missing.safetensors", [out])
    expect_failure("a model file that is not one", ["stylize", "--model", os.path.join(d, "text.png"), src, out],
                   "text.png", [out])
    expect_failure("--mix with an unknown style", ["stylize", "--mix", "test-ink=1,nope=1", src, out], "nope", [out])
    expect_failure("--mix with a negative weight", ["stylize", "--mix", "test-ink=-1", src, out], "weight", [out])
    expect_failure("--mix with all weights 0", ["stylize", "--mix", "test-ink=0,test-paint=0", src, out], "mix",
                   [out])
    expect_failure("--mix without weights", ["stylize", "--mix", "test-ink", src, out], "mix", [out])
    expect_failure("an unknown output type", ["stylize", src, os.path.join(d, "out.bmp")], "out.bmp",
                   [os.path.join(d, "out.bmp")])
    expect_failure("an output folder that does not exist", ["stylize", src, os.path.join(d, "no", "out.png")],
                   "no", [os.path.join(d, "no")])
    expect_failure("an output folder that is a file", ["stylize", src, os.path.join(d, "text.png", "out.png")],
                   "not a folder", [])
    expect_failure("OUT is the input", ["stylize", src, src], "input", [])
    expect_failure("one argument", ["stylize", src], "IN OUT", [])
    if os.geteuid() != 0:  # root may write anywhere
        locked = os.path.join(d, "locked")
        os.mkdir(locked, 0o555)
        expect_failure("an unwritable output folder", ["stylize", src, os.path.join(locked, "out.png")],
                       "cannot write", [os.path.join(locked, "out.png")])
        os.chmod(locked, 0o755)
        os.rmdir(locked)
    else:
        t.check(True, "an unwritable output folder # SKIP running as root")
    # An existing output stays as it was when the run fails.
    keep = os.path.join(d, "keep.png")
    image("make", keep, 10, 10)
    with open(keep, "rb") as f:
        before = f.read()
    rc, _, err = run("stylize", os.path.join(d, "truncated.png"), keep)
    with open(keep, "rb") as f:
        t.check(rc != 0 and f.read() == before, "a failed run leaves an existing OUT untouched", err)
    t.check(listing(d) == sorted(["in.png", "keep.png"] + list(files)), "no file left behind", listing(d))


def test_batch(d):
    inputs = []
    for name, bits, ch in [("a.png", 8, 3), ("b.png", 16, 4), ("c.jpg", 8, 3), ("d.tif", 32, 3)]:
        inputs.append(os.path.join(d, name))
        image("make", inputs[-1], 40 + len(inputs) * 8, 32, bits, ch)
    outdir = os.path.join(d, "out")
    rc, _, err = run("stylize", "--style", "test-ink", *inputs, "-o", outdir)
    t.check(rc == 0 and listing(outdir) == ["a.png", "b.png", "c.jpg", "d.tif"], "several inputs into a new folder",
            err)
    t.check(rc == 0 and all(info(os.path.join(outdir, os.path.basename(i))) == info(i) for i in inputs),
            "each output keeps its input's size, depth and layout")
    webp = os.path.join(d, "webp")
    rc, _, err = run("stylize", *inputs, "-o", webp, "--format", "webp")
    t.check(rc == 0 and listing(webp) == ["a.webp", "b.webp", "c.webp", "d.webp"], "--format webp", err)
    # One bad input: nothing is written, the folder stays as it was.
    bad = os.path.join(d, "bad.png")
    with open(bad, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n broken")
    before = {n: os.stat(os.path.join(outdir, n)).st_mtime_ns for n in listing(outdir)}
    rc, _, err = run("stylize", "--style", "test-paint", inputs[0], inputs[1], bad, "-o", outdir)
    after = {n: os.stat(os.path.join(outdir, n)).st_mtime_ns for n in listing(outdir)}
    t.check(rc != 0 and one_error_line(err) and before == after, "a bad input changes nothing in the folder", err)
    fresh = os.path.join(d, "fresh")
    rc, _, err = run("stylize", inputs[0], bad, "-o", fresh)
    t.check(rc != 0 and not os.path.exists(fresh), "a folder made for a failed run is removed again", err)
    os.mkdir(os.path.join(d, "sub"))
    twin = os.path.join(d, "sub", "a.png")
    image("make", twin, 8, 8)
    rc, _, err = run("stylize", inputs[0], twin, "-o", os.path.join(d, "twins"))
    t.check(rc != 0 and one_error_line(err) and not os.path.exists(os.path.join(d, "twins")),
            "two inputs with one output name are refused", err)
    rc, _, err = run("stylize", "--format", "bmp", inputs[0], "-o", outdir)
    t.check(rc != 0 and one_error_line(err), "--format bmp is refused", err)


def test_frames(d):
    frames = []
    for i in range(3):
        frames.append(os.path.join(d, "frame%d.png" % i))
        image("make", frames[-1], 64 + 8 * i, 48)
    outdir = os.path.join(d, "out")
    rc, _, err = run("stylize", "--frames", "--style", "test-paint", *frames, "-o", outdir)
    t.check(rc == 0 and listing(outdir) == ["frame0.png", "frame1.png", "frame2.png"], "--frames on 3 inputs", err)
    t.check(rc == 0 and all(info(os.path.join(outdir, os.path.basename(f))) == info(f) for f in frames),
            "every frame keeps its size")
    s0 = os.path.join(d, "s0")
    rc, _, err = run("stylize", "--frames", "--strength", "0", *frames, "-o", s0)
    t.check(rc == 0 and all(diff(f, os.path.join(s0, os.path.basename(f))) <= ONE_STEP for f in frames),
            "--frames at strength 0 gives the inputs back", err)
    rc, _, err = run("stylize", "--frames", frames[0], os.path.join(d, "x.png"))
    t.check(rc != 0 and one_error_line(err), "--frames without -o is refused", err)


def test_info(d):
    rc, out, err = run("info", "--json")
    try:
        doc = json.loads(out)
        names = [s["name"] for s in doc["styles"]]
    except (ValueError, KeyError, TypeError) as e:
        doc, names = None, str(e)
    t.check(rc == 0 and doc is not None, "info --json is one JSON object", out + err)
    t.check(doc is not None and names[:3] == ["test-ink", "test-paint", "identity"], "info --json names the styles",
            names)
    t.check(doc is not None and doc["folders"][0] == os.environ["COMICGAN_MODEL_PATH"],
            "info --json lists the folders searched", doc and doc["folders"])
    rc, out, err = run("info")
    t.check(rc == 0 and "test-ink" in out and "Test paint" in out, "info lists the styles", out + err)
    rc, out, err = run("info", "--json", MODEL)
    try:
        m = json.loads(out)
    except ValueError:
        m = {}
    t.check(rc == 0 and m.get("parameters", 0) > 0 and m.get("attention_points") == ["cam"] and
            m.get("file_size") == os.path.getsize(MODEL) and m.get("architecture", {}).get("type") == "resnet" and
            isinstance(m.get("provenance"), dict) and m.get("widths") == [8, 16, 32],
            "info --json MODEL: parameters, attention points, size, architecture, provenance", out + err)
    rc, out, err = run("info", MODEL)
    t.check(rc == 0 and all(k in out for k in ["Parameters", "Receptive radius", "cam", "make-model", "test-ink"]),
            "info MODEL", out + err)
    rc, out, err = run("info", "--style", "test-paint")
    t.check(rc == 0 and MODEL in out, "info --style NAME describes its model", out + err)
    rc, out, err = run("info", "--style", "nope")
    t.check(rc != 0 and one_error_line(err) and "nope" in err, "info --style with an unknown style fails", err)
    rc, out, err = run("info", os.path.join(d, "missing.safetensors"))
    t.check(rc != 0 and one_error_line(err), "info on a missing file fails", err)
    # A broken model file is listed with its error, and does not hide the others.
    with open(os.path.join(d, "broken.safetensors"), "wb") as f:
        f.write(b"\x10\x00\x00\x00\x00\x00\x00\x00{not json at all")
    env = dict(os.environ, COMICGAN_MODEL_PATH=d + ":" + os.environ["COMICGAN_MODEL_PATH"])
    rc, out, err = run("info", "--json", env=env)
    try:
        doc = json.loads(out)
    except ValueError:
        doc = {"broken": [], "styles": []}
    t.check(rc == 0 and len(doc["broken"]) == 1 and doc["broken"][0]["path"].endswith("broken.safetensors") and
            doc["broken"][0]["error"] != "" and len(doc["styles"]) >= 3, "info --json lists broken files", out + err)


def test_attention(d):
    src = os.path.join(d, "in.png")
    image("make", src, 90, 70, 16, 4)
    out = os.path.join(d, "heat.png")
    rc, _, err = run("attention", src, out)
    t.check(rc == 0 and info(out)[:2] == (90, 70), "attention writes a PNG of the input's size", err)
    over = os.path.join(d, "over.png")
    rc, _, err = run("attention", "--model", MODEL, "--style", "test-paint", "--point", "cam", "--overlay",
                     "--opacity", "0.5", src, over)
    t.check(rc == 0 and info(over)[:2] == (90, 70) and diff(out, over) > 0.01, "attention --overlay", err)
    p0 = os.path.join(d, "p0.png")
    rc, _, err = run("attention", "--point", "0", src, p0)
    t.check(rc == 0 and diff(out, p0) == 0, "--point 0 is the first point", err)
    bad = os.path.join(d, "bad.png")
    expect_failure("an unknown attention point", ["attention", "--point", "self", src, bad], "self", [bad])
    expect_failure("--opacity 2", ["attention", "--opacity", "2", src, bad], "opacity", [bad])
    expect_failure("a heatmap not named .png", ["attention", src, os.path.join(d, "heat.jpg")], "png",
                   [os.path.join(d, "heat.jpg")])
    expect_failure("attention on a missing input", ["attention", os.path.join(d, "none.png"), bad], "none.png", [bad])
    att = os.path.join(d, "att.png")
    rc, _, err = run("stylize", "--attention", att, src, os.path.join(d, "styled.png"))
    t.check(rc == 0 and info(att)[:2] == (90, 70) and diff(att, out) == 0, "stylize --attention", err)
    att2 = os.path.join(d, "att2.png")
    rc, _, err = run("stylize", "--attention", att2, os.path.join(d, "none.png"), os.path.join(d, "s2.png"))
    t.check(rc != 0 and not os.path.exists(att2), "no attention map left when stylize fails", err)


def signal_stylize(src, out, sig):
    """Runs stylize with a terminal on stderr, sends sig once the progress bar
    shows that stylizing has begun, and returns (exit status, everything printed)."""
    master, slave = pty.openpty()
    p = subprocess.Popen([COMICGAN, "stylize", "--style", "test-ink", src, out], stdout=subprocess.DEVNULL,
                         stderr=slave)
    os.close(slave)
    seen = b""
    deadline = time.time() + 120
    while b"elapsed" not in seen and time.time() < deadline:
        try:
            seen += os.read(master, 4096)
        except OSError:
            break
    p.send_signal(sig)
    rc = p.wait(timeout=120)
    try:
        while True:
            chunk = os.read(master, 4096)
            if not chunk:
                break
            seen += chunk
    except OSError:
        pass
    os.close(master)
    return rc, seen.decode("utf-8", "replace")


def test_interrupt(d):
    src = os.path.join(d, "big.png")
    image("make", src, 3000, 3000)
    rc, text = signal_stylize(src, os.path.join(d, "out.png"), signal.SIGINT)
    t.check("elapsed" in text and "%" in text and "left" in text, "a progress bar on a terminal", text[-400:])
    t.check(rc != 0, "Ctrl-C makes stylize exit non-zero", "status %d" % rc)
    t.check("cancelled" in text, "Ctrl-C says it cancelled", text[-400:])
    t.check(listing(d) == ["big.png"], "Ctrl-C leaves no output", listing(d))
    # Not a terminal (a log, a pipe): plain progress lines, at the interval
    # COMICGAN_PROGRESS_SECONDS sets; a short run with the default prints none.
    env = dict(os.environ, COMICGAN_PROGRESS_SECONDS="0.05")
    out = os.path.join(d, "out.png")
    rc, _, err = run("stylize", "--style", "test-ink", src, out, env=env)
    lines = [l for l in err.splitlines() if l.startswith("comicgan: big.png: ") and "left" in l]
    t.check(rc == 0 and len(lines) >= 2 and "\r" not in err and "\033" not in err,
            "progress lines, no bar, when stderr is not a terminal", err[-400:])
    small = os.path.join(d, "small.png")
    image("make", small, 64, 48)
    rc, _, err = run("stylize", "--style", "test-ink", small, os.path.join(d, "small-out.png"))
    t.check(rc == 0 and err == "", "a short run prints nothing when stderr is not a terminal", err)


def test_signals(d):
    """SIGTERM and SIGHUP stop stylize like Ctrl-C, with the shell's status for
    the signal (128 + its number), and leave no file behind."""
    src = os.path.join(d, "big.png")
    image("make", src, 2000, 2000)
    for sig in [signal.SIGTERM, signal.SIGHUP]:
        rc, _ = signal_stylize(src, os.path.join(d, "out.png"), sig)
        t.check(rc == 128 + sig, "%s: stylize exits %d" % (sig.name, 128 + sig), "status %d" % rc)
        t.check(listing(d) == ["big.png"], "%s leaves no file" % sig.name, listing(d))


def test_bench(d):
    # --memory-side: the test measures a 256² image; 4096² takes minutes on a slow machine.
    rc, out, err = run("bench", "--quick", "--json", "--model", MODEL, "--memory", "--memory-side", "256")
    try:
        b = json.loads(out)
    except ValueError:
        b = None
    t.check(rc == 0 and b is not None, "bench --quick --json is one JSON object", out + err)
    if b is None:
        return
    t.check(b["engine"]["blas_corename"] != "" and b["engine"]["threads"] >= 1, "bench reports the engine", b["engine"])
    t.check(b["sgemm"]["gflops"] > 0, "bench reports the sgemm rate", b["sgemm"])
    sizes = [r["size"] for r in b["generator"]["inference"]]
    t.check(sizes == [256, 512] and all(r["ms"] > 0 and r["gflops"] > 0 for r in b["generator"]["inference"]),
            "bench --quick times 256 and 512", b["generator"]["inference"])
    t.check(b["peak_rss_mib"] > 0, "bench reports the peak memory")
    mem = b.get("stylize_memory", {})
    t.check(mem.get("size") == 256 and 0 < mem.get("rss_before_mib", 0) <= mem.get("peak_rss_mib", 0),
            "bench --memory measures a stylize in a fresh process", mem)
    r = b["generator"]["inference"]
    t.check(abs(r[1]["gflop"] / r[0]["gflop"] - 4) < 1e-6, "FLOPs grow with the pixels", r)
    # The benchmark generator: its parameter count and FLOPs are known.
    rc, out, err = run("bench", "--quick", "--json")
    try:
        b = json.loads(out)
        g = b["generator"]
    except (ValueError, KeyError):
        g = None
    t.check(rc == 0 and g is not None and g["parameters"] == 1377411, "the benchmark generator has 1,377,411 "
            "parameters", out + err)
    # c7s1-32, d64, d128, 8 x 3x3 128, two 3x3 upsampling convs, c7s1-3 at 256x256.
    t.check(g is not None and abs(g["inference"][0]["gflop"] - 16.936599552) < 1e-6,
            "its FLOPs at 256x256 are 16.94 G", g and g["inference"][0])
    # The flicker benchmark: one row per style, pan, zoom and still shots, each
    # alone, with shared statistics and locked to the pan.
    photo = os.path.join(d, "flicker.png")
    image("make", photo, 96, 72)
    rc, out, err = run("bench", "--flicker", "--side", "64", "--style", "test-ink", photo)
    rows = [line.split() for line in out.splitlines() if line.startswith("test-ink")]
    vals = [float(v) for v in rows[0][1:]] if len(rows) == 1 else []
    t.check(rc == 0 and len(vals) == 9 and all(finite(v) and v > 0 for v in vals),
            "bench --flicker prints 9 ratios for the style", out + err)
    if len(vals) == 9:
        pan_frames, pan_locked, still_frames, still_locked = vals[1], vals[2], vals[7], vals[8]
        t.check(pan_locked < 0.5 * pan_frames, "the motion lock cuts the pan's swimming (%.3f against %.3f)"
                % (pan_locked, pan_frames))
        t.check(still_locked == still_frames, "and leaves a still shot as it was")
    rc, _, err = run("bench", "--flicker")
    t.check(rc == 2 and one_error_line(err), "bench --flicker without photos is refused", err)
    # The scale benchmark: per photo the preview's level difference natively
    # and at the automatic scale, and at that scale its low-frequency Delta E.
    rc, out, err = run("bench", "--scale-consistency", "--side", "900", "--auto-side", "600", "--runs", "0",
                       "--style", "test-ink", photo)
    rows = [line.split() for line in out.splitlines() if line.startswith("test-ink")]
    vals = [float(v) for v in rows[0][2:]] if len(rows) == 1 else []
    t.check(rc == 0 and len(vals) == 3 and all(finite(v) and v >= 0 for v in vals) and "auto dE" in out,
            "bench --scale-consistency prints the levels natively and automatically and the automatic Delta E",
            out + err)
    missing = os.path.join(d, "no-such-photo.png")
    for bench in ("--flicker", "--scale-consistency"):
        rc, out, err = run("bench", bench, "--style", "test-ink", photo, missing)
        t.check(rc == 1 and one_error_line(err) and err.count(missing) == 1 and out == "",
                "bench %s names a missing photo once and measures nothing" % bench, out + err)


FIGURES = ["hue_shift", "delta_e", "flat_gained", "flat_noise", "edge_corr", "mean_chroma", "temporal_ratio"]


def finite(v):
    return isinstance(v, (int, float)) and v == v and abs(v) != float("inf")


def eval_json(*args):
    """Runs comicgan eval --json; returns (exit status, parsed JSON or {}, stderr)."""
    rc, out, err = run("eval", "--json", *args)
    try:
        return rc, json.loads(out) if rc == 0 else {}, err
    except ValueError:
        return rc, {}, err + out


def test_eval(d):
    rc, out, err = run("eval", "--help")
    t.check(rc == 0 and all(o in out for o in ["--filter", "--outputs", "--no-temporal", "--temporal-images"]),
            "eval --help lists the baseline and temporal options", out + err)
    photos = os.path.join(d, "photos")
    os.mkdir(photos)
    for i in range(2):
        image("make", os.path.join(photos, "p%d.png" % i), 64 + 16 * i, 48)
    rc, r, err = eval_json(MODEL, photos, "--size", "32", "--temporal-images", "1")
    rows = {s["style"]: s for s in r.get("styles", [])}
    t.check(rc == 0 and set(rows) == {"test-ink", "test-paint", "identity"}, "eval MODEL FOLDER --json", err)
    for name, s in rows.items():
        t.check(all(k in s for k in FIGURES) and s["kind"] == "style", "%s has every figure" % name, s)
        t.check(all(finite(s[k]) for k in ["hue_shift", "delta_e", "flat_gained", "edge_corr", "mean_chroma",
                                            "temporal_ratio"]), "%s's figures are numbers" % name, s)
    ident = rows.get("identity", {})
    t.check(ident.get("hue_shift") == 0 and ident.get("delta_e") == 0 and ident.get("temporal_ratio") == 1,
            "the identity style keeps hue and colour, and changes on a pan exactly as its input", ident)
    rc, out, err = run("eval", MODEL, photos, "--size", "32", "--no-temporal")
    header = out.splitlines()[0].split() if rc == 0 and out else []
    t.check(all(c in header for c in ["hue", "dE", "flat+", "noise", "edges", "chroma", "temporal"]),
            "the table has the figures' columns", out + err)
    t.check(rc == 0 and all(line.split()[-2] == "-" for line in out.splitlines()[1:]),
            "--no-temporal leaves the temporal column empty", out)

    # Baselines without a model: a teacher, and another program's outputs (here the photos themselves).
    outs = os.path.join(d, "copies")
    os.mkdir(outs)
    for f in listing(photos):
        shutil.copy(os.path.join(photos, f), os.path.join(outs, f))
    rc, r, err = eval_json("--filter", "cel", "--outputs", outs, photos, "--size", "32", "--temporal-images", "1")
    rows = {s["style"]: s for s in r.get("styles", [])}
    t.check(rc == 0 and r.get("model") is None and list(rows) == ["filter:cel", "outputs:copies"],
            "eval --filter cel --outputs DIR FOLDER scores both without a model", err + str(r))
    cel, copies = rows.get("filter:cel", {}), rows.get("outputs:copies", {})
    t.check(cel.get("kind") == "filter" and all(finite(cel.get(k)) for k in ["hue_shift", "delta_e", "flat_gained",
                                                                             "edge_corr", "temporal_ratio"]),
            "the cel teacher gets the figures, the temporal ratio too", cel)
    t.check(copies.get("kind") == "outputs" and copies.get("delta_e") == 0 and copies.get("edge_corr") == 1 and
            copies.get("temporal_ratio") is None, "outputs equal to the photos: no change, no temporal figure",
            copies)

    rc, _, err = run("eval", photos)
    t.check(rc != 0 and one_error_line(err), "eval FOLDER alone (no model, no baseline) is refused", err)
    rc, _, err = run("eval", "--filter", "sepia", photos)
    t.check(rc != 0 and one_error_line(err) and "sepia" in err, "an unknown --filter is refused", err)
    empty = os.path.join(d, "empty")
    os.mkdir(empty)
    rc, _, err = run("eval", "--outputs", empty, photos)
    t.check(rc != 0 and one_error_line(err) and "no output for p0.png" in err, "a missing output is named", err)
    rc, _, err = run("eval", MODEL, photos, "--temporal-images", "0")
    t.check(rc != 0 and one_error_line(err), "--temporal-images 0 is refused", err)


def test_shipped(d):
    """Every shipped model: small, documented by its card, and each style does
    what its card promises on a sample photo it never trained on."""
    models = os.environ.get("SHIPPED_MODELS", "").split()
    sample = os.environ["SAMPLE_PHOTO"]
    t.check(len(models) >= 4, "at least four models ship", models)
    for path in models:
        name = os.path.basename(path).rsplit(".", 1)[0]
        t.check(os.path.getsize(path) <= 10 * 1024 * 1024, "%s is at most 10 MB" % name, os.path.getsize(path))
        rc, out, err = run("info", "--json", path)
        info = json.loads(out) if rc == 0 else {}
        prov = info.get("provenance", {})
        t.check(prov.get("steps", 0) > 0 and len(prov.get("dataset_manifest", "")) == 64,
                "%s says how it was trained" % name, out + err)
        t.check("recipe" in prov and "=/" not in prov["recipe"],
                "%s names no folder of the training machine" % name, prov.get("recipe"))
        card_path = os.path.join(os.path.dirname(path), name + ".md")
        card = open(card_path).read() if os.path.exists(card_path) else ""
        for need in ["train-style.sh " + name, prov.get("dataset_manifest", "?")[:16], "cards/%s-loss.png" % name,
                     "cards/%s-contact.jpg" % name, "1024"]:
            t.check(need in card, "%s's card has %s" % (name, need))
        # A reference model takes the other sample photo as its reference.
        samples_dir = os.path.dirname(sample)
        other = next(os.path.join(samples_dir, f) for f in sorted(os.listdir(samples_dir))
                     if f.endswith(".jpg") and f != os.path.basename(sample))
        style_args = (lambda s: ["--reference", other]) if info.get("takes_reference") else (lambda s: ["-s", s])
        for style in info.get("styles", []):
            s = style["name"]
            if s == "identity":
                continue
            whole, tiled = os.path.join(d, s + ".png"), os.path.join(d, s + "-tiled.png")
            rc1, _, err1 = run("stylize", "-m", path, *style_args(s), sample, whole)
            rc2, _, err2 = run("stylize", "-m", path, *style_args(s), "--tile", "160", sample, tiled)
            if not t.check(rc1 == 0 and rc2 == 0, "%s/%s stylizes the sample" % (name, s), err1 + err2):
                continue
            worst = float(diff(whole, tiled))
            # 8-bit files: one level of rounding is the most a tile boundary may change.
            t.check(worst <= 1 / 255 + 1e-5, "%s/%s: tiles leave no seams (%.5f)" % (name, s, worst))
            change, chroma, dark = (float(v) for v in image("stats", sample, whole).split())
            # A style that keeps the photo's colours changes it less than one that repaints
            # them: on this sample the cel teacher itself changes it by 0.028 and guided
            # smoothing alone by 0.008, so a style must do clearly more than smoothing.
            t.check(change > 0.012, "%s/%s changes the photo (mean difference %.4f)" % (name, s, change))
            if "manga" in s:
                t.check(chroma < 0.03, "%s/%s is black and white (mean chroma %.4f)" % (name, s, chroma))
                t.check(dark > 0.005, "%s/%s draws dark ink (%.1f%% dark)" % (name, s, 100 * dark))
        if info.get("takes_reference"):
            # The fidelity matrix on the samples, each the other's reference too.
            rc, r, err = eval_json(path, samples_dir, "--references", samples_dir, "--size", "96")
            if t.check(rc == 0, "%s: eval --references --json on the samples" % name, err):
                t.check(finite(r.get("edge_corr")) and r["edge_corr"] >= 0.5,
                        "%s keeps the photo's edges (edge correlation %s)" % (name, r.get("edge_corr")))
                t.check(r.get("own_nearest") == r.get("cells"),
                        "%s: each output is nearest its own reference (%s of %s)" %
                        (name, r.get("own_nearest"), r.get("cells")))
            continue
        # The style-quality figures of every style on the two sample photos.
        rc, r, err = eval_json(path, samples_dir, "--size", "96", "--temporal-images", "1")
        for s in r.get("styles", []) if t.check(rc == 0, "%s: eval --json on the samples" % name, err) else []:
            t.check(all(finite(s.get(k)) for k in FIGURES), "%s/%s: every figure is a number" % (name, s["style"]),
                    s)
            if "manga" in s["style"]:
                t.check(s["mean_chroma"] < 1, "%s/%s: mean Lab chroma %.2f (black and white)" %
                        (name, s["style"], s["mean_chroma"]))
            elif s["style"] != "identity":
                # The colour styles keep the photo's hues: their teachers shift them by
                # under 8 degrees; models that repainted them shifted these samples by 37.
                t.check(s["hue_shift"] < 15, "%s/%s keeps the photo's hues (hue shift %.1f degrees)" %
                        (name, s["style"], s["hue_shift"]))


def run_limited(*args, env=None, timeout=20):
    """run() that reports a hang as exit status None instead of raising."""
    try:
        return run(*args, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as e:
        return None, "", "timed out after %ds: %s" % (timeout, e)


def test_reliability(d):
    # A FIFO where a model or an image is expected: refused at once, by name.
    models = os.path.join(d, "models")
    os.mkdir(models)
    shutil.copy(MODEL, models)
    fifo = os.path.join(models, "zz-fifo.safetensors")
    os.mkfifo(fifo)
    env = dict(os.environ, COMICGAN_MODEL_PATH=models)
    rc, out, err = run_limited("info", env=env)
    t.check(rc == 0 and "zz-fifo.safetensors" in out + err and "regular file" in out + err,
            "info with a FIFO in the model folder returns and names it", out + err)
    rc, out, err = run_limited("info", fifo, env=env)
    t.check(rc is not None and rc != 0 and one_error_line(err) and "zz-fifo.safetensors" in err,
            "info FIFO fails at once", err)
    src = os.path.join(d, "in.png")
    image("make", src, 40, 30)
    rc, out, err = run_limited("stylize", "--style", "test-ink", src, os.path.join(d, "out.png"), env=env)
    t.check(rc == 0, "stylize through a catalog holding a FIFO", err)
    img_fifo = os.path.join(d, "fifo.png")
    os.mkfifo(img_fifo)
    rc, out, err = run_limited("stylize", img_fifo, os.path.join(d, "out2.png"), env=env)
    t.check(rc is not None and rc != 0 and one_error_line(err) and "fifo.png" in err and "regular file" in err,
            "stylize with a FIFO as input fails at once", err)
    # Weights that overflow: an error naming the layer, no output file.
    with open(MODEL, "rb") as f:
        raw = f.read()
    hlen = struct.unpack("<Q", raw[:8])[0]
    data_len = len(raw) - 8 - hlen
    huge = os.path.join(d, "huge.safetensors")
    with open(huge, "wb") as f:
        f.write(raw[:8 + hlen] + struct.pack("<f", 3e38) * (data_len // 4))
    out = os.path.join(d, "overflow.png")
    rc, _, err = run_limited("stylize", "--model", huge, src, out, timeout=120)
    t.check(rc == 1 and one_error_line(err) and "layer" in err and "finite" in err and not os.path.exists(out),
            "weights that overflow: an error naming the layer and no output", "status %s: %s" % (rc, err))
    # Temporaries of the image writer left by a kill -9 go on the next write of
    # that file; only its exact pattern, and never one a live writer holds.
    import fcntl
    stale = os.path.join(d, "stale")
    os.mkdir(stale)
    names = [".out.png.Ab12Cd", ".out.png.Zz99Yy", ".out.png.keep12x", ".out.png.ab-12c", ".other.png.Ab12Cd",
             "out.png.Ab12Cd"]
    for n in names:
        open(os.path.join(stale, n), "w").close()
    held = open(os.path.join(stale, ".out.png.Zz99Yy"), "r")
    fcntl.flock(held, fcntl.LOCK_EX)
    rc, _, err = run_limited("stylize", "--style", "test-ink", src, os.path.join(stale, "out.png"), env=env)
    held.close()
    t.check(rc == 0 and listing(stale) == sorted(["out.png"] + names[1:]),
            "stylize removes stale temporaries of its output, and only those", "%s %s" % (listing(stale), err))
    # A tile below twice the network's margin is raised to it, with a note.
    small = os.path.join(d, "small-tile.png")
    rc, _, err = run_limited("stylize", "--style", "test-ink", "--tile", "8", src, small, env=env, timeout=120)
    whole = os.path.join(d, "whole.png")
    rc2, _, err2 = run_limited("stylize", "--style", "test-ink", src, whole, env=env)
    t.check(rc == 0 and "tile" in err and "raised" in err and len(err.strip().splitlines()) == 1,
            "--tile 8 is raised to twice the margin, with a note", err)
    t.check(rc == 0 and rc2 == 0 and diff(small, whole) <= ONE_STEP, "the raised tile gives the untiled result",
            err + err2)
    # A multi-page TIFF: the first page is used, and the command says so.
    multi = os.path.join(d, "pages.tif")
    image("animated", multi, 40, 30, 2)
    out = os.path.join(d, "first-pages.tif")
    rc, _, err = run_limited("stylize", "--style", "test-ink", multi, out, env=env, timeout=120)
    t.check(rc == 0 and os.path.exists(out) and "pages.tif" in err and "2 frames" in err and "first" in err,
            "pages.tif: the first of 2 pages is stylized, with a warning", "status %s: %s" % (rc, err))
    # An animated WebP is stylized whole.
    anim = os.path.join(d, "anim.webp")
    image("animated", anim, 40, 30, 2)
    out = os.path.join(d, "all-anim.webp")
    rc, _, err = run_limited("stylize", "--style", "test-ink", anim, out, env=env, timeout=120)
    t.check(rc == 0 and err == "" and image("frames", out).split()[0] == "2", "anim.webp: every frame is stylized",
            "status %s: %s" % (rc, err))
    conf_fifo = os.path.join(d, "run.ini")
    os.mkfifo(conf_fifo)
    rc, out, err = run_limited("train", "--check", conf_fifo, env=env)
    t.check(rc is not None and rc != 0 and one_error_line(err) and "run.ini" in err and "regular file" in err,
            "train with a FIFO as config fails at once", err)


def test_animation(d):
    """Animated GIF and WebP in and out: frames, times and loop count kept, the
    frames stylized as --frames stylizes them, broken files refused."""
    manga = [m for m in os.environ.get("SHIPPED_MODELS", "").split() if os.path.basename(m) == "manga.safetensors"]
    style = ["-m", manga[0], "-s", "manga"] if manga else ["-s", "test-ink"]
    gif, webp = os.path.join(d, "in.gif"), os.path.join(d, "in.webp")
    image("animated", gif, 64, 48, 3)
    image("animated", webp, 64, 48, 3)
    # A black-and-white style has at most 256 grays, so a GIF palette holds a frame exactly.
    for src, name, extra, exact in [(gif, "out.webp", ["--lossless"], True), (webp, "out.gif", [], bool(manga))]:
        out = os.path.join(d, name)
        what = "%s -> %s" % (os.path.basename(src), name)
        rc, _, err = run("stylize", *style, *extra, src, out)
        if not t.check(rc == 0 and err == "", "%s with %s" % (what, " ".join(style)), err):
            continue
        t.check(image("frames", out) == "3 3 80 120 160", "%s keeps 3 frames, their times and the loop count" % what,
                image("frames", out))
        frames, mine = os.path.join(d, "frames-" + name), os.path.join(d, "mine-" + name)
        os.mkdir(frames)
        os.mkdir(mine)
        for i in range(3):
            image("frame", src, i, os.path.join(frames, "f%d.png" % i))
            image("frame", out, i, os.path.join(mine, "f%d.png" % i))
        ref = os.path.join(d, "ref-" + name)
        rc, _, err = run("stylize", *style, "--frames", *[os.path.join(frames, "f%d.png" % i) for i in range(3)],
                         "-o", ref)
        worst = max(diff(os.path.join(ref, "f%d.png" % i), os.path.join(mine, "f%d.png" % i)) for i in range(3)) \
            if rc == 0 else 1
        t.check(worst <= (ONE_STEP if exact else 0.1), "%s: the frames are what --frames gives (%.4f)" % (what, worst),
                err)
    # With a still output type: refused in IN OUT, numbered frames with -o.
    out = os.path.join(d, "out.png")
    rc, _, err = run("stylize", *style, gif, out)
    t.check(rc == 2 and one_error_line(err) and ".gif or .webp" in err and "-o FOLDER" in err and
            not os.path.exists(out), "an animation into a PNG is refused, saying what to do", err)
    folder = os.path.join(d, "numbered")
    rc, _, err = run("stylize", *style, gif, "-o", folder, "--format", "png")
    t.check(rc == 0 and listing(folder) == ["in-0001.png", "in-0002.png", "in-0003.png"],
            "-o FOLDER --format png writes one numbered file per frame", err)
    # Progress lines name the animation and its frames.
    env = dict(os.environ, COMICGAN_PROGRESS_SECONDS="0.0001")
    rc, _, err = run("stylize", *style, gif, os.path.join(d, "progress.webp"), env=env)
    t.check(rc == 0 and "comicgan: in.gif: 3 frames: " in err and "100%" in err, "progress lines for an animation",
            err)
    # Ctrl-C while the frames are stylized: no output, no temporary file.
    big = os.path.join(d, "big.gif")
    image("animated", big, 1000, 800, 6)
    before = listing(d)
    rc, text = signal_stylize(big, os.path.join(d, "big-out.webp"), signal.SIGINT)
    t.check(rc == 130 and "cancelled" in text and listing(d) == before, "Ctrl-C on an animation leaves no output",
            "status %d, %s, %s" % (rc, text[-300:], listing(d)))
    os.unlink(big)
    # Broken animations: one error line, exit 1, no file left behind.
    before = listing(d)
    for src in [gif, webp]:
        with open(src, "rb") as f:
            data = f.read()
        for cut, kind in [(len(data) // 2, "truncated"), (len(data) - 1, "truncated")]:
            bad = os.path.join(d, "bad" + os.path.splitext(src)[1])
            with open(bad, "wb") as f:
                f.write(data[:cut])
            for out in [os.path.join(d, "bad-out.gif"), os.path.join(d, "bad-out.webp")]:
                rc, _, err = run("stylize", *style, bad, out)
                t.check(rc == 1 and one_error_line(err) and "bad" in err and kind in err and
                        listing(d) == sorted(before + [os.path.basename(bad)]),
                        "%s cut to %d bytes -> %s: refused, nothing written" % (os.path.basename(src), cut,
                                                                               os.path.basename(out)), err)
            os.unlink(bad)


def float_tiff_bytes(width, height, value):
    """An uncompressed one-channel float TIFF of width x height, every sample value."""
    data = struct.pack("<f", value) * (width * height)
    entries = [(256, 3, width), (257, 3, height), (258, 3, 32), (259, 3, 1), (262, 3, 1), (273, 4, 8),
               (277, 3, 1), (278, 3, height), (279, 4, len(data)), (339, 3, 3)]
    ifd = struct.pack("<H", len(entries))
    for tag, kind, v in entries:
        ifd += struct.pack("<HHI", tag, kind, 1) + (struct.pack("<HH", v, 0) if kind == 3 else struct.pack("<I", v))
    return b"II*\0" + struct.pack("<I", 8 + len(data)) + data + ifd + struct.pack("<I", 0)


def test_reference(d):
    """Styles from a reference picture: --reference, style-code and --style-code
    with a reference model of seeded random weights (tests/support/make-model)."""
    ref_model, other_model = os.path.join(d, "ref.safetensors"), os.path.join(d, "other.safetensors")
    subprocess.run([os.environ["MAKE_MODEL"], "--reference", ref_model, "7"], check=True)
    subprocess.run([os.environ["MAKE_MODEL"], "--reference", other_model, "8"], check=True)
    src, src2 = os.path.join(d, "in.png"), os.path.join(d, "in2.png")
    image("make", src, 96, 80)
    image("make", src2, 60, 50)
    ref_a, ref_b = os.path.join(d, "ref-a.png"), os.path.join(d, "ref-b.png")
    image("make", ref_a, 64, 48)
    image("make", ref_b, 50, 70, 8, 1)
    use = ["stylize", "--model", ref_model]
    out_a, out_a2, out_b = (os.path.join(d, n) for n in ["a.png", "a2.png", "b.png"])
    rc, _, err = run(*use, "--reference", ref_a, src, out_a)
    t.check(rc == 0 and info(out_a) == (96, 80, 3, 8) and diff(src, out_a) > 0.05,
            "--reference stylizes in the reference's style", err)
    rc, _, err = run(*use, "--reference", ref_a, src, out_a2)
    t.check(rc == 0 and diff(out_a, out_a2) == 0, "the same reference twice gives the same output", err)
    rc, _, err = run(*use, "--reference", ref_b, src, out_b)
    t.check(rc == 0 and diff(out_a, out_b) > 4 * ONE_STEP, "two references give different outputs",
            err + ("difference %s" % (diff(out_a, out_b) if rc == 0 else "-")))
    zero = os.path.join(d, "zero.png")
    rc, _, err = run(*use, "--reference", ref_a, "--strength", "0", src, zero)
    t.check(rc == 0 and diff(src, zero) <= ONE_STEP, "--reference at strength 0 gives the input back", err)
    kept = os.path.join(d, "kept.png")
    rc, _, err = run(*use, "--reference", ref_a, "--keep-colors", src, kept)
    t.check(rc == 0 and diff(out_a, kept) > ONE_STEP, "--keep-colors changes the reference's colours", err)
    rc, help_text, err = run("stylize", "--help")
    t.check(rc == 0 and all(k in help_text for k in ["--reference", "--style-code", "--keep-colors", "reference"]),
            "stylize --help describes --reference, --style-code and the colours", help_text)
    # Several inputs: one code for all, the same results as one at a time.
    folder = os.path.join(d, "batch")
    rc, _, err = run(*use, "--reference", ref_a, src, src2, "-o", folder)
    t.check(rc == 0 and listing(folder) == ["in.png", "in2.png"] and diff(out_a, os.path.join(folder, "in.png")) == 0,
            "--reference with several inputs and -o FOLDER", err)
    # The catalog's reference style, when no model is named.
    models = os.path.join(d, "models")
    os.mkdir(models)
    shutil.copy(MODEL, models)
    shutil.copy(ref_model, models)
    env = dict(os.environ, COMICGAN_MODEL_PATH=models)
    by_catalog = os.path.join(d, "catalog.png")
    rc, _, err = run("stylize", "--reference", ref_a, src, by_catalog, env=env)
    t.check(rc == 0 and diff(out_a, by_catalog) == 0, "--reference finds the catalog's reference model", err)
    rc, _, err = run("stylize", "--style", "test-reference", "--reference", ref_a, src, by_catalog, env=env)
    t.check(rc == 0 and diff(out_a, by_catalog) == 0, "--style NAME picks a reference model by its style", err)
    # The default style is the first one that needs no picture, though ref sorts before test.
    plain, default = os.path.join(d, "ink.png"), os.path.join(d, "default.png")
    run("stylize", "--model", MODEL, "--style", "test-ink", src, plain)
    rc, _, err = run("stylize", src, default, env=env)
    t.check(rc == 0 and diff(plain, default) == 0, "without a style the default is not the reference style", err)

    # style-code, then --style-code: the same pixels as --reference.
    code = os.path.join(d, "code.json")
    rc, _, err = run("style-code", "-m", ref_model, ref_a, "-o", code)
    saved = {}
    if rc == 0:
        with open(code) as f:
            saved = json.load(f)
    values = saved.get("code", [])
    t.check(rc == 0 and saved.get("length") == 11 and len(values) == 11 and values[-1] == 1 and
            re.match(r"^[0-9a-f]{64}$", saved.get("model", "")) is not None,
            "style-code writes the model's identity, the length and the values", err + str(saved))
    by_code = os.path.join(d, "code.png")
    rc, _, err = run(*use, "--style-code", code, src, by_code)
    t.check(rc == 0 and diff(out_a, by_code) == 0, "--style-code gives the same output as --reference", err)
    rc, _, err = run("style-code", "-m", ref_model, ref_b, "-o", os.path.join(d, "code-b.json"))
    other = {}
    if rc == 0:
        with open(os.path.join(d, "code-b.json")) as f:
            other = json.load(f)
    t.check(rc == 0 and other.get("code") not in [None, values], "another reference gives another code", err)

    # The fidelity matrix: every photo in every reference's style.
    photos, refs = os.path.join(d, "fid-photos"), os.path.join(d, "fid-refs")
    os.mkdir(photos)
    os.mkdir(refs)
    shutil.copy(src, photos)
    shutil.copy(src2, photos)
    shutil.copy(ref_a, refs)
    shutil.copy(ref_b, refs)
    image("make", os.path.join(refs, "ref-c.png"), 40, 40, 16, 3)
    fid_json = os.path.join(d, "fidelity.json")
    rc, out_text, err = run("eval", ref_model, photos, "--references", refs, "--size", "48", "-o", fid_json)
    fid = {}
    if rc == 0:
        with open(fid_json) as f:
            fid = json.load(f)
    dist = fid.get("distance", [])
    shaped = len(dist) == 2 and all(len(row) == 3 and all(len(cell) == 3 for cell in row) for row in dist)
    counted = shaped and fid.get("own_nearest") == sum(
        all(cell[c] < cell[k] for k in range(3) if k != c) for row in dist for c, cell in enumerate(row))
    t.check(rc == 0 and shaped and counted and fid.get("cells") == 6 and
            fid.get("reference_names") == ["ref-a.png", "ref-b.png", "ref-c.png"] and
            all(v >= 0 for row in dist for cell in row for v in cell) and 0 < fid.get("encode_ms", 0) < 10000 and
            "Own reference nearest:" in out_text and "Edge correlation" in out_text,
            "eval --references prints the fidelity matrix and writes it as JSON", err + out_text[-400:])
    rc, out_text, err = run("eval", ref_model, photos, "--references", refs, "--size", "48", "--max-references", "2",
                            "--json")
    small = json.loads(out_text) if rc == 0 else {}
    t.check(rc == 0 and small.get("cells") == 4 and len(small.get("photo_distance", [[]])[0]) == 2,
            "eval --max-references keeps the first references", err)

    # Under --keep-colors the colours are the photo's, so the distance looks at
    # luma alone: a reference and its gray copy are then one picture to it.
    gray_refs = os.path.join(d, "fid-gray-refs")
    os.mkdir(gray_refs)
    shutil.copy(ref_a, gray_refs)
    image("gray", ref_a, os.path.join(gray_refs, "ref-a-gray.png"))
    shutil.copy(ref_b, gray_refs)
    near = {}
    for mode in [[], ["--keep-colors"]]:
        rc, out_text, err = run("eval", ref_model, photos, "--references", gray_refs, "--size", "48", "--json", *mode)
        result = json.loads(out_text) if rc == 0 else {}
        cells = [cell for row in result["distance"] for cell in row] if result.get("keep_colors") == bool(mode) else []
        # how far apart each output finds ref-a and its gray copy, against its spread over the references
        near[bool(mode)] = max((abs(c[0] - c[1]) / (max(c) - min(c) + 1e-12) for c in cells), default=None)
    t.check(near[True] is not None and near[True] < 0.02 and near[False] is not None and near[False] > 0.05,
            "eval --references --keep-colors compares luma alone (a reference and its gray copy coincide)",
            "colour %s, luma %s" % (near[False], near[True]))

    # bench times a reference model with an encoded code, and the encoding.
    rc, out_text, err = run("bench", "--quick", "--json", "-m", ref_model, "--baseline", MODEL)
    bench = json.loads(out_text) if rc == 0 else {}
    gen = bench.get("generator", {})
    rows = gen.get("inference", [])
    t.check(rc == 0 and 0 < gen.get("encode_reference_ms", 0) < 60000 and len(rows) == 2 and
            all(r.get("baseline_ms", 0) > 0 and
                abs(r.get("ratio_to_baseline", 0) - r["ms"] / r["baseline_ms"]) < 1e-6 for r in rows),
            "bench -m REFERENCE-MODEL --baseline times the encoding and both models", err + out_text[-300:])

    # Refusals: one line, nothing written, no temporary left.
    out = os.path.join(d, "out.png")
    before = listing(d)

    def refused(what, args, keyword, env=None):
        rc, _, err = run(*args, env=env)
        now = listing(d)
        t.check(rc != 0 and one_error_line(err) and keyword.lower() in err.lower() and now == before,
                what, "status %d, stderr: %s, new files: %s" % (rc, err, sorted(set(now) - set(before))))

    refused("a reference model without --reference", [*use, src, out], "--reference")
    refused("a reference model by style name without --reference", ["stylize", "--style", "test-reference", src, out],
            "--reference", env=env)
    refused("--reference with an ordinary model", ["stylize", "--model", MODEL, "--reference", ref_a, src, out],
            "not a reference model")
    refused("--style-code with an ordinary model", ["stylize", "--model", MODEL, "--style-code", code, src, out],
            "not a reference model")
    # Without --model, --reference takes the first reference model the catalog
    # finds (a shipped one, once installed or in the source tree), else it is refused.
    rc, listing_json, _ = run("info", "--json")
    found = rc == 0 and any(s["mode"] == "reference" for s in json.loads(listing_json)["styles"])
    if found:
        rc, _, err = run("stylize", "--reference", ref_a, src, out)
        t.check(rc == 0 and os.path.exists(out), "--reference without --model takes the reference model found", err)
        if os.path.exists(out):
            os.remove(out)
    else:
        refused("--reference with no reference model found", ["stylize", "--reference", ref_a, src, out],
                "no reference model")
    refused("style-code with an ordinary model", ["style-code", "-m", MODEL, ref_a, "-o", out], "not a reference")
    refused("eval of a reference model without --references", ["eval", ref_model, photos], "--references")
    refused("eval --references with an ordinary model", ["eval", MODEL, photos, "--references", refs], "not a reference")
    one_ref = os.path.join(d, "fid-one")
    os.mkdir(one_ref)
    shutil.copy(ref_a, one_ref)
    before = listing(d)
    refused("eval --references with one reference", ["eval", ref_model, photos, "--references", one_ref],
            "at least 2")
    refused("bench --baseline with a reference model", ["bench", "--quick", "--baseline", ref_model],
            "fixed styles")
    refused("eval --references without a model", ["eval", photos, "--references", refs], "reference model")
    refused("--reference and --style-code together", [*use, "--reference", ref_a, "--style-code", code, src, out],
            "not both")
    refused("--style-code of another model", ["stylize", "--model", other_model, "--style-code", code, src, out],
            "another model")
    fake = dict(saved, length=3, code=values[:2] + [1])
    codes = {"short.json": json.dumps(fake), "garbage.json": "{not json", "list.json": "[1, 2]",
             "far.json": json.dumps(dict(saved, code=values[:-2] + [1e9, 1]))}
    for name, text in codes.items():
        with open(os.path.join(d, name), "w") as f:
            f.write(text)
    before = listing(d)
    refused("--style-code with a code of another length", [*use, "--style-code", os.path.join(d, "short.json"), src,
                                                          out], "another model")
    refused("--style-code with a file that is not JSON", [*use, "--style-code", os.path.join(d, "garbage.json"), src,
                                                          out], "not a style code")
    refused("--style-code with JSON that is not a code", [*use, "--style-code", os.path.join(d, "list.json"), src,
                                                          out], "not a style code")
    refused("--style-code with a value no encoder makes", [*use, "--style-code", os.path.join(d, "far.json"), src,
                                                           out], "not a code of this model")
    refused("--style-code with a missing file", [*use, "--style-code", os.path.join(d, "missing.json"), src, out],
            "missing.json")

    with open(ref_a, "rb") as f:
        good = f.read()
    bad_refs = {"corrupt.png": (good[:len(good) // 2], "truncated"), "tiny.png": (None, "sides must be"),
                "nan.tif": (float_tiff_bytes(24, 24, float("nan")), "NaN"),
                "huge.png": (png_bytes(100000, 100000), "100000"), "long.png": (None, "sides must be"),
                "fifo.png": (None, "fifo")}
    for name, (data, _) in bad_refs.items():
        path = os.path.join(d, name)
        if name == "tiny.png":
            image("make", path, 1, 1)
        elif name == "long.png":
            image("make", path, 16385, 16)
        elif name == "fifo.png":
            os.mkfifo(path)
        else:
            with open(path, "wb") as f:
                f.write(data)
    before = listing(d)
    new_folder = os.path.join(d, "never")
    for name, (_, keyword) in bad_refs.items():
        path = os.path.join(d, name)
        refused("a bad reference (%s) -> stylize" % name, [*use, "--reference", path, src, out], keyword)
        refused("a bad reference (%s) -> stylize -o FOLDER" % name, [*use, "--reference", path, src, src2, "-o",
                                                                     new_folder], keyword)
        refused("a bad reference (%s) -> style-code" % name,
                ["style-code", "-m", ref_model, path, "-o", os.path.join(d, "bad.json")], keyword)
    # An existing code file stays as it was when encoding fails.
    with open(code, "rb") as f:
        old = f.read()
    rc, _, err = run("style-code", "-m", ref_model, os.path.join(d, "tiny.png"), "-o", code)
    with open(code, "rb") as f:
        t.check(rc != 0 and f.read() == old, "a failed style-code keeps the old code file", err)


GROUPS = {
    "animation": test_animation,
    "reliability": test_reliability, "signals": test_signals,
    "help": test_help, "stylize": test_stylize, "formats": test_formats, "errors": test_errors,
    "batch": test_batch, "frames": test_frames, "info": test_info, "attention": test_attention,
    "interrupt": test_interrupt, "bench": test_bench, "eval": test_eval, "shipped": test_shipped,
    "reference": test_reference,
}

if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in GROUPS:
        sys.exit("usage: test-cli.py " + "|".join(GROUPS))
    with tempfile.TemporaryDirectory(prefix="comicgan-cli-") as folder:
        GROUPS[sys.argv[1]](folder)
    sys.exit(t.done())
