"""Word to PDF with LibreOffice (headless), so a PDF has exactly the layout of its Word file.

`fonts.conf` maps the font names official documents use (方正小标宋简体, 仿宋_GB2312, 楷体_GB2312,
黑体, 宋体) to the CJK fonts Debian ships (Noto Serif/Sans CJK, AR PL UKai), so every glyph is
present in the PDF whatever the server has installed under those names."""

import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

FONTS_CONF = Path(__file__).resolve().parent / "fonts.conf"


class PdfConversionError(RuntimeError):
    pass


def docx_to_pdf(docx_bytes: bytes, *, timeout: int = 180) -> bytes:
    """Convert the Word file with LibreOffice (headless), so the PDF has the same layout. Each
    call uses its own LibreOffice profile, so conversions may run side by side."""
    office = shutil.which("soffice") or shutil.which("libreoffice")
    if office is None:
        raise PdfConversionError("未安装 LibreOffice，无法生成 PDF（make test 与 make run 会安装）")
    with tempfile.TemporaryDirectory(prefix="docx-pdf-") as tmp:
        source = Path(tmp) / "document.docx"
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
        target = Path(tmp) / "document.pdf"
        if result.returncode != 0 or not target.exists():
            raise PdfConversionError(f"PDF 生成失败：{result.stderr.decode(errors='replace')[-300:]}")
        return target.read_bytes()


def last_word_bottom(pdf_bytes: bytes, containing: str) -> float | None:
    """How far down the last page (in points from its top) the last word containing `containing`
    ends, read with poppler's pdftotext; None when poppler is missing or the word is not there.
    Lets a renderer see where LibreOffice put something and lay the document out again."""
    tool = shutil.which("pdftotext")
    if tool is None:
        return None
    with tempfile.TemporaryDirectory(prefix="pdf-bbox-") as tmp:
        source = Path(tmp) / "document.pdf"
        source.write_bytes(pdf_bytes)
        result = subprocess.run([tool, "-bbox", str(source), "-"], capture_output=True, timeout=60)
    if result.returncode != 0:
        return None
    html = result.stdout.decode(errors="replace")
    last_page = html.rsplit("<page ", 1)[-1]
    bottoms = [
        float(match.group(1))
        for match in re.finditer(r'<word [^>]*yMax="([0-9.]+)"[^>]*>([^<]*)</word>', last_page)
        if containing in match.group(2)
    ]
    return bottoms[-1] if bottoms else None
