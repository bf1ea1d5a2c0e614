"""Question-set templates for trainers (CSV and XLSX, with example rows and column notes)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from retrieval.errors import DatasetError

from .runner import COLUMNS

NOTES = [
    ("id", "题目编号，不能重复，如 q01"),
    ("question", "问题原文，按使用者的口吻写"),
    ("category", "分类（可选），如 组织建设、经费保障、不可答；报告按分类统计"),
    ("answerable", "知识库能否回答：是/否（或 true/false）。“否”的题应当被拒答"),
    ("evidence", "可回答的题必填：文档|原文引语。文档可写文件名或文档标题（可带书名号）；"
                 "引语从原文复制一小段即可。多条用换行或英文分号 ; 分隔"),
    ("key_points", "答案应包含的要点（可选），多个用分号分隔；要点须是原文中的词句"),
    ("style", "提问风格（可选），如 口语、繁体、错别字、关键词；报告按风格统计"),
]
EXAMPLES = [
    {"id": "q01", "question": "企业正式党员不足三人，怎么联合组建党组织？", "category": "组织建设", "answerable": "是",
     "evidence": "《克什克腾旗“舞活”党建龙头 为非公经济和社会组织发展助航》|采取联合组建、挂靠组建的方式建立联合党组织",
     "key_points": "联合组建;挂靠组建", "style": "书面"},
    {"id": "q02", "question": "党组织活动场所建设的“六有”标准是什么？", "category": "阵地建设", "answerable": "是",
     "evidence": "002_89d235879069d946.txt|有场所、有设施、有标志", "key_points": "有场所;有党旗", "style": "书面"},
    {"id": "q03", "question": "北京明天会下雨吗？", "category": "不可答", "answerable": "否", "evidence": "",
     "key_points": "", "style": "口语"},
]


def template_csv() -> bytes:
    """UTF-8 with BOM, so Excel on Windows opens the Chinese text correctly."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(EXAMPLES)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def template_xlsx() -> bytes:
    """Sheet 问题集 (header and example rows, ready to fill) and sheet 填写说明 (one line per column)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.title = "问题集"
    ws.append(COLUMNS)
    for row in EXAMPLES:
        ws.append([row[c] for c in COLUMNS])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for col, width in zip("ABCDEF", (8, 40, 12, 12, 60, 24), strict=True):
        ws.column_dimensions[col].width = width
    for row in ws.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    notes = wb.create_sheet("填写说明")
    notes.append(["列名", "说明"])
    for name, text in NOTES:
        notes.append([name, text])
    notes.column_dimensions["A"].width = 14
    notes.column_dimensions["B"].width = 90
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def write_template(path: Path) -> None:
    """Write the template; the format follows the suffix (.xlsx or .csv)."""
    suffix = path.suffix.lower()
    if suffix not in {".xlsx", ".csv"}:
        raise DatasetError("模板文件名须以 .xlsx 或 .csv 结尾")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(template_xlsx() if suffix == ".xlsx" else template_csv())
