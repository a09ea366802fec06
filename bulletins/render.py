"""Renderers of a bulletin's document model: Word in the official document layout (after GB/T
9704: A4, 37/35/28/26 mm margins, red issuer's mark and red separator, title in 小标宋, body in
仿宋 三号 with 28.95 pt lines, headings in 黑体 and 楷体, page numbers "— 1 —" outside), and PDF
converted from that Word file by LibreOffice so both look the same."""

import io
import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor
from PIL import Image

from core.models import Attachment

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


def _font(run, name: str, size, *, bold=False, color=None):
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    if color is not None:
        run.font.color.rgb = color
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        fonts.set(qn(attr), name)


def _paragraph(doc_or_cell, text="", *, font=FANGSONG, size=SAN_HAO, align=None, indent=True, bold=False, color=None):
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
        _font(p.add_run(text), font, size, bold=bold, color=color)
    return p


def _border(paragraph, side: str, *, color="E00000", size=12):
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


def _page_number(footer, align):
    p = footer.paragraphs[0]
    p.alignment = align
    _font(p.add_run("— "), SONGTI, SI_HAO)
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
    _font(run, SONGTI, SI_HAO)
    _font(p.add_run(" —"), SONGTI, SI_HAO)


def _table(doc, headers: list[str], rows: list[list], widths_mm: list[float]):
    table = doc.add_table(rows=1, cols=len(headers))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)  # the grid: what LibreOffice and WPS lay out by
    for cell, text, width in zip(table.rows[0].cells, headers, widths_mm, strict=True):
        cell.width = Mm(width)
        cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
        _font(cell.paragraphs[0].add_run(text), HEITI, WU_HAO)
    for values in rows:
        cells = table.add_row().cells
        for cell, value, width in zip(cells, values, widths_mm, strict=True):
            cell.width = Mm(width)
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            _font(cell.paragraphs[0].add_run("—" if value is None else str(value)), FANGSONG, WU_HAO)
    return table


def _picture(cell, attachment: Attachment | None, width_mm: float):
    """A photo scaled down for print; a missing or unreadable file leaves a note, not a crash."""
    paragraph = cell.paragraphs[0]
    if attachment is None:
        _font(paragraph.add_run("（照片缺失）"), FANGSONG, Pt(10))
        return
    with attachment.file.open("rb") as original, Image.open(original) as image:
        image.thumbnail((900, 900))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="JPEG", quality=82)
    buffer.seek(0)
    paragraph.add_run().add_picture(buffer, width=Mm(width_mm))


def render_docx(content: dict) -> bytes:
    """The bulletin as a Word document in the official layout."""
    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.footer_distance = Mm(25)
    doc.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer, WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FANGSONG, SAN_HAO
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), FANGSONG)

    # 版头: the issuer's mark in red, the issue number, the issuer and date, the red separator.
    mark = _paragraph(
        doc,
        content["issuer"] + "通报",
        font=XIAOBIAOSONG,
        size=Pt(24),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        color=RED,
    )
    mark.paragraph_format.line_spacing = Pt(40)
    _paragraph(doc, content["issue_label"], size=SAN_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    issuer_line = _paragraph(doc, indent=False)
    issuer_line.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)  # right-aligned tab
    _font(issuer_line.add_run(f"{content['issuer_short']}\t{content['date']}"), FANGSONG, SAN_HAO)
    _border(issuer_line, "bottom", size=18)
    _paragraph(doc, indent=False)

    # 主体
    _paragraph(
        doc, content["title"], font=XIAOBIAOSONG, size=ER_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False
    ).paragraph_format.line_spacing = Pt(36)
    _paragraph(doc, indent=False)
    if content["lead"]:
        for line in content["lead"].splitlines():
            if line.strip():
                _paragraph(doc, line.strip())
    s = content["summary"]
    _paragraph(doc, "一、总体情况", font=HEITI)
    _paragraph(
        doc,
        f"{content['period']}，督导组共发现问题{s['found']}个；期间销号{s['closed']}个，其中按期整改{s['closed_on_time']}个、"
        f"逾期整改{s['closed_late']}个；截至目前逾期未整改{s['overdue']}个；复核退回返工{s['returned']}次；"
        f"发现反弹问题{s['rebounds']}个。",
    )
    _paragraph(doc, "二、各单位整改情况", font=HEITI)
    _paragraph(doc, "（一）排名", font=KAITI)
    _table(
        doc,
        ["名次", "责任单位", "发现", "按期整改", "逾期整改", "逾期未改", "退回", "反弹", "按期整改率"],
        [
            [
                u["rank"],
                u["unit"],
                u["found"],
                u["closed_on_time"],
                u["closed_late"],
                u["overdue"],
                u["returned"],
                u["rebounds"],
                f"{u['on_time_rate']}%" if u["on_time_rate"] is not None else None,
            ]
            for u in content["units"]
        ],
        [12, 30, 14, 18, 18, 18, 13, 13, 20],
    )
    _paragraph(doc, "（二）通报批评", font=KAITI)
    if content["criticised"]:
        names = "、".join(c["unit"] for c in content["criticised"])
        _paragraph(
            doc,
            f"逾期未整改问题达到{content['criticise_overdue_at']}个及以上的单位：{names}，工作不力、整改拖拉，予以通报批评。"
            "请上述单位主要负责同志亲自过问，限期整改到位。",
        )
        for c in content["criticised"]:
            _paragraph(doc, f"{c['unit']}：逾期未整改{c['overdue']}个，被退回返工{c['returned']}次。")
    else:
        _paragraph(doc, "本期无单位达到通报批评标准。")
    _paragraph(doc, "三、问责情况", font=HEITI)
    if content["accountability"]:
        for a in content["accountability"]:
            who = f"{a['unit']}{('（' + a['person'] + '）') if a['person'] else ''}"
            _paragraph(doc, f"{a['decided_on']}，对{who}{a['measure']}。事由：{a['reason']}")
    else:
        _paragraph(doc, "本期无问责情况。")
    if content["closing"]:
        _paragraph(doc, "四、下步要求", font=HEITI)
        for line in content["closing"].splitlines():
            if line.strip():
                _paragraph(doc, line.strip())
    if content["typical"]:
        _paragraph(doc, f"附件：典型问题（{len(content['typical'])}个）", indent=True)

    # 版记
    _paragraph(doc, indent=False)
    cc = _paragraph(doc, "抄送：区委办公室，区政府办公室，区爱卫会各成员单位。", size=SI_HAO, indent=False)
    _border(cc, "top", color="000000", size=8)
    printed = _paragraph(doc, indent=False, size=SI_HAO)
    printed.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)
    _font(printed.add_run(f"{content['issuer_short']}\t{content['date']}印发"), FANGSONG, SI_HAO)
    _border(printed, "bottom", color="000000", size=8)

    # 附件: typical problems with before-and-after photos, on a new page.
    if content["typical"]:
        # Every photo of the annex in one query, not one per photo.
        pictures = Attachment.objects.in_bulk(
            [photos[0] for item in content["typical"] for photos in (item["before"], item["after"]) if photos],
            field_name="uuid",
        )
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        _paragraph(doc, "附件", font=HEITI, indent=False)
        _paragraph(doc, "典型问题", font=XIAOBIAOSONG, size=ER_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        for index, item in enumerate(content["typical"], start=1):
            _paragraph(
                doc,
                f"{index}. {item['number']}  {item['site']}（{item['unit']}，{item['status']}）",
                font=HEITI,
                size=Pt(14),
                indent=False,
            )
            _paragraph(doc, item["description"], size=Pt(14), indent=False)
            table = doc.add_table(rows=2, cols=2)
            table.style = "Table Grid"
            for cell, label in zip(table.rows[0].cells, ["整改前", "整改后"], strict=True):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                _font(cell.paragraphs[0].add_run(label), HEITI, Pt(12))
            for cell, photos in zip(table.rows[1].cells, [item["before"], item["after"]], strict=True):
                if photos:
                    _picture(cell, pictures.get(uuid.UUID(photos[0])), 70)
                else:
                    _font(cell.paragraphs[0].add_run("（暂无照片）"), FANGSONG, Pt(12))
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


FONTS_CONF = Path(__file__).resolve().parent / "fonts.conf"


class PdfConversionError(RuntimeError):
    pass


def render_pdf(docx_bytes: bytes, *, timeout: int = 180) -> bytes:
    """Convert the Word file with LibreOffice (headless), so the PDF has the same layout. Each
    call uses its own LibreOffice profile, so conversions may run side by side."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise PdfConversionError("未安装 LibreOffice，无法生成 PDF（make test 与 make run 会安装）")
    with tempfile.TemporaryDirectory(prefix="bulletin-") as tmp:
        source = Path(tmp) / "bulletin.docx"
        source.write_bytes(docx_bytes)
        profile = Path(tmp) / "profile"
        result = subprocess.run(
            [
                office,
                f"-env:UserInstallation=file://{profile}",
                "--headless",
                "--norestore",
                "--convert-to",
                "pdf",
                "--outdir",
                tmp,
                str(source),
            ],
            capture_output=True,
            timeout=timeout,
            env={**os.environ, "HOME": tmp, "FONTCONFIG_FILE": str(FONTS_CONF)},
        )
        target = Path(tmp) / "bulletin.pdf"
        if result.returncode != 0 or not target.exists():
            raise PdfConversionError(f"PDF 生成失败：{result.stderr.decode(errors='replace')[-300:]}")
        return target.read_bytes()
