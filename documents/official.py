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
TEXT_WIDTH_MM = 156  # the text area: 156 x 225 mm
# 28 characters of 三号 on a 156 mm line: 442.2 pt / 28 = 15.79 pt a character, so each 16 pt
# glyph is drawn 0.25 pt closer to the next (w:spacing, in twentieths of a point). Without it a
# line holds 27 (LibreOffice and Word alike lay out whole characters).
SAN_HAO_SPACING = -5
CHAR = SAN_HAO.pt  # one character of body text, the unit GB/T 9704 measures indents in
THICK_RULE, THIN_RULE = 8, 6  # 版记 rules in eighths of a point: 0.35 mm and 0.25 mm


def style_run(run, name: str, size, *, bold=False, color=None):
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    r_pr = run._element.get_or_add_rPr()
    fonts = r_pr.get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)
    if size == SAN_HAO:
        spacing = OxmlElement("w:spacing")
        spacing.set(qn("w:val"), str(SAN_HAO_SPACING))
        r_pr.insert_element_before(spacing, *RPR_AFTER_SPACING)
    return run


# Children of w:rPr that the schema puts after w:spacing / w:lang (Word refuses another order).
RPR_AFTER_LANG = ("w:eastAsianLayout", "w:specVanish", "w:oMath")
RPR_AFTER_SPACING = (
    *("w:w", "w:kern", "w:position", "w:sz", "w:szCs", "w:highlight", "w:u", "w:effect", "w:bdr", "w:shd"),
    *("w:fitText", "w:vertAlign", "w:rtl", "w:cs", "w:em", "w:lang", *RPR_AFTER_LANG),
)


def keep_with_next(p):
    """A heading or a caption never ends a page alone: it moves with what follows."""
    p.paragraph_format.keep_with_next = True
    return p


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


# Children of w:pPr that the schema puts after w:pBdr (LibreOffice drops what is out of order).
PPR_AFTER_BORDERS = (
    *("w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct"),
    *("w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid"),
    *("w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc"),
    *("w:textDirection", "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId"),
    *("w:cnfStyle", "w:rPr", "w:sectPr", "w:pPrChange"),
)
# Children of w:pPr after w:snapToGrid.
PPR_AFTER_SNAP = PPR_AFTER_BORDERS[PPR_AFTER_BORDERS.index("w:snapToGrid") + 1 :]
TBLPR_AFTER_BORDERS = ("w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption", "w:tblDescription")
TBLPR_AFTER_FLOATING = (
    *("w:tblOverlap", "w:bidiVisual", "w:tblStyleRowBandSize", "w:tblStyleColBandSize", "w:tblW", "w:jc"),
    *("w:tblCellSpacing", "w:tblInd", "w:tblBorders", *TBLPR_AFTER_BORDERS),
)
PPR_AFTER_FRAME = ("w:widowControl", "w:numPr", "w:suppressLineNumbers", "w:pBdr", *PPR_AFTER_BORDERS)


def border(paragraph, side: str, *, color="E00000", size=12):
    """A rule under or over a paragraph (the red separator, the 版记 lines)."""
    p_pr = paragraph._p.get_or_add_pPr()
    borders = p_pr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        p_pr.insert_element_before(borders, *PPR_AFTER_BORDERS)
    edge = OxmlElement(f"w:{side}")
    edge.set(qn("w:val"), "single")
    edge.set(qn("w:sz"), str(size))
    edge.set(qn("w:space"), "1")
    edge.set(qn("w:color"), color)
    borders.append(edge)


def page_number(footer, align):
    """ "— 1 —" in 4号 宋体, one character in from the outer edge of the text area. The PAGE field
    has its result run (styled like the rest): a field without one is drawn in the default font
    and size by LibreOffice."""
    p = footer.paragraphs[0]
    p.alignment = align
    if align == WD_ALIGN_PARAGRAPH.RIGHT:
        p.paragraph_format.right_indent = Pt(SI_HAO.pt)
    else:
        p.paragraph_format.left_indent = Pt(SI_HAO.pt)
    style_run(p.add_run("— "), SONGTI, SI_HAO)
    field_run(p, "PAGE", "1", SONGTI, SI_HAO)
    style_run(p.add_run(" —"), SONGTI, SI_HAO)


def field_run(p, instruction: str, result: str, font, size):
    """A field as Word writes it: begin, instruction, separate, result, end, each run styled."""
    for part in ("begin", "instr", "separate", "result", "end"):
        run = p.add_run()
        if part == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = f" {instruction} "
            run._r.append(instr)
        elif part == "result":
            run.text = result
        else:
            field = OxmlElement("w:fldChar")
            field.set(qn("w:fldCharType"), part)
            run._r.append(field)
        style_run(run, font, size)


CELL_MARGIN_MM = 1  # left and right inside a cell: narrow, so that short headers stay on one line


def fixed_table(doc, cols: int, widths_mm: list[float], *, rows: int = 1, text_width_mm: float = TEXT_WIDTH_MM):
    """A grid table of fixed column widths, centred in the text area and never wider than it (the
    borders included), with narrow cell margins."""
    assert sum(widths_mm) <= text_width_mm + 0.01, widths_mm
    table = doc.add_table(rows=rows, cols=cols)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    tbl_pr = table._tbl.tblPr
    margins = OxmlElement("w:tblCellMar")
    for side in ("left", "right"):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:w"), str(round(CELL_MARGIN_MM * 56.7)))
        edge.set(qn("w:type"), "dxa")
        margins.append(edge)
    tbl_pr.insert_element_before(margins, "w:tblLook", "w:tblCaption", "w:tblDescription")
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)  # the grid: what LibreOffice and WPS lay out by
    for row in table.rows:
        for cell, width in zip(row.cells, widths_mm, strict=True):
            cell.width = Mm(width)
    return table


def row_flags(row, *, header=False):
    """A row never splits across pages; a header row is repeated at the top of each page."""
    tr_pr = row._tr.get_or_add_trPr()
    tr_pr.append(OxmlElement("w:cantSplit"))
    if header:
        tr_pr.append(OxmlElement("w:tblHeader"))


def data_table(doc, headers: list[str], rows: list[list], widths_mm: list[float]):
    table = fixed_table(doc, len(headers), widths_mm)
    row_flags(table.rows[0], header=True)
    for cell, text in zip(table.rows[0].cells, headers, strict=True):
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        style_run(cell.paragraphs[0].add_run(text), HEITI, WU_HAO)
    for values in rows:
        row = table.add_row()
        row_flags(row)
        for cell, value, width in zip(row.cells, values, widths_mm, strict=True):
            cell.width = Mm(width)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            style_run(cell.paragraphs[0].add_run("—" if value is None else str(value)), FANGSONG, WU_HAO)
    return table


def fits_on_one_line(text: str, width_mm: float, size=WU_HAO) -> bool:
    """Whether a header of CJK characters fits its column without wrapping."""
    return len(text) * size.pt * 25.4 / 72 <= width_mm - 2 * CELL_MARGIN_MM - 0.5


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


def document(*, title: str = "", author: str = "", when=None):
    """An empty document with the official page: A4, the margins, a grid of 22 lines, odd and
    even footers with the page number on the outer side, 仿宋 三号 as the normal style, and the
    document's own properties (not python-docx's template's: its author, its 2013 date, its
    thumbnail)."""
    doc = Document()
    _properties(doc, title=title, author=author, when=when)
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
    r_pr = normal.element.get_or_add_rPr()
    r_pr.get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)
    language = OxmlElement("w:lang")
    for attr in ("w:val", "w:eastAsia"):
        language.set(qn(attr), "zh-CN")
    r_pr.insert_element_before(language, *RPR_AFTER_LANG)
    grid = section._sectPr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        section._sectPr.append(grid)
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), str(round(LINE.pt * 20)))
    return doc


def _properties(doc, *, title, author, when):
    import datetime as dt

    props = doc.core_properties
    when = (when or dt.datetime.now(dt.UTC)).astimezone(dt.UTC).replace(tzinfo=None, microsecond=0)
    props.author = props.last_modified_by = author
    props.title = title
    props.created = props.modified = when
    props.language = "zh-CN"
    props.revision = 1
    props.comments = props.keywords = props.subject = props.category = ""
    # The template's thumbnail (python-docx's own page) is not this document's.
    package = doc.part.package
    for rel_id, rel in list(package.rels.items()):
        if rel.reltype.endswith("/thumbnail"):
            package.rels.pop(rel_id)


def to_bytes(doc) -> bytes:
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()
