"""The Q&A log: paged, filtered listing and CSV export (admin)."""

from __future__ import annotations

from datetime import datetime
from io import StringIO
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from ..deps import Admin, ApiError, Ctx
from ..qalog import LogQuery

router = APIRouter(tags=["记录"])
Day = Annotated[str | None, Query(pattern=r"^\d{4}-\d{2}-\d{2}$")]


@router.get("/v1/log", summary="问答记录（分页、可筛选）")
def log_route(c: Ctx, who: Admin,
              page: Annotated[int, Query(ge=1, le=100000)] = 1,
              size: Annotated[int, Query(ge=1, le=200)] = 50,
              date_from: Day = None,
              date_to: Day = None,
              channel: Annotated[str | None, Query(max_length=32)] = None,
              refused: bool | None = None,
              rating: Annotated[int | None, Query(ge=-1, le=1)] = None):
    q = _log_query(page, size, date_from, date_to, channel, refused, rating)
    items, total = c.qalog.query(q)
    return {"items": items, "total": total, "page": page, "size": size}


@router.get("/v1/log/export.csv", summary="导出问答记录 CSV")
def log_export(c: Ctx, who: Admin, date_from: Day = None, date_to: Day = None,
               channel: Annotated[str | None, Query(max_length=32)] = None):
    buf = StringIO()
    c.qalog.export_csv(buf, _log_query(1, 10**9, date_from, date_to, channel, None, None))
    return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="djbot-log.csv"'})


def _day(s: str | None) -> float | None:
    if not s:
        return None
    try:
        return datetime.strptime(s, "%Y-%m-%d").timestamp()
    except ValueError as exc:
        raise ApiError(422, "invalid_request", f"日期格式应为 YYYY-MM-DD：{s}") from exc


def _log_query(page, size, date_from, date_to, channel, refused, rating) -> LogQuery:
    end = _day(date_to)
    return LogQuery(page=page, size=size, date_from=_day(date_from), date_to=end + 86400 if end else None,
                    channel=channel, refused=refused, rating=rating)
