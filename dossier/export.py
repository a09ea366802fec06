"""The dossier as one ZIP for the examiners: the accepted files in folders following the
standard's tree ("3 市容环境卫生/3.2 背街小巷保洁/<material>/<file>"), with an index as
目录.xlsx and 目录.pdf. Made by the worker (it converts the index to PDF with LibreOffice and
copies every file): the page asks for it and shows its progress (core/downloads.py)."""

import io
import re
import zipfile

from django.utils.translation import gettext

import access
from campaigns.models import Campaign
from core import ooxml
from core.errors import NotAllowed
from core.services import OOXML_TYPES, suffix_of
from documents.pdf import docx_to_pdf
from documents.xlsx import Col, Table, write_table
from dossier import selectors
from dossier.models import Material, Submission

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


def _safe(text: str) -> str:
    """A path component: no separators or control characters, not empty."""
    text = re.sub(r'[\\/:*?"<>|\x00-\x1f]', "_", str(text)).strip().strip(".")
    return text[:120] or "_"


def _node(criterion) -> str:
    return _safe(f"{criterion.code} {criterion.name}") if criterion is not None else "_"


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
        folder = f"{_node(criterion.parent)}/{_node(criterion)}/{_safe(material.name)}"
        unit = str(material.responsible_unit or "")
        used: set[str] = set()
        for submission in accepted.get(material.pk, []):
            if not shippable(submission.attachment):
                rows.append((criterion.code, criterion.name, material.name, unit, "", NOT_SHIPPED, "", None))
                continue
            name = _safe(submission.attachment.original_name)
            if name in used:  # two accepted files of the same name: keep both
                name = f"{submission.attachment.sha256[:8]}_{name}"
            used.add(name)
            rows.append(
                (
                    criterion.code,
                    criterion.name,
                    material.name,
                    str(submission.unit) or unit,
                    f"{folder}/{name}",
                    labels[selectors.ACCEPTED],
                    submission.attachment.sha256,
                    submission,
                )
            )
        if material.pk not in accepted:
            rows.append((criterion.code, criterion.name, material.name, unit, "", labels[material.state], "", None))
    return rows


COLUMNS = [Col("指标编号"), Col("指标"), Col("资料名称"), Col("责任单位"), Col("文件"), Col("状态"), Col("SHA-256")]


def index_docx(rows) -> bytes:
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.shared import Mm, Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = Mm(297), Mm(210)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(section, side, Mm(15))
    document.add_heading(TITLE, level=1)
    table = document.add_table(rows=1, cols=len(COLUMNS) - 1)
    table.style = "Table Grid"
    for cell, column in zip(table.rows[0].cells, COLUMNS[:-1], strict=True):
        cell.text = column.header
    for row in rows:
        cells = table.add_row().cells
        for cell, value in zip(cells, row[:6], strict=True):
            cell.text = str(value)
    for row in table.rows:
        for cell in row.cells:
            for paragraph in cell.paragraphs:
                for run in paragraph.runs:
                    run.font.size = Pt(9)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


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
        xlsx = io.BytesIO()
        write_table(Table(title=TITLE, filename="目录.xlsx", columns=COLUMNS, rows=[r[:7] for r in rows]), xlsx)
        archive.writestr("目录.xlsx", xlsx.getvalue())
        archive.writestr("目录.pdf", docx_to_pdf(index_docx(rows)))
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
