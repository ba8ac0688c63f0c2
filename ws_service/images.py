"""An uploaded image's size as shown and its thumbnail, from Pillow decoding it: a file that claims
to be an image but does not decode is kept as a plain file, never shown inline."""

import io
from dataclasses import dataclass
from typing import IO

from PIL import Image, ImageOps

# Pillow's formats for the images shown inline (file_kinds.INLINE_IMAGE_TYPES).
_FORMATS = {"PNG", "JPEG", "GIF", "WEBP"}
# A decompression bomb (a small file of a huge image) is not decoded: past this many pixels there is
# no thumbnail, and the image is served as a download.
MAX_PIXELS = 40_000_000
THUMBNAIL_BOX = (400, 400)
THUMBNAIL_TYPE = "image/webp"


@dataclass(frozen=True)
class ImageFacts:
    width: int
    height: int
    thumbnail: bytes  # THUMBNAIL_TYPE, within THUMBNAIL_BOX


def inspect(file: IO[bytes]) -> ImageFacts | None:
    """The facts of the image in `file`, or None if it is not one of the inline formats or does not
    decode. CPU-bound: ws_service runs it off the gevent loop, in a thread."""
    file.seek(0)
    try:
        with Image.open(file) as image:
            if image.format not in _FORMATS or image.width * image.height > MAX_PIXELS:
                return None
            shown = ImageOps.exif_transpose(image)  # as a browser shows it: a phone's photo upright
            width, height = shown.size
            shown.thumbnail(THUMBNAIL_BOX)
            if shown.mode not in ("RGB", "RGBA"):
                shown = shown.convert("RGBA")
            thumbnail = io.BytesIO()
            shown.save(thumbnail, "WEBP", quality=80)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError):
        return None  # not an image after all, or a broken one
    return ImageFacts(width, height, thumbnail.getvalue())
