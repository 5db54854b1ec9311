"""Running comicgan-bridge and talking to it without blocking Krita.

The bridge is a child process (QProcess). Requests are written to its
standard input; replies are read as they arrive (readyReadStandardOutput) and
handed to callbacks, so Krita's user interface thread never waits on it.
"""

import os
import shutil

from PyQt5.QtCore import QObject, QProcess, pyqtSignal

from . import protocol

BRIDGE_NAME = "comicgan-bridge"

# install-pykrita.sh writes the bridge's path into this file, next to the plug-in.
RECORDED_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bridge-path")


def find_bridge():
    """The bridge program's path, or None. Looks at $COMICGAN_BRIDGE, the path
    the install script recorded, then $PATH and the usual install places."""
    candidates = [os.environ.get("COMICGAN_BRIDGE")]
    try:
        with open(RECORDED_PATH, encoding="utf-8") as f:
            candidates.append(f.read().strip())
    except OSError:
        pass
    candidates.append(shutil.which(BRIDGE_NAME))
    candidates += [os.path.expanduser("~/.local/bin/" + BRIDGE_NAME), "/usr/local/bin/" + BRIDGE_NAME,
                   "/usr/bin/" + BRIDGE_NAME]
    for path in candidates:
        if path and os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return None


class BridgeError(Exception):
    """An error reply, or the bridge failing; str() is for people."""

    def __init__(self, message, code="bridge"):
        super().__init__(message)
        self.code = code


class Bridge(QObject):
    """One running bridge. call() queues a request; its callbacks run later,
    from Qt's event loop: progress(fraction) zero or more times, then exactly
    one of done(header, payload) or failed(BridgeError)."""

    # Emitted once if the process cannot start, dies, or speaks nonsense.
    broken = pyqtSignal(str)

    def __init__(self, path, parent=None):
        super().__init__(parent)
        self._path = path
        self._decoder = protocol.Decoder()
        self._next_id = 1
        self._queue = []       # requests waiting: (id, header, payload, callbacks)
        self._current = None   # the request the bridge is working on
        self._dead = None      # why the bridge is unusable, once it is
        self._stderr = b""
        self._process = QProcess(self)
        self._process.setProgram(path)
        self._process.readyReadStandardOutput.connect(self._on_output)
        self._process.readyReadStandardError.connect(self._on_stderr)
        self._process.errorOccurred.connect(self._on_error)
        self._process.finished.connect(self._on_finished)

    def start(self, on_hello, on_failed):
        """Starts the process and says hello."""
        self._process.start()
        self.call({"type": "hello", "protocol": protocol.VERSION, "client": "comicgan-krita"},
                  done=on_hello, failed=on_failed)

    def call(self, header, payload=b"", done=None, failed=None, progress=None):
        """Queues a request; returns its id (for cancel)."""
        rid = self._next_id
        self._next_id += 1
        header = dict(header, id=rid)
        self._queue.append((rid, header, payload, (done, failed, progress)))
        if self._dead:
            self._fail_all(self._dead)
        else:
            self._send_next()
        return rid

    @property
    def dead(self):
        """Why the bridge can no longer be used, or None while it can."""
        return self._dead

    def cancel(self, rid):
        """Asks the bridge to stop request rid; its failed callback then gets a
        BridgeError with code "cancelled"."""
        for i, item in enumerate(self._queue):
            if item[0] == rid:
                del self._queue[i]
                if item[3][1]:
                    item[3][1](BridgeError("cancelled", "cancelled"))
                return
        if self._current and self._current[0] == rid and not self._dead:
            self._process.write(protocol.encode({"type": "cancel", "id": 0, "target": rid}))

    def stop(self):
        """Closes the bridge's input, which makes it exit; kills it if it lingers."""
        self._dead = self._dead or "the bridge was stopped"
        if self._process.state() != QProcess.NotRunning:
            self._process.closeWriteChannel()
            if not self._process.waitForFinished(3000):
                self._process.kill()
                self._process.waitForFinished(1000)
        self._fail_all(self._dead)

    # ---- internals ---------------------------------------------------------

    def _send_next(self):
        if self._current or not self._queue or self._dead:
            return
        self._current = self._queue.pop(0)
        rid, header, payload, _ = self._current
        # Header and payload separately, so the payload, which can be large,
        # is not copied into one more buffer.
        self._process.write(protocol.encode_header(header, len(payload)))
        if len(payload):
            self._process.write(payload)

    def _on_output(self):
        data = bytes(self._process.readAllStandardOutput())
        try:
            frames = self._decoder.feed(data)
        except protocol.ProtocolError as e:
            self._die(str(e))
            return
        for header, payload in frames:
            self._dispatch(header, payload)

    def _dispatch(self, header, payload):
        kind = header.get("type")
        current = self._current
        if not current or header.get("id") != current[0]:
            # An error about a frame the bridge could not read at all.
            if kind == "error":
                self._die("%s (%s)" % (header.get("message", ""), header.get("code", "")))
            return
        done, failed, progress = current[3]
        if kind == "progress":
            if progress:
                progress(float(header.get("fraction", 0.0)))
            return
        self._current = None
        if kind == "error":
            if failed:
                failed(BridgeError(header.get("message", "error"), header.get("code", "error")))
        elif done:
            done(header, payload)
        self._send_next()

    def _on_stderr(self):
        # Kept (the end of it) for the message if the bridge dies.
        self._stderr = (self._stderr + bytes(self._process.readAllStandardError()))[-2000:]

    def _on_error(self, error):
        if error == QProcess.FailedToStart:
            self._die("cannot run %s: %s" % (self._path, self._process.errorString()))

    def _on_finished(self, code, status):
        if not self._dead:
            why = "the bridge stopped (exit status %d)" % code if status == QProcess.NormalExit else \
                "the bridge crashed"
            tail = self._stderr.decode("utf-8", "replace").strip()
            self._die(why + (": " + tail if tail else ""))

    def _die(self, message):
        if self._dead:
            return
        self._dead = message
        self._fail_all(message)
        self.broken.emit(message)
        if self._process.state() != QProcess.NotRunning:
            self._process.kill()

    def _fail_all(self, message):
        pending = ([self._current] if self._current else []) + self._queue
        self._current = None
        self._queue = []
        for item in pending:
            if item[3][1]:
                item[3][1](BridgeError(message))
