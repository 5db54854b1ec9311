#!/usr/bin/python3
"""Dataset engine for build-datasets.sh (Python 3 standard library only).

Reads the selection rules written by build-datasets.sh, extracts the needed
files from cached Debian packages, applies the rules, converts the chosen
images to PNG with ImageMagick and writes images/, manifest.tsv, split.tsv and
manifest.sha256 for every dataset.  Every output is a pure function of the
.deb files, the rules and the ImageMagick build, so reruns are byte-identical.

Usage: dataset_tool.py RULES DEBS_TSV WORK_DIR OUT_ROOT
  RULES     rules file (format documented in build-datasets.sh)
  DEBS_TSV  lines "package<TAB>version<TAB>path-to-.deb"
  WORK_DIR  scratch/cache folder (extracted files, stats and conversion caches)
  OUT_ROOT  dataset root; each dataset goes to OUT_ROOT/<name>/
"""

import concurrent.futures
import collections
import fnmatch
import gzip
import hashlib
import os
import re
import shlex
import shutil
import struct
import subprocess
import sys
import tarfile
import zlib

CONVERT = os.environ.get("IM_CONVERT", "/usr/bin/convert")
IDENTIFY = os.environ.get("IM_IDENTIFY", "/usr/bin/identify")
PDFIMAGES = os.environ.get("PDFIMAGES", "/usr/bin/pdfimages")
FFMPEG = os.environ.get("FFMPEG", "/usr/bin/ffmpeg")
FFPROBE = os.environ.get("FFPROBE", "/usr/bin/ffprobe")
JOBS = max(1, int(os.environ.get("JOBS", os.cpu_count() or 1)))
STATS_VERSION = "flatstats-v1"
# Bump when the conversion command below changes: forces reconversion.
CONVERT_VERSION = "png512-v1"
# Bump when a container reader (container_members) changes: forces the
# packages with 'FILE!MEMBER' globs to be extracted again.
CONTAINERS_VERSION = "containers-v2"

MANIFEST_COLUMNS = ["package", "version", "path", "license", "source_sha256",
                    "source_bytes", "file", "file_sha256", "width", "height"]
SPLIT_COLUMNS = ["file", "source_sha256", "group", "split"]


def die(msg):
    sys.stderr.write("error: %s\n" % msg)
    sys.exit(1)


def log(msg):
    sys.stderr.write(msg + "\n")
    sys.stderr.flush()


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_if_changed(path, data):
    """Write bytes atomically; leave the file (and its mtime) alone if equal."""
    if os.path.exists(path):
        with open(path, "rb") as f:
            if f.read() == data:
                return
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ---------------------------------------------------------------- rules ----

class Dataset:
    def __init__(self, name, params):
        self.name = name
        self.params = params
        self.includes = []   # (pkg, glob, name-or-None)
        self.excludes = []   # (pkg, glob)
        self.groups = []     # (pkg, glob, group)
        self.limits = collections.OrderedDict()   # pool -> N
        self.pools = []      # (pkg, glob, pool)

    def p(self, key, default=None, cast=str):
        v = self.params.get(key, default)
        return None if v is None else cast(v)


def parse_rules(path):
    packages = {}   # pkg -> dict(tag, license, check)
    datasets = collections.OrderedDict()
    settings = {}
    with open(path, encoding="utf-8") as f:
        for lineno, raw in enumerate(f, 1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            w = shlex.split(line)
            kind = w[0]
            where = "%s:%d" % (path, lineno)
            if kind == "set" and len(w) == 3:
                settings[w[1]] = w[2]
            elif kind == "package" and len(w) == 5:
                packages[w[1]] = {"tag": w[2], "license": w[3], "check": w[4],
                                  "overrides": []}
            elif kind == "licence" and len(w) == 6:
                if w[1] not in packages:
                    die("%s: package %r has no 'package' line" % (where, w[1]))
                packages[w[1]]["overrides"].append(tuple(w[2:]))
            elif kind == "dataset" and len(w) >= 2:
                params = dict(kv.split("=", 1) for kv in w[2:])
                datasets[w[1]] = Dataset(w[1], params)
            elif kind == "limit" and len(w) == 4:
                ds = datasets.get(w[1])
                if ds is None:
                    die("%s: unknown dataset %r" % (where, w[1]))
                ds.limits[w[2]] = int(w[3])
            elif kind in ("include", "exclude", "group", "pool") and len(w) >= 4:
                ds = datasets.get(w[1])
                if ds is None:
                    die("%s: unknown dataset %r" % (where, w[1]))
                if w[2] not in packages:
                    die("%s: package %r has no 'package' line" % (where, w[2]))
                if kind == "include" and len(w) in (4, 5):
                    ds.includes.append((w[2], w[3], w[4] if len(w) == 5 else None))
                elif kind == "exclude" and len(w) == 4:
                    ds.excludes.append((w[2], w[3]))
                elif kind == "group" and len(w) == 5:
                    ds.groups.append((w[2], w[3], w[4]))
                elif kind == "pool" and len(w) == 5:
                    if w[4] not in ds.limits:
                        die("%s: pool %r has no 'limit' line before it" % (where, w[4]))
                    ds.pools.append((w[2], w[3], w[4]))
                else:
                    die("%s: bad %s line" % (where, kind))
            else:
                die("%s: cannot parse: %s" % (where, line))
    return settings, packages, datasets


# ------------------------------------------------------------ extraction ----

def qt_resources(path):
    """Members of a compiled Qt resource file (.rcc, as written by Qt's rcc):
    a list of (path inside the resource, bytes).  Format: magic "qres",
    version, then the offsets of the tree, data and names sections (big
    endian); tree entries are 14 bytes (version 1) or 22 (version 2 and 3);
    a file's data may be zlib-compressed behind a 4-byte length."""
    with open(path, "rb") as f:
        b = f.read()
    if b[:4] != b"qres" or len(b) < 20:
        die("%s is not a Qt resource file" % path)
    version, tree, data, names = struct.unpack(">IIII", b[4:20])
    entry = 14 if version == 1 else 22
    out = []

    def name(off):
        n, = struct.unpack(">H", b[names + off:names + off + 2])
        return b[names + off + 6:names + off + 6 + 2 * n].decode("utf-16-be")

    def walk(index, prefix, depth):
        if depth > 64:
            die("%s: resource tree too deep" % path)
        e = tree + index * entry
        noff, flags = struct.unpack(">IH", b[e:e + 6])
        here = prefix + name(noff) if index else ""
        if flags & 2:    # directory
            count, first = struct.unpack(">II", b[e + 6:e + 14])
            for i in range(count):
                walk(first + i, here + "/" if index else "", depth + 1)
            return
        doff, = struct.unpack(">I", b[e + 10:e + 14])
        size, = struct.unpack(">I", b[data + doff:data + doff + 4])
        raw = b[data + doff + 4:data + doff + 4 + size]
        if flags & 4:
            die("%s: %s is zstd-compressed; not supported" % (path, here))
        if flags & 1:
            raw = zlib.decompress(raw[4:])
        out.append((here, raw))

    walk(0, "", 0)
    return out


def pdf_images(path):
    """Images of a PDF file, as poppler's pdfimages writes them with -j -png:
    a list of (name, bytes), the name "image-NNN.jpg" for a DCT (JPEG) image,
    whose bytes are the stream stored in the PDF, or "image-NNN.png" for any
    other, NNN being pdfimages's image number (the "num" column of
    `pdfimages -list`, soft masks counted too)."""
    tmp = path + ".images.tmp"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    os.makedirs(tmp)
    p = subprocess.run([PDFIMAGES, "-j", "-png", path, os.path.join(tmp, "image")],
                       capture_output=True, text=True)
    if p.returncode != 0:
        die("pdfimages failed on %s: %s" % (path, p.stderr.strip()))
    out = []
    for fn in sorted(os.listdir(tmp)):
        with open(os.path.join(tmp, fn), "rb") as f:
            out.append((fn, f.read()))
    shutil.rmtree(tmp)
    return out


def zip_members(path):
    """Regular files of a zip archive (OpenDocument and Office files, EPUB,
    Krita and OpenRaster images, plain .zip): a list of (name, bytes)."""
    import zipfile
    out = []
    with zipfile.ZipFile(path) as z:
        for info in z.infolist():
            if not info.is_dir():
                out.append((info.filename, z.read(info)))
    return out


def svg_images(path):
    """Raster images embedded in an SVG file as base64 data URIs, in document
    order: a list of ("image-N.EXT", bytes), N from 1, EXT from the media type."""
    import base64
    with open(path, "rb") as f:
        text = f.read().decode("utf-8", "replace")
    out = []
    for m in re.finditer(r"data:image/(png|jpe?g|gif|webp);base64,([A-Za-z0-9+/=\s]+)", text):
        ext = {"jpeg": "jpg"}.get(m.group(1), m.group(1))
        out.append(("image-%d.%s" % (len(out) + 1, ext),
                    base64.b64decode(re.sub(r"\s+", "", m.group(2)))))
    return out


def video_frames(path):
    """Two frames of a video, decoded by ffmpeg on one thread with bit-exact
    scaling: "first.png" (frame 0) and "middle.png" (frame N // 2 of the N
    frames that ffprobe counts in the first video stream)."""
    p = subprocess.run([FFPROBE, "-v", "error", "-threads", "1", "-count_frames",
                        "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames",
                        "-of", "csv=p=0", path], capture_output=True, text=True)
    if p.returncode != 0 or not p.stdout.strip().isdigit():
        die("ffprobe failed on %s: %s" % (path, p.stderr.strip()))
    out = []
    for name, index in (("first.png", 0), ("middle.png", int(p.stdout) // 2)):
        tmp = path + ".frame.tmp.png"
        q = subprocess.run([FFMPEG, "-nostdin", "-v", "error", "-threads", "1", "-i", path,
                            "-map", "0:v:0", "-vf", "select=eq(n\\,%d)" % index,
                            "-frames:v", "1", "-sws_flags", "accurate_rnd+bitexact+full_chroma_int",
                            "-pix_fmt", "rgb24", "-fflags", "+bitexact", "-flags:v", "+bitexact",
                            "-f", "image2", "-c:v", "png", "-y", tmp],
                           capture_output=True, text=True)
        if q.returncode != 0 or not os.path.exists(tmp):
            die("ffmpeg failed on %s: %s" % (path, q.stderr.strip()))
        with open(tmp, "rb") as f:
            out.append((name, f.read()))
        os.remove(tmp)
    return out


def eet_entries(path):
    """Entries of an Eet file (EFL's container; Edje themes and backgrounds,
    .edj): a list of (entry name, bytes), e.g. "edje/images/0", which Edje
    stores as a plain JPEG file when the image is lossy.  Format 2: magic
    0x1ee70f42, entry and dictionary counts, then per entry six big-endian
    ints: offset, stored size, data size, name offset, name size, flags (bit
    0 compressed, bit 1 ciphered, bit 2 alias, bits 3-6 the compressor: 0
    zlib).  Uncompressed and zlib entries are returned, others left out."""
    with open(path, "rb") as f:
        b = f.read()
    if len(b) < 12 or struct.unpack(">I", b[:4])[0] != 0x1ee70f42:
        die("%s is not an Eet file (format 2)" % path)
    count, = struct.unpack(">I", b[4:8])
    out = []
    for i in range(count):
        off, size, dsize, noff, nsize, flags = struct.unpack(">6I", b[12 + 24 * i:36 + 24 * i])
        name = b[noff:noff + nsize].rstrip(b"\0").decode("utf-8", "replace")
        raw = b[off:off + size]
        if flags & 6:               # ciphered or an alias
            continue
        if flags & 1:
            if (flags >> 3) & 15:   # LZ4: not in the standard library
                continue
            raw = zlib.decompress(raw)
        out.append((name, raw))
    return out


def jigzo_puzzle(path):
    """Members of a Jigzo puzzle (.pzl): the files it stores (a header of four
    lines, then for each file its name, its size and its bytes, each on a
    line), and "image.png": the whole picture, which the puzzle's texture
    (NAME.jpg beside its one NAME.map) holds at the rectangle of the map's
    "image X Y W H" line, cut out by ImageMagick and written as a PNG."""
    with open(path, "rb") as f:
        b = f.read()
    if not b.startswith(b"PzlF\n"):
        die("%s is not a Jigzo puzzle" % path)
    pos = len(b"\n".join(b.split(b"\n", 4)[:4])) + 1
    out = []
    while pos < len(b):
        e = b.index(b"\n", pos)
        e2 = b.index(b"\n", e + 1)
        size = int(b[e + 1:e2])
        out.append((b[pos:e].decode("utf-8"), b[e2 + 1:e2 + 1 + size]))
        pos = e2 + 1 + size
    files = dict(out)
    maps = [n for n in files if n.endswith(".map")]
    stem = maps[0][:-len(".map")] if len(maps) == 1 else ""
    m = re.search(rb"(?m)^image (\d+) (\d+) (\d+) (\d+)", files.get(stem + ".map", b""))
    if m and stem + ".jpg" in files:
        x, y, w, h = (int(v) for v in m.groups())
        tmp = path + ".texture.tmp.jpg"
        with open(tmp, "wb") as f:
            f.write(files[stem + ".jpg"])
        p = subprocess.run([CONVERT, tmp + "[0]", "-crop", "%dx%d+%d+%d" % (w, h, x, y),
                            "+repage", "-depth", "8", "-strip",
                            "-define", "png:exclude-chunks=date,time",
                            "-define", "png:compression-level=9",
                            "PNG24:-"], capture_output=True)
        os.remove(tmp)
        if p.returncode != 0:
            die("convert failed on %s: %s" % (path, p.stderr.decode("utf-8", "replace")))
        out.append(("image.png", p.stdout))
    return out


VIDEO_EXTENSIONS = (".mp4", ".avi", ".ogv", ".webm", ".mkv", ".mov", ".mpg")

# container file extension -> reader of its members
ZIP_EXTENSIONS = (".zip", ".odp", ".otp", ".odt", ".ott", ".ods", ".ots", ".odg",
                  ".otg", ".epub", ".docx", ".pptx", ".xlsx", ".kra", ".ora")


def container_members(path):
    """Members of a container file, by its extension: a list of (name, bytes)."""
    low = path.lower()
    if low.endswith(".rcc"):
        return qt_resources(path)
    if low.endswith(".pdf"):
        return pdf_images(path)
    if low.endswith(".svg"):
        return svg_images(path)
    if low.endswith(ZIP_EXTENSIONS):
        return zip_members(path)
    if low.endswith(VIDEO_EXTENSIONS):
        return video_frames(path)
    if low.endswith(".edj") or low.endswith(".eet"):
        return eet_entries(path)
    if low.endswith(".pzl"):
        return jigzo_puzzle(path)
    die("%s: not a container file the rules can read (.rcc, .pdf, .svg, zip, video, "
        ".edj, .pzl)" % path)


def split_member(glob):
    """'OUTER!INNER' names members of a container file OUTER; else (glob, None)."""
    outer, sep, inner = glob.partition("!")
    return (outer, inner) if sep else (glob, None)


def extract_package(pkg, version, deb, dest_root, globs):
    """Extract the regular files of `deb` matching `globs` (plus the package's
    copyright file) into dest_root/<pkg>_<version>/.  A glob 'OUTER!INNER'
    extracts the container files matching OUTER (Qt resource files, PDF, SVG,
    zip archives, videos, Eet files, Jigzo puzzles: see container_members) and, from each, the members
    matching INNER, to <OUTER-path>!<member-path>.  Skipped when a stamp
    says the same .deb was already extracted with the same globs."""
    dest = os.path.join(dest_root, "%s_%s" % (pkg, version.replace(":", "%3a")))
    members = sorted(set(g for g in globs if "!" in g))
    want = sorted(set(split_member(g)[0] for g in globs)) + ["usr/share/doc/%s/copyright" % pkg]
    stamp_want = sorted(set(globs)) + ["usr/share/doc/%s/copyright" % pkg]
    if members:
        stamp_want.append(CONTAINERS_VERSION)
    stamp_text = "\n".join([os.path.basename(deb), str(os.path.getsize(deb))] + stamp_want) + "\n"
    stamp = os.path.join(dest, ".extracted")
    if os.path.exists(stamp):
        with open(stamp, encoding="utf-8") as f:
            if f.read() == stamp_text:
                return dest
    if os.path.exists(dest):
        shutil.rmtree(dest)
    os.makedirs(dest)
    proc = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", deb], stdout=subprocess.PIPE)
    count = 0
    with tarfile.open(fileobj=proc.stdout, mode="r|*") as tar:
        for m in tar:
            if not m.isreg():
                continue
            name = m.name[2:] if m.name.startswith("./") else m.name
            if name.startswith("/") or ".." in name.split("/"):
                continue
            if not any(fnmatch.fnmatchcase(name, g) for g in want):
                continue
            out = os.path.join(dest, name)
            os.makedirs(os.path.dirname(out), exist_ok=True)
            src = tar.extractfile(m)
            with open(out, "wb") as f:
                shutil.copyfileobj(src, f)
            count += 1
    if proc.wait() != 0:
        die("dpkg-deb failed on %s" % deb)
    for g in members:
        outer, inner = split_member(g)
        for dirpath, dirnames, filenames in os.walk(os.path.join(dest, fixed_dir(outer))):
            dirnames[:] = sorted(d for d in dirnames if "!" not in d)
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                rel = os.path.relpath(full, dest)
                if not fnmatch.fnmatchcase(rel, outer):
                    continue
                for mpath, raw in container_members(full):
                    if mpath.startswith("/") or ".." in mpath.split("/") or \
                            not fnmatch.fnmatchcase(mpath, inner):
                        continue
                    out = full + "!" + mpath
                    os.makedirs(os.path.dirname(out), exist_ok=True)
                    with open(out, "wb") as f:
                        f.write(raw)
                    count += 1
    with open(stamp, "w", encoding="utf-8") as f:
        f.write(stamp_text)
    log("  extracted %-32s %5d files" % (pkg, count))
    return dest


# -------------------------------------------------------------- licences ----

class Copyright:
    """Per-file licence lookup in a package's copyright file.  Machine-readable
    (DEP-5) files are matched stanza by stanza (last match wins); a stanza
    pattern written for the source tree matches any trailing part of the
    installed path, or the file name when the pattern names one file.
    Other files give the package's main licence from the rules, after
    checking that the rules' check text is present."""

    def __init__(self, pkg, path, fallback, check):
        self.pkg = pkg
        self.fallback = fallback
        with open(path, encoding="utf-8", errors="replace") as f:
            self.text = f.read()
        self.stanzas = []   # (patterns, licence)
        self.dep5 = self.text.lstrip().startswith("Format:")
        if self.dep5:
            for para in re.split(r"\n[ \t]*\n", self.text):
                fields = self._fields(para)
                if "files" in fields and "license" in fields:
                    lic = fields["license"].split("\n", 1)[0].strip()
                    self.stanzas.append((fields["files"].split(), lic))
        if not self.dep5 and check == "-":
            die("%s: copyright file is not machine-readable; the rules need a check text" % pkg)
        if check != "-" and not re.search(check, self.text):
            die("%s: copyright file no longer matches %r; review the licence" % (pkg, check))

    @staticmethod
    def _fields(para):
        fields, key = {}, None
        for line in para.split("\n"):
            if line[:1] in (" ", "\t") and key:
                fields[key] += "\n" + line.strip()
            elif ":" in line:
                key, val = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = val.strip()
        return fields

    # A member of a Qt resource file is looked up by its path inside the
    # resource, also under the usual source extensions: builds such as
    # GCompris's convert their JPEG and PNG sources to WebP, and the copyright
    # file names the sources.
    SOURCE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".svg")

    def _compiled(self):
        """Per stanza, regexes for its patterns: the pattern against any
        trailing part of the path (at a '/'), and, when the pattern names one
        file, its file name against the path's file name."""
        if not hasattr(self, "_regexes"):
            self._regexes = []
            for patterns, lic in self.stanzas:
                tests = []
                for pat in patterns:
                    pbase = pat.rsplit("/", 1)[-1]
                    tests.append((re.compile(r"(?:.*/)?" + fnmatch.translate(pat)),
                                  None if pbase.startswith(("*", "?"))
                                  else re.compile(fnmatch.translate(pbase))))
                self._regexes.append((tests, lic))
        return self._regexes

    def _match(self, relpath):
        """(index of the last matching stanza, its licence) or (-1, None)."""
        base = relpath.rsplit("/", 1)[-1]
        regexes = self._compiled()
        for index in range(len(regexes) - 1, -1, -1):
            tests, lic = regexes[index]
            for whole, name in tests:
                if whole.match(relpath) or (name is not None and name.match(base)):
                    return (index, lic)
        return (-1, None)

    def licence(self, relpath):
        if not self.dep5:
            return self.fallback
        if "!" not in relpath:
            return self._match(relpath)[1] or self.fallback
        outer, inner = relpath.split("!", 1)
        if not outer.endswith(".rcc"):
            # a member of a PDF, SVG or zip file: the container's licence
            return self._match(outer)[1] or self.fallback
        stem = os.path.splitext(inner)[0]
        names = [inner] + [stem + e for e in self.SOURCE_EXTENSIONS if stem + e != inner]
        return max(self._match(n) for n in names)[1] or self.fallback


# ------------------------------------------------------------ image info ----

def identify_many(paths):
    """(width, height) of the first frame of each file, None if unreadable."""
    out = {}
    for i in range(0, len(paths), 200):
        batch = paths[i:i + 200]
        r = subprocess.run([IDENTIFY, "-ping", "-format", "%w %h %i\n"] +
                           [p + "[0]" for p in batch], capture_output=True, text=True)
        for line in r.stdout.splitlines():
            w, h, name = line.split(" ", 2)
            out[name] = (int(w), int(h))
    return {p: out.get(p) for p in paths}


def flat_stats(path):
    """Colour statistics on a nearest-neighbour 128 px sample (no new colours):
    coverage  share of the canvas that is opaque (alpha >= 50 %)
    colourful share of opaque pixels with chroma (max-min) >= 48 of 255
    dark      share of opaque pixels darker than 48 of 255 (ink, silhouettes)
    top8      share of opaque pixels in the 8 most common colours (16 levels
              per channel): high for flat fills, low for gradients and photos
    """
    r = subprocess.run([CONVERT, path + "[0]", "-alpha", "on", "-sample", "128x128>",
                        "-depth", "8", "-format", "%w %h\n", "-write", "info:-",
                        "rgba:-"], capture_output=True)
    if r.returncode != 0 or b"\n" not in r.stdout:
        return None
    head, data = r.stdout.split(b"\n", 1)
    w, h = map(int, head.split())
    if len(data) != 4 * w * h:
        return None
    hist = collections.Counter()
    opaque = colourful = dark = 0
    for i in range(0, len(data), 4):
        if data[i + 3] < 128:
            continue
        rr, gg, bb = data[i], data[i + 1], data[i + 2]
        opaque += 1
        mx, mn = max(rr, gg, bb), min(rr, gg, bb)
        if mx - mn >= 48:
            colourful += 1
        if mx < 48:
            dark += 1
        hist[(rr >> 4, gg >> 4, bb >> 4)] += 1
    if not opaque:
        return (0.0, 0.0, 0.0, 0.0)
    top8 = sum(c for _, c in hist.most_common(8))
    return (round(opaque / (w * h), 4), round(colourful / opaque, 4),
            round(dark / opaque, 4), round(top8 / opaque, 4))


class KV:
    """Small tab-separated cache: key -> value columns."""

    def __init__(self, path):
        self.path = path
        self.d = {}
        if os.path.exists(path):
            with open(path, encoding="utf-8") as f:
                for line in f:
                    k, _, v = line.rstrip("\n").partition("\t")
                    self.d[k] = v

    def save(self):
        data = "".join("%s\t%s\n" % kv for kv in sorted(self.d.items()))
        write_if_changed(self.path, data.encode("utf-8"))


# ------------------------------------------------------------ selection ----

def fixed_dir(glob):
    """Directory part of a glob before its first wildcard."""
    cut = min([glob.find(c) for c in "*?[" if c in glob] or [len(glob)])
    return glob[:cut].rsplit("/", 1)[0] + "/" if "/" in glob[:cut] else ""


def slugify(text):
    text = re.sub(r"\.[A-Za-z0-9]+$", "", text).replace("/", "_")
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-")


def name_stem(path):
    """File name without extension and trailing counters: smiley003 -> smiley."""
    s = os.path.splitext(os.path.basename(path))[0].lower()
    s = re.sub(r"([_-]*\d+)+[_-]*$", "", s)
    s = re.sub(r"([_-]*\d+)+[_-]*$", "", s)
    return s.rstrip("_-") or "x"


def hash_unit(*parts):
    return int(hashlib.sha256(":".join(parts).encode()).hexdigest()[:8], 16)


def check_overrides(pkg, root, overrides):
    """Each 'licence' line's text must be in its file in the package (a .gz
    file is read uncompressed), so that a changed package stops the build."""
    for glob, lic, path, check in overrides:
        full = os.path.join(root, path)
        if not os.path.isfile(full):
            die("%s: licence line for %s: %s is not in the package" % (pkg, glob, path))
        opener = gzip.open if path.endswith(".gz") else open
        with opener(full, "rb") as f:
            text = f.read().decode("utf-8", "replace")
        if not re.search(check, text):
            die("%s: %s no longer matches %r; review the licence of %s"
                % (pkg, path, check, glob))


used_overrides = set()   # (pkg, licence line) that matched a selected file


def select(ds, roots, packages, copyrights, stats_cache, seed):
    cands = collections.OrderedDict()   # (pkg, relpath) -> record
    used_excludes = set()
    for pkg, glob, name in ds.includes:
        root = roots[pkg]
        base = fixed_dir(glob)
        top = os.path.join(root, base) if base else root
        matched = 0
        for dirpath, dirnames, filenames in os.walk(top):
            dirnames.sort()
            for fn in sorted(filenames):
                full = os.path.join(dirpath, fn)
                rel = os.path.relpath(full, root)
                if os.path.islink(full) or not fnmatch.fnmatchcase(rel, glob):
                    continue
                matched += 1
                hits = [(p, g) for p, g in ds.excludes if p == pkg and fnmatch.fnmatchcase(rel, g)]
                if hits:
                    used_excludes.update(hits)
                    continue
                slug = name or slugify(rel[len(base):])
                if not name and "!" in base:
                    # members of a Qt resource file: prefix the resource's
                    # name (erase.rcc!.../cow.webp -> erase_cow)
                    outer = os.path.basename(base.split("!", 1)[0])
                    slug = slugify(outer) + "_" + slug
                cands.setdefault((pkg, rel), {
                    "pkg": pkg, "rel": rel, "full": full,
                    "file": "%s_%s.png" % (packages[pkg]["tag"], slug)})
        if matched == 0:
            die("%s: include %s %s matched no file; the package changed?"
                % (ds.name, pkg, glob))
    stale = [" ".join(e) for e in ds.excludes if e not in used_excludes]
    if stale:
        die("%s: exclude rules that match no included file (typo, or the package changed):\n  %s"
            % (ds.name, "\n  ".join(stale)))
    recs = list(cands.values())
    log("  %-10s %5d candidates after include/exclude rules" % (ds.name, len(recs)))

    # identity of each source file
    for r in recs:
        r["sha"] = sha256_file(r["full"])
        r["bytes"] = os.path.getsize(r["full"])
    # exact duplicates: keep the first by (package, path)
    seen, uniq = set(), []
    for r in sorted(recs, key=lambda r: (r["pkg"], r["rel"])):
        if r["sha"] not in seen:
            seen.add(r["sha"])
            uniq.append(r)
    recs = uniq

    # size and shape rules
    dims = identify_many([r["full"] for r in recs])
    min_long = ds.p("min_long", 0, int)
    min_short = ds.p("min_short", 0, int)
    max_long = ds.p("max_long", 100000, int)
    max_aspect = ds.p("max_aspect", 100.0, float)
    kept = []
    for r in recs:
        d = dims.get(r["full"])
        if not d:
            continue
        lo, hi = min(d), max(d)
        if hi < min_long or lo < min_short or hi > max_long or hi > max_aspect * lo:
            continue
        r["src_dims"] = d
        kept.append(r)
    log("  %-10s %5d pass size rules (long side %d-%d px, short side >= %d, aspect <= %g)"
        % (ds.name, len(kept), min_long, max_long, min_short, max_aspect))
    recs = kept

    # flat-colour rule
    if ds.p("filter") == "flat":
        todo = [r for r in recs if (STATS_VERSION + ":" + r["sha"]) not in stats_cache.d]
        if todo:
            log("  %-10s computing colour statistics for %d files" % (ds.name, len(todo)))
            with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
                for r, st in zip(todo, ex.map(lambda r: flat_stats(r["full"]), todo)):
                    stats_cache.d[STATS_VERSION + ":" + r["sha"]] = (
                        "ERR" if st is None else "\t".join("%.4f" % x for x in st))
            stats_cache.save()
        lim = {k: ds.p(k, None, float) for k in
               ("min_coverage", "min_colourful", "max_dark", "min_top8")}
        kept = []
        for r in recs:
            v = stats_cache.d[STATS_VERSION + ":" + r["sha"]]
            if v == "ERR":
                continue
            cov, col, dark, top8 = map(float, v.split("\t"))
            if (cov >= lim["min_coverage"] and col >= lim["min_colourful"]
                    and dark <= lim["max_dark"] and top8 >= lim["min_top8"]):
                kept.append(r)
        log("  %-10s %5d pass the flat-colour rule %s" % (ds.name, len(kept), lim))
        recs = kept

    # split groups: explicit groups, else per-stem groups, else the source itself
    per_stem = ds.p("max_per_stem", 0, int)
    for r in recs:
        r["group"] = r["sha"][:16]
        for pkg, glob, g in ds.groups:
            if pkg == r["pkg"] and fnmatch.fnmatchcase(r["rel"], glob):
                r["group"] = g
        if per_stem:
            r["group"] = "stem:" + name_stem(r["rel"])
    if per_stem:
        count, kept = collections.Counter(), []
        for r in sorted(recs, key=lambda r: (r["pkg"], r["rel"])):
            count[r["group"]] += 1
            if count[r["group"]] <= per_stem:
                kept.append(r)
        log("  %-10s %5d after keeping at most %d per name stem"
            % (ds.name, len(kept), per_stem))
        recs = kept

    # limits: at most N files of a pool, a seeded, order-free choice
    used_pools = set()
    for pool, n in ds.limits.items():
        globs = [(p, g) for p, g, pl in ds.pools if pl == pool]
        members = [r for r in recs
                   if any(p == r["pkg"] and fnmatch.fnmatchcase(r["rel"], g) for p, g in globs)]
        for r in members:
            used_pools.update((p, g) for p, g in globs
                              if p == r["pkg"] and fnmatch.fnmatchcase(r["rel"], g))
        if len(members) > n:
            pooled = set(id(r) for r in members)
            keep = set(id(r) for r in sorted(
                members, key=lambda r: (hash_unit(seed, "limit", pool, r["sha"]), r["sha"]))[:n])
            recs = [r for r in recs if id(r) in keep or id(r) not in pooled]
        log("  %-10s %5d after keeping %d of %d in pool %s"
            % (ds.name, len(recs), min(n, len(members)), len(members), pool))
    stale = [" ".join(x) for x in ((p, g) for p, g, _ in ds.pools) if x not in used_pools]
    if stale:
        die("%s: pool rules that match no selected file:\n  %s" % (ds.name, "\n  ".join(stale)))

    # cap: a seeded, order-free choice
    cap = ds.p("max_images", 0, int)
    if cap and len(recs) > cap:
        recs = sorted(recs, key=lambda r: (hash_unit(seed, "pick", r["sha"]), r["sha"]))[:cap]
        log("  %-10s %5d after the cap of %d images" % (ds.name, len(recs), cap))

    names = collections.Counter(r["file"] for r in recs)
    clash = [n for n, c in names.items() if c > 1]
    if clash:
        die("%s: output name clash: %s" % (ds.name, ", ".join(sorted(clash))))
    for r in recs:
        r["license"] = copyrights[r["pkg"]].licence(r["rel"])
        # per-file licence lines: the last one that matches wins
        for o in packages[r["pkg"]]["overrides"]:
            if fnmatch.fnmatchcase(r["rel"], o[0]):
                r["license"] = o[1]
                used_overrides.add((r["pkg"], o))
    return sorted(recs, key=lambda r: (r["pkg"], r["rel"]))


# ----------------------------------------------------------- conversion ----

def convert_cmd(src, dst, longest):
    """Deterministic conversion: first frame, EXIF orientation applied, alpha
    laid over white, sRGB 8-bit, Lanczos shrink so the longest side is at most
    `longest` (never enlarged), metadata and time chunks stripped, 24-bit PNG."""
    return [CONVERT, src + "[0]", "-auto-orient", "-colorspace", "sRGB",
            "-background", "white", "-alpha", "remove", "-alpha", "off",
            "-filter", "Lanczos", "-resize", "%dx%d>" % (longest, longest),
            "-depth", "8", "-strip",
            "-define", "png:exclude-chunks=date,time",
            "-define", "png:compression-level=9",
            "-define", "png:compression-filter=5",
            "-define", "png:compression-strategy=1",
            "PNG24:" + dst]


def convert_all(ds, recs, img_dir, conv_cache):
    longest = ds.p("longest", 512, int)
    todo = []
    for r in recs:
        dst = os.path.join(img_dir, r["file"])
        key = "%s:%d:%s:%s" % (CONVERT_VERSION, longest, r["sha"], r["file"])
        r["key"], r["dst"] = key, dst
        cached = conv_cache.d.get(key)
        if cached and os.path.exists(dst):
            fsha, w, h = cached.split("\t")
            if sha256_file(dst) == fsha:
                r["out_sha"], r["w"], r["h"] = fsha, int(w), int(h)
                continue
        todo.append(r)
    if todo:
        log("  %-10s converting %d images" % (ds.name, len(todo)))

    def work(r):
        tmp = r["dst"] + ".tmp.png"
        p = subprocess.run(convert_cmd(r["full"], tmp, longest), capture_output=True, text=True)
        if p.returncode != 0 or not os.path.exists(tmp):
            return "convert failed on %s %s: %s" % (r["pkg"], r["rel"], p.stderr.strip())
        os.replace(tmp, r["dst"])
        q = subprocess.run([IDENTIFY, "-format", "%w %h", r["dst"]],
                           capture_output=True, text=True)
        w, h = q.stdout.split()
        r["out_sha"], r["w"], r["h"] = sha256_file(r["dst"]), int(w), int(h)
        return None

    with concurrent.futures.ThreadPoolExecutor(JOBS) as ex:
        errors = [e for e in ex.map(work, todo) if e]
    if errors:
        die("\n".join(errors))
    for r in todo:
        conv_cache.d[r["key"]] = "%s\t%d\t%d" % (r["out_sha"], r["w"], r["h"])
    conv_cache.save()
    # remove images that are no longer selected
    keep = {r["file"] for r in recs}
    for fn in os.listdir(img_dir):
        if fn not in keep:
            os.remove(os.path.join(img_dir, fn))


# ---------------------------------------------------------------- split ----

def split_of(seed, group, train, val):
    u = hash_unit(seed, "split", group) % 100
    return "train" if u < train else ("val" if u < train + val else "test")


def main():
    if len(sys.argv) != 5:
        die(__doc__.strip().split("\n\n")[-1])
    rules_path, debs_tsv, work, out_root = sys.argv[1:]
    settings, packages, datasets = parse_rules(rules_path)
    seed = settings.get("seed", "comicgan-datasets-v1")
    train, val = (int(x) for x in settings.get("split", "80/10/10").split("/")[:2])
    only = set(os.environ.get("DATASETS", "").split()) or set(datasets)

    debs = {}
    with open(debs_tsv, encoding="utf-8") as f:
        for line in f:
            pkg, ver, path = line.rstrip("\n").split("\t")
            debs[pkg] = (ver, path)

    log("extracting")
    globs = collections.defaultdict(list)
    for ds in datasets.values():
        if ds.name in only:
            for pkg, g, _ in ds.includes:
                globs[pkg].append(g)
    for pkg in list(globs):
        globs[pkg] += [o[2] for o in packages[pkg]["overrides"]]
    roots, copyrights = {}, {}
    for pkg in sorted(globs):
        if pkg not in debs:
            die("no .deb for %s" % pkg)
        ver, deb = debs[pkg]
        roots[pkg] = extract_package(pkg, ver, deb, os.path.join(work, "extract"), globs[pkg])
        cfile = os.path.join(roots[pkg], "usr/share/doc/%s/copyright" % pkg)
        if not os.path.exists(cfile):
            die("%s has no usr/share/doc/%s/copyright" % (pkg, pkg))
        copyrights[pkg] = Copyright(pkg, cfile, packages[pkg]["license"], packages[pkg]["check"])
        check_overrides(pkg, roots[pkg], packages[pkg]["overrides"])

    stats_cache = KV(os.path.join(work, "stats-cache.tsv"))
    conv_cache = KV(os.path.join(work, "convert-cache.tsv"))
    for ds in datasets.values():
        if ds.name not in only:
            continue
        log("dataset %s" % ds.name)
        recs = select(ds, roots, packages, copyrights, stats_cache, seed)
        if not recs:
            die("%s: no image selected" % ds.name)
        ddir = os.path.join(out_root, ds.name)
        img_dir = os.path.join(ddir, "images")
        os.makedirs(img_dir, exist_ok=True)
        convert_all(ds, recs, img_dir, conv_cache)

        rows = ["\t".join(MANIFEST_COLUMNS)]
        for r in recs:
            rows.append("\t".join([r["pkg"], debs[r["pkg"]][0], r["rel"], r["license"],
                                   r["sha"], str(r["bytes"]), r["file"], r["out_sha"],
                                   str(r["w"]), str(r["h"])]))
        manifest = ("\n".join(rows) + "\n").encode("utf-8")
        write_if_changed(os.path.join(ddir, "manifest.tsv"), manifest)
        msha = hashlib.sha256(manifest).hexdigest()
        write_if_changed(os.path.join(ddir, "manifest.sha256"),
                         ("%s  manifest.tsv\n" % msha).encode())
        srows = ["\t".join(SPLIT_COLUMNS)]
        for r in sorted(recs, key=lambda r: r["file"]):
            srows.append("\t".join([r["file"], r["sha"], r["group"],
                                    split_of(seed, r["group"], train, val)]))
        write_if_changed(os.path.join(ddir, "split.tsv"),
                         ("\n".join(srows) + "\n").encode("utf-8"))
    stale = ["%s %s" % (pkg, o[0]) for pkg in sorted(roots)
             for o in packages[pkg]["overrides"] if (pkg, o) not in used_overrides]
    if stale:
        die("licence lines that match no selected file:\n  %s" % "\n  ".join(stale))


if __name__ == "__main__":
    main()
