"""The lexical side: jieba tokens (with the domain user dictionary) and BM25."""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Iterable
from pathlib import Path

import numpy as np

# Function words and question words that carry no topic; kept small on purpose.
STOPWORDS = frozenset(
    ["的", "了", "和", "与", "及", "或", "是", "在", "对", "把", "被", "将", "就", "都", "而", "并", "也", "还", "又", "等", "其", "之", "以", "于", "为", "从", "向", "由", "这", "那", "这个", "那个", "这些", "那些", "什么", "哪些", "哪个", "哪几", "哪", "怎么", "怎样", "怎么样", "如何", "为什么", "吗", "呢", "吧", "啊", "呀", "么", "么样", "咋", "咋办", "怎么办", "可以", "能", "能否", "能不能", "应该", "应当", "要", "需要", "有", "有没有", "没有", "是否", "多少", "几", "一个", "一下", "请问", "请", "我", "我们", "你", "你们", "他", "她", "它", "他们", "具体", "主要", "一共", "一些", "哪里", "里", "中", "上", "下", "个", "些", "吧", "呗", "嘛", "呢", "得", "地", "着", "过", "给", "让", "使", "这样", "那样", "如果", "不", "没", "不能", "的话", "可", "会", "做", "做到", "指", "指的是", "包括", "内容", "具体", "情况"]
)
_TOKEN = re.compile(r"[\w+]+", re.UNICODE)
_CJK_RUN = re.compile(r"[\u3400-\u9fff]{2,}")
_STOP_BIGRAMS = frozenset(["什么", "哪些", "怎么", "怎样", "如何", "可以", "应该", "是否", "多少", "一个", "的是", "是什", "么样"])


PROPER_TAGS = frozenset({"ns", "nr", "nt", "nz", "nrt", "nrfg"})
# Verbs, adverbs, prepositions, pronouns, particles, conjunctions, numerals, measure words, times, places' 上/里.
NOT_NOMINAL_TAGS = frozenset({"v", "vd", "vg", "vi", "vq", "d", "dg", "p", "r", "rr", "rz", "rg", "u", "uj", "ul", "uz", "ug", "ud",
                              "uv", "c", "m", "mq", "q", "y", "e", "o", "x", "zg", "t", "tg", "s"})


@functools.cache
def dictionary_tags() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """(places, proper names, words that are no part of a noun phrase) by the part-of-speech tags of jieba's
    dictionary, read once (answer.warm, with the snapshot): three sets of about 20 MB, not jieba.posseg's whole tag
    table (about 100 MB)."""
    import jieba

    places, proper, stop = set(), set(), set()
    with open(Path(jieba.__file__).with_name("dict.txt"), encoding="utf-8") as f:
        for line in f:  # "无锡市 102 ns"
            word, _, tag = line.split(" ", 2)
            tag = tag.strip()
            if tag in PROPER_TAGS:
                proper.add(word)
                if tag == "ns":
                    places.add(word)
            elif tag in NOT_NOMINAL_TAGS:
                stop.add(word)
    return frozenset(places), frozenset(proper), frozenset(stop)


def proper_name(text: str) -> bool:
    """Is `text` one proper name by its part-of-speech tag in jieba's dictionary (万州, 张家港; not 反过来)?"""
    return text in dictionary_tags()[1]


class Tokenizer:
    """jieba with the user dictionary; search-mode cuts so compounds also match their parts."""

    def __init__(self, userdict: Path | None = None) -> None:
        self._userdict = userdict
        self._names: tuple[str, ...] = ()  # people the indexed documents name (see names.py)
        self._jieba = None
        self._lock = threading.Lock()

    @property
    def names(self) -> tuple[str, ...]:
        return self._names

    def set_names(self, names: Iterable[str]) -> bool:
        """Keep these names whole from now on (the previous set is replaced); True when the set changed."""
        names = tuple(sorted(set(names)))
        with self._lock:
            if names == self._names:
                return False
            self._names, self._jieba = names, None  # rebuilt on the next cut: jieba cannot forget a word
        return True

    def _load(self):
        with self._lock:
            if self._jieba is None:
                import logging

                import jieba

                jieba.setLogLevel(logging.WARNING)
                tok = jieba.Tokenizer()
                tok.initialize()
                if self._userdict and self._userdict.is_file():
                    tok.load_userdict(str(self._userdict))
                for name in self._names:
                    if not tok.FREQ.get(name):  # a word already (the user dictionary's entry wins)
                        tok.add_word(name, 20, "nr")
                self._jieba = tok
        return self._jieba

    def fingerprint(self) -> str:
        """What the user dictionary and the harvested names hold (a digest; "" without either): words they add
        cut the text differently, so an index tokenized with another dictionary must be tokenized again."""
        has_dict = bool(self._userdict and self._userdict.is_file())
        if not (has_dict or self._names):
            return ""
        data = self._userdict.read_bytes() if has_dict else b""
        if self._names:
            data += b"\0names:" + "\n".join(self._names).encode("utf-8")
        import hashlib

        return hashlib.sha1(data).hexdigest()[:12]

    def dictionary(self) -> dict[str, int]:
        """jieba's word frequencies (with the user dictionary): which strings are words."""
        return self._load().FREQ

    def words(self, text: str) -> list[str]:
        """Content words of `text`: lowercased, no punctuation, no stopwords."""
        out = []
        for w in self._load().cut_for_search(text):
            w = w.strip().lower()
            if w and w not in STOPWORDS and _TOKEN.fullmatch(w):
                out.append(w)
        return out

    def phrase_words(self, text: str) -> list[tuple[str, bool]]:
        """jieba's one best segmentation of `text`, each word with whether it may be part of a noun phrase (规模以上,
        工业, 企业; not 的, 谁, 当, a verb, a place or a name)."""
        _, proper, stop = dictionary_tags()
        return [(w, bool(re.fullmatch(r"[\u4e00-\u9fff]+", w)) and w not in stop and w not in proper and w not in self._names)
                for w in self._load().cut(text)]

    def tokens(self, text: str) -> list[str]:
        """BM25 terms: jieba words plus CJK character bigrams, so a segmentation slip
        (对联/建党 for 对联建党组织) still matches on the bigrams."""
        words = self.words(text)
        grams = []
        for run in _CJK_RUN.findall(text):
            grams.extend("#" + run[i : i + 2] for i in range(len(run) - 1))
        return words + [g for g in grams if g[1:] not in _STOP_BIGRAMS]


class _AsLists(list):
    """Per-chunk id arrays that bm25s reads as lists of ints, one chunk at a time: the whole corpus
    never exists as Python ints at once (it iterates the corpus; len() and indexing stay list-like)."""

    def __iter__(self):
        return (a.tolist() for a in super().__iter__())


class LexicalIndex:
    """BM25 (bm25s) over token lists, plus document frequencies for query-coverage checks."""

    def __init__(self, ids: list[str], token_lists: Iterable[list[str] | str]) -> None:
        """`token_lists`: each chunk's tokens, as a list or as one space-joined string (how the store keeps
        them). Tokens become integer ids chunk by chunk: a thousand documents hold some 13 million tokens,
        which as Python strings in lists would take a gigabyte while the index is built."""
        import bm25s

        self.ids = ids
        self.n = len(ids)
        token_lists = list(token_lists)

        def split(toks: list[str] | str) -> list[str]:
            return (toks.split(" ") if toks else []) if isinstance(toks, str) else toks

        seen: set[str] = set()
        for toks in token_lists:  # two passes, each splitting one chunk at a time: the vocabulary ...
            seen.update(split(toks))
        vocab = {t: i for i, t in enumerate(seen)}  # any order: ids are internal to the index
        del seen
        docs = []  # ... then each chunk's ids
        for toks in token_lists:
            toks = split(toks)
            docs.append(np.fromiter(map(vocab.__getitem__, toks), np.int32, len(toks)))
        self._bm25 = bm25s.BM25()
        self.df: dict[str, int] = {}
        if ids:
            self._bm25.index((_AsLists(docs), vocab), show_progress=False)
            # Document frequencies from the index itself: each term's column holds one entry per chunk.
            df = np.diff(self._bm25.scores["indptr"])
            self.df = {t: int(df[i]) for t, i in vocab.items() if i < len(df)}

    def bigram_idf(self, gram: str) -> float:
        """idf of a CJK character bigram (indexed as '#xx' tokens)."""
        return self.idf("#" + gram)

    def has_bigram(self, gram: str) -> bool:
        """Whether any chunk uses the CJK bigram."""
        return self.df.get("#" + gram, 0) > 0

    def idf(self, token: str) -> float:
        """BM25-style idf; a token the corpus never uses gets the highest weight."""
        df = self.df.get(token, 0)
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def search(self, tokens: list[str], n: int) -> list[tuple[str, float]]:
        """Top-n (chunk id, BM25 score) with a positive score."""
        if not self.ids or not tokens:
            return []
        scores = self._bm25.get_scores(tokens)
        top = np.argpartition(-scores, n - 1)[:n] if n < len(scores) else np.arange(len(scores))
        order = top[np.argsort(-scores[top], kind="stable")]
        return [(self.ids[i], float(scores[i])) for i in order if scores[i] > 0]
