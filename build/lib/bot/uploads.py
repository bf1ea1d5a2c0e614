"""Uploads that are never lost and never pollute knowledge/.

An accepted upload is first written to a staging folder with a journal entry, then checked by the
real loader: files that load move into knowledge/ and are ingested; files that do not go to a
quarantine folder (listed and deletable over the API) with their reason. The journal lets a job cut
short by a crash or restart resume at start-up.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import time
import uuid
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends

from retrieval.errors import IngestError
from retrieval.loaders import load_bytes, read_manifest
from retrieval.settings import Settings

from .deps import Admin, ApiError, Ctx, get_settings

log = logging.getLogger("djbot.uploads")
MAX_NAME = 120
MAX_NAME_BYTES = 200
# Files with a role in knowledge/ itself: an upload by these names would replace them.
RESERVED = {"userdict.txt", "manifest.toml", "readme.md"}


def safe_filename(name: str) -> str:
    """Keep the base name, letters (CJK included), digits and ._-; never a path. At most 120
    characters and 200 UTF-8 bytes (filesystems allow 255 bytes, and 中文 takes 3 each), with the
    extension kept: a long name is shortened in its stem."""
    base = Path(name.replace("\\", "/")).name
    base = re.sub(r"[^\w.\-\u3400-\u9fff（）()]", "_", base).lstrip(".")
    stem, dot, ext = base.rpartition(".")
    if not dot or not stem or len(ext) > 10:
        stem, ext = base, ""
    tail = "." + ext if ext else ""
    while stem and (len(stem + tail) > MAX_NAME or len((stem + tail).encode()) > MAX_NAME_BYTES):
        stem = stem[:-1]
    return stem + tail if stem else ""


def reserved(name: str) -> bool:
    return name.lower() in RESERVED


def _dirs(settings: Settings) -> tuple[Path, Path, Path]:
    root = settings.data_dir / "uploads"
    return root / "staging", root / "quarantine", root / "journal"


class Staging:
    """One upload's staging folder: files are written as they arrive, the journal entry on commit."""

    def __init__(self, settings: Settings) -> None:
        staging, _, self.journal = _dirs(settings)
        self.id = uuid.uuid4().hex
        self.folder = staging / self.id
        self.names: list[str] = []

    def add(self, name: str, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.folder / f".{name}.part"
        tmp.write_bytes(data)
        os.replace(tmp, self.folder / name)
        if name not in self.names:
            self.names.append(name)

    def commit(self) -> dict | None:
        """Journal the job (it exists from this moment, crash or not); None when nothing was staged."""
        if not self.names:
            shutil.rmtree(self.folder, ignore_errors=True)
            return None
        entry = {"id": self.id, "files": self.names, "created_at": time.time()}
        self.journal.mkdir(parents=True, exist_ok=True)
        tmp = self.journal / f".{self.id}.part"
        tmp.write_text(json.dumps(entry, ensure_ascii=False), "utf-8")
        os.replace(tmp, self.journal / f"{self.id}.json")
        return entry


def run_job(ctx, entry: dict, progress=None) -> dict:
    """Check each staged file with the loader, move good ones into knowledge/, quarantine the rest,
    ingest the good ones, then close the journal entry."""
    s = ctx.settings
    staging, quarantine, journal = _dirs(s)
    folder = staging / entry["id"]
    s.knowledge_dir.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(s.knowledge_dir)
    moved: list[Path] = []
    rejected: list[dict] = []
    for name in entry["files"]:
        src = folder / name
        dest = s.knowledge_dir / name
        if not src.exists():
            if dest.exists():  # moved before an interruption: still to be ingested
                moved.append(dest)
            continue
        try:
            load_bytes(src.read_bytes(), name, manifest)
        except IngestError as exc:
            quarantine.mkdir(parents=True, exist_ok=True)
            os.replace(src, quarantine / name)
            (quarantine / f"{name}.reason.json").write_text(
                json.dumps({"file": name, "message": exc.reason, "at": time.time()}, ensure_ascii=False), "utf-8")
            rejected.append({"file": name, "message": exc.reason})
            continue
        os.replace(src, dest)  # same filesystem in the usual layout; shutil.move below otherwise
        moved.append(dest)
    report = ctx.kb.ingest(moved, sync=False, on_progress=progress).to_dict() if moved else {}
    report["quarantined"] = rejected
    shutil.rmtree(folder, ignore_errors=True)
    (journal / f"{entry['id']}.json").unlink(missing_ok=True)
    return report


def pending(settings: Settings) -> list[dict]:
    """Journaled jobs that have not finished (the service stopped while they ran)."""
    _, _, journal = _dirs(settings)
    out = []
    for path in sorted(journal.glob("*.json")) if journal.is_dir() else []:
        try:
            out.append(json.loads(path.read_text("utf-8")))
        except (OSError, ValueError):
            log.warning("unreadable upload journal entry %s", path.name)
    return out


def resume(app) -> list[str]:
    """Restart every journaled upload job; called once at start-up."""
    ctx = app.state.ctx
    ids = []
    for entry in pending(ctx.settings):
        log.info("resuming upload job %s (%d files)", entry["id"], len(entry["files"]))
        app.state.jobs.start("ingest", lambda progress, e=entry: run_job(ctx, e, progress), job_id=entry["id"])
        ids.append(entry["id"])
    return ids


def quarantined(settings: Settings) -> list[dict]:
    """Rejected uploads with their reasons, newest first."""
    _, quarantine, _ = _dirs(settings)
    rows = []
    for path in quarantine.iterdir() if quarantine.is_dir() else []:
        if path.name.endswith(".reason.json") or not path.is_file():
            continue
        reason = quarantine / f"{path.name}.reason.json"
        info = json.loads(reason.read_text("utf-8")) if reason.exists() else {}
        rows.append({"file": path.name, "message": info.get("message", ""), "at": info.get("at", path.stat().st_mtime),
                     "bytes": path.stat().st_size})
    return sorted(rows, key=lambda r: -r["at"])


router = APIRouter(tags=["知识库"])


@router.get("/v1/quarantine", summary="被拒收的上传文件（隔离区）及原因")
def list_quarantine(who: Admin, s: Annotated[Settings, Depends(get_settings)]):
    return {"files": quarantined(s)}


@router.delete("/v1/quarantine/{name}", summary="删除隔离区中的文件")
def delete_quarantined(name: str, who: Admin, c: Ctx):
    _, quarantine, _ = _dirs(c.settings)
    path = (quarantine / name).resolve()
    if name != safe_filename(name) or path.parent != quarantine.resolve() or not path.is_file():
        raise ApiError(404, "not_found", f"隔离区中没有文件“{name}”")
    path.unlink()
    (quarantine / f"{name}.reason.json").unlink(missing_ok=True)
    return {"deleted": name}
