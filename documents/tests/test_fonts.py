"""documents/fonts.conf maps the official font names to the Simplified Chinese faces.

The Noto CJK collections (.ttc) hold five faces (JP, KR, SC, TC, HK) sharing one CFF table whose
FontName is "NotoSerifCJKjp-…": a PDF made from any face, the SC one included, names the font
"NotoSerifCJKjp" (pdffonts shows it). What differs between faces is the character map, that is
which glyph (Chinese or Japanese form) a character gets. So what must hold is that fontconfig,
which LibreOffice asks, picks the SC face (index 2 of the collection)."""

import shutil
import subprocess

import pytest

from documents.pdf import FONTS_CONF

pytestmark = pytest.mark.skipif(shutil.which("fc-match") is None, reason="fontconfig is installed by make test")


def matched(name: str) -> tuple[str, str]:
    result = subprocess.run(
        ["fc-match", "-f", "%{family[0]}|%{postscriptname}", name],
        capture_output=True,
        check=True,
        text=True,
        env={"FONTCONFIG_FILE": str(FONTS_CONF), "PATH": "/usr/bin:/bin"},
    )
    family, postscript = result.stdout.split("|")
    return family, postscript


@pytest.mark.parametrize(
    ("name", "family", "postscript"),
    [
        ("方正小标宋简体", "Noto Serif CJK SC", "NotoSerifCJKsc-Bold"),
        ("宋体", "Noto Serif CJK SC", "NotoSerifCJKsc-Regular"),
        ("黑体", "Noto Sans CJK SC", "NotoSansCJKsc-Regular"),
    ],
)
def test_the_noto_fonts_are_the_simplified_chinese_faces(name, family, postscript):
    if not shutil.which("fc-list") or "Noto Serif CJK SC" not in subprocess.getoutput("fc-list : family"):
        pytest.skip("fonts-noto-cjk is installed by make test")
    assert matched(name) == (family, postscript)
