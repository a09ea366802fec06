"""Word documents in the official layout of Party and government organs (GB/T 9704-2012): A4,
margins 37 (top) / 35 (bottom) / 28 (left) / 26 (right) mm, body in 仿宋 三号 on 28.95 pt lines (22
lines a page), title in 小标宋 二号, headings in 黑体 and 楷体, page numbers "— 1 —" on the outer
side, red issuer's mark and red rule. The building blocks a renderer composes: it decides what
the document says, this module how it looks."""

import io
import logging
import warnings

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from PIL import Image

from core.models import Attachment

logger = logging.getLogger(__name__)
MAX_PRINT_PIXELS = 40_000_000  # what evidence uploads accept (core.services.MAX_IMAGE_PIXELS)

RED = RGBColor(0xE0, 0x00, 0x00)
XIAOBIAOSONG = "方正小标宋简体"
FANGSONG = "仿宋_GB2312"
HEITI = "黑体"
KAITI = "楷体_GB2312"
SONGTI = "宋体"
SAN_HAO = Pt(16)  # 三号
ER_HAO = Pt(22)  # 二号
SI_HAO = Pt(14)  # 四号
WU_HAO = Pt(10.5)  # 五号: tables
LINE = Pt(28.95)  # 22 lines on a GB/T 9704 page


def style_run(run, name: str, size, *, bold=False, color=None):
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)


def paragraph(doc_or_cell, text="", *, font=FANGSONG, size=SAN_HAO, align=None, indent=True, bold=False, color=None):
    p = doc_or_cell.add_paragraph()
    fmt = p.paragraph_format
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = LINE if size >= SAN_HAO else Pt(size.pt * 1.5)
    fmt.space_before = fmt.space_after = Pt(0)
    if indent:
        fmt.first_line_indent = Pt(size.pt * 2)
    if align is not None:
        p.alignment = align
    if text:
        style_run(p.add_run(text), font, size, bold=bold, color=color)
    return p


def border(paragraph, side: str, *, color="E00000", size=12):
    """A rule under or over a paragraph (the red separator, the 版记 lines)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.append(borders)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), "1")
    edge.set(qn("w:color"), color)
    borders.append(edge)


def page_number(footer, align):
    p = footer.paragraphs[0]
    p.alignment = align
    style_run(p.add_run("— "), SONGTI, SI_HAO)
    run = p.add_run()
    for tag, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if tag:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), tag)
            run._r.append(field)
        else:
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
    style_run(run, SONGTI, SI_HAO)
    style_run(p.add_run(" —"), SONGTI, SI_HAO)


def data_table(doc, headers: list[str], rows: list[list], widths_mm: list[float]):
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)  # the grid: what LibreOffice and WPS lay out by
    for cell, text, width in zip(table.rows[0].cells, headers, widths_mm, strict=True):
        cell.width = Mm(width)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        style_run(cell.paragraphs[0].add_run(text), HEITI, WU_HAO)
    for values in rows:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, values, widths_mm, strict=True):
            cell.width = Mm(width)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            style_run(cell.paragraphs[0].add_run("—" if value is None else str(value)), FANGSONG, WU_HAO)
    return table


def picture(cell, attachment: Attachment | None, width_mm: float):
    """A photo scaled down for print. Whatever is stored, a document is made: a missing row or
    file, a file that is not an image (an older version took any evidence as a photo), a damaged
    or oversized image each leave a note in the cell, never a failed bulletin."""
    paragraph = cell.paragraphs[0]
    buffer = _printable(attachment) if attachment is not None and attachment.is_image else None
    if buffer is None:
        style_run(paragraph.add_run("（照片缺失）"), FANGSONG, Pt(10))
        return
    paragraph.add_run().add_picture(buffer, width=Mm(width_mm))


def _printable(attachment: Attachment) -> io.BytesIO | None:
    """The photo as a JPEG of at most 900 px, or None when it cannot be read as one."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with attachment.file.open("rb") as original, Image.open(original) as image:
                if image.width * image.height > MAX_PRINT_PIXELS:
                    return None
                image.thumbnail((900, 900))
                buffer = io.BytesIO()
                image.convert("RGB").save(buffer, format="JPEG", quality=82)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        logger.warning("attachment %s not printable as a photo", attachment.uuid)
        return None
    buffer.seek(0)
    return buffer


def document():
    """An empty document with the official page: A4, the margins, odd and even footers with the
    page number on the outer side, 仿宋 三号 as the normal style."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(25)
    doc.settings.odd_and_even_pages_header_footer = True
    page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FANGSONG, SAN_HAO
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    return doc


def to_bytes(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
