"""The reference picture of "Stylize Layer from Reference": another layer of
the document or a picture file, whose style a reference style's encoder
takes (PROTOCOL.md, reference styles).

A Reference reads its pixels only when a request needs them. Its key tells
two references apart, for the style codes the bridge gives back: a request
may send a code instead of the picture once the code of that picture is
known.
"""

import os

from PyQt5.QtGui import QImage

from .layers import Job, UserError, leaf_layers
from .preview import image_bytes
from .text import i18n


class Reference:
    """A layer (node of doc) or a picture file (path); exactly one."""

    def __init__(self, doc=None, node=None, path=None):
        self.doc, self.node, self.path = doc, node, path

    @property
    def key(self):
        if self.node is not None:
            return ("layer", self.node.uniqueId().toString())
        stat = os.stat(self.path) if os.path.exists(self.path) else None
        return ("file", self.path, stat.st_mtime_ns if stat else 0, stat.st_size if stat else 0)

    def label(self):
        return self.node.name() if self.node is not None else os.path.basename(self.path)

    def read(self):
        """(the request's "reference" member, the pixels), in the layer's own
        depth and transfer; a file is read at 8 bits per channel, as Qt reads
        pictures. Raises UserError when the picture cannot be read."""
        if self.node is not None:
            job = Job(self.doc, self.node, use_selection=False)
            r = job.rect
            return ({"width": r.width(), "height": r.height(), "depth": job.depth, "transfer": job.transfer},
                    bytes(job.read()))
        image = QImage(self.path)
        if image.isNull():
            raise UserError(i18n("The reference picture “{0}” cannot be read (is it a picture file?).")
                            .format(self.path))
        # U8 is B, G, R, A bytes: Qt's ARGB32 on little-endian machines.
        image = image.convertToFormat(QImage.Format_ARGB32)
        return ({"width": image.width(), "height": image.height(), "depth": "U8", "transfer": "srgb"},
                image_bytes(image))

    def request(self, codes, style):
        """The members and payload to add to a stylize request of style:
        the code in codes[(style, key)] when known, else the picture."""
        code = codes.get((style, self.key))
        if code is not None:
            return {"style_code": code}, b""
        members, pixels = self.read()
        return {"reference": members}, pixels


def reference_layers(doc, exclude=None):
    """The document's layers that can be a reference (groups' layers
    included), other than exclude."""
    found = []
    for node in doc.topLevelNodes() if doc is not None else []:
        found += [n for n in leaf_layers(node) if n != exclude]
    return found
