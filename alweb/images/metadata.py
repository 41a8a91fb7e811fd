"""Drop an image's metadata (EXIF with its GPS position, XMP, IPTC, comments) without touching its pixels.

A photo's EXIF can tell where it was taken and with which device; the service stores upright
pixels (alweb/images/decoding.py applies the orientation), so no metadata is needed at all.
What is kept is what decoding needs: JPEG's JFIF and Adobe segments and ICC colour profile,
PNG's colour and transparency chunks, WebP's ICC profile and animation chunks.

Plain bytes in, bytes out: no Django and no Pillow, so that the command-line client computes the
same content hash as the server before it uploads.
"""

import struct

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_DROPPED = frozenset({b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"})
WEBP_DROPPED = frozenset({b"EXIF", b"XMP "})
# VP8X flag bits that announce the dropped chunks.
WEBP_EXIF_FLAG, WEBP_XMP_FLAG = 0x08, 0x04
JPEG_APP0, JPEG_APP2, JPEG_APP14, JPEG_COM = 0xE0, 0xE2, 0xEE, 0xFE
JPEG_SOS, JPEG_EOI = 0xDA, 0xD9


class MetadataError(ValueError):
    """The file's structure could not be walked; the caller re-encodes the pixels instead."""


def without_metadata(data: bytes) -> bytes:
    """The same image without metadata; bytes of any other format are returned as they are."""
    if data.startswith(b"\xff\xd8"):
        return _jpeg(data)
    if data.startswith(PNG_SIGNATURE):
        return _png(data)
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return _webp(data)
    return data


def _jpeg(data: bytes) -> bytes:
    """Keep SOI, the coding segments, JFIF, ICC and Adobe; stop at the first EOI (MPO's extra frames go too)."""
    out = bytearray(data[:2])
    i, n = 2, len(data)
    try:
        while i < n:
            if data[i] != 0xFF:
                raise MetadataError("expected a JPEG marker")
            while data[i] == 0xFF:
                i += 1
            marker = data[i]
            i += 1
            if marker == JPEG_EOI:
                out += b"\xff\xd9"
                return bytes(out)
            if 0xD0 <= marker <= 0xD7 or marker == 0x01:
                out += bytes((0xFF, marker))
                continue
            (length,) = struct.unpack(">H", data[i : i + 2])
            if length < 2 or i + length > n:
                raise MetadataError("a JPEG segment runs past the end of the file")
            segment = data[i : i + length]
            i += length
            if _jpeg_keeps(marker, segment[2:]):
                out += bytes((0xFF, marker)) + segment
            if marker == JPEG_SOS:
                end = _entropy_coded_end(data, i)
                out += data[i:end]
                i = end
    except (IndexError, struct.error) as error:
        raise MetadataError("the JPEG ends inside a segment") from error
    raise MetadataError("the JPEG has no end marker")


def _jpeg_keeps(marker: int, payload: bytes) -> bool:
    if marker == JPEG_APP0:
        return payload.startswith(b"JFIF\x00")
    if marker == JPEG_APP2:
        return payload.startswith(b"ICC_PROFILE\x00")
    if marker == JPEG_APP14:
        return payload.startswith(b"Adobe")
    return not (0xE0 <= marker <= 0xEF or marker == JPEG_COM)


def _entropy_coded_end(data: bytes, start: int) -> int:
    """Where a scan's entropy-coded data ends: the next marker other than stuffing or a restart."""
    i = start
    while True:
        i = data.find(b"\xff", i)
        if i < 0:
            raise MetadataError("a JPEG scan runs to the end of the file")
        following = data[i + 1] if i + 1 < len(data) else None
        if following is None:
            raise MetadataError("a JPEG scan runs to the end of the file")
        if following == 0x00 or 0xD0 <= following <= 0xD7 or following == 0xFF:
            i += 1 if following == 0xFF else 2
            continue
        return i


def _png(data: bytes) -> bytes:
    """Keep every chunk but text, EXIF and time stamps; stop after IEND."""
    out = bytearray(PNG_SIGNATURE)
    i = len(PNG_SIGNATURE)
    while i + 12 <= len(data):
        (length,) = struct.unpack(">I", data[i : i + 4])
        kind = data[i + 4 : i + 8]
        end = i + 12 + length
        if end > len(data):
            raise MetadataError("a PNG chunk runs past the end of the file")
        if kind not in PNG_DROPPED:
            out += data[i:end]
        i = end
        if kind == b"IEND":
            return bytes(out)
    raise MetadataError("the PNG has no IEND chunk")


def _webp(data: bytes) -> bytes:
    """Drop the EXIF and XMP chunks, clear their VP8X flags and fix the RIFF size."""
    chunks = bytearray()
    i = 12
    (riff_size,) = struct.unpack("<I", data[4:8])
    end_of_riff = min(len(data), 8 + riff_size)
    while i + 8 <= end_of_riff:
        kind = data[i : i + 4]
        (size,) = struct.unpack("<I", data[i + 4 : i + 8])
        end = i + 8 + size + (size & 1)
        if i + 8 + size > end_of_riff:
            raise MetadataError("a WebP chunk runs past the end of the file")
        chunk = bytearray(data[i : min(end, end_of_riff)])
        if kind == b"VP8X" and size >= 1:
            chunk[8] &= ~(WEBP_EXIF_FLAG | WEBP_XMP_FLAG) & 0xFF
        if kind not in WEBP_DROPPED:
            chunks += chunk
            if len(chunk) & 1:
                chunks += b"\x00"
        i = end
    return b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WEBP" + bytes(chunks)
