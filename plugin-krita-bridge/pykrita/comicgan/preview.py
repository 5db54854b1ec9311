"""The dialog's live preview: the layer, fitted or at 100%, stylized by the
bridge with the dialog's settings, with the attention map over it and a
before/after split.

Nothing here waits: requests go to the bridge (a QProcess) and their replies
come back through Qt's event loop. A change restarts a short timer; when it
fires, the request in flight is cancelled and a new one sent, and a reply to
anything but the newest request is dropped.

The preview works on 8-bit sRGB copies (what the screen shows): the fitted
view on the layer scaled down, the 100% view on the part shown. Each is
stylized at the scale the whole layer would be, so strokes have the size
they will have in the result. A reference style's picture goes with the
first preview only: later ones send the style code the bridge gave back.
"""

from PyQt5.QtCore import QPoint, QRect, QSize, Qt, QTimer, pyqtSignal
from PyQt5.QtGui import QColor, QImage, QPainter, QPen
from PyQt5.QtWidgets import QWidget

from .layers import UserError, style_members, transfer_of
from .text import i18n

FIT_SIDE = 480          # the fitted copy's longest side
VIEW_MAX = 1024         # the 100% view's largest side
DELAY_MS = 200          # after the last change, before a preview starts
FIT_MAX_SCALE = 2.0     # a fitted copy is enlarged at most this much (as in GIMP's dialog)
AUTO_SIDE = 1024        # the automatic scale's long side (CG_STYLIZE_AUTO_SIDE)
MIN_SCALE, MAX_SCALE = 1.0 / 64, 4.0
ATTENTION_OPACITY = 0.6  # the overlay's, and the attention layer's, as in GIMP


def full_scale(setting, width, height):
    """The scale the whole layer is stylized at (cg_stylize_scale_of)."""
    if setting == "auto":
        side = max(width, height)
        return AUTO_SIDE / side if side > AUTO_SIDE else 1.0
    return float(setting) if setting else 1.0


def request_scale(scale):
    return 1 if abs(scale - 1) < 1e-6 else min(MAX_SCALE, max(MIN_SCALE, scale))


def layer_image(node, rect, size=None):
    """rect of node as an ARGB32 QImage, scaled to size when given. 8-bit
    sRGB layers are read as they are; others through Krita's own conversion
    to a displayable picture (Node.thumbnail)."""
    if node.colorDepth() == "U8" and transfer_of(node) == "srgb":
        if node.type() == "paintlayer":
            data = node.pixelData(rect.x(), rect.y(), rect.width(), rect.height())
        else:
            data = node.projectionPixelData(rect.x(), rect.y(), rect.width(), rect.height())
        # U8 is B, G, R, A bytes: Qt's ARGB32 on little-endian machines.
        image = QImage(bytes(data), rect.width(), rect.height(), rect.width() * 4, QImage.Format_ARGB32).copy()
    else:
        b = node.bounds()
        whole = node.thumbnail(b.width(), b.height()).convertToFormat(QImage.Format_ARGB32)
        image = whole.copy(rect.translated(-b.x(), -b.y()))
    if size is not None and size != image.size():
        image = image.scaled(size, Qt.IgnoreAspectRatio, Qt.SmoothTransformation)
    return image.convertToFormat(QImage.Format_ARGB32)


def image_bytes(image):
    """The pixels of an ARGB32 QImage, rows without padding (the U8 layout)."""
    ptr = image.constBits()
    ptr.setsize(image.sizeInBytes())
    data = bytes(ptr)
    row = image.width() * 4
    if image.bytesPerLine() == row:
        return data
    return b"".join(data[y * image.bytesPerLine():y * image.bytesPerLine() + row] for y in range(image.height()))


def image_from_bytes(data, width, height):
    return QImage(data, width, height, width * 4, QImage.Format_ARGB32).copy()


class PreviewView(QWidget):
    """Draws the preview; a click on the fitted view asks for 100% there
    (zoom_to), a drag at 100% pans (panned), a drag near the split line
    moves it."""

    zoom_to = pyqtSignal(float, float)   # the spot clicked, as fractions of the image
    panned = pyqtSignal(int, int)        # pixels dragged at 100%

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setMinimumSize(360, 300)
        self.original = None
        self.styled = None
        self.heat = None
        self.fitted = True
        self.split = False
        self.split_at = 0.5
        self._drag = None          # "split", or the press position when panning
        self._offset = QPoint()

    def sizeHint(self):
        return QSize(480, 400)

    def set_images(self, original, styled, heat):
        self.original, self.styled, self.heat = original, styled, heat
        self.update()

    def image_rect(self):
        """Where the picture is drawn in the widget."""
        if self.original is None:
            return QRect()
        size = self.original.size()
        if self.fitted:
            size = size.scaled(self.size(), Qt.KeepAspectRatio)
        x = (self.width() - size.width()) // 2 + (0 if self.fitted else self._offset.x())
        y = (self.height() - size.height()) // 2 + (0 if self.fitted else self._offset.y())
        return QRect(QPoint(x, y), size)

    def split_x(self):
        return int(self.split_at * self.width())

    def paintEvent(self, event):
        p = QPainter(self)
        p.fillRect(self.rect(), self.palette().window())
        if self.original is None:
            return
        p.setRenderHint(QPainter.SmoothPixmapTransform, self.fitted)
        target = self.image_rect()
        # A checkerboard under transparent pixels.
        p.save()
        p.setClipRect(target)
        for y in range(target.top(), target.bottom() + 1, 8):
            for x in range(target.left(), target.right() + 1, 8):
                light = ((x - target.left()) // 8 + (y - target.top()) // 8) % 2
                p.fillRect(x, y, 8, 8, QColor(153, 153, 153) if light else QColor(102, 102, 102))
        p.restore()
        shown = self.styled or self.original
        p.drawImage(target, shown)
        if self.heat is not None:
            p.drawImage(target, self.heat)
        if self.split:
            # The original left of the line, the result right of it.
            line = self.split_x()
            left = QRect(target.left(), target.top(), max(0, line - target.left()), target.height())
            p.save()
            p.setClipRect(left)
            p.drawImage(target, self.original)
            p.restore()
            p.setPen(QPen(QColor(20, 20, 20), 4))
            p.drawLine(line, 0, line, self.height())
            p.setPen(QPen(QColor(255, 255, 255), 2))
            p.drawLine(line, 0, line, self.height())

    def mousePressEvent(self, event):
        if event.button() != Qt.LeftButton or self.original is None:
            return
        if self.split and abs(event.x() - self.split_x()) <= 8:
            self._drag = "split"
        elif self.fitted:
            r = self.image_rect()
            if r.contains(event.pos()):
                self.zoom_to.emit((event.x() - r.x()) / r.width(), (event.y() - r.y()) / r.height())
        else:
            self._drag = event.pos()

    def mouseMoveEvent(self, event):
        if self._drag == "split":
            self.split_at = min(1.0, max(0.0, event.x() / max(1, self.width())))
            self.update()
        elif self._drag is not None:
            self._offset = event.pos() - self._drag
            self.update()

    def mouseReleaseEvent(self, event):
        if self._drag is not None and self._drag != "split":
            moved, self._offset = self._offset, QPoint()
            self.panned.emit(moved.x(), moved.y())
        self._drag = None


class Preview:
    """Keeps the view up to date with the dialog's settings.

    settings: a callable giving the dialog's settings (as for a Run), or
    None while no style is chosen. status(text): shows how the preview is
    doing ("Rendering…", an error, or "")."""

    def __init__(self, view, settings, status):
        self.view = view
        self.settings = settings
        self.status = status
        self.bridge = None
        self.node = None
        self.fit = None            # the fitted copy (QImage), read once per layer
        self.fit_factor = 1.0
        self.center = QPoint()     # the 100% view's centre, layer coordinates
        self.show_heat = False
        self.point = None
        self.generation = 0
        self.pending = None        # the request in flight
        self.paused = False
        self.codes = {}            # (style, reference key) -> the style code the bridge gave back
        self.timer = QTimer()
        self.timer.setSingleShot(True)
        self.timer.setInterval(DELAY_MS)
        self.timer.timeout.connect(self.send)
        view.zoom_to.connect(self._on_zoom_to)
        view.panned.connect(self._on_panned)

    # ---- what is shown -------------------------------------------------------

    def set_layer(self, node):
        """Previews node (None: nothing)."""
        self.node = node
        self.fit = None
        self.view.set_images(None, None, None)
        if node is None or node.bounds().isEmpty():
            self.node = None
            return
        b = node.bounds()
        self.fit_factor = min(1.0, FIT_SIDE / max(b.width(), b.height()))
        size = QSize(max(1, round(b.width() * self.fit_factor)), max(1, round(b.height() * self.fit_factor)))
        self.fit = layer_image(node, b, size)
        self.center = b.center()
        self.changed()

    def set_fitted(self, fitted):
        self.view.fitted = fitted
        self.changed(at_once=True)

    def set_attention(self, shown, point):
        self.show_heat, self.point = shown, point
        self.changed()

    def changed(self, at_once=False):
        """Something the preview depends on changed: render again shortly."""
        self.generation += 1
        if at_once:
            self.send()
        else:
            self.timer.start()

    def pause(self, paused):
        """While the dialog runs its action the bridge is left to it."""
        self.paused = paused
        if paused:
            self._cancel()
        else:
            self.changed()

    # ---- requests ------------------------------------------------------------

    def _cancel(self):
        self.timer.stop()
        if self.pending is not None and self.bridge is not None:
            self.bridge.cancel(self.pending)
        self.pending = None

    def _crop(self):
        """The part of the layer the 100% view shows."""
        b = self.node.bounds()
        w = min(self.view.width(), VIEW_MAX, b.width())
        h = min(self.view.height(), VIEW_MAX, b.height())
        x = min(max(self.center.x() - w // 2, b.left()), b.right() + 1 - w)
        y = min(max(self.center.y() - h // 2, b.top()), b.bottom() + 1 - h)
        self.center = QPoint(x + w // 2, y + h // 2)
        return QRect(x, y, w, h)

    def send(self):
        self._cancel()
        settings = self.settings()
        if self.paused or self.bridge is None or self.bridge.dead or self.node is None or settings is None:
            return
        b = self.node.bounds()
        scale = full_scale(settings.get("scale", "auto"), b.width(), b.height())
        if self.view.fitted:
            image = self.fit
            scale = min(scale / self.fit_factor, FIT_MAX_SCALE)
        else:
            image = layer_image(self.node, self._crop())
        self.generation += 1
        generation = self.generation
        header = {"type": "stylize", "width": image.width(), "height": image.height(), "color_model": "RGBA",
                  "depth": "U8", "transfer": "srgb"}
        header.update(style_members(settings))
        header["scale"] = request_scale(scale)
        payload = image_bytes(image)
        reference = settings.get("reference")
        if reference is not None:
            try:
                members, pixels = reference.request(self.codes, settings["style"])
            except UserError as e:
                self.status(str(e))
                return
            header.update(members)
            payload += pixels
        self.view.set_images(image, self.view.styled if self.view.original is image else None, None)
        self.status(i18n("Rendering…"))

        def on_styled(h, data):
            if reference is not None and h.get("style_code"):
                self.codes[(settings["style"], reference.key)] = h["style_code"]
            if generation != self.generation:
                return   # a newer preview is on its way
            styled = image_from_bytes(data, image.width(), image.height())
            if self.show_heat and self.point is not None:
                heat = dict(header, type="attention", opacity=ATTENTION_OPACITY, point=self.point)
                self.pending = self.bridge.call(heat, payload, done=lambda h2, d2: on_heat(styled, d2),
                                                failed=on_failed)
                return
            self.pending = None
            self.view.set_images(image, styled, None)
            self.status("")

        def on_heat(styled, data):
            if generation != self.generation:
                return
            self.pending = None
            self.view.set_images(image, styled, image_from_bytes(data, image.width(), image.height()))
            self.status("")

        def on_failed(error):
            if generation != self.generation:
                return
            self.pending = None
            if getattr(error, "code", "") != "cancelled":
                self.status(i18n("The preview failed: {0}").format(error))

        self.pending = self.bridge.call(header, payload, done=on_styled, failed=on_failed)

    def _on_zoom_to(self, fx, fy):
        b = self.node.bounds()
        self.center = QPoint(b.x() + int(fx * b.width()), b.y() + int(fy * b.height()))
        self.view.fitted = False
        self.changed(at_once=True)
        self.zoomed()

    def zoomed(self):
        """Called when a click switches the view to 100% (the dialog updates its zoom box)."""

    def _on_panned(self, dx, dy):
        self.center -= QPoint(dx, dy)
        self.changed(at_once=True)
