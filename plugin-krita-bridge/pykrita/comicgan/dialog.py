"""The comicgan dialog: presets, style (with thumbnails made from the layer),
a second style mixed in, strength, post-processing, keep colors, output as a
new layer, attention map, and a live preview; a progress bar with Cancel. In
its "reference" mode it lists the reference styles and takes the style from
a reference picture: another layer of the image or a picture file.

The dialog is not modal and never waits: the bridge answers through
callbacks from Qt's event loop, so Krita stays usable while it works.
"""

import math
import time

from PyQt5.QtCore import QRect, QSize, Qt
from PyQt5.QtGui import QIcon, QImage, QPixmap
from PyQt5.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog,
                             QGridLayout, QHBoxLayout, QInputDialog, QLabel, QListView, QListWidget,
                             QListWidgetItem, QProgressBar, QPushButton, QSlider, QSpinBox, QVBoxLayout)

from . import presets
from .animation import AnimationRun
from .bridge import Bridge, find_bridge
from .layers import Run
from .preview import Preview, PreviewView, image_bytes, image_from_bytes, layer_image
from .reference import Reference, reference_layers
from .text import i18n

THUMBNAIL = 96
SETTINGS_GROUP = "comicgan"
# Item data of a style whose thumbnail was made from the user's layer.
FROM_LAYER = Qt.UserRole + 1

TITLES = {
    "stylize": lambda: i18n("Stylize Layer"),
    "attention": lambda: i18n("Attention Map"),
    "frames": lambda: i18n("Stylize Layers as Frames"),
    "animation": lambda: i18n("Stylize Animation"),
    "reference": lambda: i18n("Stylize Layer from Reference"),
}
ACTION_LABELS = {
    "stylize": lambda: i18n("Stylize"),
    "attention": lambda: i18n("Make Map"),
    "frames": lambda: i18n("Stylize Frames"),
    "animation": lambda: i18n("Stylize Animation"),
    "reference": lambda: i18n("Stylize"),
}
MISSING_BRIDGE = lambda: i18n(  # noqa: E731
    "The comicgan-bridge program was not found, so comicgan cannot run.\n"
    "Install comicgan with the command in its README (it installs the bridge and this plug-in), "
    "or set COMICGAN_BRIDGE to the program's path, then restart Krita.")


def read_setting(krita, key, default):
    value = krita.readSetting(SETTINGS_GROUP, key, str(default)) if krita else str(default)
    if isinstance(default, bool):
        return value == "True"
    if isinstance(default, (int, float)):
        try:
            return type(default)(value)
        except ValueError:
            return default
    return value


class NumberRow:
    """A slider and a number box showing one value from lo to hi."""

    def __init__(self, lo, hi, value, decimals=2, suffix=""):
        self.factor = 10 ** decimals
        self.slider = QSlider(Qt.Horizontal)
        self.slider.setRange(round(lo * self.factor), round(hi * self.factor))
        self.box = QDoubleSpinBox()
        self.box.setRange(lo, hi)
        self.box.setDecimals(decimals)
        self.box.setSingleStep(1 / self.factor if decimals == 0 else 0.05)
        self.box.setSuffix(suffix)
        self.slider.valueChanged.connect(lambda v: self.box.setValue(v / self.factor))
        self.box.valueChanged.connect(lambda v: self.slider.setValue(round(v * self.factor)))
        self.box.setValue(value)
        self.slider.setValue(round(value * self.factor))
        self.valueChanged = self.box.valueChanged

    def value(self):
        v = self.box.value()
        return round(v) if self.factor == 1 else v

    def setValue(self, v):
        self.box.setValue(v)

    def setEnabled(self, on):
        self.slider.setEnabled(on)
        self.box.setEnabled(on)

    def setVisible(self, on):
        for w in (self.label, self.slider, self.box):
            w.setVisible(on)

    def add_to(self, grid, row, label):
        self.label = QLabel(label)
        grid.addWidget(self.label, row, 0)
        grid.addWidget(self.slider, row, 1)
        grid.addWidget(self.box, row, 2)


# The memory budget in MiB (the request's "memory_budget"): the engine's
# default, and the range offered (the maximum is the bridge's).
MEMORY_DEFAULT = 768
MEMORY_MIN = 256
MEMORY_MAX = 1 << 20


# The "Detail size" choices: the request's "scale" member and the label
# (automatic: as if the long side were 1024 pixels; see PROTOCOL.md).
SCALES = [("auto", i18n("Automatic (as on a 1024-pixel image)")),
          (1, i18n("Native (every pixel)")),
          (0.5, i18n("Coarse (half size)")),
          (0.25, i18n("Very coarse (quarter size)"))]


class ComicganDialog(QDialog):
    def __init__(self, krita, mode, parent=None):
        super().__init__(parent)
        self.krita = krita
        self.mode = None
        self.all_styles = []    # every style list-styles gave
        self.styles = []        # those the mode uses, in the list's order
        self._catalog = {}      # list-styles' reply: folders and broken models, for the message when none fit
        self._references = []   # the references offered (reference.Reference), in the box's order
        self._reference_files = []  # picture files chosen as references, newest last
        self._reference_doc = self._reference_node = None  # the document and layer they were offered for
        self.run = None
        self._started = time.monotonic()  # of the run in progress, for the time left
        self.bridge = None
        self._syncing = False   # the dialog, not the user, is setting the attention box
        self._retick = False    # the box was unticked for a style without a map: tick it again for one with
        self._thumbs = 0        # the generation of the layer's thumbnails
        self._build()
        self.set_mode(mode)
        self._start_bridge()

    # ---- layout --------------------------------------------------------------

    def _build(self):
        outer = QHBoxLayout(self)
        outer.addLayout(self._build_preview(), 1)
        layout = QVBoxLayout()
        outer.addLayout(layout)

        row = QHBoxLayout()
        row.addWidget(QLabel(i18n("Preset:")))
        self.preset = QComboBox()
        self.preset.setToolTip(i18n("Choosing a preset sets every option below; GIMP's comicgan plug-in "
                                    "shares these presets."))
        self.preset.activated.connect(self._on_preset_chosen)
        row.addWidget(self.preset, 1)
        self.preset_save = QPushButton(i18n("Save…"))
        self.preset_save.clicked.connect(self._on_preset_save)
        row.addWidget(self.preset_save)
        self.preset_delete = QPushButton(i18n("Delete"))
        self.preset_delete.clicked.connect(self._on_preset_delete)
        row.addWidget(self.preset_delete)
        layout.addLayout(row)
        self.preset_note = QLabel()
        self.preset_note.setWordWrap(True)
        self.preset_note.hide()
        layout.addWidget(self.preset_note)

        layout.addWidget(QLabel(i18n("Style:")))
        self.style_list = QListWidget()
        self.style_list.setViewMode(QListView.IconMode)
        self.style_list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.style_list.setGridSize(QSize(THUMBNAIL + 28, THUMBNAIL + 36))
        self.style_list.setResizeMode(QListView.Adjust)
        self.style_list.setMovement(QListView.Static)
        self.style_list.setWordWrap(True)
        # two rows of styles at least, as GIMP's grid shows
        self.style_list.setMinimumSize(3 * (THUMBNAIL + 28) + 24, 2 * (THUMBNAIL + 36) + 12)
        self.style_list.currentRowChanged.connect(self._on_style_changed)
        layout.addWidget(self.style_list, 1)
        self.description = QLabel()
        self.description.setWordWrap(True)
        layout.addWidget(self.description)

        row = QHBoxLayout()
        self.reference_label = QLabel(i18n("Reference:"))
        row.addWidget(self.reference_label)
        self.reference = QComboBox()
        self.reference.setToolTip(i18n("The picture whose style the layer takes: another layer of this image, "
                                       "or a picture file."))
        self.reference.currentIndexChanged.connect(self._preview_changed)
        row.addWidget(self.reference, 1)
        self.reference_file = QPushButton(i18n("Picture File…"))
        self.reference_file.clicked.connect(self._on_reference_file)
        row.addWidget(self.reference_file)
        layout.addLayout(row)

        # The ranges and defaults are the engine's (and the comicgan command's).
        grid = QGridLayout()
        self.strength = NumberRow(0, 100, read_setting(self.krita, "strength", 100), 0, " %")
        self.strength.add_to(grid, 0, i18n("Strength:"))
        self.style_b_label = QLabel(i18n("Mix with:"))
        grid.addWidget(self.style_b_label, 1, 0)
        self.style_b = QComboBox()
        self.style_b.setToolTip(i18n("A second style of the same network, blended in by the slider below."))
        grid.addWidget(self.style_b, 1, 1, 1, 2)
        self.mix = NumberRow(0, 100, read_setting(self.krita, "mix", 0), 0, " %")
        self.mix.slider.setToolTip(i18n("How much of the second style: 0 is the first style alone, 100 the "
                                        "second alone."))
        self.mix.add_to(grid, 2, i18n("Mix:"))
        self.line_weight = NumberRow(-1, 1, read_setting(self.krita, "line_weight", 0.0))
        self.line_weight.slider.setToolTip(i18n("Thins (below 0) or thickens (above 0) the dark lines."))
        self.line_weight.add_to(grid, 3, i18n("Line weight:"))
        self.denoise = NumberRow(0, 1, read_setting(self.krita, "denoise", 0.0))
        self.denoise.slider.setToolTip(i18n("Smooths the result, keeping its edges."))
        self.denoise.add_to(grid, 4, i18n("Denoise:"))
        self.contrast = NumberRow(0.5, 2, read_setting(self.krita, "contrast", 1.0))
        self.contrast.add_to(grid, 5, i18n("Contrast:"))
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.strength_box = self.strength.box

        self.keep_colors = QCheckBox(i18n("Keep the layer's colors"))
        self.keep_colors.setChecked(read_setting(self.krita, "keep_colors", False))
        layout.addWidget(self.keep_colors)

        row = QHBoxLayout()
        row.addWidget(QLabel(i18n("Detail size:")))
        self.scale = QComboBox()
        for value, label in SCALES:
            self.scale.addItem(label, value)
        saved = read_setting(self.krita, "scale", "auto")
        self.scale.setCurrentIndex(max(0, next((i for i, (v, _) in enumerate(SCALES) if str(v) == saved), 0)))
        self.scale.setToolTip(i18n("How large the strokes, dots and outlines are. Automatic draws them as on a "
                                   "1024-pixel image whatever the layer's size; native draws them at the "
                                   "network's own size in pixels, thin on a large image."))
        row.addWidget(self.scale, 1)
        row.addWidget(QLabel(i18n("Memory:")))
        self.memory = QSpinBox()
        self.memory.setRange(MEMORY_MIN, MEMORY_MAX)
        self.memory.setSingleStep(256)
        self.memory.setSuffix(" MiB")
        self.memory.setValue(min(MEMORY_MAX, max(MEMORY_MIN, read_setting(self.krita, "memory_budget",
                                                                          MEMORY_DEFAULT))))
        self.memory.setToolTip(i18n("Memory for the network's work on large layers. More is faster: what does "
                                    "not fit goes to a temporary file (in TMPDIR) and is read back; less leaves "
                                    "more for Krita and other programs. The result is the same either way."))
        row.addWidget(self.memory)
        layout.addLayout(row)

        self.new_layer = QCheckBox(i18n("Output as a new layer"))
        self.new_layer.setChecked(read_setting(self.krita, "new_layer", True))
        self.new_layer.toggled.connect(self._update_warning)
        layout.addWidget(self.new_layer)
        self.warning = QLabel(i18n("The layer itself will be changed (Edit ▸ Undo takes it back in two steps). "
                                   "Layers with masks or animation frames still get a new layer."))
        self.warning.setWordWrap(True)
        layout.addWidget(self.warning)

        row = QHBoxLayout()
        self.attention = QCheckBox(i18n("Add an attention map layer"))
        self.attention.setChecked(read_setting(self.krita, "attention", False))
        self.attention.setToolTip(i18n("Shows, as a heatmap, where the network looks when it stylizes."))
        self.attention.toggled.connect(self._on_attention_toggled)
        row.addWidget(self.attention)
        row.addStretch(1)
        self.point_label = QLabel(i18n("Point:"))
        row.addWidget(self.point_label)
        self.point = QComboBox()
        row.addWidget(self.point)
        layout.addLayout(row)

        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        layout.addWidget(self.status)

        self.buttons = QDialogButtonBox()
        self.go = QPushButton()
        self.go.setDefault(True)
        self.go.clicked.connect(self._on_go)
        self.cancel = self.buttons.addButton(QDialogButtonBox.Cancel)
        self.cancel.clicked.connect(self._on_cancel)
        self.buttons.addButton(self.go, QDialogButtonBox.AcceptRole)
        layout.addWidget(self.buttons)

        # Every option the picture depends on updates the preview.
        for number in (self.strength, self.mix, self.line_weight, self.denoise, self.contrast):
            number.valueChanged.connect(self._preview_changed)
        self.style_b.currentIndexChanged.connect(self._on_style_b_changed)
        self.keep_colors.toggled.connect(self._preview_changed)
        self.scale.currentIndexChanged.connect(self._preview_changed)
        self.point.currentIndexChanged.connect(self._on_overlay_changed)

    def _build_preview(self):
        column = QVBoxLayout()
        self.view = PreviewView()
        column.addWidget(self.view, 1)
        bar = QHBoxLayout()
        self.zoom = QComboBox()
        self.zoom.addItem(i18n("Fit"))
        self.zoom.addItem(i18n("100%"))
        self.zoom.setToolTip(i18n("Click the fitted picture to see that spot at 100%; drag to move around."))
        self.zoom.currentIndexChanged.connect(lambda i: self.preview.set_fitted(i == 0))
        bar.addWidget(self.zoom)
        self.split = QCheckBox(i18n("Before/after"))
        self.split.setToolTip(i18n("Shows the original left of a line and the result right of it; drag the "
                                   "line to move it."))
        self.split.toggled.connect(self._on_split)
        bar.addWidget(self.split)
        self.overlay = QCheckBox(i18n("Attention"))
        self.overlay.setToolTip(i18n("Shows the attention map over the preview."))
        self.overlay.toggled.connect(self._on_overlay_changed)
        bar.addWidget(self.overlay)
        self.preview_status = QLabel()
        bar.addWidget(self.preview_status, 1)
        column.addLayout(bar)
        self.preview = Preview(self.view, self._preview_settings, self.preview_status.setText)
        self.preview.zoomed = lambda: self._set_zoom_box(1)
        return column

    def set_mode(self, mode):
        """Switches between the actions' variants of the dialog."""
        if self.run is not None:
            return
        changed = (mode == "reference") != (self.mode == "reference")
        self.mode = mode
        self.setWindowTitle("comicgan — " + TITLES[mode]())
        self.go.setText(ACTION_LABELS[mode]())
        # An animation always goes to a new animated layer.
        self.new_layer.setVisible(mode not in ("attention", "animation"))
        self.attention.setVisible(mode == "stylize")
        by_reference = mode == "reference"
        for w in (self.reference_label, self.reference, self.reference_file):
            w.setVisible(by_reference)
        # A reference style mixes with nothing and has no attention maps to show.
        for w in (self.style_b_label, self.style_b, self.mix, self.overlay):
            w.setVisible(not by_reference)
        self.keep_colors.setText(i18n("Keep the layer's colors (not the reference's)") if by_reference
                                 else i18n("Keep the layer's colors"))
        self._update_warning()
        if changed and self.all_styles:
            self._fill_styles()
        self._on_style_changed(self.style_list.currentRow())

    def _update_warning(self):
        self.warning.setVisible(self.mode not in ("attention", "animation") and not self.new_layer.isChecked())

    def _set_busy(self, busy):
        usable = bool(self.styles) and self.bridge is not None and not self.bridge.dead
        self.go.setEnabled(not busy and usable)
        for w in (self.style_list, self.strength, self.keep_colors, self.scale, self.memory, self.new_layer,
                  self.attention, self.reference, self.reference_file,
                  self.point, self.style_b, self.mix, self.line_weight, self.denoise, self.contrast, self.preset,
                  self.preset_save, self.preset_delete):
            w.setEnabled(not busy)
        self.cancel.setText(i18n("Cancel") if busy else i18n("Close"))
        if not busy:
            self._on_style_changed(self.style_list.currentRow())
            self._fill_presets(self.preset.currentText() or None)

    # ---- the bridge ----------------------------------------------------------

    def _start_bridge(self):
        self.styles = []
        path = find_bridge()
        if not path:
            self._set_busy(False)
            self.status.setText(MISSING_BRIDGE())
            return
        self.bridge = Bridge(path, self)
        self.bridge.broken.connect(self._on_broken)
        self._set_busy(True)
        self.status.setText(i18n("Loading styles…"))
        self.bridge.start(self._on_hello, self._on_load_failed)

    def _on_hello(self, header, payload):
        self.bridge.call({"type": "list-styles", "thumbnail": THUMBNAIL}, done=self._on_styles,
                         failed=self._on_load_failed, progress=self._on_progress)

    def _on_styles(self, header, payload):
        self.all_styles = header.get("styles", [])
        self._catalog = header
        for style in self.all_styles:
            thumb = style.get("thumbnail")
            if thumb:
                data = payload[thumb["offset"]:thumb["offset"] + thumb["size"]]
                # U8 is B, G, R, A bytes: Qt's ARGB32 on little-endian machines.
                image = QImage(data, thumb["width"], thumb["height"], thumb["width"] * 4,
                               QImage.Format_ARGB32).copy()
                style["icon"] = QIcon(QPixmap.fromImage(image))
        self._fill_styles()
        self.progress.setValue(0)
        self.use_layer(*self._active_layer())

    def _fill_styles(self):
        """The styles the mode uses into the list: the reference styles in
        "reference" mode, the others in the rest."""
        by_reference = self.mode == "reference"
        row = self.style_list.currentRow()
        last = self.styles[row]["name"] if 0 <= row < len(self.styles) else read_setting(self.krita, "style", "")
        self.styles = [s for s in self.all_styles if bool(s.get("reference")) == by_reference]
        self.style_list.blockSignals(True)
        self.style_list.clear()
        for i, style in enumerate(self.styles):
            item = QListWidgetItem(style.get("display_name") or style["name"])
            if "icon" in style:
                item.setIcon(style["icon"])
            item.setToolTip("{0}\n{1}".format(style["name"], style.get("description", "")).strip())
            self.style_list.addItem(item)
            if style["name"] == last:
                self.style_list.setCurrentRow(i)
        if self.styles and self.style_list.currentRow() < 0:
            self.style_list.setCurrentRow(0)
        self.style_list.blockSignals(False)
        self._fit_labels()
        if self.styles:
            self.status.setText("")
        else:
            folders = "\n".join(self._catalog.get("folders", []))
            broken = "\n".join("{0}: {1}".format(b["path"], b["error"]) for b in self._catalog.get("broken", []))
            text = (i18n("No reference styles are installed (styles that take their style from a picture). "
                         "Models were looked for in:\n{0}") if by_reference else
                    i18n("No comicgan styles are installed. Models were looked for in:\n{0}"))
            self.status.setText(text.format(folders) + ("\n" + broken if broken else ""))
        self._set_busy(self.run is not None)
        self._thumbs_from_layer()

    def _fit_labels(self):
        """Cells wide enough for the longest style name on one line, so none is
        cut short ("Cel shadi…")."""
        metrics = self.style_list.fontMetrics()
        widest = max([metrics.horizontalAdvance(self.style_list.item(i).text())
                      for i in range(self.style_list.count())] + [0])
        width = max(THUMBNAIL + 28, widest + 24)
        self.style_list.setGridSize(QSize(width, THUMBNAIL + metrics.height() + 24))
        self.style_list.setMinimumSize(3 * width + 24, THUMBNAIL + metrics.height() + 36)

    # ---- the layer: preview and thumbnails -----------------------------------

    def _active_layer(self):
        doc = self.krita.activeDocument() if self.krita else None
        node = doc.activeNode() if doc else None
        return doc, node

    def use_layer(self, doc, node):
        """Previews node, makes the style thumbnails from it (the generic
        sample's stay where there is no layer to show) and offers the
        document's other layers as references."""
        usable = node is not None and node.colorModel() == "RGBA" and not node.bounds().isEmpty()
        self.preview.bridge = self.bridge
        self.preview.set_layer(node if usable else None)
        self._fill_references(doc, node)
        self._thumbs_from_layer()

    def _thumbs_from_layer(self):
        """The listed styles' thumbnails made from the previewed layer. A
        reference style keeps the sample's: it has no reference to show yet."""
        self._thumbs += 1
        node = self.preview.node
        if node is None or self.bridge is None or self.bridge.dead:
            return
        b = node.bounds()
        side = min(b.width(), b.height())
        square = QRect(b.x() + (b.width() - side) // 2, b.y() + (b.height() - side) // 2, side, side)
        sample = layer_image(node, square, QSize(THUMBNAIL, THUMBNAIL))
        payload = image_bytes(sample)
        generation = self._thumbs
        for row, style in enumerate(self.styles):
            if style.get("reference"):
                continue
            header = {"type": "stylize", "width": THUMBNAIL, "height": THUMBNAIL, "color_model": "RGBA",
                      "depth": "U8", "transfer": "srgb", "style": style["name"], "strength": 1.0, "scale": 1}

            def done(h, data, row=row):
                if generation == self._thumbs and row < self.style_list.count():
                    item = self.style_list.item(row)
                    item.setIcon(QIcon(QPixmap.fromImage(image_from_bytes(data, THUMBNAIL, THUMBNAIL))))
                    item.setData(FROM_LAYER, True)
            self.bridge.call(header, payload, done=done, failed=lambda e: None)

    # ---- the reference -------------------------------------------------------

    def _fill_references(self, doc, node):
        """The references offered: doc's layers other than node, then the
        picture files chosen, keeping the one chosen where it is still there."""
        kept = self.current_reference()
        self._reference_doc, self._reference_node = doc, node
        self._references = [Reference(doc, layer) for layer in reference_layers(doc, node)]
        self._references += [Reference(path=path) for path in self._reference_files]
        self.reference.blockSignals(True)
        self.reference.clear()
        for ref in self._references:
            self.reference.addItem(ref.label() if ref.node is not None else
                                   i18n("File: {0}").format(ref.label()))
        keys = [ref.key for ref in self._references]
        self.reference.setCurrentIndex(keys.index(kept.key) if kept is not None and kept.key in keys else
                                       (0 if keys else -1))
        self.reference.blockSignals(False)
        self._preview_changed()

    def current_reference(self):
        """The reference chosen (a reference.Reference), or None."""
        i = self.reference.currentIndex()
        return self._references[i] if 0 <= i < len(self._references) else None

    def add_reference_file(self, path):
        """Offers the picture file at path as a reference and chooses it."""
        if path in self._reference_files:
            self._reference_files.remove(path)
        self._reference_files.append(path)
        self._fill_references(self._reference_doc, self._reference_node)
        self.reference.setCurrentIndex(self.reference.count() - 1)

    def _on_reference_file(self):
        path, _ = QFileDialog.getOpenFileName(self, i18n("Reference Picture"), "",
                                              i18n("Pictures (*.png *.jpg *.jpeg *.webp *.tif *.tiff *.bmp *.gif);;"
                                                   "All files (*)"))
        if path:
            self.add_reference_file(path)

    def showEvent(self, event):
        super().showEvent(event)
        if self.styles and self.run is None:
            doc, node = self._active_layer()
            if node is not None and node != self.preview.node:
                self.use_layer(doc, node)

    def _preview_settings(self):
        if not self.styles or not 0 <= self.style_list.currentRow() < len(self.styles):
            return None
        s = self.settings()
        return None if self.mode == "reference" and s["reference"] is None else s

    def _preview_changed(self, *args):
        self.preview.changed()

    def _set_zoom_box(self, index):
        self.zoom.blockSignals(True)
        self.zoom.setCurrentIndex(index)
        self.zoom.blockSignals(False)

    def _on_split(self, on):
        self.view.split = on
        self.view.update()

    def _on_overlay_changed(self, *args):
        self.preview.set_attention(self.overlay.isChecked() and self.overlay.isEnabled() and self.mode != "reference",
                                   self.point.currentText() or None)

    def _on_attention_toggled(self, on):
        if not self._syncing:
            self._retick = False

    def _on_style_b_changed(self, *args):
        self.mix.setEnabled(bool(self.style_b.currentData()) and self.run is None)
        self.preview.changed()

    def _on_load_failed(self, error):
        self._set_busy(False)
        self.status.setText(i18n("comicgan could not start: {0}").format(error))

    def _on_broken(self, message):
        self.go.setEnabled(False)
        self.status.setText(i18n("comicgan stopped: {0}\nClose this dialog and open it again to restart it.")
                            .format(message))

    def _on_progress(self, fraction):
        self.progress.setValue(int(fraction * 1000))
        # On a long run, the time left, once the rate means something.
        elapsed = time.monotonic() - self._started
        if elapsed >= 3 and 0.02 <= fraction < 1:
            left = int(elapsed * (1 - fraction) / fraction + 0.5)
            self.status.setText(i18n("Working… {0}:{1:02d} left").format(left // 60, left % 60))

    # ---- settings and actions ------------------------------------------------

    def _on_style_changed(self, row):
        style = self.styles[row] if 0 <= row < len(self.styles) else None
        self.description.setText(style.get("description", "") if style else "")
        points = style.get("attention", []) if style else []
        self._syncing = True
        self.point.clear()
        self.point.addItems(points)
        can_map = bool(points)
        self.attention.setEnabled(can_map and self.run is None)
        # Unticked where the style has no map; ticked again for the next style that has one.
        if not can_map and self.attention.isChecked():
            self._retick = True
            self.attention.setChecked(False)
        elif can_map and self._retick:
            self._retick = False
            self.attention.setChecked(True)
        self.overlay.setEnabled(can_map)
        self._syncing = False
        self.point.setVisible(self.mode not in ("frames", "animation", "reference"))
        self.point_label.setVisible(self.mode not in ("frames", "animation", "reference"))
        self.point.setEnabled(can_map and self.run is None)
        if self.mode == "attention" and style and not can_map:
            self.status.setText(i18n("Style “{0}” has no attention maps.").format(style.get("display_name")))
        self._fill_style_b(style)
        self._on_overlay_changed()

    def _fill_style_b(self, style, wanted=None):
        """The styles of style's model that can be mixed into it."""
        wanted = wanted if wanted is not None else (self.style_b.currentData() or
                                                    read_setting(self.krita, "style_b", ""))
        self.style_b.blockSignals(True)
        self.style_b.clear()
        self.style_b.addItem(i18n("None"), "")
        for other in self.styles:
            if style and other["name"] != style["name"] and other.get("model") == style.get("model"):
                self.style_b.addItem(other.get("display_name") or other["name"], other["name"])
        self.style_b.setCurrentIndex(max(0, self.style_b.findData(wanted)))
        self.style_b.setEnabled(self.style_b.count() > 1 and self.run is None)
        self.style_b.blockSignals(False)
        self._on_style_b_changed()

    def settings(self):
        style = self.styles[self.style_list.currentRow()]
        style_b = self.style_b.currentData() or ""
        share = self.mix.value() / 100.0 if style_b else 0.0
        mix = None
        if share > 0:
            mix = {style["name"]: 1.0 - share}
            mix[style_b] = mix.get(style_b, 0.0) + share
        by_reference = self.mode == "reference"
        return {
            "style": style["name"],
            "display_name": style.get("display_name") or style["name"],
            "style_b": style_b,
            "mix_share": share,
            "mix": None if by_reference else mix,
            "strength": self.strength.value() / 100.0,
            "line_weight": self.line_weight.value(),
            "denoise": self.denoise.value(),
            "contrast": self.contrast.value(),
            "keep_colors": self.keep_colors.isChecked(),
            "scale": self.scale.currentData(),
            "memory_budget": self.memory.value(),
            "new_layer": self.new_layer.isChecked() or self.mode == "attention",
            "attention": self.attention.isChecked() and self.attention.isEnabled() and not by_reference,
            "point": self.point.currentText() or None,
            "reference": self.current_reference() if by_reference else None,
        }

    def _save_settings(self, s):
        if not self.krita:
            return
        for key in ("style", "style_b", "keep_colors", "new_layer", "line_weight", "denoise", "contrast"):
            self.krita.writeSetting(SETTINGS_GROUP, key, str(s[key]))
        self.krita.writeSetting(SETTINGS_GROUP, "attention", str(self.attention.isChecked() or self._retick))
        self.krita.writeSetting(SETTINGS_GROUP, "strength", str(self.strength.value()))
        self.krita.writeSetting(SETTINGS_GROUP, "mix", str(self.mix.value()))
        self.krita.writeSetting(SETTINGS_GROUP, "scale", str(s["scale"]))
        self.krita.writeSetting(SETTINGS_GROUP, "memory_budget", str(s["memory_budget"]))

    # ---- presets ---------------------------------------------------------------

    def _preset_note(self, text):
        self.preset_note.setText(text or "")
        self.preset_note.setVisible(bool(text))

    def _fill_presets(self, select=None):
        """The file's presets into the list, read afresh (GIMP's plug-in may
        have changed it). A file that cannot be read leaves Save and Delete
        off, so it is never written over."""
        try:
            names = presets.names(presets.load())
            error = None
        except presets.PresetError as e:
            names, error = [], str(e)
        self.preset.clear()
        self.preset.addItems(names)
        self.preset.setCurrentIndex(names.index(select) if select in names else -1)
        idle = self.run is None
        self.preset.setEnabled(bool(names) and idle)
        self.preset_save.setEnabled(error is None and idle)
        self.preset_delete.setEnabled(error is None and idle and self.preset.currentIndex() >= 0)
        self._preset_note(error)

    def apply_preset(self, name, preset):
        """Sets the controls from a preset (as presets.get returns it)."""
        names = [s["name"] for s in self.styles]
        missing = []
        if preset["style"] in names:
            self.style_list.setCurrentRow(names.index(preset["style"]))
        else:
            missing.append(preset["style"])
        self._fill_style_b(self.styles[self.style_list.currentRow()] if self.styles else None,
                           wanted=preset["style_b"])
        if preset["style_b"] and self.style_b.currentData() != preset["style_b"]:
            missing.append(preset["style_b"])
        self.mix.setValue(round(preset["mix"] * 100))
        self.strength.setValue(round(preset["strength"] * 100))
        self.keep_colors.setChecked(preset["keep_colors"])
        self.line_weight.setValue(preset["line_weight"])
        self.denoise.setValue(preset["denoise"])
        self.contrast.setValue(preset["contrast"])
        scale = preset["scale"]
        values = [v for v, _ in SCALES]
        if scale == "auto":
            self.scale.setCurrentIndex(0)
        else:
            # A detail size the list does not have (written by hand) gets the nearest.
            numbers = [(abs(math.log(v / scale)), i) for i, v in enumerate(values) if v != "auto"]
            self.scale.setCurrentIndex(min(numbers)[1])
        self._preset_note(i18n("Preset “{0}” uses styles that are not installed: {1}.")
                          .format(name, ", ".join(missing)) if missing else None)

    def _on_preset_chosen(self, index):
        name = self.preset.itemText(index)
        try:
            self.apply_preset(name, presets.get(presets.load(), name))
        except (presets.PresetError, KeyError) as e:
            self._preset_note(str(e))
        self.preset_delete.setEnabled(True)

    def preset_values(self):
        """The controls as a preset."""
        s = self.settings()
        return {"style": s["style"], "style_b": s["style_b"], "mix": s["mix_share"], "strength": s["strength"],
                "keep_colors": s["keep_colors"], "line_weight": s["line_weight"], "denoise": s["denoise"],
                "contrast": s["contrast"], "scale": s["scale"]}

    def save_preset(self, name):
        """Saves the controls as preset name; False (with a note) when it cannot."""
        if not presets.name_ok(name):
            self._preset_note(i18n("“{0}” cannot be a preset's name: use 1 to 63 characters, without [ or ].")
                              .format(name))
            return False
        try:
            p = presets.load()
            presets.put(p, name, self.preset_values())
            presets.save(p)
        except presets.PresetError as e:
            self._fill_presets()
            self._preset_note(str(e))
            return False
        self._fill_presets(name)
        return True

    def delete_preset(self, name):
        try:
            p = presets.load()
            if p.remove_section(name):
                presets.save(p)
        except presets.PresetError as e:
            self._preset_note(str(e))
            return False
        self._fill_presets()
        return True

    def _on_preset_save(self):
        if not self.styles or self.style_list.currentRow() < 0:
            return
        name, ok = QInputDialog.getText(self, i18n("Save Preset"), i18n("Preset name (an existing one is replaced):"),
                                        text=self.preset.currentText())
        if ok:
            self.save_preset(name.strip())

    def _on_preset_delete(self):
        if self.preset.currentIndex() >= 0:
            self.delete_preset(self.preset.currentText())

    def _on_go(self):
        if self.run is not None or not self.styles or self.style_list.currentRow() < 0:
            return
        doc = self.krita.activeDocument()
        if doc is None:
            self.status.setText(i18n("Open an image first."))
            return
        if self.mode == "frames":
            # The layers selected in the Layers docker, else the active one
            # (a group holding the frames).
            view = self.krita.activeWindow().activeView() if self.krita.activeWindow() else None
            nodes = (view.selectedNodes() if view else []) or [n for n in [doc.activeNode()] if n]
            if not nodes:
                self.status.setText(i18n("Select the layers to use as frames (or a group holding them)."))
                return
        else:
            node = doc.activeNode()
            if node is None:
                self.status.setText(i18n("Choose a layer first."))
                return
            nodes = [node]
        s = self.settings()
        self._save_settings(s)
        self.start_run(doc, nodes, s)

    def start_run(self, doc, nodes, settings):
        """Runs the dialog's action on nodes of doc (also used by the tests)."""
        self.preview.pause(True)
        run_class = AnimationRun if self.mode == "animation" else Run
        self.run = run_class(self.bridge, doc, nodes, self.mode, settings, self)
        self.run.progress.connect(self._on_progress)
        self.run.finished.connect(self._on_finished)
        self._set_busy(True)
        self.progress.setValue(0)
        self._started = time.monotonic()
        self.status.setText(i18n("Working…"))
        self.run.start()
        return self.run

    def _on_finished(self, message):
        created = len(self.run.created) if self.run else 0
        changed = len(self.run.changed) if self.run else 0
        notes = self.run.notes if self.run else []
        self.run = None
        self._set_busy(False)
        self.preview.pause(False)
        if message:
            self.status.setText(message)
            return
        self.progress.setValue(1000)
        if created and changed:
            done = i18n("Done: {0} new layer(s), {1} layer(s) changed.").format(created, changed)
        elif created:
            done = i18n("Done: {0} new layer(s).").format(created)
        elif changed:
            done = i18n("Done: {0} layer(s) changed.").format(changed)
        else:
            done = i18n("Done.")
        self.status.setText(" ".join([done] + notes))

    def _on_cancel(self):
        self.reject()

    def reject(self):
        # Escape or Cancel while working stops the work and keeps the dialog.
        if self.run is not None:
            self.run.cancel()
            return
        self._shutdown()
        super().reject()

    def closeEvent(self, event):
        self._shutdown()
        super().closeEvent(event)

    def _shutdown(self):
        if self.run is not None:
            self.run.cancel()
        if self.bridge is not None:
            bridge, self.bridge = self.bridge, None
            bridge.stop()
