"""i18n() for the plug-in's strings: Krita's own inside Krita (it puts i18n
into builtins), the text unchanged elsewhere (tests)."""

import builtins

try:
    i18n = builtins.i18n
except AttributeError:
    def i18n(text):
        return text
