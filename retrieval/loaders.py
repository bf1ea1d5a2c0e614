"""Load .txt/.md/.html/.docx/.pdf files into cleaned Documents, with encoding detection."""

from __future__ import annotations

import contextlib
import hashlib
import io
import logging
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .clean import clean_scraped_page, guess_title, unglue_title
from .errors import IngestError, UnsupportedFileError
from .types import Document

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf"}
CLEANER_VERSION = "8"  # bump when cleaning or chunking changes so unchanged files are re-chunked
MIN_TEXT_CHARS = 20
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Meta:
    title: str = ""
    publisher: str = ""
    date: str = ""
    region: str = ""


def read_manifest(directory: Path) -> dict[str, Meta]:
    """Read knowledge/manifest.toml: title, publisher, date and region per source."""
    path = directory / "manifest.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError("manifest.toml", f"清单文件格式错误：{exc}") from exc
    out = {}
    for item in data.get("documents", []):
        if "source" not in item:
            raise IngestError("manifest.toml", "清单中每一项都需要 source 字段")
        out[item["source"]] = Meta(
            title=item.get("title", ""),
            publisher=item.get("publisher", ""),
            date=str(item.get("date", "")),
            region=item.get("region", ""),
        )
    return out


# Characters of GB2312 (6763 hanzi plus the usual symbols): nearly every character of a simplified
# Chinese text, and a small share of what a wrong decoding produces. Built on first use.
_COMMON: frozenset[str] | None = None
MIN_COMMON_SHARE = 0.85  # of the non-ASCII characters, for a decoding to count as right
MIN_MARGIN = 0.2  # ... and by this much better than any other valid decoding


def _common_chars() -> frozenset[str]:
    global _COMMON
    if _COMMON is None:
        chars = set()
        for hi in range(0xA1, 0xF8):
            for lo in range(0xA1, 0xFF):
                with contextlib.suppress(UnicodeDecodeError):
                    chars.add(bytes([hi, lo]).decode("gb2312"))
        chars.update("\u3000\u00b7\u2014\u2026\u201c\u201d\u2018\u2019\ufeff")
        chars.update(chr(c) for c in range(0xFF01, 0xFF5F))  # full-width forms
        _COMMON = frozenset(chars)
    return _COMMON


def common_share(text: str) -> float:
    """Share of the non-ASCII characters that belong to GB2312 (1.0 for ASCII-only text); control
    characters other than whitespace count against it."""
    common = _common_chars()
    total = good = 0
    for ch in text:
        if ch < "\x80":
            if ch < " " and ch not in "\n\r\t\f":
                total += 1
            continue
        total += 1
        good += ch in common
    return good / total if total else 1.0


_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
_CANDIDATES = ("utf-8", "gb18030", "utf-16-le", "utf-16-be", "big5")
_UNCLEAR = "无法确定文件编码（可能是 GBK 与 UTF-16 等编码混淆，或内容已损坏）：请另存为 UTF-8 后重试"


def decode_text(data: bytes, source: str) -> str:
    """Decode bytes as text. A BOM decides; otherwise every strictly valid decoding among UTF-8,
    GB18030, UTF-16 and Big5 is scored by its share of common Chinese characters, and only a clearly
    best one is accepted (a wrong guess would store garbage that no question ever finds)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data[len(bom) :].decode(encoding)
            except UnicodeDecodeError as exc:
                raise IngestError(source, f"文件声明为 {encoding.upper()} 编码，但内容不完整或已损坏（{exc.reason}）") from exc
    scored: list[tuple[float, str, str]] = []
    for encoding in _CANDIDATES:
        if encoding.startswith("utf-16") and len(data) % 2:
            continue
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        scored.append((common_share(text), encoding, text))
    if not scored:
        if b"\x00" in data[:8192]:
            raise IngestError(source, "文件看起来是二进制文件，不是文本，请检查文件类型")
        return _decode_other(data, source)
    scored.sort(key=lambda t: (-t[0], _CANDIDATES.index(t[1])))
    best, encoding, text = scored[0]
    runner_up = next((s for s, _, t in scored[1:] if t != text), 0.0)
    if best >= MIN_COMMON_SHARE and best - runner_up >= MIN_MARGIN:
        return text
    if encoding == "utf-8" and best == runner_up == 1.0:
        return text  # pure ASCII: every decoding agrees
    if b"\x00" in data[:8192] and best < MIN_COMMON_SHARE:
        raise IngestError(source, "文件看起来是二进制文件，不是文本，请检查文件类型")
    if best < 0.5:
        return _decode_other(data, source)
    if encoding == "utf-8" and best >= MIN_COMMON_SHARE:
        return text  # valid UTF-8 with Chinese in it is never an accident
    raise IngestError(source, _UNCLEAR)


def _decode_other(data: bytes, source: str) -> str:
    """Texts in no Chinese encoding (Latin-1 and friends): charset_normalizer, without CJK guesses."""
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    encoding = (best.encoding if best else "").lower().replace("_", "-")
    if not best or encoding.startswith(("gb", "utf-16", "utf-32", "big5", "hz", "cp936", "cp950")):
        raise IngestError(source, _UNCLEAR)
    text = data.decode(best.encoding, errors="replace")
    if sum(ch >= "\x80" for ch in text) > len(text) * 0.3:  # no Latin text is mostly accented letters
        raise IngestError(source, _UNCLEAR)
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(2, len(text) // 100):
        raise IngestError(source, "文件看起来是二进制文件，不是文本，请检查文件类型")
    return text


def _html_text(raw: str, source: str) -> tuple[str, Meta]:
    import trafilatura

    text = trafilatura.extract(
        raw, include_comments=False, include_tables=True, favor_recall=True, deduplicate=True
    )
    meta = trafilatura.extract_metadata(raw)
    if not text:
        from lxml import html as lxml_html

        try:
            text = lxml_html.fromstring(raw).text_content()
        except Exception as exc:  # lxml raises several types for broken markup
            raise IngestError(source, "无法解析HTML内容") from exc
    m = Meta(
        title=(meta.title or "") if meta else "",
        publisher=(meta.sitename or "") if meta else "",
        date=(meta.date or "") if meta else "",
    )
    return text, m


# An Office file is a zip; python-docx and openpyxl inflate its parts in memory. A crafted archive of
# about a megabyte can declare gigabytes, so sizes and ratios are checked before any parser runs
# (zipfile never inflates a member beyond its declared size, so the declaration is the bound).
MAX_UNZIPPED_BYTES = 100 * 1024 * 1024
MAX_MEMBER_RATIO = 200  # deflate reaches ~1000x only on crafted repetition; real XML parts stay < 100x
MAX_MEMBERS = 5000


def check_archive(data: bytes, source: str, kind: str = "Word文档（文件损坏或不是.docx格式）") -> None:
    """Reject zip bombs (declared size, compression ratio, member count) before parsing docx/xlsx."""
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise IngestError(source, f"无法读取{kind}") from exc
    if len(infos) > MAX_MEMBERS:
        raise IngestError(source, f"文档内部文件过多（{len(infos)} 个），疑似恶意构造的压缩包，已拒绝")
    total = sum(i.file_size for i in infos)
    if total > MAX_UNZIPPED_BYTES:
        raise IngestError(source, f"文档解压后过大（{total // 1024 // 1024} MB，上限 {MAX_UNZIPPED_BYTES // 1024 // 1024} MB），疑似压缩炸弹，已拒绝")
    for i in infos:
        if i.file_size > 1024 * 1024 and i.file_size > MAX_MEMBER_RATIO * max(i.compress_size, 1):
            raise IngestError(source, f"文档内部压缩比异常（{i.filename}），疑似压缩炸弹，已拒绝")


# Author names and dates that office tools and templates stamp into every file they make: they say
# nothing about who issued a document or when.
GENERIC_AUTHORS = {
    "python-docx", "administrator", "admin", "user", "users", "author", "unknown", "owner", "default",
    "microsoft", "microsoft office user", "microsoft office 用户", "windows user", "windows 用户", "用户",
    "作者", "微软用户", "微软中国", "lenovo", "dell", "hp", "acer", "asus", "mc system", "sky123.org",
    "deepin", "yl", "pc", "china", "walkinnet", "雨林木风", "番茄花园", "系统之家", "深度之家", "wps",
    "kingsoft", "apache poi", "openpyxl", "libreoffice", "docx4j", "aspose",
}
TEMPLATE_DATES = {"2013-12-23"}  # python-docx's default template


def generic_author(name: str) -> bool:
    n = re.sub(r"\s+", " ", (name or "").strip()).lower()
    return not n or n in GENERIC_AUTHORS or bool(re.fullmatch(r"(user|admin|pc|lenovo|dell|hp)[-_ ]?\w{0,12}", n))


def _docx_text(data: bytes, source: str) -> tuple[str, Meta]:
    import docx

    check_archive(data, source)
    try:
        d = docx.Document(io.BytesIO(data))
    except Exception as exc:  # PackageNotFoundError, BadZipFile, KeyError, lxml errors...
        raise IngestError(source, "无法读取Word文档（文件损坏或不是.docx格式）") from exc
    lines = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            lines.append(" ".join(c.text.strip() for c in row.cells if c.text.strip()))
    props = d.core_properties
    date = props.created.strftime("%Y-%m-%d") if props.created else ""
    if date in TEMPLATE_DATES:
        date = ""
    author = "" if generic_author(props.author or "") else (props.author or "").strip()
    return "\n".join(lines), Meta(title=(props.title or "").strip(), publisher=author, date=date)


_END = re.compile(r"[。！？；：!?;:”」』）)]$")


def _pdf_text(data: bytes, source: str) -> tuple[str, Meta]:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise IngestError(source, "PDF已加密，无法读取，请提供未加密的文件")
        pages = [page.extract_text() or "" for page in reader.pages]
    except IngestError:
        raise
    except (PdfReadError, ValueError, KeyError, OSError) as exc:
        raise IngestError(source, "无法读取PDF（文件损坏或不是PDF）") from exc
    try:
        meta = reader.metadata
        title = str(meta.title or "") if meta else ""
    except Exception:  # a broken /Info dictionary only costs the title
        title = ""
    # PDF lines wrap mid-sentence; re-join a line with the next unless it ends a sentence.
    out: list[str] = []
    for line in "\n".join(pages).split("\n"):
        line = line.strip()
        if not line:
            continue
        if out and not _END.search(out[-1]) and not re.match(r"^[一二三四五六七八九十]+、|^第.{1,4}[章条]", line):
            out[-1] += line
        else:
            out.append(line)
    return "\n".join(out), Meta(title=title)


def _md_text(raw: str) -> str:
    raw = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", raw)  # images
    raw = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", raw)  # links keep their text
    raw = re.sub(r"(\*\*|__|`)", "", raw)
    return raw


def load_bytes(data: bytes, source: str, manifest: dict[str, Meta] | None = None, origin: str = "") -> Document:
    """Turn one file's bytes into a cleaned Document, or raise IngestError naming the file."""
    try:
        return _load_bytes(data, source, manifest, origin)
    except IngestError:
        raise
    except Exception as exc:  # any parser's own failure is this file's error, never the batch's
        log.warning("parser failed on %s", source, exc_info=True)
        raise IngestError(source, f"无法解析文件（{type(exc).__name__}），请检查文件是否损坏") from exc


def _load_bytes(data: bytes, source: str, manifest: dict[str, Meta] | None, origin: str) -> Document:
    suffix = Path(source).suffix.lower()
    if suffix not in SUPPORTED:
        raise UnsupportedFileError(source, f"不支持的文件类型“{suffix or '无扩展名'}”，支持：txt、md、html、docx、pdf")
    if not data or not data.strip():
        raise IngestError(source, "文件为空")
    if suffix == ".docx":
        if not data.startswith(b"PK"):
            raise IngestError(source, "文件内容不是Word(.docx)格式")
        raw, meta = _docx_text(data, source)
    elif suffix == ".pdf":
        if not data.lstrip()[:5] == b"%PDF-":
            raise IngestError(source, "文件内容不是PDF格式")
        raw, meta = _pdf_text(data, source)
    else:
        raw = decode_text(data, source)
        meta = Meta()
        if suffix in {".html", ".htm"}:
            raw, meta = _html_text(raw, source)
        elif suffix in {".md", ".markdown"}:
            raw = _md_text(raw)
    cleaned = clean_scraped_page(raw, zones=suffix in {".txt", ".html", ".htm"})
    if len(cleaned.text) < MIN_TEXT_CHARS:
        raise IngestError(source, "没有提取到正文内容（文件为空、只有图片或是扫描件）")
    given = (manifest or {}).get(source, Meta())
    title = given.title or meta.title or guess_title(cleaned, Path(source).stem)
    # The manifest first, then the text itself; file properties (docx/pdf) only as a last resort,
    # since tools stamp them with whoever installed Office. A page's own metadata (html) is authored.
    if suffix in {".html", ".htm"}:
        publisher = given.publisher or meta.publisher or cleaned.publisher
        date = given.date or meta.date or cleaned.date
    else:
        publisher = given.publisher or cleaned.publisher or meta.publisher
        date = given.date or cleaned.date or meta.date
    # The hash covers the bytes, the manifest entry and the cleaner version: any change re-chunks.
    stamp = "\x1f".join([CLEANER_VERSION, given.title, given.publisher, given.date, given.region])
    content_hash = hashlib.sha1(stamp.encode() + data).hexdigest()
    return Document(
        source=source,
        title=title.strip(),
        # a title given (manifest, page metadata), not one guessed from the text's own first line
        text=unglue_title(cleaned.text, given.title or meta.title) if given.title or meta.title else cleaned.text,
        publisher=publisher,
        date=date,
        region=given.region,
        content_hash=content_hash,
        origin=origin,
    )


def discover(paths: list[Path]) -> list[tuple[Path, str, Path]]:
    """Expand files and directories into (file, source id, root) triples; sources are root-relative."""
    found: list[tuple[Path, str, Path]] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                rel = f.relative_to(p)
                if f.is_file() and not any(part.startswith(".") for part in rel.parts):
                    if f.name in {"manifest.toml", "userdict.txt", "README.md"} and f.parent == p:
                        continue
                    found.append((f, rel.as_posix(), p))
        elif p.is_file():
            found.append((p, p.name, p.parent))
        else:
            raise IngestError(str(p), "文件或目录不存在")
    return found
