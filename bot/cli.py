"""`djbot` command line: ingest, ask, search, sources, eval, serve. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from retrieval.errors import DjbotError, InvalidInputError
from retrieval.settings import Settings

app = typer.Typer(
    help="djbot 党建工作助手：只依据知识库作答、每句都有出处。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


EXIT_NOTHING_READ = 3  # `djbot ingest`: not one file could be read (documented in the command's help)


def _settings(ctx: typer.Context) -> Settings:
    return ctx.obj


def _kb(settings: Settings):
    from retrieval.index import KnowledgeBase

    return KnowledgeBase(settings)


def _print_json(obj) -> None:
    sys.stdout.write(json.dumps(obj, ensure_ascii=False) + "\n")


@app.callback()
def main_callback(ctx: typer.Context) -> None:
    """djbot 党建工作助手。"""
    ctx.obj = Settings()


@app.command()
def ingest(
    ctx: typer.Context,
    paths: Annotated[list[Path] | None, typer.Argument(help="文件或目录，默认 knowledge/")] = None,
    no_sync: Annotated[bool, typer.Option("--no-sync", help="不删除目录中已不存在的文档")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """建立或增量更新索引（未变化的文档不会重新向量化）。

    逐个文件报告错误，其余文件照常入库。退出码：0 成功（至少一个文件可读，出错的文件列在 stderr）；
    3 没有任何文件可以读取；1 配置或其他错误；2 输入错误。
    """
    s = _settings(ctx)
    kb = _kb(s)
    report = kb.ingest(paths or [s.knowledge_dir], sync=not no_sync, progress=sys.stderr.isatty() and not as_json)
    if as_json:
        _print_json(report.to_dict())
    else:
        typer.echo(
            f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，"
            f"删除 {len(report.removed)}；向量化 {report.embedded} 段（缓存 {report.cached}），用时 {report.seconds:.1f} 秒"
        )
        for err in report.errors:
            typer.echo(f"  ✗ {err.message}", err=True)
    if report.errors and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(EXIT_NOTHING_READ)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="问题")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """提问：回答每句都带 [n] 出处；知识库没有依据时明确拒答。"""
    from retrieval.answer import render_text

    from .context import answer_fn_for

    s = _settings(ctx)
    ans = answer_fn_for(s)(question, _kb(s), s)
    if as_json:
        _print_json(ans.to_dict())
    else:
        typer.echo(render_text(ans))


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="检索词")],
    k: Annotated[int, typer.Option("-k", help="返回条数")] = 10,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """检索：混合检索（向量 + BM25）排名靠前的段落。"""
    from retrieval.answer import clean_question
    from retrieval.search import search as run_search

    s = _settings(ctx)
    hits = run_search(_kb(s), clean_question(query, s), s, k=k)
    rows = [
        {"rank": i, "source": h.chunk.source, "chunk_id": h.chunk.id, "title": h.chunk.title,
         "section": h.chunk.section, "score": round(h.score, 6), "text": h.chunk.text}
        for i, h in enumerate(hits, start=1)
    ]
    if as_json:
        _print_json(rows)
        return
    for r in rows:
        typer.echo(f"{r['rank']:>2}. [{r['score']:.4f}] {r['source']} · {r['section'] or '正文'}\n    {r['text'][:120]}")


@app.command()
def sources(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
) -> None:
    """列出知识库中的文档。"""
    s = _settings(ctx)
    docs = _kb(s).store.document_rows()
    if as_json:
        _print_json(docs)
        return
    if not docs:
        typer.echo("知识库为空：请先运行 djbot ingest")
    for d in docs:
        meta = "，".join(x for x in (d["publisher"], d["date"]) if x)
        typer.echo(f"· {d['source']}  《{d['title']}》 {meta}  （{d['chunks']} 段）")


@app.command()
def remove(
    ctx: typer.Context,
    source: Annotated[list[str], typer.Argument(help="要删除的文档名（source）")],
) -> None:
    """从知识库（向量索引和关键词索引）中删除文档。"""
    s = _settings(ctx)
    gone = _kb(s).remove(source)
    missing = sorted(set(source) - set(gone))
    for name in gone:
        typer.echo(f"已删除 {name}")
    for name in missing:
        typer.echo(f"未找到 {name}", err=True)
    if missing:
        raise typer.Exit(1)


@app.command("eval")
def eval_cmd(
    ctx: typer.Context,
    dataset: Annotated[Path, typer.Option("--dataset", help="问题集：.jsonl / .csv / .xlsx")] = Path(
        "evals/datasets/dev.jsonl"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="最后一行输出指标 JSON")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="写出逐题报告（.html 或 .md）")] = None,
    mode: Annotated[str, typer.Option("--mode", help="auto（配置了大模型则用大模型）/ extractive / llm")] = "auto",
) -> None:
    """评测：检索、要点、引用支撑、拒答与延迟指标。"""
    from evals.report import write_report
    from evals.runner import load_dataset, run_eval
    from retrieval.answer import answer

    from .context import answer_fn_for

    s = _settings(ctx)
    if mode not in {"auto", "extractive", "llm"}:
        raise InvalidInputError("--mode 只能是 auto、extractive 或 llm")
    if mode == "llm" and not s.llm_base_url:
        raise InvalidInputError("--mode llm 需要先配置 DJBOT_LLM_BASE_URL 和 DJBOT_LLM_MODEL")
    fn = answer if mode == "extractive" else answer_fn_for(s)
    kb = _kb(s)
    items = load_dataset(dataset)
    result = run_eval(items, kb, s, answer_fn=lambda q: fn(q, kb, s),
                      mode="extractive" if fn is answer else "llm")
    if report:
        write_report(result, report)
        typer.echo(f"报告已写入 {report}", err=True)
    if as_json:
        _print_json(result.summary)
    else:
        from evals.report import summary_lines

        typer.echo("\n".join(summary_lines(result.summary)))


LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


@app.command()
def serve(
    ctx: typer.Context,
    host: Annotated[str | None, typer.Option("--host", help="监听地址，默认 127.0.0.1")] = None,
    port: Annotated[int | None, typer.Option("--port", help="端口，默认 8000")] = None,
) -> None:
    """启动 HTTP 服务（网页、API、Telegram 与企业微信回调）。"""
    import uvicorn

    from .http import create_app

    s = _settings(ctx)
    host = host or s.host
    port = port or s.port
    if not (s.api_key or s.admin_key) and host not in LOCAL_HOSTS:
        typer.echo(f"未配置 API 密钥（DJBOT_API_KEY / DJBOT_ADMIN_KEY）：为安全起见只监听 127.0.0.1，而不是 {host}", err=True)
        host = "127.0.0.1"
    elif not (s.api_key or s.admin_key):
        typer.echo("未配置 API 密钥：服务只监听本机 127.0.0.1，所有接口对本机开放", err=True)
    from .context import configure_logging

    configure_logging(s)
    typer.echo(f"djbot 服务： http://{host}:{port}/  （API 文档 /docs）", err=True)
    uvicorn.run(create_app(s), host=host, port=port, log_level="info")


tg_app = typer.Typer(help="Telegram 机器人", invoke_without_command=True)
app.add_typer(tg_app, name="telegram")


@tg_app.callback()
def telegram_polling(ctx: typer.Context) -> None:
    """以长轮询方式运行 Telegram 机器人（开发和小规模部署）。"""
    if ctx.invoked_subcommand:
        return
    import asyncio

    from .context import configure_logging, load_context
    from .telegram import run_polling

    s = _settings(ctx)
    configure_logging(s)
    typer.echo("Telegram 机器人启动中（长轮询）：连接不上时会自动重试，按 Ctrl+C 停止", err=True)
    try:
        asyncio.run(run_polling(load_context(s)))
    except KeyboardInterrupt:
        typer.echo("已停止", err=True)


@tg_app.command("set-webhook")
def telegram_set_webhook(
    ctx: typer.Context,
    url: Annotated[str, typer.Argument(help="服务的公网地址，如 https://example.org/telegram/webhook")],
) -> None:
    """向 Telegram 登记 webhook 地址（附带 DJBOT_TELEGRAM_WEBHOOK_SECRET）。"""
    import asyncio

    from .context import load_context
    from .telegram import set_webhook

    ok = asyncio.run(set_webhook(load_context(_settings(ctx.parent)), url))
    typer.echo("已登记 webhook" if ok else "登记失败", err=not ok)


wecom_app = typer.Typer(help="企业微信", no_args_is_help=True)
app.add_typer(wecom_app, name="wecom")


@wecom_app.command("push")
def wecom_push(
    ctx: typer.Context,
    text: Annotated[str | None, typer.Argument(help="要推送到群里的通知")] = None,
    question: Annotated[str | None, typer.Option("--question", help="回答这个问题并把答案推送到群里")] = None,
    plain: Annotated[bool, typer.Option("--text", help="以纯文本而不是 markdown 发送")] = False,
) -> None:
    """通过企业微信群机器人（webhook）推送通知或问答。"""
    import asyncio

    import httpx

    from .context import ask, load_context
    from .wecom import GroupRobot

    s = _settings(ctx)
    if not (text or question):
        raise InvalidInputError("请给出通知内容，或用 --question 指定要回答的问题")

    async def run() -> int:
        async with httpx.AsyncClient(timeout=10) as client:
            robot = GroupRobot(s, client)
            if question:
                return await robot.push_answer(ask(load_context(s), question, channel="wecom-push"))
            return await robot.send(text, markdown=not plain)

    n = asyncio.run(run())
    typer.echo(f"已发送 {n} 条消息", err=True)


log_app = typer.Typer(help="问答记录", no_args_is_help=True)
app.add_typer(log_app, name="log")


@log_app.command("export")
def log_export(
    ctx: typer.Context,
    csv_out: Annotated[bool, typer.Option("--csv", help="以 CSV 格式输出（默认）")] = True,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="写入文件，默认输出到终端")] = None,
) -> None:
    """导出问答记录（CSV，Excel 可直接打开）。"""
    from .qalog import QALog

    qalog = QALog(_settings(ctx))
    if output:
        with output.open("w", encoding="utf-8", newline="") as fh:
            n = qalog.export_csv(fh)
        typer.echo(f"已导出 {n} 条记录到 {output}", err=True)
    else:
        qalog.export_csv(sys.stdout)


def main() -> None:
    """Entry point: translate DjbotError into a message and an exit code, tracebacks stay out."""
    try:
        app()
    except DjbotError as exc:
        typer.echo(f"错误：{exc.message}", err=True)
        sys.exit(2 if isinstance(exc, InvalidInputError) else 1)


if __name__ == "__main__":
    main()
