"""A bulletin's document model rendered as Word in the official layout (documents.official);
the PDF is that Word file converted by LibreOffice (documents.pdf), so both look the same."""

import uuid

from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.shared import Mm, Pt

from core.models import Attachment
from documents import official
from documents.official import (
    ER_HAO,
    FANGSONG,
    HEITI,
    KAITI,
    RED,
    SAN_HAO,
    SI_HAO,
    XIAOBIAOSONG,
    border,
    data_table,
    paragraph,
    picture,
    style_run,
)


def render_docx(content: dict) -> bytes:
    """The bulletin as a Word document in the official layout."""
    doc = official.document()

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
    issuer_line.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)  # right-aligned tab
    style_run(issuer_line.add_run(f"{content['issuer_short']}\t{content['date']}"), FANGSONG, SAN_HAO)
    border(issuer_line, "bottom", size=18)
    paragraph(doc, indent=False)

    # 主体
    paragraph(
        doc, content["title"], font=XIAOBIAOSONG, size=ER_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False
    ).paragraph_format.line_spacing = Pt(36)
    paragraph(doc, indent=False)
    if content["lead"]:
        for line in content["lead"].splitlines():
            if line.strip():
                paragraph(doc, line.strip())
    s = content["summary"]
    paragraph(doc, "一、总体情况", font=HEITI)
    paragraph(
        doc,
        f"{content['period']}，督导组共发现问题{s['found']}个；期间销号{s['closed']}个，其中按期整改{s['closed_on_time']}个、"
        f"逾期整改{s['closed_late']}个；截至目前逾期未整改{s['overdue']}个；复核退回返工{s['returned']}次；"
        f"发现反弹问题{s['rebounds']}个。",
    )
    paragraph(doc, "二、各单位整改情况", font=HEITI)
    paragraph(doc, "（一）排名", font=KAITI)
    data_table(
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
    paragraph(doc, "（二）通报批评", font=KAITI)
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
    paragraph(doc, "三、问责情况", font=HEITI)
    if content["accountability"]:
        for a in content["accountability"]:
            who = f"{a['unit']}{('（' + a['person'] + '）') if a['person'] else ''}"
            paragraph(doc, f"{a['decided_on']}，对{who}{a['measure']}。事由：{a['reason']}")
    else:
        paragraph(doc, "本期无问责情况。")
    if content["closing"]:
        paragraph(doc, "四、下步要求", font=HEITI)
        for line in content["closing"].splitlines():
            if line.strip():
                paragraph(doc, line.strip())
    if content["typical"]:
        paragraph(doc, f"附件：典型问题（{len(content['typical'])}个）", indent=True)

    # 版记
    paragraph(doc, indent=False)
    cc = paragraph(doc, "抄送：区委办公室，区政府办公室，区爱卫会各成员单位。", size=SI_HAO, indent=False)
    border(cc, "top", color="000000", size=8)
    printed = paragraph(doc, indent=False, size=SI_HAO)
    printed.paragraph_format.tab_stops.add_tab_stop(Mm(156), alignment=2)
    style_run(printed.add_run(f"{content['issuer_short']}\t{content['date']}印发"), FANGSONG, SI_HAO)
    border(printed, "bottom", color="000000", size=8)

    # 附件: typical problems with before-and-after photos, on a new page.
    if content["typical"]:
        # Every photo of the annex in one query, not one per photo.
        pictures = Attachment.objects.in_bulk(
            [photos[0] for item in content["typical"] for photos in (item["before"], item["after"]) if photos],
            field_name="uuid",
        )
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
        paragraph(doc, "附件", font=HEITI, indent=False)
        paragraph(doc, "典型问题", font=XIAOBIAOSONG, size=ER_HAO, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        for index, item in enumerate(content["typical"], start=1):
            paragraph(
                doc,
                f"{index}. {item['number']}  {item['site']}（{item['unit']}，{item['status']}）",
                font=HEITI,
                size=Pt(14),
                indent=False,
            )
            paragraph(doc, item["description"], size=Pt(14), indent=False)
            table = doc.add_table(rows=2, cols=2)
            table.style = "Table Grid"
            for cell, label in zip(table.rows[0].cells, ["整改前", "整改后"], strict=True):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
                style_run(cell.paragraphs[0].add_run(label), HEITI, Pt(12))
            for cell, photos in zip(table.rows[1].cells, [item["before"], item["after"]], strict=True):
                if photos:
                    picture(cell, pictures.get(uuid.UUID(photos[0])), 70)
                else:
                    style_run(cell.paragraphs[0].add_run("（暂无照片）"), FANGSONG, Pt(12))
    return official.to_bytes(doc)
