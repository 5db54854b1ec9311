"""A test, not a plug-in for users: once Krita's window is up, it drives
comicgan's plug-in the way a person would, through its actions under
Tools > Scripts and its dialog's buttons, on U8 and U16 documents, and writes
TAP to $KRITA_GUI_DIR/gui.tap and screenshots to $KRITA_GUI_DIR/*.png. The
catalog holds a reference model too, for Stylize Layer from Reference.
test-krita-gui.sh installs it next to the plug-in and runs Krita under Xvfb.

The checks are a generator that yields how long to wait: between steps it
returns to Krita's own event loop (as a person's clicks do), so Krita and the
plug-in run exactly as in use; a nested loop would, for example, leave the
Layers docker behind."""

import os
import time
import traceback

from krita import Krita
from PyQt5.QtCore import QTimer
from PyQt5.QtWidgets import QApplication

DIR = os.environ.get("KRITA_GUI_DIR", "/tmp")
W, H = 120, 90
SRGB = "sRGB-elle-V2-srgbtrc.icc"


class Tap:
    def __init__(self, path):
        self.out = open(path, "w", encoding="utf-8")
        self.n = 0

    def check(self, ok, name, detail=""):
        self.n += 1
        self.out.write("%s %d - %s\n" % ("ok" if ok else "not ok", self.n, name))
        if not ok:
            for line in str(detail).splitlines()[:30]:
                self.out.write("#   %s\n" % line)
        self.out.flush()
        return ok

    def done(self):
        self.out.write("1..%d\n" % self.n)
        self.out.close()


def wait_until(condition, seconds=120):
    end = time.time() + seconds
    while not condition() and time.time() < end:
        yield 0.05
    return condition()


def settle(seconds):
    yield seconds


def drive(steps):
    """Runs the generator steps from Krita's event loop."""
    try:
        delay = next(steps)
    except StopIteration:
        return
    QTimer.singleShot(int(delay * 1000), lambda: drive(steps))


def read(name):
    with open(os.path.join(DIR, name), "rb") as f:
        return f.read()


def screenshot(name):
    QApplication.primaryScreen().grabWindow(0).save(os.path.join(DIR, name))


def the_dialog():
    for widget in QApplication.topLevelWidgets():
        if type(widget).__name__ == "ComicganDialog" and widget.isVisible():
            return widget
    return None


def layer_named(parent, name):
    return next((n for n in parent.childNodes() if n.name() == name), None)


def names(parent):
    return [n.name() for n in parent.childNodes()]


def open_document(window, name, depth, data, w=W, h=H):
    doc = Krita.instance().createDocument(w, h, name, "RGBA", depth, SRGB, 72.0)
    layer = doc.topLevelNodes()[0]
    layer.setPixelData(data, 0, 0, w, h)
    doc.refreshProjection()
    window.addView(doc)
    doc.setActiveNode(layer)
    yield from settle(0.5)
    return doc, layer


def press(tap, action, what):
    """Triggers a comicgan action, as the menu item does, and waits for the
    dialog with its styles."""
    Krita.instance().action(action).trigger()
    ready = yield from wait_until(lambda: the_dialog() is not None and the_dialog().go.isEnabled(), 60)
    tap.check(ready, "%s: the dialog opens with its styles" % what,
              the_dialog().status.text() if the_dialog() else "no dialog")
    return the_dialog()


def go(tap, dialog, what):
    dialog.go.click()
    finished = yield from wait_until(lambda: dialog.run is None, 120)
    tap.check(finished, "%s: finishes" % what, dialog.status.text())
    yield from settle(0.5)
    return dialog.status.text()


def run_checks(tap):
    k = Krita.instance()
    window = k.activeWindow()
    window.qwindow().move(0, 0)
    window.qwindow().resize(1400, 900)
    yield from settle(1)

    scripts = []
    for menu in window.qwindow().menuBar().actions():
        if menu.menu() and menu.text().replace("&", "") == "Tools":
            for item in menu.menu().actions():
                if item.menu() and item.text().replace("&", "") == "Scripts":
                    scripts = [a.text() for a in item.menu().actions()]
    wanted = ["Stylize Layer (comicgan)…", "Attention Map (comicgan)…", "Stylize Layers as Frames (comicgan)…",
              "Stylize Animation (comicgan)…", "Stylize Layer from Reference (comicgan)…"]
    tap.check(all(w in scripts for w in wanted), "Tools > Scripts shows comicgan's five actions", scripts)

    for depth, bits in (("U8", 8), ("U16", 16)):
        doc, layer = yield from open_document(window, "gui-" + depth, depth, read("in%d.raw" % bits))
        dialog = yield from press(tap, "comicgan_stylize", depth + " stylize")
        if dialog is None:
            return
        listed = [dialog.style_list.item(i).text() for i in range(dialog.style_list.count())]
        tap.check("Test reference" not in listed, "%s: Stylize Layer does not list reference styles" % depth, listed)
        dialog.style_list.setCurrentRow(listed.index("Test ink"))
        dialog.strength.setValue(80)
        dialog.keep_colors.setChecked(False)
        dialog.new_layer.setChecked(True)
        # U8 asks for the attention map with the stylized layer, U16 through
        # the Attention Map action.
        dialog.attention.setChecked(depth == "U8")
        if depth == "U8":
            yield from settle(0.5)
            screenshot("dialog.png")
        yield from go(tap, dialog, depth + " stylize")
        made = ["Background", "Test ink (Background)"]
        if depth == "U8":
            made.append("Attention: Test ink (Background)")
        tap.check(names(doc.rootNode()) == made,
                  "%s: a new layer named after the style, above the source" % depth, names(doc.rootNode()))
        result = layer_named(doc.rootNode(), "Test ink (Background)")
        want = read("out%d.raw" % bits)
        tap.check(result is not None and bytes(result.pixelData(0, 0, W, H)) == want,
                  "%s: its pixels equal the comicgan command's output" % depth)
        if depth == "U8":
            yield from settle(1)
            screenshot("after.png")
            continue

        doc.setActiveNode(layer)
        dialog = yield from press(tap, "comicgan_attention", depth + " attention")
        tap.check(dialog.windowTitle().endswith("Attention Map"), "%s: the attention action switches the dialog"
                  % depth, dialog.windowTitle())
        yield from go(tap, dialog, depth + " attention")
        tap.check(names(doc.rootNode()) == ["Background", "Attention: Test ink (Background)", "Test ink (Background)"],
                  "%s: the attention map is a new layer above its source" % depth, names(doc.rootNode()))

    # In place with the attention map: the layer's change is one undoable
    # step, so the document stays modified until Undo has taken back every
    # change, and then holds the input again.
    doc, layer = yield from open_document(window, "gui-in-place", "U8", read("in8.raw"))
    doc.setModified(False)
    dialog = yield from press(tap, "comicgan_stylize", "in place")
    row = [dialog.style_list.item(i).text() for i in range(dialog.style_list.count())].index("Test ink")
    dialog.style_list.setCurrentRow(row)
    dialog.strength.setValue(80)
    dialog.keep_colors.setChecked(False)
    dialog.new_layer.setChecked(False)
    dialog.attention.setChecked(True)
    status = yield from go(tap, dialog, "in place")
    tap.check(names(doc.rootNode()) == ["Background", "Attention: Test ink (Background)"],
              "in place: the map is the only new layer", names(doc.rootNode()))
    tap.check("1 new layer(s), 1 layer(s) changed" in status, "in place: the status counts one new layer", status)
    layer = layer_named(doc.rootNode(), "Background")
    tap.check(layer is not None and bytes(layer.pixelData(0, 0, W, H)) == read("out8.raw"),
              "in place: the layer holds the comicgan command's output")
    tap.check(doc.modified(), "in place: the document is modified")
    undo, steps = k.action("edit_undo"), 0
    while layer_named(doc.rootNode(), "Attention: Test ink (Background)") is not None and steps < 5:
        tap.check(doc.modified(), "in place: modified while Undo has not reached the saved state (step %d)"
                  % steps)
        undo.trigger()
        steps += 1
        yield from settle(0.5)
    layer = layer_named(doc.rootNode(), "Background")
    tap.check(names(doc.rootNode()) == ["Background"] and bytes(layer.pixelData(0, 0, W, H)) == read("in8.raw"),
              "in place: Undo takes the layer back to the input, and the map away", names(doc.rootNode()))
    tap.check(not doc.modified(), "in place: back at the saved state, the document is not modified")
    yield from settle(0.5)
    dialog.cancel.click()   # "Close": the next action opens it afresh
    yield from settle(0.5)

    # Frames: the layers of the active group.
    doc = k.createDocument(W, H, "gui-frames", "RGBA", "U8", SRGB, 72.0)
    group = doc.createGroupLayer("Shot")
    doc.rootNode().addChildNode(group, None)
    for i, name in enumerate(("frame 1", "frame 2")):
        layer = doc.createNode(name, "paintlayer")
        group.addChildNode(layer, None)
        layer.setPixelData(read("in8.raw" if i == 0 else "in8b.raw"), 0, 0, W, H)
    window.addView(doc)
    yield from settle(1)
    # As a click on the group in the Layers docker does.
    doc.setActiveNode(group)
    yield from settle(1)
    dialog = yield from press(tap, "comicgan_frames", "frames")
    dialog.new_layer.setChecked(True)   # the dialog remembers the in-place choice above
    yield from go(tap, dialog, "frames")
    got = names(group)
    tap.check("Test ink (frame 1)" in got and "Test ink (frame 2)" in got,
              "frames: each layer of the group gets its stylized layer", "%s\n%s" % (got, dialog.status.text()))

    # Cancel in the middle of a long run.
    big_w, big_h = 2400, 1600
    doc, layer = yield from open_document(window, "gui-cancel", "U8", bytes(range(256)) * (big_w * big_h * 4 // 256),
                               big_w, big_h)
    dialog = yield from press(tap, "comicgan_stylize", "cancel")
    dialog.go.click()
    started = yield from wait_until(lambda: dialog.progress.value() > 0 or dialog.run is None, 60)
    yield from settle(0.3)
    running = dialog.run is not None
    tap.check(started and running and dialog.cancel.text().replace("&", "") == "Cancel",
              "a long run shows progress and a Cancel button",
              "%s %s %s %s" % (started, running, dialog.cancel.text(), dialog.status.text()))
    screenshot("running.png")
    dialog.cancel.click()
    yield from wait_until(lambda: dialog.run is None, 30)
    tap.check(dialog.run is None and "Cancelled" in dialog.status.text() and names(doc.rootNode()) == ["Background"],
              "Cancel stops it and adds no layer", "%s %s" % (dialog.status.text(), names(doc.rootNode())))
    tap.check(dialog.isVisible() and dialog.cancel.text().replace("&", "") == "Close",
              "the dialog stays open, ready again")

    process = dialog.bridge._process
    dialog.cancel.click()   # now "Close"
    yield from settle(0.5)
    tap.check(not dialog.isVisible() and process.state() == 0, "Close ends the bridge process")

    yield from check_reference(tap, window)


def largest_difference(got, want):
    return max((abs(a - b) for a, b in zip(got, want)), default=0) if len(got) == len(want) else None


def check_reference(tap, window):
    """Stylize Layer from Reference, with another layer and with a picture
    file as the reference: the results equal the comicgan command's
    --reference output within 1/255."""
    if not os.path.exists(os.path.join(DIR, "refout8.raw")):
        tap.out.write("# the comicgan command is not built: Stylize Layer from Reference is not compared\n")
        return
    doc, layer = yield from open_document(window, "gui-reference", "U8", read("in8.raw"))
    reference = doc.createNode("Reference", "paintlayer")
    doc.rootNode().addChildNode(reference, layer)
    reference.setPixelData(read("in8b.raw"), 0, 0, W, H)
    yield from settle(1)
    # As a click on the layer in the Layers docker does (the new layer was chosen).
    doc.setActiveNode(layer)
    yield from settle(1)
    dialog = yield from press(tap, "comicgan_reference", "reference")
    if dialog is None:
        return
    listed = [dialog.style_list.item(i).text() for i in range(dialog.style_list.count())]
    offered = [dialog.reference.itemText(i) for i in range(dialog.reference.count())]
    # Listed first: the test's reference model; after it, any the installed or the
    # source tree's model folders hold (one ships), and no other kind of style.
    tap.check(dialog.windowTitle().endswith("Stylize Layer from Reference") and listed[:1] == ["Test reference"]
              and all(s.get("reference") for s in dialog.styles) and offered == ["Reference"],
              "reference: the dialog lists the reference style and offers the other layer",
              "%s %s %s" % (dialog.windowTitle(), listed, offered))
    dialog.reference.setCurrentIndex(0)
    dialog.strength.setValue(100)
    dialog.keep_colors.setChecked(True)
    dialog.new_layer.setChecked(True)
    for number, value in ((dialog.line_weight, 0), (dialog.denoise, 0), (dialog.contrast, 1)):
        number.setValue(value)
    dialog.split.setChecked(True)
    shown = yield from wait_until(lambda: dialog.view.styled is not None and dialog.preview.pending is None, 60)
    yield from settle(0.5)
    screenshot("reference.png")
    tap.check(shown and dialog.preview_status.text() == "", "reference: the preview shows the result",
              dialog.preview_status.text())
    dialog.split.setChecked(False)
    yield from go(tap, dialog, "reference")
    result = layer_named(doc.rootNode(), "Test reference (Background)")
    worst = largest_difference(bytes(result.pixelData(0, 0, W, H)), read("refkeep8.raw")) if result else None
    tap.check(worst is not None and worst <= 1,
              "reference: another layer as the reference, the layer's colours: the comicgan command's "
              "--reference --keep-colors output within 1/255 (%s)" % worst, names(doc.rootNode()))
    if result is not None:
        result.remove()
    yield from settle(0.5)
    doc.setActiveNode(layer)
    yield from settle(1)

    # What the Picture File… button does once a file is chosen.
    dialog.add_reference_file(os.path.join(DIR, "ref8.png"))
    dialog.strength.setValue(70)
    dialog.keep_colors.setChecked(False)
    yield from go(tap, dialog, "reference from a file")
    result = layer_named(doc.rootNode(), "Test reference (Background)")
    worst = largest_difference(bytes(result.pixelData(0, 0, W, H)), read("refout8.raw")) if result else None
    tap.check(worst is not None and worst <= 1,
              "reference: a picture file as the reference, its colours, strength 0.7: the comicgan command's "
              "--reference output within 1/255 (%s)" % worst, names(doc.rootNode()))
    yield from settle(1)
    screenshot("reference-after.png")
    process = dialog.bridge._process
    dialog.cancel.click()
    yield from settle(0.5)
    tap.check(not dialog.isVisible() and process.state() == 0, "reference: Close ends the bridge process")


def checks():
    tap = Tap(os.path.join(DIR, "gui.tap"))
    try:
        yield from run_checks(tap)
    except Exception:
        tap.check(False, "the GUI check ran to the end", traceback.format_exc())
    tap.done()


def start():
    drive(checks())


Krita.instance().notifier().windowCreated.connect(lambda: QTimer.singleShot(2000, start))
