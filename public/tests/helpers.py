"""Builders for the public side's tests: categories, a phone photo with a GPS position in its
EXIF, reports made through the services."""

import io

from PIL import Image
from PIL.TiffImagePlugin import IFDRational

from public import services
from public.models import CitizenReport, ReportCategory

# 34.7581 N, 113.6662 E: about 150 m north-east of the tests' sites (34.757000, 113.665000).
EXIF_LAT, EXIF_LNG = 34.7581, 113.6662


def _dms(value: float):
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round((value - degrees - minutes / 60) * 3600, 2)
    return (IFDRational(degrees, 1), IFDRational(minutes, 1), IFDRational(int(seconds * 100), 100))


def gps_jpeg(lat: float = EXIF_LAT, lng: float = EXIF_LNG, size=(64, 48)) -> bytes:
    """A JPEG as a phone writes it: GPS position, camera make and model in its EXIF."""
    image = Image.new("RGB", size, (30, 140, 60))
    exif = image.getexif()
    exif[0x010F] = "TestPhoneMaker"  # Make
    exif[0x0110] = "Model-X"  # Model
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: _dms(lat), 3: "E", 4: _dms(lng)})
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif)
    return buffer.getvalue()


def category(world, *, name="垃圾堆放", site_type=None) -> ReportCategory:
    """The category (made once per world)."""
    found, _created = ReportCategory.objects.get_or_create(
        name=name,
        defaults={
            "hint": "生活垃圾、建筑垃圾乱堆乱放",
            "criterion": world.checkpoint,
            "site_type": site_type if site_type is not None else world.site.site_type,
        },
    )
    return found


def report(world, *, photos=(), phone="", name="", ip="203.0.113.9", **fields) -> CitizenReport:
    data = {
        "category": getattr(world, "report_category", None) or category(world),
        "description": "幸福巷口垃圾堆了三天",
        "latitude": "34.757100",
        "longitude": "113.665100",
    }
    world.report_category = data["category"]
    data.update(fields)
    return services.report_submit(photos=photos, phone=phone, name=name, ip=ip, **data)
