"""The stamped display copy of an inspection photo (the "watermark camera" officials expect).

The original is kept untouched as evidence. The copy that screens show, and that the public may
one day see, is made from it here: turned upright, scaled to at most DISPLAY_MAX pixels, stamped
along the bottom with time, place, site and inspector, and saved as a fresh JPEG with no EXIF at
all, so no GPS position or phone model leaves with it.

The stamp needs a font with Chinese glyphs. We look for one at run time (settings.WATERMARK_FONT,
then the usual places on Debian, other Linux distributions, macOS and Windows); `make
system-packages` installs Debian's fonts-noto-cjk. Without one the stamp is written in ASCII
rather than as boxes."""

import datetime as dt
import functools
import io
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFont, ImageOps

DISPLAY_MAX = 1600

FONT_CANDIDATES = [
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian, Ubuntu: fonts-noto-cjk
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Bold.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",  # Arch
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",  # Fedora
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
    "/System/Library/Fonts/PingFang.ttc",
    "C:/Windows/Fonts/msyh.ttc",
    "C:/Windows/Fonts/simhei.ttf",
]


@dataclass(frozen=True)
class Stamp:
    """What is written on the photo, one line each."""

    time: str  # 2026年5月12日 10:23
    place: str  # 34.757000, 113.665000 (±8 米)
    site: str  # 幸福巷（BS-0001）
    inspector: str  # 检查人：李强
    ascii_fallback: tuple[str, ...] = ()  # the same in ASCII, for a server without CJK fonts

    def lines(self, cjk: bool) -> list[str]:
        return [self.time, self.place, self.site, self.inspector] if cjk else list(self.ascii_fallback)


@dataclass(frozen=True)
class Capture:
    """When and where the camera says the picture was taken (EXIF), where it says so."""

    at: dt.datetime | None = None
    latitude: float | None = None
    longitude: float | None = None


EXIF_IFD, GPS_IFD, DATETIME_ORIGINAL = 0x8769, 0x8825, 0x9003


def _degrees(value, ref) -> float | None:
    try:
        d, m, s = (float(x) for x in value)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    return -degrees if str(ref).upper() in ("S", "W") else degrees


def capture(data: bytes) -> Capture:
    """The capture time (DateTimeOriginal, the phone's local time, read in the server's zone) and
    GPS position in a photo's EXIF; None for what it lacks or cannot be read. Reads the header
    only: no pixel is decoded."""
    try:
        with Image.open(io.BytesIO(data)) as image:
            exif = image.getexif()
            original = exif.get_ifd(EXIF_IFD).get(DATETIME_ORIGINAL)
            gps = exif.get_ifd(GPS_IFD)
    except Exception:  # a file Pillow cannot read has no capture data; attachment_store refuses it
        return Capture()
    at = None
    if isinstance(original, str):
        try:
            at = timezone.make_aware(dt.datetime.strptime(original.strip("\x00 "), "%Y:%m:%d %H:%M:%S"))
        except (ValueError, OverflowError):
            at = None
    lat = _degrees(gps.get(2), gps.get(1)) if gps.get(2) else None
    lng = _degrees(gps.get(4), gps.get(3)) if gps.get(4) else None
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180):
        lat = lng = None
    return Capture(at=at, latitude=lat, longitude=lng)


@functools.cache
def cjk_font_path() -> str | None:
    """The first font file we can find that has Chinese glyphs, or None."""
    configured = getattr(settings, "WATERMARK_FONT", "") or os.environ.get("WATERMARK_FONT", "")
    for candidate in [configured, *FONT_CANDIDATES]:
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@functools.lru_cache(maxsize=32)
def _font(size: int):
    path = cjk_font_path()
    if path:
        # In a .ttc the simplified-Chinese face is the third one in Noto's order (JP, KR, SC...);
        # any face has the glyphs, SC has the mainland shapes.
        for index in (2, 0):
            try:
                return ImageFont.truetype(path, size=size, index=index), True
            except OSError:
                continue
    return ImageFont.load_default(size=size), False


def display_copy(data: bytes, stamp: Stamp) -> bytes:
    """A stamped, upright, bounded JPEG of the image in `data`, without any metadata."""
    with Image.open(io.BytesIO(data)) as source:
        # Made small first, then turned upright: a JPEG decodes at a fraction of its size (draft),
        # and no full-size copy is made by the turn or the conversion. A 40-megapixel PNG so costs
        # one decoded image, not three.
        source.draft("RGB", (DISPLAY_MAX, DISPLAY_MAX))
        source.thumbnail((DISPLAY_MAX, DISPLAY_MAX))
        image = ImageOps.exif_transpose(source).convert("RGB")
    width, height = image.size
    size = max(14, width // 48)
    font, cjk = _font(size)
    lines = stamp.lines(cjk)
    line_height = int(size * 1.35)
    band = line_height * len(lines) + size // 2
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    draw.rectangle([(0, height - band), (width, height)], fill=(0, 0, 0, 140))
    y = height - band + size // 4
    for line in lines:
        draw.text((size // 2, y), line, font=font, fill=(255, 255, 255, 255))
        y += line_height
    stamped = Image.alpha_composite(image.convert("RGBA"), overlay).convert("RGB")
    buffer = io.BytesIO()
    # No exif= argument: Pillow writes no EXIF block, so nothing of the original's metadata
    # (GPS, device, time) survives in the copy.
    stamped.save(buffer, format="JPEG", quality=85, optimize=True)
    return buffer.getvalue()
