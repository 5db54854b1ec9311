"""The frames of comicgan-bridge's protocol (PROTOCOL.md), in plain Python.

No Qt and no Krita here, so the tests can use this module outside Krita:
encode() makes a frame; Decoder takes bytes as they arrive and gives back
whole frames.
"""

import json
import struct

VERSION = 4
MAGIC = b"CGBR"
MAX_HEADER = 65536

# Bytes per pixel of each depth (Krita's colorDepth() names).
DEPTH_BYTES = {"U8": 4, "U16": 8, "F16": 8, "F32": 16}


class ProtocolError(Exception):
    """The bridge sent something that is not a frame."""


def encode_header(header, payload_size):
    """The start of a frame, up to its payload: magic, header length, header
    (its "payload" member set to payload_size)."""
    text = json.dumps(dict(header, payload=payload_size), separators=(",", ":")).encode("utf-8")
    return MAGIC + struct.pack("<I", len(text)) + text


def encode(header, payload=b""):
    """One whole frame: the header dict and the payload bytes."""
    return encode_header(header, len(payload)) + bytes(payload)


class Decoder:
    """Collects bytes and splits them into (header, payload) frames.

    Payloads can be hundreds of megabytes, so bytes are kept in a list of
    chunks and joined once per frame, not once per read.
    """

    def __init__(self):
        self._chunks = []
        self._size = 0
        self._header = None   # the current frame's header, once read
        self._need = 8        # bytes needed before the next step

    def feed(self, data):
        """Adds bytes; returns the list of frames they complete."""
        if data:
            self._chunks.append(bytes(data))
            self._size += len(data)
        frames = []
        while self._size >= self._need:
            buf = b"".join(self._chunks)
            self._chunks = [buf]
            if self._header is None:
                if buf[:4] != MAGIC:
                    raise ProtocolError("the bridge sent bytes that are not a frame")
                (length,) = struct.unpack("<I", buf[4:8])
                if length < 2 or length > MAX_HEADER:
                    raise ProtocolError("the bridge sent a header of %d bytes" % length)
                if self._size < 8 + length:
                    self._need = 8 + length
                    break
                try:
                    header = json.loads(buf[8:8 + length].decode("utf-8"))
                except ValueError as e:
                    raise ProtocolError("the bridge sent a header that is not JSON: %s" % e)
                if not isinstance(header, dict) or not isinstance(header.get("payload", 0), int):
                    raise ProtocolError("the bridge sent a malformed header")
                self._header = header
                self._drop(8 + length)
                self._need = header.get("payload", 0)
                continue
            need = self._need
            payload = buf[:need]
            self._drop(need)
            frames.append((self._header, payload))
            self._header = None
            self._need = 8
        return frames

    def _drop(self, n):
        buf = b"".join(self._chunks)[n:]
        self._chunks = [buf] if buf else []
        self._size = len(buf)
