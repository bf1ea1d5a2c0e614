"""Issue 11, "nothing lost": hostile and unlucky files. Each test reproduces a failure found by
attacking the service (bad encodings, zip bombs, broken PDFs, numbered sentences taken for headings)."""

from __future__ import annotations

import io
import random
import re
import zipfile

import pytest
from typer.testing import CliRunner

from bot.cli import app
from retrieval import loaders
from retrieval.chunk import chunk_document, split_sentences
from retrieval.errors import IngestError
from retrieval.index import KnowledgeBase
from retrieval.loaders import decode_text, load_bytes

from .conftest import KNOWLEDGE, make_settings

GOOD = "一、活动经费\n非公企业党组织的活动经费可以通过企业列支、上级补充、党费返还和财政补贴等渠道解决，保障党组织有钱办事。\n"


def _docx(paragraphs: list[str], **props) -> bytes:
    import docx

    d = docx.Document()
    for k, v in props.items():
        setattr(d.core_properties, k, v)
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


# --- item 10: one bad file never blocks the batch ------------------------------------------------------
def test_odd_byte_utf16_file_is_its_own_error_and_the_batch_goes_on(tmp_path, embedder):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(GOOD, "utf-8")
    (docs / "odd.txt").write_bytes(b"\xff\xfe" + GOOD.encode("utf-16-le") + b"\x00")  # one byte too many
    kb = KnowledgeBase(make_settings(tmp_path / "data"), embedder=embedder)
    report = kb.ingest([docs])
    assert report.added == ["good.txt"]
    assert [e.source for e in report.errors] == ["odd.txt"] and "UTF-16" in report.errors[0].reason


def _pdf(lines: list[str]) -> bytes:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pageCompression=0)
    c.setFont("STSong-Light", 12)
    c.setTitle("测试")
    for i, line in enumerate(lines):
        c.drawString(50, 800 - 20 * i, line)
    c.save()
    return buf.getvalue()


PDF_LINES = ["一、组织建设", "企业党组织要建立健全党员学习制度，每月组织一次集中学习。"]


def test_pdf_with_broken_info_dictionary_still_loads():
    data = _pdf(PDF_LINES)
    m = re.search(rb"/Info (\d+) 0 R", data)
    broken = data.replace(m.group(0), b"/Info [1 2]")  # /Info that is not a dictionary
    doc = load_bytes(broken, "info.pdf")
    assert "党员学习制度" in doc.text


def test_pdf_with_unknown_filter_is_that_files_error():
    data = _pdf(PDF_LINES).replace(b"/Length", b"/Filter /NoSuchDecode /Length")  # pypdf: NotImplementedError
    with pytest.raises(IngestError) as info:
        load_bytes(data, "filter.pdf")
    assert info.value.source == "filter.pdf"


def test_any_parser_crash_becomes_the_files_error(monkeypatch):
    import retrieval.loaders as loaders

    def explode(raw, zones=True):
        raise RecursionError("parser bug")

    monkeypatch.setattr(loaders, "clean_scraped_page", explode)
    with pytest.raises(IngestError) as info:
        load_bytes(GOOD.encode(), "crash.txt")
    assert info.value.source == "crash.txt" and "RecursionError" in info.value.reason


def test_cli_ingest_exit_codes(tmp_path, embedder, monkeypatch):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "good.txt").write_text(GOOD, "utf-8")
    (docs / "bad.docx").write_bytes(b"PK\x03\x04broken")
    monkeypatch.setenv("DJBOT_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("DJBOT_KNOWLEDGE_DIR", str(docs))
    runner = CliRunner()
    res = runner.invoke(app, ["ingest", str(docs)])
    assert res.exit_code == 0, res.output  # one file succeeded: errors listed, exit 0
    assert "bad.docx" in res.output
    only_bad = tmp_path / "bad"
    only_bad.mkdir()
    (only_bad / "bad.docx").write_bytes(b"PK\x03\x04broken")
    res = runner.invoke(app, ["ingest", str(only_bad), "--no-sync"])
    assert res.exit_code == 3, res.output  # nothing could be read


# --- item 5: zip bombs are rejected before any parser inflates them -------------------------------------
def _bomb(declared_mb: int) -> bytes:
    base = _docx(["企业党组织要建立健全党员学习制度，每月组织一次集中学习。"])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(base)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item, src.read(item.filename))
        info = zipfile.ZipInfo("word/media/image1.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            block = b"\x00" * (1024 * 1024)
            for _ in range(declared_mb):
                fh.write(block)
    return out.getvalue()


def test_zip_bomb_docx_is_rejected_without_inflating():
    import resource

    data = _bomb(150)
    assert len(data) < 1024 * 1024
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(IngestError) as info:
        load_bytes(data, "bomb.docx")
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert "压缩炸弹" in info.value.reason
    assert grown_mb < 50, f"peak RSS grew {grown_mb:.0f} MB"


def test_zip_bomb_xlsx_question_set_is_rejected_before_openpyxl(tmp_path):
    from evals.runner import load_dataset
    from retrieval.errors import DatasetError

    path = tmp_path / "questions.xlsx"
    path.write_bytes(_bomb(150))  # a zip whose member inflates to 150 MB
    with pytest.raises(DatasetError, match="压缩炸弹"):
        load_dataset(path)


def test_high_ratio_member_is_rejected():
    with pytest.raises(IngestError, match="压缩比"):
        loaders.check_archive(_bomb(20), "ratio.docx")
    loaders.check_archive(_docx(["正常的文档内容，没有问题。"]), "fine.docx")


# --- item 13: short GBK texts; unclear decodings rejected -------------------------------------------------
def test_short_gbk_texts_decode_right_every_time():
    text = (KNOWLEDGE / "000_541056156f50baf9.txt").read_text("utf-8")
    text += (KNOWLEDGE / "001_dc5c1f82971a276f.txt").read_text("utf-8")
    chars = re.sub(r"\s", "", text)
    rng = random.Random(11)
    wrong = []
    for _ in range(600):
        n = rng.choice([2, 3, 5, 8, 12, 19, 30, 50, 80])
        start = rng.randrange(0, len(chars) - n)
        sample = chars[start : start + n]
        try:
            data = sample.encode("gbk")
        except UnicodeEncodeError:
            continue
        try:
            got = decode_text(data, "s.txt")
        except IngestError:
            got = None  # a refusal is acceptable for tiny samples; garbage is not
        if got is not None and got != sample:
            wrong.append(sample)
        if n >= 12 and got is None:
            wrong.append(sample)
    assert not wrong, wrong[:5]


def test_utf16_without_bom_and_gb18030_are_told_apart():
    s = "企业党组织要建立健全党员学习制度。\n每月组织一次集中学习。"
    assert decode_text(s.encode("utf-16-le"), "a.txt") == s
    assert decode_text(s.encode("utf-16-be"), "a.txt") == s
    assert decode_text(s.encode("gb18030"), "a.txt") == s


def test_unclear_bytes_are_rejected_not_stored_as_garbage():
    rng = random.Random(3)
    # Valid GB18030 and valid UTF-16, but rare characters either way: no decoding is clearly right.
    data = bytes(b for _ in range(60) for b in (rng.randrange(0x81, 0xA0), rng.randrange(0x40, 0x7E)))
    with pytest.raises(IngestError, match="编码"):
        decode_text(data, "unclear.txt")


# --- item 12: numbered sentences are content; headings searchable ----------------------------------------
BANFA = [
    "某某区非公有制企业党建指导员管理办法",
    "第一章 总则",
    "第一条 为加强非公有制企业党建工作，规范党建指导员选派和管理，制定本办法。",
    "第二条 本办法适用于全区非公有制企业党建指导员。",
    "第二章 选派与职责",
    "第三条 党建指导员的选派和职责如下：",
    "一、党建指导员由区委组织部选派，每名指导员联系3至5家非公企业。",
    "二、党建指导员每月走访所联系企业不少于一次，了解党组织建设情况。",
    "（一）指导企业按期召开党员大会和支委会。",
    "（二）帮助企业党组织落实“三会一课”制度，做好发展党员工作。",
    "1. 每季度向区委组织部报告一次工作情况。",
    "2. 年底形成书面工作总结，报区委组织部备案。",
    "三、工作保障",
    "区财政每年安排专项经费，用于党建指导员开展工作。",
    "第三章 附则",
    "第四条 本办法由区委组织部负责解释，自印发之日起施行。",
]


def test_banfa_docx_every_sentence_is_in_some_chunk():
    doc = load_bytes(_docx(BANFA, author="python-docx"), "banfa.docx")
    chunks = chunk_document(doc, 300, 400)
    text = "\n".join(c.text for c in chunks)
    missing = []
    for line in BANFA[1:]:
        for span in split_sentences(line):
            sentence = line[span.start : span.end]
            if sentence[-1] in "。！？；" and sentence not in text:
                missing.append(sentence)
    assert not missing, missing
    assert any("区委组织部选派" in c.text for c in chunks)
    # Heading text is searchable: what the lexical index and the embedder see carries it.
    from retrieval.index import embed_text

    assert any("工作保障" in embed_text(c) for c in chunks)
    assert any("选派与职责" in embed_text(c) for c in chunks)


def test_banfa_ingested_and_found(tmp_path, embedder):
    from retrieval.search import search

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "banfa.docx").write_bytes(_docx(BANFA))
    s = make_settings(tmp_path / "data")
    kb = KnowledgeBase(s, embedder=embedder)
    report = kb.ingest([docs])
    assert report.added == ["banfa.docx"] and not report.errors
    hits = search(kb, "党建指导员每月走访几次", s, k=3)
    assert any("不少于一次" in h.chunk.text for h in hits)


# --- item 18: generic file properties do not become publisher or date ------------------------------------
def test_docx_generic_author_and_template_date_are_ignored():
    body = ["企业党组织要建立健全党员学习制度，每月组织一次集中学习，促进党员学习的制度化。"]
    doc = load_bytes(_docx(body), "generic.docx")  # python-docx stamps "python-docx", 2013-12-23
    assert doc.publisher == "" and doc.date == ""
    doc = load_bytes(_docx(body, author="Administrator"), "admin.docx")
    assert doc.publisher == ""
    doc = load_bytes(_docx(body, author="中共某某区委组织部"), "real.docx")
    assert doc.publisher == "中共某某区委组织部"


def test_text_metadata_comes_before_file_properties():
    body = ["发布时间：2021-03-01 来源：某某区委组织部",
            "企业党组织要建立健全党员学习制度，每月组织一次集中学习，促进党员学习的制度化。"]
    doc = load_bytes(_docx(body, author="张三"), "dated.docx")
    assert doc.date == "2021-03-01" and doc.publisher == "某某区委组织部"
