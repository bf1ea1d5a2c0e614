"""IME homophone slips (当建 -> 党建, 新正 -> 新郑), fixed against the knowledge base's own bigrams."""

from __future__ import annotations

import functools
import re

# Characters so common that their bigrams say little: replaced only when both neighbours agree.
FUNCTION_CHARS = set("的了和与及或是在有不也就都而并为对把被将从向由这那个些么吗呢吧啊哪几什怎样如何多少里上下中把给让使得地着过会能要可以"
                     "时兼缺")  # "典型时都…" (when), "工会主席兼党组织负责人", "正缺懂行的": words of speech, not slips


def cjk_bigram_counts(texts: list[str]) -> dict[str, int]:
    """How often each pair of adjacent CJK characters occurs in `texts`. Counted with numpy over code
    points: a thousand documents are six million characters, a few seconds as Python bigram strings."""
    import numpy as np

    joined = "\n".join(texts)
    points = np.frombuffer(joined.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)
    if len(points) < 2:
        return {}
    cjk = (points >= 0x4E00) & (points <= 0x9FFF)
    both = cjk[:-1] & cjk[1:]
    pairs = (points[:-1][both] << np.uint64(32)) | points[1:][both]
    codes, counts = np.unique(pairs, return_counts=True)
    return {chr(int(c >> 32)) + chr(int(c & 0xFFFFFFFF)): int(n) for c, n in zip(codes, counts, strict=True)}


NUMERAL_CHARS = set("一二三四五六七八九十百千万两零")
# Characters that are words of speech after these, never slips: "自己当…", "让他当…" (当 serves as, no 党);
# "全是", "都是", "就是" (the copula, no 全市).
SPEECH_AFTER = {"当": set("己来去要能想谁都也还再让请选被兼可得就才"), "是": set("全都就还也可倒正真总老要不才便")}
NEGATIONS = set("没不无未别非莫勿")
COMPLEMENTS = set("得着")  # particles after a verb or adjective ("闲得慌", "闲着")


COMMON_WORD = 50  # jieba frequency below which a word is too rare to be what a slip was meant to type
COMMON_TERM = 1000  # a word this common (考核) may be meant though the materials use it once


class SlipFixer:
    """Fixes IME homophone slips (当建 -> 党建, 联和 -> 联合). A character is replaced only when it fits
    nowhere: neither bigram it forms with its neighbours occurs in the knowledge base, while the
    replacement (same common pinyin reading) forms frequent bigrams with the same neighbours."""

    def __init__(self, corpus: list[str], vocabulary: list[str] = (), word_freq=None, corpus_words=None) -> None:

        self.word_freq = word_freq or (lambda w: 1)
        # Toneless pinyin -> the knowledge base's most used word that reads so (rudang -> 入党), for pinyin typed in
        # Latin letters; built here, with the snapshot, not on a user's first such question.
        self.by_pinyin = self._pinyin_words(corpus_words or {})
        self.corpus_words = corpus_words or {}  # word -> passages using it (the index's own words)
        self.counts = cjk_bigram_counts([*corpus, *vocabulary])
        self.text = "\n".join([*corpus, *vocabulary])
        counts = self.counts
        self.by_sound: dict[str, set[str]] = {}
        self.rare_by_sound: dict[str, set[str]] = {}  # characters of bigrams said once: only to make a word whole
        for gram, n in counts.items():
            for ch in gram:
                (self.by_sound if n >= 2 else self.rare_by_sound).setdefault(self._reading(ch), set()).add(ch)

    @staticmethod
    @functools.cache
    def _reading(ch: str) -> str:
        from pypinyin import Style, lazy_pinyin

        return lazy_pinyin(ch, style=Style.NORMAL)[0]

    def _known(self, gram: str, at_least: int = 1) -> bool:
        return self.counts.get(gram, 0) >= at_least

    def fix(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """The corrected text and the (wrong, right) characters that were replaced."""
        chars = list(text)
        cjk = [bool(re.fullmatch(r"[\u4e00-\u9fff]", ch)) for ch in chars]
        fixes: list[tuple[str, str]] = []
        for i, ch in enumerate(chars):
            if not cjk[i] or ch in NUMERAL_CHARS or ch in NEGATIONS:  # "三会一课": a numeral is meant, never a slip;
                continue  # "没个帮手" is no slip for 每个: a negation carries the meaning
            if i > 0 and chars[i - 1] in SPEECH_AFTER.get(ch, ()):
                continue  # "老板自己当支部书记", "里头全是个体户"
            if ch == "第" and i + 1 < len(chars) and (chars[i + 1].isdigit() or chars[i + 1] in NUMERAL_CHARS):
                continue  # "第5号文": an ordinal, no slip for 年底
            left = chars[i - 1] if i > 0 and cjk[i - 1] else ""
            right = chars[i + 1] if i + 1 < len(chars) and cjk[i + 1] else ""
            if not left and not right:
                continue
            if right in COMPLEMENTS and self.word_freq(ch) >= COMMON_TERM:
                continue  # "闲得慌", "忙着": a word of its own with its complement, no slip for 显得
            old = [self.counts.get(g, 0) for g in (left + ch if left else "", ch + right if right else "") if g]
            function_char = ch in FUNCTION_CHARS
            if not function_char and any(old):
                continue  # the character fits where it stands
            # How much of a word the character makes where it stands (指令 is one, just not in the documents).
            as_is = max((self.word_freq(g) for g in (left + ch if left else "", ch + right if right else "") if g),
                        default=0)
            best, best_n = "", 0
            reading = self._reading(ch)
            for cand in self.by_sound.get(reading, set()) | self.rare_by_sound.get(reading, set()):
                if cand == ch or cand in FUNCTION_CHARS and not function_char:
                    continue  # "隔一阵子" is no slip for "个一阵子": a content character never becomes a particle
                new = [self.counts.get(g, 0) for g in (left + cand if left else "", cand + right if right else "") if g]
                if function_char and (len(new) < 2 or min(new) < 2 or sum(new) < 3 * sum(old) + 3):
                    continue  # a common character is replaced only on strong evidence from both neighbours
                made = [g for g in (left + cand if left else "", cand + right if right else "") if g]
                # A three-character word the materials use, made whole ("宣传侧" -> 宣传册): the bigram 传册 is no word.
                whole = [g for g in (chars[i - 2] + left + cand if left and i >= 2 and cjk[i - 2] else "",
                                     cand + right + chars[i + 2] if right and i + 2 < len(chars) and cjk[i + 2] else "")
                         if g and not function_char and self.corpus_words.get(g)]
                if cand not in self.by_sound.get(reading, ()) and not whole:
                    continue
                if not function_char and max(new) < 2 and not whole and not (max(new) == 1 and max(
                        self.word_freq(g) for g, n in zip(made, new, strict=True) if n) >= COMMON_TERM):
                    continue  # once in the materials is enough for a common word ("年底考合" -> 考核, said once)
                if not whole and max(self.word_freq(g) for g in made) <= max(20 * as_is, COMMON_WORD):
                    continue  # the replacement must make a real, much likelier word (党建, 联合; not 省下 -> 生下)
                if sum(new) > best_n:
                    best, best_n = cand, sum(new)
            if best and right and self.word_freq(best + right) >= COMMON_WORD and self._breaks_word(chars, i, best):
                best = ""
            if best and left and self.word_freq(left + best) >= COMMON_WORD and self._breaks_word(chars, i, best, before=True):
                best = ""
            if best:
                fixes.append((ch, best))
                chars[i] = best
        return "".join(chars), tuple(fixes)

    def _breaks_word(self, chars: list[str], i: int, cand: str, before: bool = False) -> bool:
        """Would `cand` at i take the first character of the word after it ("亲自当组长" -> 党组 + 长), or with `before`
        the last character of the word before it ("主任去了一趟" -> 任区, of 担任区域)? Only if the knowledge base
        never has them together: "当建工作" -> 党建工 (党建工作) is its phrase, 党组长 is none. Asked only when `cand`
        and that neighbour make a word (党组); 党支布 -> 部 makes none with 怎."""
        near = "".join(chars[max(0, i - 4) : i]) if before else "".join(chars[i + 1 : i + 5])
        pieces = (near[-n:] if before else near[:n] for n in range(len(near), 1, -1))
        word = next((w for w in pieces if re.fullmatch(r"[\u4e00-\u9fff]+", w) and self.word_freq(w) >= COMMON_WORD), "")
        return bool(word) and (near[-2:] + cand if before else cand + near[:2]) not in self.text

    def _pinyin_words(self, corpus_words: dict[str, int]) -> dict[str, str]:
        """For each toneless reading, the word (of `corpus_words`: word -> passages using it) used most."""
        best: dict[str, tuple[int, str]] = {}
        for w, n in corpus_words.items():
            if 2 <= len(w) <= 4 and re.fullmatch(r"[\u4e00-\u9fff]+", w):
                key = "".join(self._reading(ch) for ch in w)
                if n > best.get(key, (0, ""))[0]:
                    best[key] = (n, w)
        return {k: w for k, (_, w) in best.items()}

    def romanized(self, text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
        """Pinyin typed in Latin letters with the IME off ("suzhou工会推荐了多少ru dang积极分子") -> the knowledge
        base's words that read so (苏州, 入党). A run of lower-case letters is replaced only when the whole of it
        reads as words the materials use; acronyms (QQ, N) and other Latin words stay as written."""
        if not self.by_pinyin or not re.search(r"[a-z]{4}", text):
            return text, ()
        table = self.by_pinyin
        fixes: list[tuple[str, str]] = []

        def segment(letters: str) -> list[str] | None:
            # Fewest words covering all the letters (dynamic programming over prefixes).
            best: list[list[str] | None] = [[]] + [None] * len(letters)
            for end in range(1, len(letters) + 1):
                for start in range(max(0, end - 24), end):
                    word = table.get(letters[start:end])
                    if word and best[start] is not None and (best[end] is None or len(best[start]) + 1 < len(best[end])):
                        best[end] = [*best[start], word]
            return best[-1]

        def replace(m: re.Match) -> str:
            run = m.group(0)
            letters = re.sub(r"[\s']", "", run)
            words = segment(letters) if len(letters) >= 4 else None
            if not words:
                return run
            fixes.append((run.strip(), "".join(words)))
            return "".join(words)

        text = re.sub(r"(?<![A-Za-z])[a-z]+(?:[\s'][a-z]+)*(?![A-Za-z])", replace, text)
        return text, tuple(fixes)

    def sound_alike_places(self, text: str, places: frozenset[str]) -> list[tuple[str, str]]:
        """Words of `text` that read as one of the knowledge base's `places` and that the materials never use
        ("新正那边" for 新郑, typed without 市): (as typed, the place)."""
        out = []
        # A place already named covers its characters: "听讲苏州" holds no 江苏 (讲苏 reads jiangsu).
        taken = {i for p in places for m in re.finditer(re.escape(p), text) for i in range(m.start(), m.end())} if places else set()
        for place in places:
            n = len(place)
            if n < 2 or place in text or not re.fullmatch(r"[\u4e00-\u9fff]+", place):
                continue
            sound = [self._reading(ch) for ch in place]
            for i in range(len(text) - n + 1):
                typed = text[i : i + n]
                if re.fullmatch(r"[\u4e00-\u9fff]+", typed) and not taken & set(range(i, i + n)) \
                        and [self._reading(ch) for ch in typed] == sound and typed not in self.text:
                    out.append((typed, place))
        return out

    def fix_name(self, name: str) -> str:
        """A name the knowledge base never uses, with one character swapped for a homophone so that
        every bigram is known (新正 -> 新郑); the name itself when no such spelling exists."""
        grams = [name[i : i + 2] for i in range(len(name) - 1)]
        if all(self._known(g) for g in grams):
            return name
        for i, ch in enumerate(name):
            for cand in self.by_sound.get(self._reading(ch), ()):
                new = name[:i] + cand + name[i + 1 :]
                if all(self._known(new[j : j + 2], 2) for j in range(len(new) - 1)):
                    return new
        return name
