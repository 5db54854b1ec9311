"""Named presets, shared with the GIMP plug-in: one key file,
$XDG_CONFIG_HOME/comicgan/presets.ini, a group per preset (the format is in
plugin-gimp/README.md). Plain Python, no Qt, so the tests can use it too.

Numbers are written as "%.6g" with a dot, as the GIMP side writes them. A
file that cannot be read raises PresetError and is never written over.
"""

import configparser
import math
import os
import tempfile

from .text import i18n

# The keys, their ranges and defaults: the engine's, as in the comicgan command.
NUMBERS = {"mix": (0.0, 1.0, 0.0), "strength": (0.0, 1.0, 1.0), "line_weight": (-1.0, 1.0, 0.0),
           "denoise": (0.0, 1.0, 0.0), "contrast": (0.5, 2.0, 1.0)}
MIN_SCALE, MAX_SCALE = 1.0 / 64, 4.0


class PresetError(Exception):
    """The file or a preset cannot be used; str() says why, for people."""


def path():
    config = os.environ.get("XDG_CONFIG_HOME")
    if not config or not os.path.isabs(config):
        config = os.path.join(os.path.expanduser("~"), ".config")
    return os.path.join(config, "comicgan", "presets.ini")


def name_ok(name):
    """Whether name can be a group of the file (GLib's key files and
    configparser): 1 to 63 bytes, no brackets or control characters, no
    spaces at either end."""
    return (0 < len(name.encode("utf-8")) < 64 and name == name.strip()
            and not any(c in "[]" or ord(c) < 0x20 or ord(c) == 0x7f for c in name))


def _parser():
    # No "DEFAULT" group and no % interpolation: names and values are taken as written.
    p = configparser.RawConfigParser(default_section="\x00", strict=False, delimiters=("=",),
                                     comment_prefixes=("#",), empty_lines_in_values=False)
    p.optionxform = str
    return p


def load(file=None):
    """The presets file as a parser (empty where there is no file yet)."""
    file = file or path()
    p = _parser()
    try:
        with open(file, encoding="utf-8") as f:
            p.read_file(f)
    except FileNotFoundError:
        pass
    except (OSError, UnicodeDecodeError, configparser.Error) as e:
        raise PresetError(i18n("The presets file {0} cannot be read ({1}). It is left as it is: correct or "
                               "remove it to save presets.").format(file, str(e).splitlines()[0]))
    return p


def names(p):
    return p.sections()


def get(p, name):
    """Preset name as a dict: style, style_b ("" for none), mix, strength,
    keep_colors, line_weight, denoise, contrast, scale ("auto" or a number)."""
    section = p[name]
    style = section.get("style", "").strip()
    if not style:
        raise PresetError(i18n("Preset “{0}” names no style.").format(name))
    preset = {"style": style, "style_b": section.get("style_b", "").strip()}
    for key, (lo, hi, default) in NUMBERS.items():
        text = section.get(key, None)
        try:
            value = default if text is None else float(text.strip())
        except ValueError:
            value = math.nan
        if not lo <= value <= hi:
            raise PresetError(i18n("Preset “{0}”: {1} must be a number from {2:g} to {3:g}, not “{4}”.")
                              .format(name, key, lo, hi, text))
        preset[key] = value
    keep = section.get("keep_colors", "false").strip().lower()
    if keep not in ("true", "false"):
        raise PresetError(i18n("Preset “{0}”: keep_colors must be true or false.").format(name))
    preset["keep_colors"] = keep == "true"
    scale = section.get("scale", "auto").strip()
    if scale == "auto":
        preset["scale"] = "auto"
    else:
        try:
            value = float(scale)
        except ValueError:
            value = math.nan
        if not MIN_SCALE <= value <= MAX_SCALE:
            raise PresetError(i18n("Preset “{0}”: scale must be auto or a number from {1:g} to {2:g}, not “{3}”.")
                              .format(name, MIN_SCALE, MAX_SCALE, scale))
        preset["scale"] = value
    return preset


def _number(v):
    return "%.6g" % v


def put(p, name, preset):
    """Sets preset name (replacing one of that name) from a dict as get() returns."""
    if p.has_section(name):
        p.remove_section(name)
    p.add_section(name)
    section = p[name]
    section["style"] = preset["style"]
    section["style_b"] = preset.get("style_b") or ""
    section["mix"] = _number(preset.get("mix", 0.0) if preset.get("style_b") else 0.0)
    section["strength"] = _number(preset["strength"])
    section["keep_colors"] = "true" if preset["keep_colors"] else "false"
    for key in ("line_weight", "denoise", "contrast"):
        section[key] = _number(preset[key])
    scale = preset.get("scale", "auto")
    section["scale"] = "auto" if scale in ("auto", 0, None) else _number(float(scale))


def save(p, file=None):
    """Writes the file atomically: a new file in the same folder, renamed over the old one."""
    file = file or path()
    folder = os.path.dirname(file)
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".presets-", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                p.write(f, space_around_delimiters=False)
            os.replace(temp, file)
        except BaseException:
            os.unlink(temp)
            raise
    except OSError as e:
        raise PresetError(i18n("Could not save the presets in {0}: {1}").format(file, e.strerror or e))
