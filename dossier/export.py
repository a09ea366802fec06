"""The dossier as one ZIP for the examiners: the accepted files in folders following the
standard's tree ("3 市容环境卫生/3.2 背街小巷保洁/<material>/<file>"), with an index as
目录.xlsx and 目录.pdf. Made by the worker (it converts the index to PDF with LibreOffice and
copies every file): the page asks for it and shows its progress (core/downloads.py)."""

import io
import re
import zipfile

from django.utils.translation import gettext
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

import access
from campaigns.models import Campaign
from core import clock, ooxml
from core.errors import NotAllowed
from core.services import OOXML_TYPES, suffix_of
from documents import official
from documents.pdf import docx_to_pdf
from documents.xlsx import NUMBER, Col, Table, write_table
from dossier import selectors
from dossier.models import Material, Submission
from organisation.models import Area

CENTER = WD_ALIGN_PARAGRAPH.CENTER

TITLE = "资料申报目录"
NOT_SHIPPED = "已通过（文件缺失或损坏，未打包）"


def shippable(attachment) -> bool:
    """Whether a stored file may go into the ZIP: its bytes are there, and a .docx/.xlsx is a
    real Office package within bounds. Checked again here because older versions stored any zip
    named .docx (a zip bomb included); the examiners must never receive one."""
    try:
        with attachment.file.open("rb") as stored:
            suffix = suffix_of(attachment.original_name)
            if suffix in OOXML_TYPES:
                ooxml.check(stored, OOXML_TYPES[suffix])
    except (OSError, ooxml.NotOoxml):
        return False
    return True


# Windows refuses these as a file or folder name, with any extension ("con.txt" too).
RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{n}" for n in range(1, 10)), *(f"LPT{n}" for n in range(1, 10))}
ILLEGAL = re.compile(r'[<>:"/\\|?*\x00-\x1f\x7f]')
# A path in the ZIP stays this short, so that unpacked under a folder of up to 80 characters
# ("C:\Users\<name>\Desktop\资料申报_2026\") it is within Windows' 260 (MAX_PATH).
PATH_MAX = 180
FOLDER_MAX = 40  # each folder of the tree: a criterion, a material
NAME_MAX = 80  # a file's name, its extension included


def _safe(text: str, limit: int = NAME_MAX) -> str:
    """A file or folder name Windows accepts, as the examiners' PCs unpack it: characters it
    forbids (and control characters) replaced, no trailing dots or spaces, reserved device names
    (CON, COM1...) prefixed, and at most `limit` characters with the extension kept."""
    text = ILLEGAL.sub("_", str(text)).strip().rstrip(". ")
    stem, dot, suffix = text.rpartition(".")
    if not dot or not stem or len(suffix) > 10:
        stem, suffix = text, ""
    if len(text) > limit:
        keep = limit - (len(suffix) + 1 if suffix else 0)
        text = stem[:keep].rstrip(". ") + (f".{suffix}" if suffix else "")
    if text.split(".")[0].strip().upper() in RESERVED:
        text = f"_{text}"
    return text or "_"


def _within(folder: str, name: str) -> str:
    """folder/name, the name shortened (its extension kept) when the whole would pass PATH_MAX."""
    room = PATH_MAX - len(folder) - 1
    return f"{folder}/{_safe(name, min(NAME_MAX, room))}"


def _node(criterion) -> str:
    return _safe(f"{criterion.code} {criterion.name}", FOLDER_MAX) if criterion is not None else "_"


def index_rows(campaign: Campaign) -> list[tuple]:
    """One row per accepted file, and one per material still without one, in the standard's order:
    (criterion code, criterion, material, unit, file name in the zip, status, sha256)."""
    materials = selectors.materials_with_state(Material.objects.filter(campaign=campaign)).select_related(
        "criterion", "criterion__parent", "responsible_unit"
    )
    materials = materials.order_by("criterion__parent__position", "criterion__position", "position", "id")
    accepted: dict[int, list[Submission]] = {}
    for submission in (
        Submission.objects.filter(material__campaign=campaign, status=Submission.Status.ACCEPTED)
        .select_related("attachment", "unit")
        .order_by("submitted_at", "id")
    ):
        accepted.setdefault(submission.material_id, []).append(submission)
    labels = {
        selectors.MISSING: "未报送",
        selectors.PENDING: "待审核",
        selectors.RETURNED: "已退回",
        selectors.ACCEPTED: "已通过",
    }
    rows = []
    for material in materials:
        criterion = material.criterion
        folder = f"{_node(criterion.parent)}/{_node(criterion)}/{_safe(material.name, FOLDER_MAX)}"
        unit = str(material.responsible_unit or "")
        used: set[str] = set()
        for submission in accepted.get(material.pk, []):
            if not shippable(submission.attachment):
                rows.append((criterion.code, criterion.name, material.name, unit, "", NOT_SHIPPED, "", None))
                continue
            path = _within(folder, submission.attachment.original_name)
            if path.casefold() in used:  # two accepted files of the same name (Windows ignores case)
                path = _within(folder, f"{submission.attachment.sha256[:8]}_{submission.attachment.original_name}")
            used.add(path.casefold())
            rows.append(
                (
                    criterion.code,
                    criterion.name,
                    material.name,
                    str(submission.unit) or unit,
                    path,
                    labels[selectors.ACCEPTED],
                    submission.attachment.sha256,
                    submission,
                )
            )
        if material.pk not in accepted:
            rows.append((criterion.code, criterion.name, material.name, unit, "", labels[material.state], "", None))
    return rows


COLUMNS = [
    Col("序号", NUMBER),
    Col("指标编号"),
    Col("指标", wrap=True),
    Col("资料名称", wrap=True),
    Col("责任单位"),
    Col("文件", wrap=True),
    Col("SHA-256"),
]
# The PDF's columns in mm, filling the text area of a landscape A4 page (247 mm); no checksum
# (the PDF is for reading, the xlsx keeps it).
PDF_WIDTHS = [12, 18, 34, 40, 28, 115]
PDF_TEXT_WIDTH = 247
CELL_LINE = Pt(14)  # 五号 text in the table, single-spaced


def catalogue(rows) -> list[tuple]:
    """The examiners' 目录: the accepted files in the ZIP only, numbered (what is missing or
    still under review is the office's business, not the examiners')."""
    shipped = [row for row in rows if row[-1] is not None]
    return [(number, *row[:5], row[6]) for number, row in enumerate(shipped, start=1)]


def title_block(campaign: Campaign, count: int) -> list[str]:
    district = Area.objects.filter(kind=Area.Kind.DISTRICT).order_by("code").values_list("name", flat=True).first()
    return [
        TITLE,
        f"创卫工作：{campaign.name}",
        f"申报地区：{district or ''}",
        f"编制日期：{clock.cn_date(clock.today())}　　共 {count} 份材料",
    ]


def index_docx(block: list[str], entries: list[tuple]) -> bytes:
    """The 目录 as a Word file with the official fonts (documents.official; documents/fonts.conf
    maps them for the PDF) and page numbers, on landscape A4 so that a file's path fits its
    column: the title in 小标宋, the block under it, then a table of fixed column widths whose
    header row repeats on every page and whose rows never split."""
    doc = official.document(title=block[0])
    section = doc.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    section.top_margin, section.bottom_margin = Mm(25), Mm(28)
    section.left_margin = section.right_margin = Mm(25)
    section.footer_distance = Mm(15)
    # No grid of 22 lines here: table rows would snap to the body's 28.95 pt lines.
    section._sectPr.find(qn("w:docGrid")).attrib.pop(qn("w:type"), None)
    official.paragraph(doc, block[0], font=official.XIAOBIAOSONG, size=official.ER_HAO, align=CENTER, indent=False)
    for line in block[1:]:
        official.paragraph(doc, line, font=official.FANGSONG, size=official.SI_HAO, align=CENTER, indent=False)
    official.paragraph(doc, "", size=official.SI_HAO, indent=False)
    table = official.fixed_table(doc, len(PDF_WIDTHS), PDF_WIDTHS, text_width_mm=PDF_TEXT_WIDTH)
    official.row_flags(table.rows[0], header=True)
    for cell, column in zip(table.rows[0].cells, COLUMNS, strict=False):
        _cell_text(cell, column.header, official.HEITI, CENTER)
    for entry in entries:
        row = table.add_row()
        official.row_flags(row)
        for index, (cell, value) in enumerate(zip(row.cells, entry[:6], strict=True)):
            cell.width = Mm(PDF_WIDTHS[index])
            _cell_text(cell, str(value), official.FANGSONG, CENTER if index < 2 else WD_ALIGN_PARAGRAPH.LEFT)
    return official.to_bytes(doc)


def _cell_text(cell, text: str, font: str, align) -> None:
    paragraph = cell.paragraphs[0]
    paragraph.alignment = align
    paragraph.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph.paragraph_format.line_spacing = CELL_LINE
    official.style_run(paragraph.add_run(text), font, official.WU_HAO)


def build_zip(campaign: Campaign, fileobj, *, progress=None) -> int:
    """Write the dossier ZIP into an open binary file; returns the number of files in it.
    `progress(done, total)` hears of each file copied (the index's PDF counts as one more)."""
    rows = index_rows(campaign)
    files = [row for row in rows if row[-1] is not None]
    total = len(files) + 1
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for done, row in enumerate(files, start=1):
            with row[-1].attachment.file.open("rb") as source, archive.open(row[4], "w") as target:
                while chunk := source.read(1024 * 1024):
                    target.write(chunk)
            if progress is not None:
                progress(done, total)
        entries = catalogue(rows)
        block = title_block(campaign, len(entries))
        xlsx = io.BytesIO()
        write_table(Table(title=TITLE, filename="目录.xlsx", columns=COLUMNS, rows=entries, heading=block), xlsx)
        archive.writestr("目录.xlsx", xlsx.getvalue())
        archive.writestr("目录.pdf", docx_to_pdf(index_docx(block, entries)))
    return len(files)


def zip_filename(campaign: Campaign) -> str:
    return f"资料申报_{campaign.year}.zip"


def build_for_download(*, requester, parameters: dict, out, progress) -> dict:
    """The dossier ZIP as the worker makes it (core/downloads.py): the rights are asked again, as
    the requester, when it runs."""
    campaign = Campaign.objects.get(pk=parameters["campaign"])
    if not access.can_manage_dossier(requester):
        raise NotAllowed(gettext("只有爱卫办可以导出申报包"))
    return {"files": build_zip(campaign, out, progress=progress)}
