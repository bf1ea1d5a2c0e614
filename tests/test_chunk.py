"""Chinese structure-aware chunking."""

from __future__ import annotations

from retrieval.chunk import chunk_document, split_sentences
from retrieval.types import Document


def _sentences(text: str) -> list[str]:
    return [text[s.start : s.end] for s in split_sentences(text)]


def test_half_width_marks_between_cjk_end_sentences_but_not_numbers():
    text = "比上年增长5.6%.各级个私协会会员中共有党员175.83万人,比上年增长4.43%.其中,个协会员很多;私协会员也多!完"
    assert _sentences(text) == [
        "比上年增长5.6%.",
        "各级个私协会会员中共有党员175.83万人,比上年增长4.43%.",
        "其中,个协会员很多;",
        "私协会员也多!",
        "完",
    ]


def test_marks_inside_brackets_and_quotes_do_not_end_a_sentence():
    text = "实施“三培两带一提升”工程(把党员培养成人才;党务工作者“一带多”;提升素质)。按照“党的工作只能加强;不能削弱”的精神办。"
    assert _sentences(text) == [
        "实施“三培两带一提升”工程(把党员培养成人才;党务工作者“一带多”;提升素质)。",
        "按照“党的工作只能加强;不能削弱”的精神办。",
    ]


def _doc(text: str) -> Document:
    return Document(source="t.txt", title="测试", text=text)


def test_sections_offsets_and_limits():
    body = "这是一句关于党建工作的话,内容比较具体。" * 40
    text = "\n".join(["一、基本情况", body, "二、主要做法", "(一)制定长效机制。", body, "第三条 党员应当参加组织生活。"])
    doc = _doc(text)
    chunks = chunk_document(doc, target=300, max_chars=400)
    assert chunks
    for c in chunks:
        assert len(c.text) <= 400
        assert doc.text[c.start : c.end] == c.text
        assert c.text.endswith(("。", "；", ";")), "chunks end on a sentence boundary"
    sections = {c.section for c in chunks}
    assert "一、基本情况" in sections
    assert "二、主要做法 > (一)制定长效机制" in sections
    assert any(s.endswith("第三条") for s in sections)
    assert any(c.text == "第三条 党员应当参加组织生活。" for c in chunks)


def test_overlong_sentence_is_split_at_clauses_only():
    sentence = "，".join(["党组织建设要同步推进"] * 60) + "。"
    chunks = chunk_document(_doc(sentence), target=300, max_chars=400)
    assert len(chunks) > 1
    for c in chunks:
        assert len(c.text) <= 400
        assert c.text.endswith(("，", "。"))


def test_enumerators_start_new_chunks():
    text = "我们开展了多项活动,效果很好,群众满意,值得推广,也值得总结。" * 3 + "一是开展宗旨主题教育,组织党员学习。二是开展法律法规教育,提高意识。"
    chunks = chunk_document(_doc(text), target=120, max_chars=400)
    assert any(c.text.startswith("一是") for c in chunks)


def test_chunk_ids_are_stable_and_content_addressed():
    doc = _doc("第一段内容,讲党建工作的重要意义。\n第二段内容,讲工会建设的具体做法。")
    a = chunk_document(doc)
    b = chunk_document(doc)
    assert [c.id for c in a] == [c.id for c in b]
    changed = chunk_document(_doc(doc.text.replace("重要", "重大")))
    assert a[0].id != changed[0].id


def test_seed_chunks_respect_limits(kb):
    snap = kb.snapshot()
    for c in snap.chunks:
        assert len(c.text) <= 400
        assert snap.documents[c.source].text[c.start : c.end] == c.text
    sections = {c.section for c in snap.chunks if c.source.startswith("000_")}
    assert "二、主要做法 > (二)、明确工作责任" in sections


def test_an_ascii_full_stop_after_a_percent_sign_ends_an_answer_unit():
    from retrieval.chunk import FULL_SENTENCE_END, SENTENCE_END, split_sentences

    text = "私协会员企业负责人中有党员78.12万人,占总数的10.13%.2014年,各级个私协会会员中共发展党员9.57万人。"
    units = [text[u.start : u.end] for u in split_sentences(text, ends=FULL_SENTENCE_END)]
    assert units == ["私协会员企业负责人中有党员78.12万人,占总数的10.13%.", "2014年,各级个私协会会员中共发展党员9.57万人。"]
    assert len(split_sentences(text, ends=SENTENCE_END)) == 1  # passages keep their boundaries
    assert len(split_sentences("增长4.43%。", ends=FULL_SENTENCE_END)) == 1  # a decimal point stays inside
