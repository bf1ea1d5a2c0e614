"""Load .txt/.md/.html/.docx/.pdf files into cleaned Documents, with encoding detection."""

from __future__ import annotations

import hashlib
import io
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from .clean import clean_scraped_page, guess_title
from .errors import IngestError, UnsupportedFileError
from .types import Document

SUPPORTED = {".txt", ".md", ".markdown", ".html", ".htm", ".docx", ".pdf"}
CLEANER_VERSION = "5"  # bump when cleaning or chunking changes so unchanged files are re-chunked
MIN_TEXT_CHARS = 20


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


def decode_text(data: bytes, source: str) -> str:
    """Decode bytes as text: UTF-8 first, then detected (GB18030 for the GB family); reject binary."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if b"\x00" in data[:8192]:
        raise IngestError(source, "文件看起来是二进制文件，不是文本，请检查文件类型")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(source, "无法识别文件编码，请另存为 UTF-8 后重试")
    encoding = best.encoding.lower()
    if encoding in {"gb2312", "gbk", "gb18030", "hz", "cp936"} or encoding.startswith("gb"):
        encoding = "gb18030"  # superset: decodes every GB2312/GBK byte sequence
    text = data.decode(encoding, errors="replace")
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


def _docx_text(data: bytes, source: str) -> tuple[str, Meta]:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        d = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise IngestError(source, "无法读取Word文档（文件损坏或不是.docx格式）") from exc
    except Exception as exc:  # zipfile.BadZipFile and friends
        raise IngestError(source, "无法读取Word文档（文件损坏或不是.docx格式）") from exc
    lines = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            lines.append(" ".join(c.text.strip() for c in row.cells if c.text.strip()))
    props = d.core_properties
    date = props.created.strftime("%Y-%m-%d") if props.created else ""
    return "\n".join(lines), Meta(title=props.title or "", publisher=props.author or "", date=date)


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
    meta = reader.metadata
    title = (meta.title or "") if meta else ""
    return "\n".join(out), Meta(title=title)


def _md_text(raw: str) -> str:
    raw = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", raw)  # images
    raw = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", raw)  # links keep their text
    raw = re.sub(r"(\*\*|__|`)", "", raw)
    return raw


def load_bytes(data: bytes, source: str, manifest: dict[str, Meta] | None = None, origin: str = "") -> Document:
    """Turn one file's bytes into a cleaned Document, or raise IngestError naming the file."""
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
    # The hash covers the bytes, the manifest entry and the cleaner version: any change re-chunks.
    stamp = "\x1f".join([CLEANER_VERSION, given.title, given.publisher, given.date, given.region])
    content_hash = hashlib.sha1(stamp.encode() + data).hexdigest()
    return Document(
        source=source,
        title=title.strip(),
        text=cleaned.text,
        publisher=given.publisher or meta.publisher or cleaned.publisher,
        date=given.date or meta.date or cleaned.date,
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
