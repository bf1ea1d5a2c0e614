"""Loaders: every supported format, encodings, and a clear error for each kind of bad input."""

from __future__ import annotations

import io

import pytest

from retrieval.errors import IngestError, UnsupportedFileError
from retrieval.loaders import load_bytes

TEXT = "一、组织建设\n企业党组织要建立健全党员学习制度，每月组织一次集中学习，促进党员学习的制度化、规范化。\n"


def test_utf8_and_bom():
    assert "党员学习制度" in load_bytes(TEXT.encode(), "a.txt").text
    assert "党员学习制度" in load_bytes(b"\xef\xbb\xbf" + TEXT.encode(), "b.txt").text


@pytest.mark.parametrize("encoding", ["gb18030", "gbk", "gb2312", "utf-16"])
def test_chinese_legacy_encodings_are_detected(encoding):
    doc = load_bytes(TEXT.encode(encoding), "legacy.txt")
    assert "企业党组织要建立健全党员学习制度" in doc.text


def test_markdown_keeps_headings_and_link_text():
    md = "# 党建工作指南\n\n## 一、组织建设\n\n企业党组织要建立健全[党员学习制度](http://x.cn/a)，每月组织一次集中学习，促进学习制度化。\n"
    doc = load_bytes(md.encode(), "guide.md")
    assert "党员学习制度，每月" in doc.text and "http" not in doc.text


def test_html_extracts_article_and_metadata():
    html = (
        "<html><head><title>测试标题</title><meta name='date' content='2020-01-02'></head><body>"
        "<nav>首页 &gt; 新闻 &gt; 党建</nav><article><h1>测试标题</h1>"
        "<p>企业党组织要建立健全党员学习制度，每月组织一次集中学习，促进党员学习的制度化、规范化。</p>"
        "<p>党建带工建，根本在带，基础在建，要同步推进党工组织建设。</p></article>"
        "<footer>版权所有 京ICP备123号</footer></body></html>"
    )
    doc = load_bytes(html.encode(), "page.html")
    assert "党员学习制度" in doc.text and "根本在带" in doc.text
    assert "ICP" not in doc.text and "首页" not in doc.text
    assert doc.title == "测试标题" and doc.date == "2020-01-02"


def test_docx_paragraphs_tables_and_title():
    import docx

    d = docx.Document()
    d.core_properties.title = "党建工作制度汇编"
    d.add_heading("一、组织建设", level=1)
    d.add_paragraph("企业党组织要建立健全党员学习制度，每月组织一次集中学习，促进党员学习的制度化、规范化。")
    table = d.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "经费来源"
    table.rows[0].cells[1].text = "党费返还"
    buf = io.BytesIO()
    d.save(buf)
    doc = load_bytes(buf.getvalue(), "rules.docx")
    assert doc.title == "党建工作制度汇编"
    assert "党员学习制度" in doc.text and "经费来源 党费返还" in doc.text


def _pdf(lines: list[str]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont("STSong-Light", 12)
    for i, line in enumerate(lines):
        c.drawString(50, 800 - 20 * i, line)
    c.save()
    return buf.getvalue()


def test_pdf_text_with_wrapped_lines_rejoined():
    data = _pdf(["一、组织建设", "企业党组织要建立健全党员学习制度，每月组织一次", "集中学习，促进党员学习的制度化。"])
    doc = load_bytes(data, "rules.pdf")
    assert "每月组织一次集中学习" in doc.text


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.txt", b"", "文件为空"),
        ("blank.txt", b"   \n\n  ", "文件为空"),
        ("binary.txt", bytes(range(256)) * 4, "二进制"),
        ("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64, "二进制"),
        ("fake.docx", "这不是Word文件".encode(), "不是Word"),
        ("broken.docx", b"PK\x03\x04garbage-not-a-zip", "无法读取Word"),
        ("fake.pdf", "这不是PDF".encode(), "不是PDF"),
        ("broken.pdf", b"%PDF-1.4\n garbage", "PDF"),
        ("short.txt", "标题".encode(), "没有提取到正文"),
        ("scan.pdf", None, "没有提取到正文"),
    ],
)
def test_bad_input_names_the_file(name, data, message):
    if data is None:
        data = _pdf([])  # a PDF with no text layer, like a scan
    with pytest.raises(IngestError) as info:
        load_bytes(data, name)
    assert info.value.source == name
    assert name in info.value.message and message in info.value.message


def test_unsupported_type():
    with pytest.raises(UnsupportedFileError) as info:
        load_bytes(b"MZ\x90\x00", "virus.exe")
    assert "不支持的文件类型" in info.value.message and "virus.exe" in info.value.message
