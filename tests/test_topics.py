"""Topics drawn from the knowledge base: suggestions after a refusal, the welcome for greetings."""

from __future__ import annotations

import re

import pytest

from bot.render import plain_paragraphs
from bot.wecom import render_markdown
from retrieval.answer import answer, render_text
from retrieval.topics import extract_topics, is_greeting, suggest, topics


def test_topics_are_named_measures_and_headings_with_question_forms(kb):
    found = {t.label: t for t in topics(kb.snapshot())}
    assert "双带双荐" in found and "1+N" in found and "制定长效机制" in found
    assert found["双带双荐"].question == "“双带双荐”是怎么做的？"
    assert found["1+N"].question == "克什克腾旗“1+N”是怎么做的？"  # too short alone: its place is added
    assert found["制定长效机制"].question == "制定长效机制有哪些做法？"
    for t in found.values():
        assert t.question.endswith("？") and len(t.label) >= 2 and "版权" not in t.label
        assert not re.fullmatch(r"[\d一二三四五六七八九十、.()（）]+", t.label)
    assert "双荐" not in found  # part of “双带双荐”, not a topic of its own
    assert "基本情况" not in found and "版权申诉" not in found


def test_topics_are_cached_per_snapshot(kb):
    snap = kb.snapshot()
    assert topics(snap) is topics(snap)
    assert topics(snap) == extract_topics(snap)


@pytest.mark.parametrize("question", ["今天股市怎么样？", "三会一课制度是什么？", "预备党员的预备期是多长时间？"])
def test_refusal_suggests_questions_that_are_then_answered(kb, settings, question):
    ans = answer(question, kb, settings)
    assert ans.refused, ans.text  # none of these is in the knowledge base
    assert 1 <= len(ans.suggestions) <= 3
    for s in ans.suggestions:
        assert s.endswith("？") and "（《" not in s and "…" not in s
        follow = answer(s, kb, settings)
        assert not follow.refused, (s, follow.reason)  # clicking a suggestion gets an answer


def test_suggestions_come_from_the_passages_retrieved(kb):
    snap = kb.snapshot()
    near = [c for c in snap.chunks if "双带双荐" in c.text]
    from retrieval.types import Hit

    got = suggest([Hit(near[0], 1.0)], snap, limit=3)
    by_question = {t.question: t for t in topics(snap)}
    assert len(got) == 3 and by_question[got[0]].source == near[0].source  # then the KB's main topics


@pytest.mark.parametrize("text", ["你好", "您好！", "hello", "你能做什么？", "/help", "帮助", "在吗", "你是谁"])
def test_greetings_get_a_welcome_with_three_answerable_examples(kb, settings, text):
    assert is_greeting(text)
    ans = answer(text, kb, settings)
    assert not ans.refused and ans.mode == "welcome" and not ans.citations
    assert "党建工作助手" in ans.text and len(ans.suggestions) == 3
    shown = render_text(ans)
    assert all(f"· {s}" in shown for s in ans.suggestions) and "来源" not in shown
    assert plain_paragraphs(ans)[1].count("· ") == 3
    assert "> · " in "\n".join(render_markdown(ans))
    for s in ans.suggestions:
        assert not answer(s, kb, settings).refused, s


@pytest.mark.parametrize("text", ["你好，党费怎么交？", "你能做什么事情来帮助党员发挥作用", "help me"])
def test_questions_that_start_with_a_greeting_are_questions(text):
    assert not is_greeting(text)
