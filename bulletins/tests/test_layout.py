"""The bulletin's layout measured where an examiner would: in the Word XML (grid, spacing, fields,
table flags, properties) and in the PDF LibreOffice makes of it (characters per line, the page
number's size, the fonts embedded)."""

import io
import re
import shutil
import subprocess
import zipfile

import pytest
from docx import Document
from docx.oxml.ns import qn

from bulletins.render import RANKING_HEADERS, RANKING_WIDTHS, render_docx, title_lines
from documents.official import fits_on_one_line
from documents.pdf import docx_to_pdf

LONG = (
    "各责任单位要切实提高思想认识，把问题整改作为巩固国家卫生城市成果的重要抓手，主要负责同志亲自研究部署，"
    "分管负责同志具体抓落实，确保每一个问题都整改到位、销号到位，坚决杜绝敷衍整改、虚假整改和反复回潮现象。"
)


def content(**changes):
    units = [
        dict(rank=i, unit=f"第{i}街道", found=9, closed_on_time=5, closed_late=1, overdue=3, returned=1, rebounds=0)
        | {"on_time_rate": 55.6}
        for i in range(1, 31)
    ]
    return {
        "issuer": "示范区爱国卫生运动委员会办公室",
        "issuer_short": "示范区爱卫办",
        "title": "关于2026年10月巩固国家卫生城市督查情况的通报",
        "addressee": "各街道办事处，区直各有关单位：",
        "lead": "现将有关情况通报如下：",
        "closing": LONG,
        "issue_label": "〔2026〕第1期",
        "date": "2026年11月3日",
        "period": "2026年10月1日至2026年10月31日",
        "as_of": "2026年10月31日",
        "criticise_overdue_at": 3,
        "summary": dict(found=77, closed=50, closed_on_time=40, closed_late=10, overdue=5, returned=3, rebounds=1),
        "units": units,
        "criticised": [{"unit": "第1街道", "overdue": 3, "returned": 1}],
        "accountability": [],
        "typical": [],
        "overview": [LONG],
    } | changes


def xml(docx: bytes, part="word/document.xml") -> str:
    return zipfile.ZipFile(io.BytesIO(docx)).read(part).decode()


def test_the_word_file_has_the_grid_the_spacing_and_the_parts_in_order():
    docx = render_docx(content())
    body = xml(docx)
    assert '<w:docGrid w:linePitch="579" w:type="lines"/>' in body  # 22 lines of 28.95 pt
    assert body.count('<w:spacing w:val="-5"/>') > 10  # 三号 drawn 0.25 pt closer: 28 a line
    doc = Document(io.BytesIO(docx))
    texts = [p.text for p in doc.paragraphs]
    title_at = [text.replace("\n", "") for text in texts].index("关于2026年10月巩固国家卫生城市督查情况的通报")
    assert "\n" in texts[title_at]  # two lines of 二号
    assert texts[title_at - 2 : title_at] == ["", ""]  # two lines under the red rule
    assert texts[title_at + 2] == "各街道办事处，区直各有关单位："  # 主送, one line under the title
    assert texts[-3:] == ["示范区爱国卫生运动委员会办公室", "2026年11月3日", ""]  # 落款, then the 版记's anchor
    headings = [p for p in doc.paragraphs if p.text in ("一、督查概况", "（一）排名", "二、各单位整改情况")]
    assert len(headings) == 3 and all(p.paragraph_format.keep_with_next for p in headings)


def test_tables_repeat_their_header_never_split_a_row_and_fit_the_text_area():
    doc = Document(io.BytesIO(render_docx(content())))
    ranking = doc.tables[0]
    assert ranking.rows[0]._tr.trPr.find(qn("w:tblHeader")) is not None
    assert all(row._tr.trPr.find(qn("w:cantSplit")) is not None for row in ranking.rows)
    assert sum(RANKING_WIDTHS) == 156
    assert all(fits_on_one_line(h, w) for h, w in zip(RANKING_HEADERS, RANKING_WIDTHS, strict=True))


def test_the_colophon_has_thick_outer_and_thin_middle_rules_and_comes_after_the_annex():
    typical = [dict(number="2026-000001", site="某巷", unit="东城街道", status="已销号", description="垃圾满溢")]
    typical[0] |= {"before": [], "after": []}
    docx = render_docx(content(typical=typical))
    body = xml(docx)
    annex, colophon = body.index(">附件</w:t>"), body.index("抄送：")
    assert annex < colophon
    assert "<w:pageBreakBefore/>" in body[body.rindex("<w:p>", 0, annex) : annex]
    assert 'w:br w:type="page"' not in body  # no paragraph of its own that could leave a blank page
    borders = re.search(r"<w:tblBorders>(.*?)</w:tblBorders>", body[colophon - 3000 : colophon]).group(1)
    assert re.findall(r'<w:(top|bottom|insideH) w:val="single" w:sz="(\d)"', borders) == [
        ("top", "8"),
        ("bottom", "8"),
        ("insideH", "6"),
    ]


def test_the_page_number_field_has_its_result_in_4hao_songti_one_character_in():
    doc = Document(io.BytesIO(render_docx(content())))
    footer = doc.sections[0].footer.paragraphs[0]
    assert footer.text == "— 1 —"  # the field's result is there: not drawn in the default size
    assert {(r.font.name, r.font.size.pt) for r in footer.runs} == {("宋体", 14)}
    assert footer.paragraph_format.right_indent.pt == 14
    assert doc.sections[0].even_page_footer.paragraphs[0].paragraph_format.left_indent.pt == 14


def test_the_document_properties_are_the_bulletins_own():
    docx = render_docx(content())
    props = Document(io.BytesIO(docx)).core_properties
    assert (props.author, props.language) == ("示范区爱国卫生运动委员会办公室", "zh-CN")
    assert props.title == "关于2026年10月巩固国家卫生城市督查情况的通报（〔2026〕第1期）"
    assert props.created.year >= 2026
    assert not any("thumbnail" in name for name in zipfile.ZipFile(io.BytesIO(docx)).namelist())


def test_title_lines_keep_words_whole_and_even():
    assert title_lines("关于示范区创卫工作督查情况的通报（2026年10月1日—2026年10月31日）") == [
        "关于示范区创卫工作督查情况的通报",
        "（2026年10月1日—2026年10月31日）",
    ]
    assert title_lines("关于5月份督查情况的通报") == ["关于5月份督查情况的通报"]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice is installed by make test")
def test_the_pdf_has_28_characters_a_line_and_the_page_number_in_14_pt(tmp_path):
    pdf = tmp_path / "b.pdf"
    pdf.write_bytes(docx_to_pdf(render_docx(content())))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    lines = [line.strip() for line in text.splitlines()]
    # Full lines of the long paragraph (neither its first, indented, nor its last).
    # Full lines of the long paragraph: neither its first (indented) nor its last.
    inner = [line for line in lines if len(line) >= 20 and line in LONG and not LONG.startswith(line)]
    full = [line for line in inner if not LONG.endswith(line)]
    assert len(full) >= 4 and {len(line) for line in full} == {28}, full
    bbox = subprocess.run(["pdftotext", "-bbox", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True).stdout
    *_, (top, bottom) = re.findall(rb'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">1</word>', bbox)
    assert float(top) > 740  # the page number: the last "1" of the page, under the text area
    assert float(bottom) - float(top) < 19.5  # a box of 1.3 x 14 pt (4号): 三号 would be 20.8
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, check=True).stdout.decode()
    if shutil.os.path.exists("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol"):
        assert "FandolFang" in fonts  # 仿宋 from a real 仿宋 face
    assert "Bold" in fonts  # 小标宋 as a bold serif
