"""comicgan for Krita: stylize layers with comicgan's GAN styles.

The work is done by the comicgan-bridge program (see bridge.py); this package
is the user interface and the layer handling. Outside Krita (in the tests)
importing it registers nothing."""

try:
    from krita import Krita
except ImportError:
    Krita = None

if Krita is not None:
    from .extension import ComicganExtension

    Krita.instance().addExtension(ComicganExtension(Krita.instance()))
