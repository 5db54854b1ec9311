"""The comicgan dialog: style (with thumbnails), strength, keep colors, output
as a new layer, attention map; a progress bar with Cancel.

The dialog is not modal and never waits: the bridge answers through
callbacks from Qt's event loop, so Krita stays usable while it works.
"""

import time

from PyQt5.QtCore import QSize, Qt
from PyQt5.QtGui import QIcon, QImage, QPixmap
from PyQt5.QtWidgets import (QCheckBox, QComboBox, QDialog, QDialogButtonBox, QHBoxLayout, QLabel,
                             QListView, QListWidget, QListWidgetItem, QProgressBar, QPushButton, QSlider,
                             QSpinBox, QVBoxLayout)

from .animation import AnimationRun
from .bridge import Bridge, find_bridge
from .layers import Run
from .text import i18n

THUMBNAIL = 96
SETTINGS_GROUP = "comicgan"

TITLES = {
    "stylize": lambda: i18n("Stylize Layer"),
    "attention": lambda: i18n("Attention Map"),
    "frames": lambda: i18n("Stylize Layers as Frames"),
    "animation": lambda: i18n("Stylize Animation"),
}
ACTION_LABELS = {
    "stylize": lambda: i18n("Stylize"),
    "attention": lambda: i18n("Make Map"),
    "frames": lambda: i18n("Stylize Frames"),
    "animation": lambda: i18n("Stylize Animation"),
}
MISSING_BRIDGE = lambda: i18n(  # noqa: E731
    "The comicgan-bridge program was not found, so comicgan cannot run.\n"
    "Install comicgan with the command in its README (it installs the bridge and this plug-in), "
    "or set COMICGAN_BRIDGE to the program's path, then restart Krita.")


def read_setting(krita, key, default):
    value = krita.readSetting(SETTINGS_GROUP, key, str(default)) if krita else str(default)
    if isinstance(default, bool):
        return value == "True"
    if isinstance(default, int):
        try:
            return int(value)
        except ValueError:
            return default
    return value


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
        self.styles = []
        self.run = None
        self._started = time.monotonic()  # of the run in progress, for the time left
        self.bridge = None
        self._build()
        self.set_mode(mode)
        self._start_bridge()

    # ---- layout --------------------------------------------------------------

    def _build(self):
        layout = QVBoxLayout(self)

        layout.addWidget(QLabel(i18n("Style:")))
        self.style_list = QListWidget()
        self.style_list.setViewMode(QListView.IconMode)
        self.style_list.setIconSize(QSize(THUMBNAIL, THUMBNAIL))
        self.style_list.setGridSize(QSize(THUMBNAIL + 28, THUMBNAIL + 36))
        self.style_list.setResizeMode(QListView.Adjust)
        self.style_list.setMovement(QListView.Static)
        self.style_list.setWordWrap(True)
        self.style_list.setMinimumSize(3 * (THUMBNAIL + 28) + 24, THUMBNAIL + 48)
        self.style_list.currentRowChanged.connect(self._on_style_changed)
        layout.addWidget(self.style_list)
        self.description = QLabel()
        self.description.setWordWrap(True)
        layout.addWidget(self.description)

        row = QHBoxLayout()
        row.addWidget(QLabel(i18n("Strength:")))
        self.strength = QSlider(Qt.Horizontal)
        self.strength.setRange(0, 100)
        self.strength_box = QSpinBox()
        self.strength_box.setRange(0, 100)
        self.strength_box.setSuffix(" %")
        self.strength.valueChanged.connect(self.strength_box.setValue)
        self.strength_box.valueChanged.connect(self.strength.setValue)
        self.strength.setValue(read_setting(self.krita, "strength", 100))
        row.addWidget(self.strength, 1)
        row.addWidget(self.strength_box)
        layout.addLayout(row)

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

    def set_mode(self, mode):
        """Switches between the actions' variants of the dialog."""
        if self.run is not None:
            return
        self.mode = mode
        self.setWindowTitle("comicgan — " + TITLES[mode]())
        self.go.setText(ACTION_LABELS[mode]())
        # An animation always goes to a new animated layer.
        self.new_layer.setVisible(mode not in ("attention", "animation"))
        self.attention.setVisible(mode == "stylize")
        self._update_warning()
        self._on_style_changed(self.style_list.currentRow())

    def _update_warning(self):
        self.warning.setVisible(self.mode not in ("attention", "animation") and not self.new_layer.isChecked())

    def _set_busy(self, busy):
        usable = bool(self.styles) and self.bridge is not None and not self.bridge.dead
        self.go.setEnabled(not busy and usable)
        for w in (self.style_list, self.strength, self.strength_box, self.keep_colors, self.scale, self.new_layer,
                  self.attention, self.point):
            w.setEnabled(not busy)
        self.cancel.setText(i18n("Cancel") if busy else i18n("Close"))
        if not busy:
            self._on_style_changed(self.style_list.currentRow())

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
        self.styles = header.get("styles", [])
        self.style_list.clear()
        last = read_setting(self.krita, "style", "")
        for i, style in enumerate(self.styles):
            item = QListWidgetItem(style.get("display_name") or style["name"])
            thumb = style.get("thumbnail")
            if thumb:
                data = payload[thumb["offset"]:thumb["offset"] + thumb["size"]]
                # U8 is B, G, R, A bytes: Qt's ARGB32 on little-endian machines.
                image = QImage(data, thumb["width"], thumb["height"], thumb["width"] * 4,
                               QImage.Format_ARGB32).copy()
                item.setIcon(QIcon(QPixmap.fromImage(image)))
            item.setToolTip("{0}\n{1}".format(style["name"], style.get("description", "")).strip())
            self.style_list.addItem(item)
            if style["name"] == last:
                self.style_list.setCurrentRow(i)
        if self.styles and self.style_list.currentRow() < 0:
            self.style_list.setCurrentRow(0)
        self.progress.setValue(0)
        if self.styles:
            self.status.setText("")
        else:
            folders = "\n".join(header.get("folders", []))
            broken = "\n".join("{0}: {1}".format(b["path"], b["error"]) for b in header.get("broken", []))
            self.status.setText(i18n("No comicgan styles are installed. Models were looked for in:\n{0}")
                                .format(folders) + ("\n" + broken if broken else ""))
        self._set_busy(False)

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
        self.point.clear()
        self.point.addItems(points)
        can_map = bool(points)
        self.attention.setEnabled(can_map and self.run is None)
        self.point.setVisible(self.mode not in ("frames", "animation"))
        self.point_label.setVisible(self.mode not in ("frames", "animation"))
        self.point.setEnabled(can_map and self.run is None)
        if self.mode == "attention" and style and not can_map:
            self.status.setText(i18n("Style “{0}” has no attention maps.").format(style.get("display_name")))

    def settings(self):
        style = self.styles[self.style_list.currentRow()]
        return {
            "style": style["name"],
            "display_name": style.get("display_name") or style["name"],
            "strength": self.strength.value() / 100.0,
            "keep_colors": self.keep_colors.isChecked(),
            "scale": self.scale.currentData(),
            "new_layer": self.new_layer.isChecked() or self.mode == "attention",
            "attention": self.attention.isChecked() and self.attention.isEnabled(),
            "point": self.point.currentText() or None,
        }

    def _save_settings(self, s):
        if not self.krita:
            return
        for key in ("style", "keep_colors", "new_layer", "attention"):
            self.krita.writeSetting(SETTINGS_GROUP, key, str(s[key]))
        self.krita.writeSetting(SETTINGS_GROUP, "strength", str(self.strength.value()))
        self.krita.writeSetting(SETTINGS_GROUP, "scale", str(s["scale"]))

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
