"""Is this zip really an Office Open XML document (.docx, .xlsx), and which part is its body?

A .docx or .xlsx is a zip whose `[Content_Types].xml` names the main part's content type. Any zip
renamed to .docx starts with the same four bytes, so the magic number proves nothing; this looks
inside, reading only the small parts, with the unpacked size bounded (a zip bomb is refused
before anything is inflated). Used by evidence uploads (core.services) and Excel imports
(exchange.reader)."""

import zipfile
from xml.etree import ElementTree

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .doc/.xls, and Office files encrypted with a password
MAX_UNPACKED_BYTES = 600 * 1024 * 1024
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


def main_part(archive: zipfile.ZipFile, types) -> str:
    """The name of the part whose content type is one of `types`; NotOoxml when there is none,
    or when the archive unpacks to more than MAX_UNPACKED_BYTES."""
    if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
        raise TooLarge()
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
