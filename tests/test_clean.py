"""Scraped-page cleaning: clutter never reaches a chunk, evidence always survives."""

from __future__ import annotations

import re

import pytest

from retrieval.clean import clean_scraped_page, guess_title
from retrieval.grounding import normalize

from .conftest import KNOWLEDGE

# Clutter seen in the seeds and across Chinese portals; none of it may reach a chunk.
CLUTTER = [
    "WAP手机版", "RSS订阅", "加入收藏", "设为首页", "当前位置", "站内搜索", "手机官网", "蒙文 藏文",
    "分享到", "责编", "上一篇", "下一篇", "本类推荐", "相关专题", "版权所有", "ICP备", "联系电话",
    "原创力文档", "VIP", "下载", "版权申诉", "侵权必究", "付费", "查看更多", "文档评论", "此处内容需要权限查看",
    "会员免费查看", "本文来源", "http", "www.", "杂烩网", "(图/", "作者:", "标签:", "内容摘要", "发布时间", "主办:",
    "承办:", ">>", "杂志简介",
]


def test_no_clutter_in_any_chunk(kb):
    chunks = kb.snapshot().chunks
    assert len(chunks) > 30
    for c in chunks:
        for junk in CLUTTER:
            assert junk not in c.text, f"{junk!r} leaked into {c.source}: {c.text[:80]}"
        assert not re.search(r"https?://|www\.", c.text)


def test_every_dev_evidence_quote_survives_in_one_chunk(kb, dev_items):
    chunks = kb.snapshot().chunks
    for item in dev_items:
        for ev in item["evidence"]:
            assert any(
                c.source == ev["source"] and normalize(ev["quote"]) in normalize(c.text) for c in chunks
            ), f"{item['id']}: {ev['quote']}"


def test_inline_clutter_removed_but_sentence_kept():
    raw = (
        "导航 > 首页 > 党建\n"
        "同时,三个城区还在街道建立了非公经济党总支,有力加强了指导和管理,初步形成了党工组本文来源: http://织网络。"
        "把工会建设www.纳入各级党组织工作目标管理体系之中,召开全市杂烩网非公有制经济组织党建工作会议。\n"
        "分享到:\n(责编:张三)"
    )
    c = clean_scraped_page(raw)
    assert "党工组织网络" in c.text
    assert "把工会建设纳入各级党组织" in c.text
    assert "召开全市非公有制经济组织党建工作会议" in c.text
    assert "分享到" not in c.text and "责编" not in c.text and "首页" not in c.text


def test_metadata_line_parsed_and_dropped():
    raw = "2014年08月14日15:26  来源:人民网-中国共产党新闻网\n" + "正文内容很长,包含足够多的句子,用于测试。" * 4
    c = clean_scraped_page(raw)
    assert c.date == "2014-08-14"
    assert c.publisher == "人民网-中国共产党新闻网"
    assert "来源" not in c.text


@pytest.mark.parametrize(
    ("name", "title"),
    [
        ("001_dc5c1f82971a276f.txt", "把握新机遇 迎接新挑战"),
        ("002_89d235879069d946.txt", "克什克腾旗“舞活”党建龙头\xa0为非公经济和社会组织发展助航"),
    ],
)
def test_title_guessed_from_page_head_skips_menus(name, title):
    c = clean_scraped_page((KNOWLEDGE / name).read_text("utf-8"))
    assert guess_title(c, name) == title


def test_manifest_metadata_reaches_chunks(kb):
    snap = kb.snapshot()
    doc = snap.documents["002_89d235879069d946.txt"]
    assert doc.publisher == "人民网-中国共产党新闻网"
    assert doc.date == "2014-08-14"
    chunk = next(c for c in snap.chunks if c.source == doc.source)
    assert chunk.title == doc.title and chunk.date == "2014-08-14"


def test_a_title_glued_onto_the_first_paragraph_is_cut_off_when_the_title_is_given():
    from retrieval.clean import unglue_title
    from retrieval.loaders import Meta, load_bytes

    title = "非公企业党建工作经验交流材料（苏州市“党建带工建”）"
    page = "首页 > 文档\n非公企业党建工作经验交流材料近年来,苏州市加大“党建带工建”推进力度,采取切实有效措施,促进了非公企业的健康发展。\n" \
           "一、以“带”为根本\n“党建带工建”,根本在“带”。我市各级党组织切实履行好这项政治责任,指导和帮助工会组织加强自身建设。\n"
    doc = load_bytes(page.encode(), "a.txt", {"a.txt": Meta(title=title)})
    assert doc.text.startswith("近年来,苏州市加大“党建带工建”推进力度"), doc.text[:40]
    # Without a given title nothing is cut: a guessed title is the text's own first line.
    assert load_bytes(page.encode(), "a.txt").text.startswith("非公企业党建工作经验交流材料近年来")
    # The title as the subject of a sentence ("…材料,是…") or a paragraph deep in the text stays.
    assert unglue_title("非公企业党建工作经验交流材料,是苏州市总工会编写的一份材料。", title).startswith("非公企业")
    body = "甲。\n乙。\n丙。\n非公企业党建工作经验交流材料近年来在各地印发了很多份。"
    assert unglue_title(body, title) == body
