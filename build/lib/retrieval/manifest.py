"""Writing document metadata back to knowledge/manifest.toml, keeping its comments and order."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from .errors import InvalidInputError

FIELDS = ("title", "publisher", "date", "region")
DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def check_meta(meta: dict[str, str]) -> dict[str, str]:
    """Trimmed metadata; a date must be YYYY, YYYY-MM or YYYY-MM-DD (or empty)."""
    out = {k: " ".join(str(v).split()) for k, v in meta.items() if k in FIELDS and v is not None}
    if out.get("date") and not DATE.match(out["date"]):
        raise InvalidInputError(f"日期格式应为 YYYY、YYYY-MM 或 YYYY-MM-DD，实际为“{out['date']}”")
    for k, v in out.items():
        if len(v) > 200:
            raise InvalidInputError(f"{k} 太长（上限 200 字）")
    return out


def update_manifest(directory: Path, source: str, meta: dict[str, str]) -> None:
    """Set the given fields of `source`'s entry (adding the entry if missing); atomic write."""
    import tomlkit

    path = directory / "manifest.toml"
    doc = tomlkit.parse(path.read_text("utf-8")) if path.is_file() else tomlkit.document()
    if "documents" not in doc:
        doc["documents"] = tomlkit.aot()
    entry = next((d for d in doc["documents"] if d.get("source") == source), None)
    if entry is None:
        entry = tomlkit.table()
        entry["source"] = source
        doc["documents"].append(entry)
    for k, v in check_meta(meta).items():
        entry[k] = v
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".manifest.", suffix=".toml")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(tomlkit.dumps(doc))
    os.replace(tmp, path)
