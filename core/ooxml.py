"""Is this zip really an Office Open XML document (.docx, .xlsx), and which part is its body?

A .docx or .xlsx is a zip whose `[Content_Types].xml` names the main part's content type. Any zip
renamed to .docx starts with the same four bytes, so the magic number proves nothing; this looks
inside, reading only the small parts, with the package bounded before anything is inflated:
the number of entries, the total unpacked size and each entry's compression ratio, all read from
the zip's directory (a zip bomb named .xlsx is refused on every surface without inflating a
byte). The declared sizes can be trusted for what we read: zipfile stops at an entry's declared
size and fails its CRC otherwise. Used by evidence uploads (core.services), the dossier export
(files stored by older versions are checked again before they are shipped) and Excel imports
(exchange.reader, which adds bounds per part)."""

import zipfile
from xml.etree import ElementTree

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.xls, and Office files encrypted with a password
# A 100,000-row import unpacks to well under 100 MB, a 20 MB report with photos to about its own
# size (pictures are stored, not deflated); 256 MB leaves room without letting a bomb through.
MAX_UNPACKED_BYTES = 256 * 1024 * 1024
MAX_ENTRIES = 5_000  # Word and Excel write tens of parts; a workbook of many sheets a few hundred
# XML deflates 5 to 30 times, a sheet of repeated cells up to about 100; a run of one byte 1000.
MAX_RATIO = 200
RATIO_FROM_BYTES = 1024 * 1024  # small parts (a few KB of repeated XML) may deflate further
MAX_PART_BYTES = 10 * 1024 * 1024  # [Content_Types].xml, workbook.xml and relations are small

WORD_TYPES = ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",)
WORKBOOK_TYPES = ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",)
# What an import also opens: templates and macro-enabled workbooks hold the same sheets.
ANY_WORKBOOK_TYPES = (
    *WORKBOOK_TYPES,
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml",
    "application/vnd.ms-excel.sheet.macroEnabled.main+xml",
)


class NotOoxml(Exception):
    """Not the Office document its name says (each caller words the refusal for its reader)."""


class TooLarge(NotOoxml):
    """It unpacks to more than we are willing to read."""


def local(tag: str) -> str:
    """An XML tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def read_part(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    info = archive.getinfo(name)
    if info.file_size > MAX_PART_BYTES:
        raise NotOoxml(name)
    return ElementTree.fromstring(archive.read(info))


def check_bounds(archive: zipfile.ZipFile) -> None:
    """TooLarge when the zip's directory declares too many entries, too many unpacked bytes in
    all, or an entry that inflates more than MAX_RATIO times (from RATIO_FROM_BYTES up)."""
    entries = archive.infolist()
    if len(entries) > MAX_ENTRIES:
        raise TooLarge(f"{len(entries)} entries")
    if sum(info.file_size for info in entries) > MAX_UNPACKED_BYTES:
        raise TooLarge("unpacked size")
    for info in entries:
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            raise TooLarge(f"{info.filename} inflates {info.file_size // max(info.compress_size, 1)} times")


def main_part(archive: zipfile.ZipFile, types) -> str:
    """The name of the part whose content type is one of `types`; NotOoxml when there is none,
    TooLarge when the package is out of bounds (check_bounds)."""
    check_bounds(archive)
    names = set(archive.namelist())
    if "[Content_Types].xml" not in names:
        raise NotOoxml("[Content_Types].xml")
    for override in read_part(archive, "[Content_Types].xml"):
        if local(override.tag) == "Override" and override.get("ContentType") in types:
            part = (override.get("PartName") or "").lstrip("/")
            if part in names:
                return part
    raise NotOoxml("main part")


def check(fileobj, types) -> str:
    """Open `fileobj` as a zip and return its main part's name; NotOoxml for anything else
    (not a zip, damaged, another kind of Office file, a bomb)."""
    try:
        with zipfile.ZipFile(fileobj) as archive:
            return main_part(archive, types)
    except NotOoxml:
        raise
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ElementTree.ParseError, KeyError, EOFError, OSError) as error:
        raise NotOoxml(str(error)) from None
