"""What a file is, from its first bytes (magic numbers), whatever name or type the client gave it."""

# Images a browser may be shown inline: formats that cannot carry script. SVG is XML with script
# in it, so it is served as a download like any other file.
INLINE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})

# Enough of a file to tell what it is.
HEAD_BYTES = 512

_SIGNATURES = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"%PDF-", "application/pdf"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
    (b"OggS", "audio/ogg"),
    (b"ID3", "audio/mpeg"),
    (b"fLaC", "audio/flac"),
    (b"\x1a\x45\xdf\xa3", "video/webm"),
)
_RIFF_KINDS = {b"WEBP": "image/webp", b"WAVE": "audio/wav", b"AVI ": "video/x-msvideo"}


def content_type_of(head: bytes) -> str:
    """The content type of a file that begins with `head` (its first HEAD_BYTES or all of it)."""
    for signature, content_type in _SIGNATURES:
        if head.startswith(signature):
            return content_type
    if head.startswith(b"RIFF") and head[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[head[8:12]]
    if head[4:8] == b"ftyp":
        return "video/mp4"
    text = _as_text(head)
    if text is None:
        return "application/octet-stream"
    return _markup_type(text) or "text/plain"


def _as_text(head):
    """`head` as text if it reads as UTF-8 (a character cut at the end allowed) with no NUL."""
    if b"\x00" in head:
        return None
    for cut in range(4):  # a multi-byte character may be cut by the end of the head
        try:
            return head[: len(head) - cut].decode("utf-8")
        except UnicodeDecodeError:
            continue
    return None


def _markup_type(text):
    """SVG and HTML: what a browser would run script in, if it were shown rather than downloaded."""
    start = text.lstrip("\ufeff \t\r\n").lower()
    if start.startswith(("<svg", "<?xml")) and "<svg" in start:
        return "image/svg+xml"
    if start.startswith(("<!doctype html", "<html", "<head", "<body", "<script", "<iframe")):
        return "text/html"
    return None
