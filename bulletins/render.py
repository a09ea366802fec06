"""A bulletin's document model rendered as Word in the official layout (documents.official);
the PDF is that Word file converted by LibreOffice (documents.pdf), so both look the same.

The order is GB/T 9704-2012's: 版头 (red mark, number, red rule), title two lines under the rule,
主送机关, the text, 附件说明, 落款 (issuer and 成文日期), the 附件 on a new page, and the 版记 in a
frame anchored to the foot of the last page. Snapshots published before a part existed lack its
key: every part is read with a default, so an old bulletin still renders."""

import math
import re
import uuid

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

from core.models import Attachment
from documents import official
from documents.official import (
    CHAR,
    ER_HAO,
    FANGSONG,
    HEITI,
    KAITI,
    RED,
    SAN_HAO,
    SI_HAO,
    TEXT_WIDTH_MM,
    THICK_RULE,
    THIN_RULE,
    XIAOBIAOSONG,
    border,
    data_table,
    keep_with_next,
    paragraph,
    picture,
    style_run,
)
from documents.pdf import docx_to_pdf, last_word_bottom

RANKING_HEADERS = ["名次", "责任单位", "发现", "按期整改", "逾期整改", "逾期未改", "退回", "反弹", "按期整改率"]
RANKING_WIDTHS = [11, 29, 12, 18, 18, 18, 12, 12, 26]  # mm; every header on one line (tests check)
PHOTO_WIDTHS = [TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2]
PHOTO_MM = 70
TITLE_CHARS = 20  # 二号 characters on a 156 mm line
NUMBERS = "一二三四五六七八九十"
COLOPHON_LINE = SI_HAO.pt * 1.75
TEXT_HEIGHT_PT = 225 * 72 / 25.4
# LibreOffice lays a floating table as wide as the text area inline (nothing could wrap beside
# it): the 版记 is a hair narrower, centred, so that it floats to the foot.
COLOPHON_MM = TEXT_WIDTH_MM - 1


def render_docx(content: dict, *, colophon_gap_pt: float = 0) -> bytes:
    """The bulletin as a Word document in the official layout. `colophon_gap_pt` is space put
    before the 版记 (render_pdf's second pass), for LibreOffice, which lays it inline."""
    doc = official.document(
        title=f"{content['title']}（{content['issue_label']}）" if content.get("issue_label") else content["title"],
        author=content["issuer"],
    )
    _masthead(doc, content)
    _title_and_addressee(doc, content)
    _body(doc, content)
    _signature(doc, content)
    _annex(doc, content)
    _colophon(doc, content, gap_pt=colophon_gap_pt)
    return official.to_bytes(doc)


# The text area's lower edge, from the top of the page: where the 版记's last rule belongs.
TEXT_BOTTOM_PT = (297 - 35) * 72 / 25.4
# From the bottom of the 印发 line's glyphs to the 版记's last rule, as LibreOffice lays it out.
COLOPHON_TAIL_PT = 12.0


def render_pdf(content: dict) -> bytes:
    """The bulletin as PDF, with the 版记 at the foot of the last page (GB/T 9704 7.4.1).

    1. the Word file converted as it is: Word honours the 版记's position at the bottom margin,
       but LibreOffice 7.4 lays the floating table inline, under the last line of text;
    2. where it ended up is read from the PDF (documents.pdf.last_word_bottom), and the Word file
       is converted again with the difference as space before the 版记.
    The Word file people download is the first one, which Word lays out right by itself."""
    docx_bytes = render_docx(content)
    pdf_bytes = docx_to_pdf(docx_bytes)
    bottom = last_word_bottom(pdf_bytes, "印发")
    if bottom is None:
        return pdf_bytes
    gap = TEXT_BOTTOM_PT - (bottom + COLOPHON_TAIL_PT)
    if gap < 1:
        return pdf_bytes
    return docx_to_pdf(render_docx(content, colophon_gap_pt=gap))


def _masthead(doc, content):
    # 版头: the issuer's mark in red, the issue number, the issuer and date, the red separator.
    mark = paragraph(
        doc,
        content["issuer"] + "通报",
        font=XIAOBIAOSONG,
        size=Pt(24),
        align=WD_ALIGN_PARAGRAPH.CENTER,
        indent=False,
        color=RED,
    )
    mark.paragraph_format.line_spacing = Pt(40)
    paragraph(doc, content["issue_label"], size=SAN_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    issuer_line = paragraph(doc, indent=False)
    issuer_line.paragraph_format.tab_stops.add_tab_stop(Mm(TEXT_WIDTH_MM), alignment=2)  # right-aligned tab
    style_run(issuer_line.add_run(f"{content['issuer_short']}\t{content['date']}"), FANGSONG, SAN_HAO)
    border(issuer_line, "bottom", size=18)


def _title_and_addressee(doc, content):
    # GB/T 9704 7.3.1: the title two lines under the red rule; 主送机关 one line under the title.
    paragraph(doc, indent=False)
    paragraph(doc, indent=False)
    title = paragraph(doc, indent=False, align=WD_ALIGN_PARAGRAPH.CENTER)
    title.paragraph_format.line_spacing = Pt(36)
    for index, line in enumerate(title_lines(content["title"])):
        run = style_run(title.add_run(line), XIAOBIAOSONG, ER_HAO)
        if index:
            run._r.addprevious(_line_break())
    paragraph(doc, indent=False)
    addressee = content.get("addressee")
    if addressee:
        paragraph(doc, addressee, indent=False)


def _line_break():
    run = OxmlElement("w:r")
    run.append(OxmlElement("w:br"))
    return run


def heading(doc, text, *, level=1):
    return keep_with_next(paragraph(doc, text, font=HEITI if level == 1 else KAITI))


def _lines(doc, text):
    for line in (text or "").splitlines():
        if line.strip():
            paragraph(doc, line.strip())


def _body(doc, content):
    s = content["summary"]
    _lines(doc, content.get("lead"))
    number = iter(NUMBERS)

    heading(doc, f"{next(number)}、督查概况")
    for line in content.get("overview") or []:
        paragraph(doc, line)
    as_of = content.get("as_of")
    paragraph(
        doc,
        f"{content['period']}，共发现问题{s['found']}个；期间销号{s['closed']}个，其中按期整改{s['closed_on_time']}个、"
        f"逾期整改{s['closed_late']}个；{'截至' + as_of if as_of else '截至目前'}逾期未整改{s['overdue']}个；"
        f"复核退回返工{s['returned']}次；发现反弹问题{s['rebounds']}个。",
    )

    groups = content.get("issues")
    if groups:
        heading(doc, f"{next(number)}、存在问题")
        for index, group in enumerate(groups):
            examples = "；".join(group["examples"])
            keep_with_next(paragraph(doc, f"（{NUMBERS[index]}）{group['name']}（{group['count']}个）", font=KAITI))
            if examples:
                paragraph(doc, f"如：{examples}。")

    heading(doc, f"{next(number)}、各单位整改情况")
    heading(doc, "（一）排名", level=2)
    if content.get("ranking_basis"):
        paragraph(doc, content["ranking_basis"])
    # Sub-districts and departments are ranked apart (problems.kpi): a table each, under its name.
    # A snapshot from before the split has no group: one table, as it was published.
    groups: dict[str, list] = {}
    for u in content["units"]:
        groups.setdefault(u.get("group", ""), []).append(u)
    for group, units in groups.items():
        if group:
            keep_with_next(paragraph(doc, f"{group}排名：", font=KAITI))
        data_table(
            doc,
            RANKING_HEADERS,
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
                for u in units
            ],
            RANKING_WIDTHS,
        )
    sub = iter(NUMBERS[1:])
    if content.get("praised"):
        heading(doc, f"（{next(sub)}）通报表扬", level=2)
        paragraph(doc, "、".join(p["unit"] for p in content["praised"]) + "整改及时、成效明显，予以通报表扬。")
    heading(doc, f"（{next(sub)}）通报批评", level=2)
    if content["criticised"]:
        names = "、".join(c["unit"] for c in content["criticised"])
        paragraph(
            doc,
            f"逾期未整改问题达到{content['criticise_overdue_at']}个及以上的单位：{names}，工作不力、整改拖拉，予以通报批评。"
            "请上述单位主要负责同志亲自过问，限期整改到位。",
        )
        for c in content["criticised"]:
            paragraph(doc, f"{c['unit']}：逾期未整改{c['overdue']}个，被退回返工{c['returned']}次。")
    else:
        paragraph(doc, "本期无单位达到通报批评标准。")

    previous = content.get("previous")
    if previous:
        heading(doc, f"{next(number)}、上期问题整改情况")
        paragraph(doc, previous)

    if content.get("closing"):
        heading(doc, f"{next(number)}、下步要求")
        _lines(doc, content["closing"])

    heading(doc, f"{next(number)}、问责情况")
    if content["accountability"]:
        for a in content["accountability"]:
            paragraph(doc, a["sentence"] if "sentence" in a else _old_accountability(a))
    else:
        paragraph(doc, "本期无问责情况。")


def _old_accountability(a) -> str:
    """The sentence of a snapshot published before 问责 was phrased (bulletins.content)."""
    who = f"{a['unit']}{('（' + a['person'] + '）') if a['person'] else ''}"
    return f"{a['decided_on']}，对{who}{a['measure']}。事由：{a['reason']}"


def _signature(doc, content):
    """附件说明 (one line under the text, two characters in), then 落款: the issuer two characters
    from the right, the date under it starting two characters further right (GB/T 9704 7.3.5);
    a date longer than that is put two characters from the right and the issuer moved left."""
    if content["typical"]:
        paragraph(doc, indent=False)
        paragraph(doc, f"附件：典型问题（{len(content['typical'])}个）")
    paragraph(doc, indent=False)
    issuer, date = content["issuer"], content.get("signed_on") or content["date"]
    issuer_chars, date_chars = _chars(issuer), _chars(date)
    date_right = 2 + max(issuer_chars - date_chars - 2, 0)
    issuer_right = date_right + date_chars + 2 - issuer_chars if date_chars + 2 > issuer_chars else 2
    for text, right in ((issuer, issuer_right), (date, date_right)):
        p = paragraph(doc, text, indent=False, align=WD_ALIGN_PARAGRAPH.RIGHT)
        p.paragraph_format.right_indent = Pt(right * CHAR)
        keep_with_next(p)


def _chars(text: str) -> float:
    """Width in characters: Arabic digits and Latin letters are half a character."""
    return sum(0.5 if ch.isascii() else 1 for ch in text)


def _annex(doc, content):
    """附件: typical problems with before-and-after photos, on a new page (the first paragraph
    breaks the page: a paragraph of its own would leave an empty line, or an empty page)."""
    if not content["typical"]:
        return
    # Every photo of the annex in one query, not one per photo.
    pictures = Attachment.objects.in_bulk(
        [photos[0] for item in content["typical"] for photos in (item["before"], item["after"]) if photos],
        field_name="uuid",
    )
    first = keep_with_next(paragraph(doc, "附件", font=HEITI, indent=False))
    first.paragraph_format.page_break_before = True
    keep_with_next(paragraph(doc, indent=False))
    keep_with_next(
        paragraph(doc, "典型问题", font=XIAOBIAOSONG, size=ER_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
    )
    keep_with_next(paragraph(doc, indent=False))
    for index, item in enumerate(content["typical"], start=1):
        keep_with_next(
            paragraph(
                doc,
                f"{index}. {item['number']}  {item['site']}（{item['unit']}，{item['status']}）",
                font=HEITI,
                size=SI_HAO,
                indent=False,
            )
        )
        keep_with_next(paragraph(doc, item["description"], size=SI_HAO, indent=False))
        table = official.fixed_table(doc, 2, PHOTO_WIDTHS, rows=2)
        official.row_flags(table.rows[0])
        official.row_flags(table.rows[1])
        for cell, label in zip(table.rows[0].cells, ["整改前", "整改后"], strict=True):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            cell.paragraphs[0].paragraph_format.keep_with_next = True
            style_run(cell.paragraphs[0].add_run(label), HEITI, Pt(12))
        for cell, photos in zip(table.rows[1].cells, [item["before"], item["after"]], strict=True):
            cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
            if photos:
                picture(cell, pictures.get(uuid.UUID(photos[0])), PHOTO_MM)
            else:
                style_run(cell.paragraphs[0].add_run("（暂无照片）"), FANGSONG, Pt(12))
        paragraph(doc, indent=False, size=SI_HAO)


def _colophon(doc, content, *, gap_pt: float = 0):
    """版记 at the foot of the last page: a table floating at the bottom margin (LibreOffice and
    Word both place it there; a framed paragraph is laid inline by LibreOffice and loses its
    rules), 抄送 and 印发机关 one character in, 印发日期 one character from the right, thick first
    and last rules and a thin one between 抄送 and 印发."""
    copy_to = content.get("copy_to") or "区委办公室，区政府办公室，区爱卫会各成员单位。"
    if gap_pt > 0:
        spacer = doc.add_paragraph()
        spacer.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        spacer.paragraph_format.line_spacing = Pt(gap_pt)
        spacer.paragraph_format.space_before = spacer.paragraph_format.space_after = Pt(0)
        _off_grid(spacer)
    table = doc.add_table(rows=2, cols=1)
    table.autofit = False
    table.columns[0].width = Mm(COLOPHON_MM)
    tbl_pr = table._tbl.tblPr
    if not gap_pt:  # for Word; LibreOffice's pass puts it inline after the space instead
        _float_at_foot(tbl_pr, copy_to)
    borders = OxmlElement("w:tblBorders")
    for side, size in (("top", THICK_RULE), ("left", 0), ("bottom", THICK_RULE), ("right", 0), ("insideH", THIN_RULE)):
        edge = OxmlElement(f"w:{side}")
        edge.set(qn("w:val"), "single" if size else "nil")
        if size:
            edge.set(qn("w:sz"), str(size))
            edge.set(qn("w:space"), "0")
            edge.set(qn("w:color"), "000000")
        borders.append(edge)
    tbl_pr.insert_element_before(borders, *official.TBLPR_AFTER_BORDERS)
    cc, printed = (row.cells[0].paragraphs[0] for row in table.rows)
    for row in table.rows:
        row.cells[0].width = Mm(COLOPHON_MM)
        official.row_flags(row)
    style_run(cc.add_run(f"抄送：{copy_to}"), FANGSONG, SI_HAO)
    style_run(printed.add_run(f"{content['issuer_short']}\t{content['date']}印发"), FANGSONG, SI_HAO)
    for p in (cc, printed):
        fmt = p.paragraph_format
        fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
        fmt.line_spacing = Pt(COLOPHON_LINE)
        fmt.space_before = fmt.space_after = Pt(0)
        fmt.left_indent = fmt.right_indent = Pt(SI_HAO.pt)
    # Tab stops count from the cell's left edge; the date ends one character from the right.
    printed.paragraph_format.tab_stops.add_tab_stop(Mm(COLOPHON_MM) - Pt(2 * SI_HAO.pt), alignment=2)
    # A floating table is anchored to the paragraph after it: without one LibreOffice drops it.
    # One point high, so that it never adds a page.
    anchor = doc.add_paragraph()
    anchor.paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    anchor.paragraph_format.line_spacing = Pt(1)
    anchor.paragraph_format.space_before = anchor.paragraph_format.space_after = Pt(0)
    _off_grid(anchor)


def _off_grid(paragraph) -> None:
    """Off the page's grid of 22 lines, which LibreOffice would round the paragraph's height to."""
    no_grid = OxmlElement("w:snapToGrid")
    no_grid.set(qn("w:val"), "0")
    paragraph._p.get_or_add_pPr().insert_element_before(no_grid, *official.PPR_AFTER_SNAP)


def _float_at_foot(tbl_pr, copy_to: str) -> None:
    """The 版记 table floating at the bottom margin, where Word puts it."""
    floating = OxmlElement("w:tblpPr")
    for attr, value in (
        ("w:vertAnchor", "margin"),
        ("w:horzAnchor", "margin"),
        ("w:tblpXSpec", "center"),
        # Its top, so that its bottom rule sits on the text area's lower edge: LibreOffice lays a
        # table "at the bottom" (tblpYSpec) inline, so the position is computed from its lines.
        ("w:tblpY", str(round((TEXT_HEIGHT_PT - _colophon_height(copy_to)) * 20))),
    ):
        floating.set(qn(attr), value)
    tbl_pr.insert_element_before(floating, *official.TBLPR_AFTER_FLOATING)


def _colophon_height(copy_to: str) -> float:
    per_line = (TEXT_WIDTH_MM * 72 / 25.4 - 2 * SI_HAO.pt) / SI_HAO.pt
    lines = math.ceil(_chars(f"抄送：{copy_to}") / per_line) + 1
    return lines * COLOPHON_LINE + 3  # the rules' own thickness and LibreOffice's rounding


# ---- the title's lines ------------------------------------------------------------------

# What a line of the title may not split: a date or number with its unit (「10月31日」), a
# bracketed part up to a line long, a Latin word.
_WHOLE = re.compile(r"[0-9０-９]+[年月日期号个次]?|[A-Za-z]+|[（(〔][^）)〕]{0,18}[）)〕]")
_GOOD_BREAKS_AFTER = "的、，和与及"


def title_lines(title: str, per_line: int = TITLE_CHARS) -> list[str]:
    """The title in as few lines as fit, split where a word ends, the lines as even as may be
    (GB/T 9704: 梯形或菱形, no word cut). Among the places that keep every word whole, the most
    even split wins; a break before a bracket or after 的 is preferred when as even."""
    width = _chars(title)
    if width <= per_line:
        return [title]
    forbidden = set()
    for match in _WHOLE.finditer(title):
        forbidden.update(range(match.start() + 1, match.end()))
    count = math.ceil(width / per_line)
    return _split(title, count, per_line, forbidden, 0) or _greedy(title, per_line)


def _split(text, count, per_line, forbidden, offset):
    if count == 1:
        return [text] if _chars(text) <= per_line else None
    best, best_score = None, None
    target = _chars(text) / count
    for cut in range(1, len(text)):
        if cut + offset in forbidden:
            continue
        head = text[:cut]
        if _chars(head) > per_line:
            break
        rest = _split(text[cut:], count - 1, per_line, forbidden, offset + cut)
        if rest is None:
            continue
        score = abs(_chars(head) - target) * 2
        score += max(0, _chars(rest[0]) - _chars(head))  # a longer line above, not below
        if text[cut] in "（(〔" or head[-1] in _GOOD_BREAKS_AFTER:
            score -= 1.5
        if best_score is None or score < best_score:
            best, best_score = [head, *rest], score
    return best


def _greedy(title, per_line):
    lines, line = [], ""
    for ch in title:
        if _chars(line + ch) > per_line:
            lines.append(line)
            line = ""
        line += ch
    return [*lines, line]
