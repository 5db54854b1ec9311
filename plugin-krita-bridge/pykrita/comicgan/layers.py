"""Krita layers in and out: which pixels to send, and where the results go.

Krita's pixel writes (Node.setPixelData) cannot be undone, so results go to
new layers placed above their source, unless the user asks otherwise; then
the result is merged down into the layer, a step that Undo takes back.
A Run sends the requests for one action (stylize, stylize from a reference,
attention or frames) one after the other and writes each result as it
arrives.
"""

from PyQt5.QtCore import QObject, QRect, pyqtSignal

from .bridge import BridgeError
from .protocol import DEPTH_BYTES
from .text import i18n

# Pixels of context around a selection that the network sees, so the selected
# area is stylized as part of its surroundings, not as a cut-out.
CONTEXT = 64

MASK_TYPES = {"transparencymask", "filtermask", "colorizemask", "selectionmask", "transformmask"}


class UserError(Exception):
    """Something the user can fix; str() says what."""


def leaf_layers(node):
    """The layers to process for node: itself, or for a group each layer
    inside it, child by child (masks are not layers)."""
    if node.type() in MASK_TYPES:
        return []
    if node.type() == "grouplayer":
        leaves = []
        for child in node.childNodes():
            leaves += leaf_layers(child)
        return leaves
    return [node]


def transfer_of(node):
    """"linear" for linear-light profiles (Krita's float default, "...-g10.icc"),
    else "srgb"."""
    profile = (node.colorProfile() or "").lower()
    return "linear" if ("g10" in profile or "linear" in profile or "scrgb" in profile) else "srgb"


class Job:
    """One layer to send: the area (the layer's bounds, or the selection's
    with some context around it) and the selection's mask over it (None
    without a selection). The pixels are read when the request is made, so a
    group of big layers is not held in memory all at once."""

    def __init__(self, doc, node, use_selection=True):
        if node.colorModel() != "RGBA":
            raise UserError(i18n("Layer “{0}” is not RGB (it is {1}). Convert it to RGB/Alpha first "
                                 "(Image ▸ Convert Image Color Space).").format(node.name(), node.colorModel()))
        if node.colorDepth() not in DEPTH_BYTES:
            raise UserError(i18n("Layer “{0}” has a channel depth ({1}) comicgan cannot read.")
                            .format(node.name(), node.colorDepth()))
        self.node = node
        self.depth = node.colorDepth()
        self.transfer = transfer_of(node)
        bounds = node.bounds()
        if bounds.isEmpty():
            raise UserError(i18n("Layer “{0}” is empty.").format(node.name()))
        area = bounds
        self.mask = None
        selection = doc.selection() if use_selection else None
        if selection is not None and selection.width() > 0 and selection.height() > 0:
            chosen = QRect(selection.x(), selection.y(), selection.width(), selection.height())
            area = chosen.adjusted(-CONTEXT, -CONTEXT, CONTEXT, CONTEXT).intersected(bounds)
            if area.isEmpty() or not chosen.intersects(bounds):
                raise UserError(i18n("The selection does not touch layer “{0}”.").format(node.name()))
            self.mask = selection.pixelData(area.x(), area.y(), area.width(), area.height())
        self.rect = area
        self.bounds = bounds

    def size(self):
        """Bytes of the area's pixels."""
        return self.rect.width() * self.rect.height() * DEPTH_BYTES[self.depth]

    def read(self, r=None):
        """The pixels of the area (or of rectangle r), as the layer shows them."""
        r = r or self.rect
        if self.node.type() == "paintlayer":
            return self.node.pixelData(r.x(), r.y(), r.width(), r.height())
        # Vector, file, fill and clone layers: what they show.
        return self.node.projectionPixelData(r.x(), r.y(), r.width(), r.height())

    def header(self, settings):
        """The image members of a request for this job."""
        h = {"width": self.rect.width(), "height": self.rect.height(), "color_model": "RGBA",
             "depth": self.depth, "transfer": self.transfer}
        h.update(style_members(settings))
        return h

    def payload(self, with_mask):
        data = bytes(self.read())
        if with_mask:
            data += bytes(self.mask) if self.mask is not None else b"\xff" * (self.rect.width() * self.rect.height())
        return data


def style_members(settings):
    """The style members every image request shares, from the dialog's settings."""
    h = {"strength": settings["strength"], "keep_colors": settings["keep_colors"],
         "tile": settings.get("tile", 0), "scale": settings.get("scale", "auto"),
         "memory_budget": settings.get("memory_budget", 0),
         "line_weight": settings.get("line_weight", 0.0), "denoise": settings.get("denoise", 0.0),
         "contrast": settings.get("contrast", 1.0)}
    if settings.get("mix"):
        h["mix"] = settings["mix"]
    else:
        h["style"] = settings["style"]
    return h


def write_result(doc, job, data, name, new_layer):
    """Writes a stylized area: into a copy of the layer placed above it, or
    into the layer itself. Returns (the layer written, whether it is new)."""
    node = job.node
    if not new_layer and node.type() != "paintlayer":
        raise UserError(i18n("Layer “{0}” is not a paint layer; its result can only go to a new layer.")
                        .format(node.name()))
    if not new_layer and not node.childNodes() and not node.animated():
        return replace_pixels(doc, job, data, name), False
    if node.type() == "paintlayer":
        # A copy keeps the layer's offset, opacity, blending mode and pixels
        # outside the area.
        target = node.duplicate()
        target.setName(name)
        node.parentNode().addChildNode(target, node)
    else:
        target = new_paint_layer(doc, node, name)
        b = job.bounds
        target.setPixelData(job.read(b), b.x(), b.y(), b.width(), b.height())
    r = job.rect
    target.setPixelData(data, r.x(), r.y(), r.width(), r.height())
    return target, True


def replace_pixels(doc, job, data, name):
    """The result written into the layer itself as one undoable step.

    A bare setPixelData is not on the undo stack: undoing any later step back
    to the saved state would then mark the document unmodified while the layer
    still differs, and Krita would close it without asking. So the result goes
    into a copy above the layer whose "copy" blending replaces what is under
    it, and the copy is merged down ("Merge Down" in the undo history). Merging
    resets the layer's own properties, so they are put back."""
    node = job.node
    keep = (node.name(), node.opacity(), node.blendingMode(), node.visible(), node.locked(),
            node.alphaLocked(), node.inheritAlpha(), node.colorLabel())
    parent = node.parentNode()
    count = len(parent.childNodes())
    place = parent.childNodes().index(node)   # Node's == compares the layers themselves
    top = node.duplicate()
    top.setName(name)   # what Undo shows for a moment: the result, above its source
    parent.addChildNode(top, node)
    r = job.rect
    top.setPixelData(data, r.x(), r.y(), r.width(), r.height())
    top.setBlendingMode("copy")
    top.setOpacity(255)
    doc.waitForDone()
    top.mergeDown()   # returns None in Krita 5.1: the merged layer takes the source's place
    doc.waitForDone()
    siblings = parent.childNodes()
    merged = siblings[place] if len(siblings) == count else None
    if merged is None:
        raise UserError(i18n("Krita could not merge the result into layer “{0}”.").format(keep[0]))
    merged.setName(keep[0])
    merged.setOpacity(keep[1])
    merged.setBlendingMode(keep[2])
    merged.setVisible(keep[3])
    merged.setLocked(keep[4])
    merged.setAlphaLocked(keep[5])
    merged.setInheritAlpha(keep[6])
    merged.setColorLabel(keep[7])
    job.node = merged
    return merged


def new_paint_layer(doc, above, name):
    """An empty paint layer above `above`, in the same colour space."""
    layer = doc.createNode(name, "paintlayer")
    if layer.colorModel() != above.colorModel() or layer.colorDepth() != above.colorDepth():
        layer.setColorSpace(above.colorModel(), above.colorDepth(), above.colorProfile())
    above.parentNode().addChildNode(layer, above)
    return layer


def write_attention(doc, job, data, name):
    """The map as a new layer above the job's layer: opaque colours at 60 %
    opacity, as GIMP's plug-in makes it, so the picture shows through."""
    layer = new_paint_layer(doc, job.node, name)
    layer.setOpacity(round(255 * 0.6))
    r = job.rect
    layer.setPixelData(data, r.x(), r.y(), r.width(), r.height())
    return layer


class BridgeRun(QObject):
    """What every action on a document has: the bridge, the layers it was
    given, the layers it made or changed for the dialog to report (and to
    remove on cancel), and cancelling the request in flight. Emits
    progress(fraction) and then finished(message): "" on success, else why it
    stopped."""

    progress = pyqtSignal(float)
    finished = pyqtSignal(str)

    def __init__(self, bridge, doc, nodes, settings, parent=None):
        super().__init__(parent)
        self.bridge = bridge
        self.doc = doc
        self.settings = settings
        self.created = []        # new layers, in order
        self.changed = []        # layers whose own pixels were replaced
        self.notes = []          # what the user should know about the results
        self._nodes = nodes
        self._request = None     # the request in flight
        self._stopped = False

    def cancel(self):
        self._stopped = True
        if self._request is not None:
            self.bridge.cancel(self._request)

    def _on_failed(self, error):
        """A request failed or was cancelled: the run ends through the
        subclass's _finish(message)."""
        self._request = None
        if isinstance(error, BridgeError) and error.code == "cancelled":
            self._finish(i18n("Cancelled."))
        else:
            self._finish(str(error))


class Run(BridgeRun):
    """One action on a document: mode "stylize" (each layer, plus its attention
    map when settings["attention"]), "reference" (each layer in the style of
    settings["reference"], a reference.Reference), "attention" (maps only) or
    "frames" (the layers as frames of one animation)."""

    def __init__(self, bridge, doc, nodes, mode, settings, parent=None):
        super().__init__(bridge, doc, nodes, settings, parent)
        self.mode = mode
        self._steps = []         # (kind, jobs) still to send
        self._done_steps = 0
        self._codes = {}         # (style, reference key) -> the style code the bridge gave back

    def start(self):
        try:
            leaves = []
            for node in self._nodes:
                leaves += [n for n in leaf_layers(node) if n not in leaves]
            if not leaves:
                raise UserError(i18n("There is no layer to process: choose a paint layer or a group."))
            if self.mode == "reference" and self.settings.get("reference") is None:
                raise UserError(i18n("Choose the reference: another layer of the image, or a picture file."))
            jobs = [Job(self.doc, n) for n in leaves]
        except UserError as e:
            self.finished.emit(str(e))
            return
        if self.mode == "frames":
            self._steps = [("stylize-frames", jobs)]
        else:
            # The map first: it is made from the layer as it is, before a
            # stylize in place changes it; and the stylized layer, placed
            # right above the source next, ends up under the map.
            for job in jobs:
                if self.mode == "attention" or self.settings.get("attention"):
                    self._steps.append(("attention", [job]))
                if self.mode in ("stylize", "reference"):
                    self._steps.append(("stylize", [job]))
        self._total = len(self._steps)
        self._next()

    def _next(self):
        if self._stopped:
            self._finish(i18n("Cancelled."))
            return
        if not self._steps:
            self.doc.refreshProjection()
            self._finish("")
            return
        kind, jobs = self._steps[0]
        header = {"type": kind}
        if kind == "stylize-frames":
            header.update(jobs[0].header(self.settings))
            del header["width"], header["height"]
            header["frames"] = [{"width": j.rect.width(), "height": j.rect.height()} for j in jobs]
            depths = {j.depth for j in jobs}
            if len(depths) > 1:
                self._finish(i18n("The frames' layers have different channel depths ({0}); convert them to one.")
                             .format(", ".join(sorted(depths))))
                return
        else:
            header.update(jobs[0].header(self.settings))
        if kind == "attention":
            header["opacity"] = self.settings.get("opacity", 1.0)
            if self.settings.get("point") is not None:
                header["point"] = self.settings["point"]
        else:
            # One frame with a mask makes every frame carry one (all 255 where
            # there is no selection).
            header["mask"] = any(j.mask is not None for j in jobs)
        payload = b"".join(j.payload(header.get("mask", False)) for j in jobs)
        reference = self.settings.get("reference") if self.mode == "reference" else None
        if reference is not None:
            # The picture with the first layer; its code, once known, with the others.
            try:
                members, pixels = reference.request(self._codes, self.settings["style"])
            except UserError as e:
                self._finish(str(e))
                return
            header.update(members)
            payload += pixels
        self._request = self.bridge.call(header, payload, done=self._on_done, failed=self._on_failed,
                                         progress=self._on_progress)

    def _on_progress(self, fraction):
        self.progress.emit((self._done_steps + fraction) / max(1, self._total))

    def _on_done(self, header, payload):
        kind, jobs = self._steps.pop(0)
        self._request = None
        self._done_steps += 1
        if header.get("style_code") and self.mode == "reference":
            self._codes[(self.settings["style"], self.settings["reference"].key)] = header["style_code"]
        try:
            offset = 0
            for job in jobs:
                size = job.size()
                data = payload[offset:offset + size]
                offset += size
                if len(data) != size:
                    raise UserError(i18n("The bridge sent back a result of the wrong size."))
                if kind == "attention":
                    name = i18n("Attention: {0} ({1})").format(self.settings["display_name"], job.node.name())
                    self.created.append(write_attention(self.doc, job, data, name))
                else:
                    name = "{0} ({1})".format(self.settings["display_name"], job.node.name())
                    layer, new = write_result(self.doc, job, data, name, self.settings["new_layer"])
                    (self.created if new else self.changed).append(layer)
                    if new and not self.settings["new_layer"]:
                        # merging down would bake its masks or flatten its frames
                        self.notes.append(i18n("Layer “{0}” has masks or animation frames, so its result is a "
                                               "new layer.").format(job.node.name()))
        except UserError as e:
            self._finish(str(e))
            return
        self.progress.emit(self._done_steps / max(1, self._total))
        self._next()

    def _finish(self, message):
        if self._stopped or message == i18n("Cancelled."):
            # Cancel means no new layers: an attention map already made for
            # the first layer goes too. Layers changed in place stay changed
            # (each is one step Undo takes back), and the message says so.
            for layer in self.created:
                layer.remove()
            self.created = []
            if self.changed:
                message += " " + i18n("{0} layer(s) were already changed; Edit ▸ Undo takes them back.").format(
                    len(self.changed))
        if self.created or self.changed:
            self.doc.refreshProjection()
        self._steps = []
        self.finished.emit(message)
