"""The knowledge base: list, upload (incremental ingest), delete, reindex, job progress."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from .. import uploads
from ..deps import Admin, ApiError, Ctx
from ..uploads import safe_filename

router = APIRouter(tags=["知识库"])
ALLOWED = {".txt", ".md", ".html", ".htm", ".docx", ".pdf"}


def sniff(data: bytes, suffix: str) -> str | None:
    """Check the content matches the extension; returns an error message or None."""
    if suffix == ".pdf":
        return None if data.lstrip()[:5] == b"%PDF-" else "内容不是PDF"
    if suffix == ".docx":
        import io
        import zipfile

        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                return None if "word/document.xml" in z.namelist() else "内容不是Word文档"
        except zipfile.BadZipFile:
            return "内容不是Word文档"
    head = data[:4096]
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "内容是二进制数据，不是文本"
    if head.startswith((b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"MZ", b"\x7fELF")):
        return "内容是二进制文件，不是文本"
    return None


@router.get("/v1/documents", summary="文档列表")
def documents(c: Ctx, who: Admin):
    return {"documents": c.kb.store.document_rows()}


@router.post("/v1/documents", summary="上传文档（增量入库）", status_code=202)
async def upload(request: Request, c: Ctx, who: Admin,
                 files: Annotated[list[UploadFile], File(description="txt/md/html/docx/pdf")]):
    accepted, rejected = [], []
    staging = uploads.Staging(c.settings)
    for f in files[:50]:
        name = safe_filename(f.filename or "")
        suffix = Path(name).suffix.lower()
        if uploads.reserved(name):
            rejected.append({"file": name, "message": f"“{name}”是知识库的保留文件名（词典、清单），请改名后上传"})
            continue
        if not name or suffix not in ALLOWED:
            rejected.append({"file": f.filename, "message": "不支持的文件类型：仅支持 txt、md、html、docx、pdf"})
            continue
        data = await f.read(c.settings.max_file_bytes + 1)
        if len(data) > c.settings.max_file_bytes:
            rejected.append({"file": name, "message": f"文件过大，上限为 {c.settings.max_file_bytes // 1024 // 1024} MB"})
            continue
        if not data.strip():
            rejected.append({"file": name, "message": "文件为空"})
            continue
        problem = sniff(data, suffix)
        if problem:
            rejected.append({"file": name, "message": f"文件内容与扩展名不符：{problem}"})
            continue
        staging.add(name, data)
        accepted = [n for n in accepted if n != name] + [name]
    job = None
    # Staged and journaled first: the loader decides what enters knowledge/ (the rest is quarantined),
    # and a restart resumes the job instead of losing it.
    entry = staging.commit()
    if entry:
        job = request.app.state.jobs.start(
            "ingest", lambda progress: uploads.run_job(c, entry, progress), job_id=entry["id"])
    status = 202 if entry else 422
    return JSONResponse({"accepted": accepted, "rejected": rejected, "job": job and job["id"]},
                        status_code=status)


@router.delete("/v1/documents/{source:path}", summary="删除文档（两个索引都删除）")
def delete_document(source: str, c: Ctx, who: Admin):
    path = (c.settings.knowledge_dir / source).resolve()
    try:
        on_disk = path.is_file() and c.settings.knowledge_dir.resolve() in path.parents
    except (OSError, ValueError):  # a name no file system takes (too long, NUL): no such file
        on_disk = False
    # A file that never made it into the index (it failed to load) can still be deleted.
    if not c.kb.remove([source]) and not (on_disk and not uploads.reserved(path.name)):
        raise ApiError(404, "not_found", f"知识库中没有文档“{source}”")
    if on_disk:
        path.unlink()  # otherwise the next full reindex would bring it back
    return {"deleted": source}


class MetaBody(BaseModel):
    title: str | None = Field(None, max_length=200, description="标题")
    publisher: str | None = Field(None, max_length=200, description="发布单位")
    date: str | None = Field(None, max_length=10, description="日期：YYYY、YYYY-MM 或 YYYY-MM-DD")
    region: str | None = Field(None, max_length=200, description="地区")


@router.patch("/v1/documents/{source:path}", summary="修改文档信息（标题、发布单位、日期、地区）", status_code=202)
def edit_meta(source: str, body: MetaBody, request: Request, c: Ctx, who: Admin):
    """Written back to knowledge/manifest.toml, then the document is re-indexed (vectors come from the cache)."""
    from retrieval.index import ingest
    from retrieval.loaders import load_bytes, read_manifest
    from retrieval.manifest import check_meta, update_manifest

    if source not in c.kb.store.documents():
        raise ApiError(404, "not_found", f"知识库中没有文档“{source}”")
    root = c.settings.knowledge_dir.resolve()
    path = (root / source).resolve()
    if root not in path.parents or not path.is_file():
        raise ApiError(409, "not_editable", f"文档“{source}”不在 knowledge/ 目录中，无法写回清单")
    meta = check_meta(body.model_dump(exclude_none=True))
    if not meta:
        raise ApiError(422, "invalid_request", "请至少给出 title、publisher、date、region 中的一项")
    update_manifest(root, source, meta)

    def work(progress):
        doc = load_bytes(path.read_bytes(), source, read_manifest(root), origin=str(root))
        return ingest(c.kb, [], sync=False, on_progress=progress, documents=[doc]).to_dict()

    job = request.app.state.jobs.start("meta", work)
    return {"source": source, "updated": meta, "job": job["id"]}


@router.post("/v1/reindex", summary="按 knowledge/ 目录重新同步索引", status_code=202)
def reindex(request: Request, c: Ctx, who: Admin):
    job = request.app.state.jobs.start(
        "reindex", lambda progress: c.kb.ingest([c.settings.knowledge_dir], on_progress=progress).to_dict())
    return {"job": job["id"]}


@router.get("/v1/jobs/{job_id}", summary="入库任务进度")
def job_status(job_id: str, request: Request, who: Admin):
    job = request.app.state.jobs.get(job_id)
    if not job:
        raise ApiError(404, "not_found", "找不到该任务")
    return job
