"""The comicgan plug-in inside the real Krita, run by test-krita.sh:

    kritarunner -s krita_e2e -f main

It opens documents with layers, runs the plug-in's own code (its dialog and
its Run, which talks to comicgan-bridge) and checks the new layers' pixels
against files made beforehand by the comicgan command (or its stand-in), read
into Krita's pixel layout. Results are written as TAP to $KRITA_E2E_TAP,
because kritarunner's own output is noisy.

Inputs in $KRITA_E2E_DIR: in8.raw / in16.raw (the input, W x H, U8 / U16),
out8.raw / out16.raw (the comicgan command's output for them, style
test-ink, strength 0.8), frames1.raw / frames2.raw (its --frames output for
in8 and in8b), in8b.raw and in8c.raw (a second and third input), anim1.raw …
anim3.raw (its --frames output for in8, in8b and in8c); with the command,
ref8.png, refout8.raw / refout16.raw and refkeep8.raw (its --reference output
with the reference model in $KRITA_REFERENCE_MODELS: see prepare-inputs.sh).
"""

import json
import os
import subprocess
import sys
import time
import traceback
import zipfile

from krita import Krita, Selection
from PyQt5.QtCore import QCoreApplication, QEventLoop, QProcess

import comicgan.dialog
from comicgan import presets
from comicgan.dialog import FROM_LAYER, SETTINGS_GROUP, ComicganDialog
from comicgan.layers import style_members, transfer_of

W, H = 120, 90
STYLE = {"style": "test-ink", "display_name": "Test ink", "strength": 0.8, "keep_colors": False,
         "new_layer": True, "attention": False, "point": None}
DIR = os.environ.get("KRITA_E2E_DIR", ".")


class Tap:
    def __init__(self, path):
        self.out = open(path, "w", encoding="utf-8")
        self.n = 0
        self.failed = 0

    def check(self, ok, name, detail=""):
        self.n += 1
        self.out.write("%s %d - %s\n" % ("ok" if ok else "not ok", self.n, name))
        if not ok:
            self.failed += 1
            for line in str(detail).splitlines()[:30]:
                self.out.write("#   %s\n" % line)
        self.out.flush()
        return ok

    def note(self, text):
        self.out.write("# %s\n" % text)

    def done(self):
        self.out.write("1..%d\n" % self.n)
        self.out.close()


def read(name):
    with open(os.path.join(DIR, name), "rb") as f:
        return f.read()


def wait_until(condition, seconds=120):
    end = time.time() + seconds
    while not condition() and time.time() < end:
        QCoreApplication.processEvents(QEventLoop.AllEvents, 50)
        time.sleep(0.01)
    return condition()


def pixels(node, x=0, y=0, w=W, h=H):
    return bytes(node.pixelData(x, y, w, h))


def difference(got, want, bpp):
    if len(got) != len(want):
        return "sizes %d and %d" % (len(got), len(want))
    for i in range(len(got)):
        if got[i] != want[i]:
            p = i // bpp
            return "pixel (%d, %d): %s, expected %s" % (p % W, p // W, list(got[p * bpp:(p + 1) * bpp]),
                                                       list(want[p * bpp:(p + 1) * bpp]))
    return "equal"


def layer_named(parent, name):
    for node in parent.childNodes():
        if node.name() == name:
            return node
    return None


def run_action(tap, dialog, mode, doc, nodes, settings):
    """Runs the dialog's action and waits for it; returns its status text."""
    dialog.set_mode(mode)
    dialog.start_run(doc, nodes, settings)
    finished = wait_until(lambda: dialog.run is None)
    tap.check(finished, "%s finishes" % mode, dialog.status.text())
    doc.waitForDone()
    return dialog.status.text()


# Krita's default profile for 16-bit integer RGBA is linear (…-g10.icc); image
# files are sRGB-encoded, so the comparisons with the command use this one.
SRGB = "sRGB-elle-V2-srgbtrc.icc"


def new_document(name, depth, layer_pixels, w=W, h=H, profile=SRGB):
    doc = Krita.instance().createDocument(w, h, name, "RGBA", depth, profile, 72.0)
    layer = doc.topLevelNodes()[0]
    layer.setPixelData(layer_pixels, 0, 0, w, h)
    doc.refreshProjection()
    doc.waitForDone()
    return doc, layer


def check_depth(tap, dialog, depth, bits):
    bpp = 4 if depth == "U8" else 8
    src, want = read("in%d.raw" % bits), read("out%d.raw" % bits)
    doc, layer = new_document("e2e-" + depth, depth, src)
    tap.check(pixels(layer) == src, "%s: the layer holds the input" % depth)
    tap.check(transfer_of(layer) == "srgb", "%s: the layer's profile is sRGB-encoded" % depth, layer.colorProfile())

    status = run_action(tap, dialog, "stylize", doc, [layer], STYLE)
    result = layer_named(doc.rootNode(), "Test ink (Background)")
    tap.check(result is not None, "%s: stylize makes a new layer named after the style" % depth,
              status + "\nlayers: %s" % [n.name() for n in doc.topLevelNodes()])
    if result is None:
        return
    tap.check([n.name() for n in doc.topLevelNodes()] == ["Background", "Test ink (Background)"],
              "%s: above its source" % depth, [n.name() for n in doc.topLevelNodes()])
    got = pixels(result)
    tap.check(got == want, "%s: the new layer's pixels equal the comicgan command's output" % depth,
              difference(got, want, bpp))
    tap.check(pixels(layer) == src, "%s: the source layer is unchanged" % depth)
    result.remove()

    # A rectangular selection: only the selected pixels change.
    sel = Selection()
    sel.select(40, 30, 40, 30, 255)
    doc.setSelection(sel)
    run_action(tap, dialog, "stylize", doc, [layer], STYLE)
    result = layer_named(doc.rootNode(), "Test ink (Background)")
    got = pixels(result) if result else b""
    inside_ok = outside_ok = len(got) == len(src)
    for y in range(H):
        for x in range(W):
            i = (y * W + x) * bpp
            if 40 <= x < 80 and 30 <= y < 60:
                inside_ok = inside_ok and got[i:i + bpp] == want[i:i + bpp]
            else:
                outside_ok = outside_ok and got[i:i + bpp] == src[i:i + bpp]
    tap.check(outside_ok, "%s: with a selection, unselected pixels are unchanged" % depth)
    tap.check(inside_ok, "%s: selected pixels equal the comicgan command's output" % depth)
    if result:
        result.remove()

    # A soft selection mask (0, 128, 255 in bands): blended in between.
    mask = bytes((0, 128, 255)[(x // 7) % 3] for y in range(H) for x in range(W))
    sel = Selection()
    sel.setPixelData(mask, 0, 0, W, H)
    doc.setSelection(sel)
    run_action(tap, dialog, "stylize", doc, [layer], STYLE)
    result = layer_named(doc.rootNode(), "Test ink (Background)")
    got = pixels(result) if result else b""
    ok = len(got) == len(src)
    step = 1 if depth == "U8" else 2
    for p in range(W * H if ok else 0):
        m = mask[p]
        a, s, r = src[p * bpp:(p + 1) * bpp], want[p * bpp:(p + 1) * bpp], got[p * bpp:(p + 1) * bpp]
        if m == 0:
            ok = ok and r == a
        elif m == 255:
            ok = ok and r == s
        else:
            for c in range(0, bpp, step):
                av, sv, rv = (int.from_bytes(v[c:c + step], "little") for v in (a, s, r))
                ok = ok and abs(rv - (av * (255 - m) + sv * m) / 255) <= 1
    tap.check(ok, "%s: a soft selection keeps, blends and replaces by its mask" % depth)
    if result:
        result.remove()
    doc.close()


def srgb_encode(v):
    return v * 12.92 if v <= 0.0031308 else 1.055 * v ** (1 / 2.4) - 0.055


def srgb_decode(v):
    return v / 12.92 if v <= 0.04045 else ((v + 0.055) / 1.055) ** 2.4


def u16(data):
    return [int.from_bytes(data[i:i + 2], "little") for i in range(0, len(data), 2)]


def check_linear(tap, dialog):
    """A linear-light 16-bit layer (Krita's default 16-bit profile): the
    engine must see sRGB-encoded values, and the result comes back linear."""
    src, want = u16(read("in16.raw")), u16(read("out16.raw"))
    # BGRA: every fourth sample is alpha, which has no transfer curve.
    lin = [v if i % 4 == 3 else round(srgb_decode(v / 65535) * 65535) for i, v in enumerate(src)]
    data = b"".join(v.to_bytes(2, "little") for v in lin)
    doc, layer = new_document("e2e-linear", "U16", data, profile="")
    tap.check(transfer_of(layer) == "linear", "U16 linear: Krita's default 16-bit profile is seen as linear",
              layer.colorProfile())
    run_action(tap, dialog, "stylize", doc, [layer], STYLE)
    result = layer_named(doc.rootNode(), "Test ink (Background)")
    got = u16(pixels(result, w=W, h=H)) if result else []
    worst = max((abs((srgb_encode(g / 65535) if i % 4 != 3 else g / 65535) - w / 65535)
                 for i, (g, w) in enumerate(zip(got, want))), default=1.0)
    tap.check(len(got) == len(want) and worst < 0.002,
              "U16 linear: the result, sRGB-encoded, matches the command's output on the encoded input",
              "largest difference %g" % worst)
    if result:
        result.remove()
    run_action(tap, dialog, "stylize", doc, [layer], dict(STYLE, strength=0.0))
    result = layer_named(doc.rootNode(), "Test ink (Background)")
    got = u16(pixels(result)) if result else []
    worst = max((abs(a - b) for a, b in zip(got, lin)), default=65535)
    tap.check(len(got) == len(lin) and worst <= 1,
              "U16 linear: strength 0 gives the layer back within one step", "largest difference %d" % worst)
    doc.close()


def check_attention(tap, dialog):
    doc, layer = new_document("e2e-attention", "U8", read("in8.raw"))
    status = run_action(tap, dialog, "attention", doc, [layer], dict(STYLE, point="cam"))
    names = [n.name() for n in doc.topLevelNodes()]
    tap.check(names == ["Background", "Attention: Test ink (Background)"],
              "the attention map becomes a new layer", "%s\n%s" % (status, names))
    heat = pixels(doc.topLevelNodes()[1]) if len(names) == 2 else b""
    opacity = doc.topLevelNodes()[1].opacity() if len(names) == 2 else None
    tap.check(opacity == 153, "the attention layer is at 60 % opacity, as in GIMP", opacity)
    tap.check(len(heat) == W * H * 4 and all(heat[i + 3] == 255 for i in range(0, len(heat), 4))
              and len(set(heat)) > 5, "it is an opaque, not flat heatmap")
    # Stylize with the attention toggle: the map goes above the stylized layer.
    run_action(tap, dialog, "stylize", doc, [layer], dict(STYLE, attention=True, point="cam"))
    names = [n.name() for n in doc.topLevelNodes()]
    tap.check(names == ["Background", "Test ink (Background)", "Attention: Test ink (Background)",
                        "Attention: Test ink (Background)"],
              "stylize with the attention toggle adds both layers, the map on top", names)
    doc.close()

    # In place (no new layer): the layer becomes the stylized picture, and
    # the map is still made from the layer as it was.
    doc, layer = new_document("e2e-in-place", "U8", read("in8.raw"))
    run_action(tap, dialog, "stylize", doc, [layer], dict(STYLE, new_layer=False, attention=True, point="cam"))
    names = [n.name() for n in doc.topLevelNodes()]
    tap.check(names == ["Background", "Attention: Test ink (Background)"], "in place: only the map is a new layer",
              names)
    layer = layer_named(doc.rootNode(), "Background")   # merged into: a new node for the same layer
    tap.check(pixels(layer) == read("out8.raw"), "in place: the layer holds the comicgan command's output",
              difference(pixels(layer), read("out8.raw"), 4))
    tap.check(len(names) == 2 and pixels(doc.topLevelNodes()[1]) == heat,
              "in place: the map is the one of the layer before it changed")
    doc.close()


def check_groups_and_frames(tap, dialog):
    k = Krita.instance()
    src, src_b = read("in8.raw"), read("in8b.raw")
    doc = k.createDocument(W + 30, H + 20, "e2e-group", "RGBA", "U8", "", 72.0)
    group = doc.createGroupLayer("Group")
    doc.rootNode().addChildNode(group, None)
    first = doc.createNode("first", "paintlayer")
    second = doc.createNode("second", "paintlayer")
    group.addChildNode(first, None)
    group.addChildNode(second, first)
    first.setPixelData(src, 0, 0, W, H)
    second.setPixelData(src, 30, 20, W, H)   # the same picture, offset
    doc.waitForDone()
    run_action(tap, dialog, "stylize", doc, [group], STYLE)
    names = [n.name() for n in group.childNodes()]
    tap.check(names == ["first", "Test ink (first)", "second", "Test ink (second)"],
              "a group is processed child by child, each result above its child", names)
    want = read("out8.raw")
    a, b = layer_named(group, "Test ink (first)"), layer_named(group, "Test ink (second)")
    tap.check(a is not None and pixels(a) == want, "the first child's result equals the comicgan command's output",
              difference(pixels(a), want, 4) if a else "")
    tap.check(b is not None and pixels(b, 30, 20) == want and b.bounds().x() == 30 and b.bounds().y() == 20,
              "the offset child's result is in place and equal too", difference(pixels(b, 30, 20), want, 4) if b else "")
    doc.close()

    doc = k.createDocument(W, H, "e2e-frames", "RGBA", "U8", "", 72.0)
    f1 = doc.topLevelNodes()[0]
    f1.setName("frame 1")
    f1.setPixelData(src, 0, 0, W, H)
    f2 = doc.createNode("frame 2", "paintlayer")
    doc.rootNode().addChildNode(f2, f1)
    f2.setPixelData(src_b, 0, 0, W, H)
    doc.waitForDone()
    run_action(tap, dialog, "frames", doc, [f1, f2], STYLE)
    r1, r2 = layer_named(doc.rootNode(), "Test ink (frame 1)"), layer_named(doc.rootNode(), "Test ink (frame 2)")
    tap.check(r1 is not None and r2 is not None, "frames: each frame gets its stylized layer",
              [n.name() for n in doc.topLevelNodes()])
    if r1 and r2 and os.path.exists(os.path.join(DIR, "frames1.raw")):
        w1, w2 = read("frames1.raw"), read("frames2.raw")
        tap.check(pixels(r1) == w1 and pixels(r2) == w2,
                  "frames: equal to the comicgan command's --frames output",
                  difference(pixels(r1), w1, 4) + " / " + difference(pixels(r2), w2, 4))
    elif r1:
        tap.check(pixels(r1) != src, "frames: the first frame is stylized")
    doc.close()


# ---- an animated layer ----------------------------------------------------------

def tile_file(data, bpp=4):
    """A layer frame in the .kra tile format: 64 x 64 tiles, each stored raw
    (the flag byte 0 instead of LZF data)."""
    parts = []
    for ty in range(0, H, 64):
        for tx in range(0, W, 64):
            tile = bytearray(64 * 64 * bpp)
            cols = min(64, W - tx)
            for y in range(min(64, H - ty)):
                src = ((ty + y) * W + tx) * bpp
                tile[y * 64 * bpp:(y * 64 + cols) * bpp] = data[src:src + cols * bpp]
            parts.append(b"%d,%d,LZF,%d\n\x00" % (tx, ty, len(tile) + 1) + bytes(tile))
    return (b"VERSION 2\nTILEWIDTH 64\nTILEHEIGHT 64\nPIXELSIZE %d\nDATA %d\n" % (bpp, len(parts))
            + b"".join(parts))


def write_animated_kra(path, frames, end=8):
    """A document with one animated U8 paint layer, "Animated", with a
    keyframe at each (time, pixels) of frames. Krita 5.1's Python API cannot
    add keyframes, so the test writes the file Krita would save."""
    keys = "".join('<keyframe time="%d" frame="layer2%s"><offset type="point" x="0" y="0"/></keyframe>'
                   % (t, ".f%d" % i if i else "") for i, (t, _) in enumerate(frames))
    maindoc = ('<?xml version="1.0" encoding="UTF-8"?>\n'
               "<!DOCTYPE DOC PUBLIC '-//KDE//DTD krita 2.0//EN' 'http://www.calligra.org/DTD/krita-2.0.dtd'>\n"
               '<DOC xmlns="http://www.calligra.org/DTD/krita" syntaxVersion="2.0" editor="Krita" '
               'kritaVersion="5.1.5"><IMAGE width="%d" height="%d" colorspacename="RGBA" name="anim" '
               'profile="%s" x-res="72" y-res="72" mime="application/x-kra" description=""><layers>'
               '<layer filename="layer2" nodetype="paintlayer" name="Animated" keyframes="layer2.keyframes.xml" '
               'colorspacename="RGBA" compositeop="normal" opacity="255" visible="1" locked="0" x="0" y="0" '
               'collapsed="0" colorlabel="0" channelflags="" channellockflags="" intimeline="1" onionskin="0"/>'
               '</layers><animation><framerate value="24" type="value"/><range from="0" to="%d" type="timerange"/>'
               '<currentTime value="0" type="value"/></animation></IMAGE></DOC>\n') % (W, H, SRGB, end)
    keyframes = ('<?xml version="1.0" encoding="UTF-8"?>\n<keyframes '
                 'xmlns="http://www.calligra.org/DTD/krita-keyframes"><channel name="content">%s</channel>'
                 '</keyframes>\n') % keys
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(zipfile.ZipInfo("mimetype"), "application/x-krita")
        z.writestr("maindoc.xml", maindoc)
        z.writestr("anim/layers/layer2.keyframes.xml", keyframes)
        for i, (_, data) in enumerate(frames):
            name = "anim/layers/layer2" + (".f%d" % i if i else "")
            z.writestr(name, tile_file(data))
            z.writestr(name + ".defaultpixel", bytes(4))


TIMES = (0, 2, 5)


def keyframes(node, end=8):
    return [t for t in range(end + 1) if node.hasKeyframeAtTime(t)]


def open_animation(name):
    path = os.path.join(DIR, name + ".kra")
    write_animated_kra(path, list(zip(TIMES, (read("in8.raw"), read("in8b.raw"), read("in8c.raw")))))
    k = Krita.instance()
    k.setBatchmode(True)   # no message boxes from the loader
    doc = k.openDocument(path)
    doc.waitForDone()
    return doc, doc.topLevelNodes()[0]


def check_animation(tap, dialog):
    doc, layer = open_animation("e2e-animation")
    sources = [read("in8.raw"), read("in8b.raw"), read("in8c.raw")]
    tap.check(keyframes(layer) == list(TIMES) and [bytes(layer.pixelDataAtTime(0, 0, W, H, t)) for t in TIMES]
              == sources, "animation: the test document has keyframes at %s" % (TIMES,), keyframes(layer))

    status = run_action(tap, dialog, "animation", doc, [layer], STYLE)
    names = [n.name() for n in doc.topLevelNodes()]
    tap.check(names == ["Animated", "Test ink (Animated)"],
              "animation: a new layer named after the style, above its source", "%s\n%s" % (status, names))
    result = layer_named(doc.rootNode(), "Test ink (Animated)")
    if result is None:
        doc.close()
        return
    tap.check(result.animated() and keyframes(result) == list(TIMES),
              "animation: the new layer has keyframes at the same times", keyframes(result))
    got = [bytes(result.pixelDataAtTime(0, 0, W, H, t)) for t in TIMES]
    if os.path.exists(os.path.join(DIR, "anim1.raw")):
        want = [read("anim%d.raw" % i) for i in (1, 2, 3)]
        # within a level: streamed frames against all frames at once (see test-bridge.py)
        tap.check(all(len(g) == len(w) and all(abs(x - y) <= 1 for x, y in zip(g, w)) for g, w in zip(got, want)),
                  "animation: each frame equals the comicgan command's --frames output, within a level",
                  " / ".join(difference(g, w, 4) for g, w in zip(got, want)))
    else:
        tap.check(all(g != s for g, s in zip(got, sources)), "animation: every frame is stylized")
    tap.check([bytes(layer.pixelDataAtTime(0, 0, W, H, t)) for t in TIMES] == sources and keyframes(layer) == list(TIMES),
              "animation: the source layer is unchanged")
    tap.check(doc.modified(), "animation: the document is marked modified")
    tap.check(doc.currentTime() == 0, "animation: the current time is put back", doc.currentTime())
    result.remove()

    # Cancel between frames and within one: no half-made layer is left.
    for where in ("between frames", "within a frame"):
        run = dialog.start_run(doc, [layer], STYLE)
        if where == "between frames":
            write = run._write

            def write_then_cancel(t, data, write=write, run=run):
                write(t, data)
                run.cancel()
            run._write = write_then_cancel
        else:
            call = run._call

            def call_then_cancel(header, payload, done, progress=None, call=call, run=run):
                call(header, payload, done, progress)
                if header.get("index") == 1 and done == run._on_result:
                    run.cancel()
            run._call = call_then_cancel
        wait_until(lambda: dialog.run is None)
        names = [n.name() for n in doc.topLevelNodes()]
        tap.check(names == ["Animated"] and "Cancelled" in dialog.status.text(),
                  "animation: cancel %s leaves no new layer" % where, "%s\n%s" % (dialog.status.text(), names))
    doc.close()

    doc, _ = new_document("e2e-still", "U8", read("in8.raw"))
    status = run_action(tap, dialog, "animation", doc, doc.topLevelNodes(), STYLE)
    tap.check("not animated" in status and len(doc.topLevelNodes()) == 1,
              "animation: a layer that is not animated gets a clear message", status)
    doc.close()


def check_memory(tap, dialog):
    """Memory: the engine's default, saved with the other settings, and sent as the requests'
    memory_budget, which reaches the engine: with 1 MiB a larger layer spills to the bridge's
    temporary folder (one that does not exist makes that an error), with the default it does not."""
    k = Krita.instance()
    tap.check(dialog.memory.value() == 768 and dialog.memory.minimum() == 256,
              "Memory starts at the engine's default budget, 768 MiB", dialog.memory.value())
    dialog.memory.setValue(2048)
    s = dialog.settings()
    tap.check(s["memory_budget"] == 2048 and style_members(s)["memory_budget"] == 2048,
              "the Memory setting goes into the requests as memory_budget", s.get("memory_budget"))
    dialog._save_settings(s)
    tap.check(k.readSetting(SETTINGS_GROUP, "memory_budget", "") == "2048", "and is saved with the other settings")
    dialog.memory.setValue(768)
    dialog._save_settings(dialog.settings())

    old = os.environ.get("TMPDIR")
    os.environ["TMPDIR"] = os.path.join(DIR, "no-such-folder")
    try:
        nodir = ComicganDialog(k, "stylize")
        wait_until(lambda: nodir.styles or "could not" in nodir.status.text(), 120)
    finally:
        if old is None:
            del os.environ["TMPDIR"]
        else:
            os.environ["TMPDIR"] = old
    w, h = 400, 300
    data = bytes(v for y in range(h) for x in range(w) for v in ((x * 7 + y * 3) % 256, (x * y) % 256,
                                                                     (x + y * 5) % 256, 255))
    doc, layer = new_document("e2e-memory", "U8", data, w, h)
    status = run_action(tap, nodir, "stylize", doc, [layer], dict(STYLE, new_layer=True, tile=32, memory_budget=1))
    tap.check("TMPDIR" in status and "no-such-folder" in status and len(doc.topLevelNodes()) == 1,
              "memory_budget 1 from the plug-in reaches the engine: the activations go to the temporary folder",
              status)
    run_action(tap, nodir, "stylize", doc, [layer], dict(STYLE, new_layer=True, tile=32))
    tap.check(len(doc.topLevelNodes()) == 2, "the default budget needs no temporary file there", nodir.status.text())
    doc.close()
    nodir.close()


def within(got, want, depth):
    """The largest difference of two pictures' samples in 1/255ths, or None when their sizes differ."""
    if len(got) != len(want):
        return None
    if depth == "U8":
        return max(abs(a - b) for a, b in zip(got, want))
    a, b = memoryview(got).cast("H"), memoryview(want).cast("H")
    return max(abs(x - y) for x, y in zip(a, b)) / 257


def installed_reference_styles():
    """The reference styles the comicgan command finds with this test's model folders
    (COMICGAN_MODEL_PATH), that is in the folders searched after them."""
    out = subprocess.run([os.environ["COMICGAN"], "info", "--json"], capture_output=True, text=True,
                         check=True).stdout
    return [s["name"] for s in json.loads(out)["styles"] if s["mode"] == "reference"]


def check_reference(tap):
    """Stylize Layer from Reference: the reference styles, a layer or a file as the reference, the
    preview, both colour modes; the results equal the comicgan command's --reference within 1/255."""
    if not os.path.exists(os.path.join(DIR, "refout8.raw")):
        tap.note("the comicgan command is not built: Stylize Layer from Reference is not compared with it")
        return
    # The catalog searches the installed and the source tree's model folders after
    # COMICGAN_MODEL_PATH: a reference model found there (one ships) is listed too.
    saved_path = os.environ["COMICGAN_MODEL_PATH"]
    found = installed_reference_styles()
    plain = ComicganDialog(Krita.instance(), "reference")
    wait_until(lambda: "No reference styles" in plain.status.text() or plain.styles, 120)
    if found:
        tap.check([s["name"] for s in plain.styles] == found and plain.go.isEnabled(),
                  "reference: with only the installed reference models, the dialog lists them", plain.status.text())
    else:
        tap.check(not plain.styles and not plain.go.isEnabled() and "No reference styles" in plain.status.text(),
                  "reference: without a reference model, the dialog says there is no reference style",
                  plain.status.text())
    plain.close()
    # The dialog's bridge sees the reference model as well.
    os.environ["COMICGAN_MODEL_PATH"] = saved_path + ":" + os.environ["KRITA_REFERENCE_MODELS"]
    try:
        dialog = ComicganDialog(Krita.instance(), "reference")
    finally:
        os.environ["COMICGAN_MODEL_PATH"] = saved_path
    wait_until(lambda: dialog.styles or "could not" in dialog.status.text(), 120)
    tap.check([s["name"] for s in dialog.styles] == ["test-reference"] + found and dialog.go.isEnabled()
              and dialog.windowTitle().endswith("Stylize Layer from Reference"),
              "reference: the dialog lists the reference styles only", dialog.status.text())
    tap.check(dialog.reference.isVisibleTo(dialog) and not dialog.style_b.isVisibleTo(dialog)
              and not dialog.point.isVisibleTo(dialog) and not dialog.attention.isVisibleTo(dialog)
              and "reference" in dialog.keep_colors.text(),
              "reference: it offers a reference and the colours, and no mix or attention map")
    dialog.set_mode("stylize")
    names = [s["name"] for s in dialog.styles]
    tap.check("test-reference" not in names and "test-ink" in names,
              "reference: the other actions do not list reference styles", names)
    dialog.set_mode("reference")

    doc, layer = new_document("e2e-reference", "U8", read("in8.raw"))
    ref_layer = doc.createNode("Reference", "paintlayer")
    doc.rootNode().addChildNode(ref_layer, None)
    ref_layer.setPixelData(read("in8b.raw"), 0, 0, W, H)
    doc.waitForDone()
    dialog.use_layer(doc, layer)
    offered = [dialog.reference.itemText(i) for i in range(dialog.reference.count())]
    tap.check(offered == ["Reference"], "reference: the image's other layers are offered", offered)
    arrived = wait_until(lambda: dialog.view.styled is not None and dialog.preview.pending is None, 60)
    tap.check(arrived and dialog.view.styled != dialog.view.original and dialog.preview.codes
              and dialog.preview_status.text() == "",
              "reference: the preview arrives and keeps the style code", dialog.preview_status.text())
    headers = []
    call = dialog.bridge.call
    dialog.bridge.call = lambda header, *args, **kw: headers.append(header) or call(header, *args, **kw)
    dialog.strength.setValue(50)
    # The reply can come within one turn of the event loop: wait for the request, not for it in flight.
    sent = wait_until(lambda: headers and dialog.preview.pending is None, 60)
    dialog.bridge.call = call
    tap.check(sent and dialog.preview_status.text() == "" and len(headers) == 1
              and headers[0].get("style_code") and "reference" not in headers[0],
              "reference: a new strength previews with the code, without the picture",
              [sorted(h) for h in headers])

    def run(settings, want_name="Test reference (Background)"):
        status = run_action(tap, dialog, "reference", doc, [layer], settings)
        return status, layer_named(doc.rootNode(), want_name)

    # The command's defaults for what the other tests set (the dialog remembers it).
    dialog.line_weight.setValue(0)
    dialog.denoise.setValue(0)
    dialog.contrast.setValue(1)
    dialog.scale.setCurrentIndex(0)
    dialog.keep_colors.setChecked(True)
    dialog.strength.setValue(100)
    status, result = run(dialog.settings())
    worst = within(pixels(result), read("refkeep8.raw"), "U8") if result else None
    tap.check(result is not None and worst is not None and worst <= 1,
              "reference: another layer as the reference, the layer's colours: the comicgan command's "
              "--reference --keep-colors output within 1/255 (%s)" % worst, status)
    if result:
        result.remove()

    file = os.path.join(DIR, "ref8.png")
    dialog.add_reference_file(file)
    tap.check(dialog.current_reference().path == file and dialog.reference.currentText() == "File: ref8.png",
              "reference: a picture file can be the reference", dialog.reference.currentText())
    dialog.keep_colors.setChecked(False)
    dialog.strength.setValue(70)
    status, result = run(dialog.settings())
    worst = within(pixels(result), read("refout8.raw"), "U8") if result else None
    tap.check(result is not None and worst is not None and worst <= 1,
              "reference: a file as the reference, its colours, strength 0.7: the comicgan command's "
              "--reference output within 1/255 (%s)" % worst, status)
    if result:
        result.remove()

    # In place: one step, marked modified, the same pixels.
    status, _ = run(dict(dialog.settings(), new_layer=False))
    layer = layer_named(doc.rootNode(), "Background")   # merging down made it anew
    worst = within(pixels(layer), read("refout8.raw"), "U8") if layer else None
    tap.check(worst is not None and worst <= 1 and len(doc.topLevelNodes()) == 2 and doc.modified(),
              "reference: in place, the layer itself gets the result (%s)" % worst, status)
    layer.setPixelData(read("in8.raw"), 0, 0, W, H)
    doc.waitForDone()

    # Nothing half-applied: cancel, an unreadable file, no reference.
    dialog.start_run(doc, [layer], dialog.settings())
    dialog.run.cancel()
    wait_until(lambda: dialog.run is None)
    tap.check(len(doc.topLevelNodes()) == 2 and "Cancelled" in dialog.status.text(),
              "reference: cancel leaves no new layer", dialog.status.text())
    broken = os.path.join(DIR, "not-a-picture.png")
    with open(broken, "wb") as f:
        f.write(b"not a picture")
    dialog.add_reference_file(broken)
    status, result = run(dialog.settings())
    tap.check(result is None and "not-a-picture.png" in status and len(doc.topLevelNodes()) == 2,
              "reference: a file that is not a picture is refused clearly, nothing added", status)
    dialog.reference.setCurrentIndex(-1)
    status, result = run(dialog.settings())
    tap.check(result is None and "reference" in status and len(doc.topLevelNodes()) == 2,
              "reference: without a reference, a clear message and nothing added", status)
    doc.close()

    # A 16-bit layer takes its style from the 8-bit picture file.
    doc, layer = new_document("e2e-reference-16", "U16", read("in16.raw"))
    dialog.use_layer(doc, layer)
    dialog.add_reference_file(file)
    status, result = run(dialog.settings())
    worst = within(pixels(result), read("refout16.raw"), "U16") if result else None
    tap.check(result is not None and worst is not None and worst <= 1,
              "reference: a U16 layer with an 8-bit file: the comicgan command's output within 1/255 (%s)" % worst,
              status)
    doc.close()
    process = dialog.bridge._process
    dialog.close()
    tap.check(process.state() == QProcess.NotRunning, "reference: closing the dialog ends its bridge")


def check_refusals(tap, dialog):
    k = Krita.instance()
    doc = k.createDocument(W, H, "e2e-gray", "GRAYA", "U8", "", 72.0)
    layer = doc.topLevelNodes()[0]
    status = run_action(tap, dialog, "stylize", doc, [layer], STYLE)
    tap.check("RGB" in status and len(doc.topLevelNodes()) == 1, "a gray layer is refused with a clear message",
              status)
    doc.close()

    doc = k.createDocument(W, H, "e2e-empty", "RGBA", "U8", "", 72.0)
    empty = doc.createNode("empty", "paintlayer")
    doc.rootNode().addChildNode(empty, None)
    status = run_action(tap, dialog, "stylize", doc, [empty], STYLE)
    tap.check("empty" in status, "an empty layer is refused with a clear message", status)
    doc.close()

    saved = comicgan.dialog.find_bridge
    comicgan.dialog.find_bridge = lambda: None
    try:
        lost = ComicganDialog(k, "stylize")
        tap.check("comicgan-bridge" in lost.status.text() and "README" in lost.status.text()
                  and not lost.go.isEnabled(), "a missing bridge program gets a clear message",
                  lost.status.text())
        lost.close()
        # A bridge that dies at once (here: a program that is not one).
        comicgan.dialog.find_bridge = lambda: "/bin/false"
        dead = ComicganDialog(k, "stylize")
        wait_until(lambda: "comicgan" in dead.status.text() and "Loading" not in dead.status.text(), 30)
        tap.check(("stopped" in dead.status.text() or "could not start" in dead.status.text())
                  and not dead.go.isEnabled(), "a bridge that dies gets a clear message", dead.status.text())
        dead.close()
    finally:
        comicgan.dialog.find_bridge = saved


# A presets file as GIMP's plug-in writes it (GLib's key file).
GIMP_PRESETS = """[Heavy lines]
style=test-ink
style_b=test-paint
mix=0.3
strength=0.8
keep_colors=false
line_weight=0.5
denoise=0.3
contrast=1.4
scale=auto

[Soft]
style=test-paint
style_b=
mix=0
strength=0.5
keep_colors=true
line_weight=-0.25
denoise=0
contrast=1
scale=0.5
"""


def icon_bytes(item):
    image = item.icon().pixmap(96, 96).toImage()
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    return bytes(ptr)


def check_layer_and_preview(tap, dialog):
    """Thumbnails from the layer, the live preview, labels, the attention box."""
    generic = [icon_bytes(dialog.style_list.item(i)) for i in range(dialog.style_list.count())]
    doc, layer = new_document("e2e-preview", "U8", read("in8.raw"))
    dialog.use_layer(doc, layer)
    count = dialog.style_list.count()
    made = wait_until(lambda: all(dialog.style_list.item(i).data(FROM_LAYER) for i in range(count)), 60)
    ink = [s["name"] for s in dialog.styles].index("test-ink")
    tap.check(made and icon_bytes(dialog.style_list.item(ink)) != generic[ink],
              "the style thumbnails are made from the layer, not the generic sample")

    dialog.style_list.setCurrentRow(ink)
    arrived = wait_until(lambda: dialog.view.styled is not None and dialog.preview.pending is None, 60)
    tap.check(arrived and dialog.view.styled.size() == dialog.view.original.size()
              and dialog.view.styled != dialog.view.original and dialog.preview_status.text() == "",
              "the fitted preview arrives, stylized", dialog.preview_status.text())
    # A change restarts the timer: "Rendering…" while the bridge works, and
    # only the newest request's result is shown.
    dialog.strength.setValue(40)
    dialog.contrast.setValue(1.8)
    sent = wait_until(lambda: dialog.preview.pending is not None, 5)
    tap.check(sent and dialog.preview_status.text() == "Rendering…", "the preview says it is rendering",
              dialog.preview_status.text())
    first = dialog.preview.generation
    dialog.denoise.setValue(0.5)
    dialog.preview.send()
    wait_until(lambda: dialog.preview.pending is None, 60)
    tap.check(dialog.preview.generation > first and dialog.view.styled is not None,
              "a newer request replaces the one in flight")
    dialog.zoom.setCurrentIndex(1)
    wait_until(lambda: dialog.preview.pending is None, 60)
    tap.check(not dialog.view.fitted and dialog.view.styled is not None, "the 100% view arrives")
    dialog.overlay.setChecked(True)
    heat = wait_until(lambda: dialog.view.heat is not None, 60)
    tap.check(heat, "the attention overlay arrives over the preview")
    dialog.split.setChecked(True)
    shot = os.path.join(DIR, "preview.png")
    dialog.resize(1200, 760)
    dialog.show()
    wait_until(lambda: False, 0.5)
    dialog.grab().save(shot)
    shot_dir = os.environ.get("KRITA_E2E_SHOTS")
    if shot_dir:
        dialog.grab().save(os.path.join(shot_dir, "krita-dialog.png"))
    tap.check(dialog.view.split, "the before/after split is on")
    dialog.overlay.setChecked(False)
    dialog.split.setChecked(False)
    dialog.zoom.setCurrentIndex(0)
    for w, v in ((dialog.strength, 100), (dialog.contrast, 1.0), (dialog.denoise, 0.0)):
        w.setValue(v)

    # Labels fit their cells: none is cut short.
    long_name = "Cel shading (comic mix)"
    saved = dialog.style_list.item(0).text()
    dialog.style_list.item(0).setText(long_name)
    dialog._fit_labels()
    metrics = dialog.style_list.fontMetrics()
    cell = dialog.style_list.gridSize().width()
    widths = [metrics.horizontalAdvance(dialog.style_list.item(i).text()) for i in range(count)]
    tap.check(all(w + 8 <= cell for w in widths), "style names are not cut short", "%s in %d" % (widths, cell))
    dialog.style_list.item(0).setText(saved)

    # The attention box: unticked for a style without a map, ticked again after.
    # (The test model's styles all have maps: one is made to have none.)
    dialog.attention.setChecked(True)
    plain = [s["name"] for s in dialog.styles].index("test-paint")
    points = dialog.styles[plain].get("attention")
    dialog.styles[plain]["attention"] = []
    dialog.style_list.setCurrentRow(plain)
    off = not dialog.attention.isChecked() and not dialog.attention.isEnabled()
    dialog.style_list.setCurrentRow(ink)
    tap.check(off and dialog.attention.isChecked(), "the attention box is unticked for a style without a map")
    dialog.styles[plain]["attention"] = points
    dialog.attention.setChecked(False)
    doc.close()


def check_presets(tap, dialog):
    file = presets.path()
    os.makedirs(os.path.dirname(file), exist_ok=True)
    with open(file, "w", encoding="utf-8") as f:
        f.write(GIMP_PRESETS)
    dialog._fill_presets()
    names = [dialog.preset.itemText(i) for i in range(dialog.preset.count())]
    tap.check(names == ["Heavy lines", "Soft"], "the presets GIMP's plug-in wrote are listed", names)
    dialog._on_preset_chosen(0)
    s = dialog.settings()
    got = (s["style"], s["style_b"], s["mix_share"], s["strength"], s["keep_colors"], s["line_weight"],
           s["denoise"], s["contrast"], s["scale"])
    tap.check(got == ("test-ink", "test-paint", 0.3, 0.8, False, 0.5, 0.3, 1.4, "auto"),
              "loading a preset sets every control", got)

    # The options reach the bridge: the result equals the command's.
    if os.path.exists(os.path.join(DIR, "options8.raw")):
        doc, layer = new_document("e2e-options", "U8", read("in8.raw"))
        run_action(tap, dialog, "stylize", doc, [layer], dict(s, new_layer=True, attention=False))
        result = layer_named(doc.rootNode(), "Test ink (Background)")
        got, want = (pixels(result) if result else b""), read("options8.raw")
        tap.check(got == want, "mix, line weight, denoise and contrast give the comicgan command's pixels",
                  difference(got, want, 4))
        doc.close()
    else:
        tap.note("the comicgan command is not built: the options' pixels are not compared")

    dialog._on_preset_chosen(1)
    tap.check(dialog.scale.currentData() == 0.5 and dialog.keep_colors.isChecked()
              and abs(dialog.line_weight.value() + 0.25) < 1e-9 and dialog.style_b.currentData() == "",
              "a second preset sets them again")
    dialog._on_preset_chosen(0)
    saved = dialog.save_preset("Copy")
    p = presets.load()
    tap.check(saved and presets.names(p) == ["Heavy lines", "Soft", "Copy"]
              and dict(p["Copy"]) == dict(p["Heavy lines"]),
              "saving writes a preset like the one loaded", open(file, encoding="utf-8").read())
    dialog.delete_preset("Soft")
    tap.check(presets.names(presets.load()) == ["Heavy lines", "Copy"], "deleting removes it from the file")

    broken = "[Heavy lines]\nstyle=test-ink\nthis line is not a key\n"
    with open(file, "w", encoding="utf-8") as f:
        f.write(broken)
    dialog._fill_presets()
    refused = not dialog.save_preset("New")
    tap.check(refused and "cannot be read" in dialog.preset_note.text() and not dialog.preset_save.isEnabled()
              and open(file, encoding="utf-8").read() == broken,
              "a malformed presets file gets a clear message and is left as it is", dialog.preset_note.text())
    os.unlink(file)
    dialog._fill_presets()


def run_tests(tap):
    k = Krita.instance()
    dialog = ComicganDialog(k, "stylize")
    tap.check(dialog.bridge is not None, "the dialog finds the bridge program", dialog.status.text())
    loaded = wait_until(lambda: dialog.styles or "could not" in dialog.status.text(), 120)
    names = [s["name"] for s in dialog.styles]
    tap.check(loaded and names[:3] == ["test-ink", "test-paint", "identity"], "the dialog lists the styles",
              dialog.status.text())
    icons = [not dialog.style_list.item(i).icon().isNull() for i in range(dialog.style_list.count())]
    tap.check(icons and all(icons), "with thumbnails")
    tap.check(dialog.go.isEnabled() and dialog.cancel.text().replace("&", "") == "Close", "and is ready")
    shot = os.environ.get("KRITA_E2E_SHOT")
    if shot:
        dialog.show()
        QCoreApplication.processEvents()
        dialog.grab().save(shot)

    check_layer_and_preview(tap, dialog)
    check_presets(tap, dialog)
    check_depth(tap, dialog, "U8", 8)
    check_depth(tap, dialog, "U16", 16)
    check_linear(tap, dialog)
    check_attention(tap, dialog)
    check_groups_and_frames(tap, dialog)
    check_animation(tap, dialog)
    check_memory(tap, dialog)
    check_refusals(tap, dialog)
    check_reference(tap)

    process = dialog.bridge._process
    dialog.close()
    tap.check(process.state() == QProcess.NotRunning and process.exitCode() == 0,
              "closing the dialog ends the bridge process", process.exitCode())


def main(args=None):
    tap = Tap(os.environ.get("KRITA_E2E_TAP", "krita-e2e.tap"))
    try:
        run_tests(tap)
    except Exception:
        tap.check(False, "the test ran to the end", traceback.format_exc())
    tap.done()
    sys.stdout.flush()
