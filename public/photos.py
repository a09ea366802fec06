"""The copy of a photo the public side shows: upright, at most DISPLAY_MAX pixels, re-encoded as
a JPEG without any metadata, so neither the reporter's GPS position and phone model nor a unit's
(an after photo is the unit's evidence, stored as sent) leaves with it. The staff side does the
same for inspection photos (inspections/photos.py display_copy), with a stamp; this copy has
none: the public is told where and when in words, on the page."""

import io

from PIL import Image, ImageOps

from inspections.photos import DISPLAY_MAX


def clean_copy(data: bytes, *, bound: int = DISPLAY_MAX) -> bytes:
    """An upright, bounded JPEG of the image in `data`, without EXIF, XMP, ICC or comments.
    Call it on bytes attachment_store has accepted (a real image within the pixel limit)."""
    with Image.open(io.BytesIO(data)) as source:
        source.draft("RGB", (bound, bound))  # a JPEG decodes at a fraction of its size
        source.thumbnail((bound, bound))
        image = ImageOps.exif_transpose(source).convert("RGB")
    buffer = io.BytesIO()
    # No exif= nor icc_profile= argument: Pillow writes no metadata block at all.
    image.save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue()
