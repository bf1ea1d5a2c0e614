"""Evaluation: upload a question set, run it against the live knowledge base, return the report."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from ..deps import Admin, ApiError, Ctx

router = APIRouter(tags=["评测"])
MAX_EVAL_QUESTIONS = 500


@router.post("/v1/eval", summary="上传问题集并评测（JSONL/CSV/XLSX）")
async def eval_route(c: Ctx, who: Admin, file: Annotated[UploadFile, File()]):
    from evals.report import render_html
    from evals.runner import load_dataset, run_eval

    suffix = Path(file.filename or "").suffix.lower()
    if suffix not in {".jsonl", ".json", ".csv", ".xlsx"}:
        raise ApiError(415, "unsupported_file", "问题集须为 .jsonl、.csv 或 .xlsx 文件")
    data = await file.read(5 * 1024 * 1024 + 1)
    if len(data) > 5 * 1024 * 1024:
        raise ApiError(413, "too_large", "问题集文件过大（上限 5 MB）")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"set{suffix}"
        path.write_bytes(data)
        items = load_dataset(path)
    if len(items) > MAX_EVAL_QUESTIONS:
        raise ApiError(413, "too_large", f"题目太多（上限 {MAX_EVAL_QUESTIONS} 题）")
    result = await run_in_threadpool(run_eval, items, c.kb, c.settings)
    return {"summary": result.summary, "records": [r.to_dict() for r in result.records],
            "report_html": render_html(result)}


@router.get("/v1/eval/template.{fmt}", summary="下载问题集模板（xlsx 或 csv，含示例行）")
def eval_template(fmt: str):
    from evals.templates import template_csv, template_xlsx

    if fmt == "xlsx":
        return Response(template_xlsx(), headers={"Content-Disposition": 'attachment; filename="djbot-eval-template.xlsx"'},
                        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    if fmt == "csv":
        return Response(template_csv(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="djbot-eval-template.csv"'})
    raise ApiError(404, "not_found", "模板格式只有 xlsx 和 csv")
