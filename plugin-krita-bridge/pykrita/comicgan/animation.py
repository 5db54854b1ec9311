"""Stylizing an animated paint layer: every keyframe, with statistics shared
by all of them, into a new animated layer with the same keyframe times.

The frames are streamed (PROTOCOL.md, "animation"): each is read from Krita
when it is sent, twice (once for the statistics, once to be stylized), and
each result is written as it comes back, so neither Krita nor the bridge
holds every frame at once.

Krita 5.1's Python API cannot add keyframes to a layer, so the new layer is
a copy of the source layer, which has its keyframes at the same times; each
keyframe of the copy is then overwritten with its stylized frame, with the
document's current time set to that keyframe (Node.setPixelData writes the
frame shown at the current time).
"""

import time

from PyQt5.QtCore import QCoreApplication, QEventLoop

from .layers import BridgeRun, UserError, style_members, transfer_of
from .protocol import DEPTH_BYTES
from .text import i18n

# Shares of the progress bar: reading and keeping the frames, computing the
# statistics (about one pass of the network over every frame), stylizing.
SHARE_READ, SHARE_STATS = 0.1, 0.4


def keyframe_times(doc, node):
    """The times of node's keyframes that the animation shows: from 0 to the
    end of the document's frame range."""
    return [t for t in range(0, doc.fullClipRangeEndTime() + 1) if node.hasKeyframeAtTime(t)]


class AnimationRun(BridgeRun):
    """Stylizes the keyframes of one animated paint layer; the dialog's
    "animation" mode. On failure or cancel no new layer is left behind."""

    def __init__(self, bridge, doc, nodes, mode, settings, parent=None):
        super().__init__(bridge, doc, nodes, settings, parent)
        self._animation = None   # the bridge's id for the animation, once open
        self._target = None      # the new layer, from the first result on

    def start(self):
        try:
            self._check()
        except UserError as e:
            self.finished.emit(str(e))
            return
        header = {"type": "animation", "count": len(self._times), "color_model": "RGBA",
                  "depth": self.node.colorDepth(), "transfer": transfer_of(self.node)}
        header.update(style_members(self.settings))
        self._call(header, b"", self._on_open)

    def _check(self):
        if len(self._nodes) != 1:
            raise UserError(i18n("Choose one animated paint layer."))
        node = self.node = self._nodes[0]
        if node.type() != "paintlayer":
            raise UserError(i18n("Layer “{0}” is not a paint layer: choose the animated paint layer itself.")
                            .format(node.name()))
        if not node.animated():
            raise UserError(i18n("Layer “{0}” is not animated. Use Stylize Layer for a still layer, or add "
                                 "frames to it in the Animation Timeline first.").format(node.name()))
        if node.colorModel() != "RGBA":
            raise UserError(i18n("Layer “{0}” is not RGB (it is {1}). Convert it to RGB/Alpha first "
                                 "(Image ▸ Convert Image Color Space).").format(node.name(), node.colorModel()))
        if node.colorDepth() not in DEPTH_BYTES:
            raise UserError(i18n("Layer “{0}” has a channel depth ({1}) comicgan cannot read.")
                            .format(node.name(), node.colorDepth()))
        self._times = keyframe_times(self.doc, node)
        if not self._times:
            raise UserError(i18n("Layer “{0}” has no keyframes between frame 0 and the end of the animation "
                                 "(frame {1}).").format(node.name(), self.doc.fullClipRangeEndTime()))
        # The canvas: what the animation shows, the same size in every frame.
        self._size = (self.doc.width(), self.doc.height())
        selection = self.doc.selection()
        self._mask = None
        if selection is not None and selection.width() > 0 and selection.height() > 0:
            self._mask = bytes(selection.pixelData(0, 0, *self._size))
        self._start_time = self.doc.currentTime()

    # ---- the two passes ------------------------------------------------------

    def _call(self, header, payload, done, progress=None):
        self._request = self.bridge.call(header, payload, done=done, failed=self._on_failed, progress=progress)

    def _frame(self, index, stylize):
        """Sends frame index, read from Krita now."""
        if self._stopped:
            self._finish(i18n("Cancelled."))
            return
        w, h = self._size
        data = bytes(self.node.pixelDataAtTime(0, 0, w, h, self._times[index]))
        if len(data) != w * h * DEPTH_BYTES[self.node.colorDepth()]:
            self._finish(i18n("Krita gave no pixels for frame {0} of layer “{1}”.")
                       .format(self._times[index], self.node.name()))
            return
        mask = stylize and self._mask is not None
        header = {"type": "animation-frame", "animation": self._animation, "index": index, "width": w,
                  "height": h, "color_model": "RGBA", "depth": self.node.colorDepth(), "mask": mask}
        last = index == len(self._times) - 1
        if stylize:
            progress = lambda f: self._progress(SHARE_READ + SHARE_STATS, index + f)  # noqa: E731
        elif last:
            progress = lambda f: self._progress(SHARE_READ, f * len(self._times), SHARE_STATS)  # noqa: E731
        else:
            progress = None
        self._call(header, data + (self._mask if mask else b""),
                   self._on_result if stylize else self._on_stored, progress)

    def _progress(self, base, done, share=1 - SHARE_READ - SHARE_STATS):
        self.progress.emit(base + share * done / len(self._times))

    def _on_open(self, header, payload):
        self._request = None
        self._animation = header["id"]
        self._frame(0, False)

    def _on_stored(self, header, payload):
        self._request = None
        if header.get("pass") == "stylize":
            self._progress(SHARE_READ, len(self._times), SHARE_STATS)
            self._frame(0, True)
        else:
            self._progress(0, header["next"], SHARE_READ)
            self._frame(header["next"], False)

    def _on_result(self, header, payload):
        self._request = None
        index = header.get("index")
        w, h = self._size
        if index is None or not 0 <= index < len(self._times) or \
                len(payload) != w * h * DEPTH_BYTES[self.node.colorDepth()]:
            self._finish(i18n("The bridge sent back a frame of the wrong size."))
            return
        try:
            self._write(self._times[index], payload)
        except UserError as e:
            self._finish(str(e))
            return
        self._progress(SHARE_READ + SHARE_STATS, index + 1)
        if index + 1 < len(self._times):
            self._frame(index + 1, True)
        else:
            self._go_to(self._start_time)
            self.doc.setModified(True)
            self.doc.refreshProjection()
            self.created = [self._target]
            self.finished.emit("")

    def _write(self, time_, data):
        if self._target is None:
            # A copy has the source's keyframes at the same times (see above),
            # its offset, opacity, blending mode and masks.
            self._target = self.node.duplicate()
            self._target.setName("{0} ({1})".format(self.settings["display_name"], self.node.name()))
            self.node.parentNode().addChildNode(self._target, self.node)
        if not self._go_to(time_):
            raise UserError(i18n("Krita did not go to frame {0}.").format(time_))
        w, h = self._size
        self._target.setPixelData(data, 0, 0, w, h)
        self.doc.waitForDone()

    def _go_to(self, time_):
        """Makes time_ the document's current time. Krita switches frames
        from its event loop, so this waits for it (user input stays queued:
        the dialog's buttons cannot run code in the middle)."""
        self.doc.setCurrentTime(time_)
        end = time.monotonic() + 10
        while time.monotonic() < end:
            self.doc.waitForDone()
            if self.doc.currentTime() == time_:
                return True
            QCoreApplication.processEvents(QEventLoop.ExcludeUserInputEvents, 20)
        return False

    # ---- ending ----------------------------------------------------------------

    def _finish(self, message):
        """Ends the run without a result, saying why: the half-made layer
        goes, and the bridge forgets the animation."""
        if self._target is not None:
            self._target.remove()
            self._target = None
            self._go_to(self._start_time)
            self.doc.refreshProjection()
        if self._animation is not None and not self.bridge.dead:
            self.bridge.call({"type": "animation-end", "animation": self._animation})
        self.finished.emit(message)
