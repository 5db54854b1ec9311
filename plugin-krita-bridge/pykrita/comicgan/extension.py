"""comicgan's Krita extension: five actions under Tools ▸ Scripts that open
the comicgan dialog in one of its modes."""

from krita import Extension

from .dialog import ComicganDialog
from .text import i18n

ACTIONS = (
    ("comicgan_stylize", lambda: i18n("Stylize Layer (comicgan)…"), "stylize"),
    ("comicgan_attention", lambda: i18n("Attention Map (comicgan)…"), "attention"),
    ("comicgan_frames", lambda: i18n("Stylize Layers as Frames (comicgan)…"), "frames"),
    ("comicgan_animation", lambda: i18n("Stylize Animation (comicgan)…"), "animation"),
    ("comicgan_reference", lambda: i18n("Stylize Layer from Reference (comicgan)…"), "reference"),
)


class ComicganExtension(Extension):
    def __init__(self, parent):
        super().__init__(parent)
        self.dialog = None

    def setup(self):
        pass

    def createActions(self, window):
        for action_id, text, mode in ACTIONS:
            action = window.createAction(action_id, text(), "tools/scripts")
            action.triggered.connect(lambda checked=False, m=mode: self.open(m))

    def open(self, mode):
        """Shows the dialog for mode, reusing an open one."""
        if self.dialog is not None and self.dialog.isVisible():
            self.dialog.set_mode(mode)
        else:
            app = self.parent()
            window = app.activeWindow()
            self.dialog = ComicganDialog(app, mode, window.qwindow() if window else None)
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
