"""`djbot` command line: ingest, ask, search, sources, eval, serve. Heavy imports happen inside commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from retrieval.errors import DjbotError, InvalidInputError
from retrieval.settings import Settings


def _localize_help() -> None:
    """Typer's own help words (panel titles, defaults, the --help line) in Chinese, like the rest."""
    try:
        import typer._click.decorators as decorators
        import typer._click.formatting as formatting
        import typer.core as core
    except ImportError:  # another Typer layout: English words, nothing breaks
        return
    words = {"Arguments": "参数", "Options": "选项", "Commands": "命令", "required": "必填",
             "default: {default}": "默认：{default}"}
    core._ = lambda s: words.get(s, s)
    original_help, original_usage = decorators.help_option, formatting.HelpFormatter.write_usage

    def help_option(names):
        decorate = original_help(names)

        def apply(cmd):
            cmd = decorate(cmd)
            cmd.params[-1].help = "显示本帮助并退出"
            return cmd

        return apply

    def write_usage(self, prog, args="", prefix=None):
        return original_usage(self, prog, args, "用法：" if prefix is None else prefix)

    decorators.help_option = help_option
    formatting.HelpFormatter.write_usage = write_usage


_localize_help()
app = typer.Typer(
    help="djbot 党建工作助手：只依据知识库作答、每句都有出处。",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,  # help texts contain "[n]", which Rich markup would swallow
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
    tty = sys.stderr.isatty()
    # On a terminal tqdm draws bars; under make run, systemd or docker logs, plain lines instead.
    lines = None if tty else ProgressLines()
    report = kb.ingest(paths or [s.knowledge_dir], sync=not no_sync, progress=tty and not as_json, on_progress=lines)
    if as_json:
        _print_json(report.to_dict())
    else:
        typer.echo(
            f"新增 {len(report.added)}，更新 {len(report.updated)}，未变 {len(report.unchanged)}，"
            f"删除 {len(report.removed)}；向量化 {report.embedded} 段（缓存 {report.cached}），用时 {report.seconds:.1f} 秒"
        )
        for err in report.errors:
            typer.echo(f"  ✗ {err.message}", err=True)
    for group in report.duplicates:
        typer.echo(f"  ⚠ 内容相同的文档：{'、'.join(group)}（建议只保留一份，以免重复引用）", err=True)
    if report.errors and not (report.added or report.updated or report.unchanged):
        raise typer.Exit(EXIT_NOTHING_READ)


STAGES = {"load": ("读取文档", "个"), "chunk": ("切分段落", "个文档"), "embed": ("向量化", "段"), "eval": ("评测", "题")}


class ProgressLines:
    """Ingest progress as plain lines (count, rate, time left), at most one per `every` seconds a stage."""

    def __init__(self, stream=None, every: float = 5.0, clock=None) -> None:
        import time

        self.stream, self.every, self.clock = stream or sys.stderr, every, clock or time.monotonic
        self.stage, self.started, self.last = "", 0.0, 0.0

    def __call__(self, stage: str, done: int, total: int) -> None:
        now = self.clock()
        if stage != self.stage:
            self.stage, self.started, self.last = stage, now, -1e9
        if done < total and now - self.last < self.every:
            return
        self.last = now
        name, unit = STAGES.get(stage, (stage, ""))
        spent = now - self.started
        rate = done / spent if spent > 0 else 0.0
        line = f"{name} {done}/{total} {unit}（{done * 100 // max(total, 1)}%）"
        if rate and done < total:
            left = int((total - done) / rate)
            line += f"，{rate:.1f} {unit}/秒，预计还需 {left // 60}分{left % 60:02d}秒"
        elif done >= total:
            line += f"，用时 {spent:.1f} 秒"
        print(line, file=self.stream, flush=True)


@app.command()
def ask(
    ctx: typer.Context,
    question: Annotated[str, typer.Argument(help="问题")],
    as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False,
    direct: Annotated[bool, typer.Option("--direct", help="不使用本机运行中的服务，直接加载知识库")] = False,
) -> None:
    """提问：回答每句都带 [n] 出处；知识库没有依据时明确拒答。

    本机有运行中的服务（djbot serve / make run）时经由服务作答（快），否则直接加载知识库（约需数秒），
    并在标准错误输出中说明用的是哪一种。
    """
    from retrieval.answer import render_text

    from .context import answer_fn_for

    s = _settings(ctx)
    remote = None if direct else _ask_service(s, question)
    if remote is not None:
        url, data = remote
        typer.echo(f"（经由本机运行中的服务 {url} 作答）", err=True)
        ans = answer_from_dict(data)
        if as_json:
            _print_json({k: v for k, v in data.items() if k != "answer_id"})
            return
    else:
        typer.echo("（未发现本机运行中的服务，直接加载知识库作答）", err=True)
        ans = answer_fn_for(s)(question, _kb(s), s)
        if as_json:
            _print_json(ans.to_dict())
            return
    typer.echo(render_text(ans))


def _ask_service(s: Settings, question: str) -> tuple[str, dict] | None:
    """Ask a djbot service on this machine, if one answers /readyz quickly; None otherwise."""
    import httpx

    host = "127.0.0.1" if s.host in {"0.0.0.0", "::", ""} else s.host
    url = f"http://{host}:{s.port}"
    headers = {"Authorization": f"Bearer {s.api_key or s.admin_key}"} if (s.api_key or s.admin_key) else {}
    try:
        with httpx.Client(base_url=url, timeout=httpx.Timeout(30.0, connect=0.5), headers=headers) as client:
            ready = client.get("/readyz", timeout=1.0)
            if ready.status_code != 200 or ready.json().get("status") != "ready":
                return None
            r = client.post("/v1/ask", json={"question": question}, headers={"X-Djbot-Client": "cli"})
    except (httpx.HTTPError, ValueError):
        return None
    body = r.json() if r.headers.get("content-type", "").startswith("application/json") else {}
    if r.status_code != 200:
        if r.status_code in (400, 422) and "error" in body:
            raise InvalidInputError(body["error"]["message"])
        return None  # auth or a server problem: answer locally instead
    return url, body


def answer_from_dict(data: dict):
    """The Answer behind a /v1/ask response (for the same rendering as in-process answers)."""
    from dataclasses import fields

    from retrieval.types import Answer, Citation

    names = {f.name for f in fields(Citation)}
    cites = tuple(Citation(**{k: v for k, v in c.items() if k in names}) for c in data.get("citations", []))
    return Answer(question=data.get("question", ""), text=data.get("answer", ""), citations=cites,
                  refused=bool(data.get("refused")), suggestions=tuple(data.get("suggestions", ())),
                  mode=data.get("mode", ""), reason=data.get("reason", ""))


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
    dataset: Annotated[Path, typer.Option("--dataset", help="问题集：.jsonl / .csv / .xlsx（CSV 可为 UTF-8 或 GBK）")] = Path(
        "evals/datasets/dev.jsonl"
    ),
    as_json: Annotated[bool, typer.Option("--json", help="最后一行输出指标 JSON")] = False,
    report: Annotated[Path | None, typer.Option("--report", help="写出给培训人员看的报告（.html 或 .md）")] = None,
    mode: Annotated[str, typer.Option("--mode", help="auto（配置了大模型则用大模型）/ extractive / llm")] = "auto",
    template: Annotated[Path | None, typer.Option("--template", help="写出带示例行的问题集模板（.xlsx 或 .csv）后退出")] = None,
) -> None:
    """评测：检索、要点、引用支撑、拒答与延迟指标。

    \b
    问题集的列（CSV/XLSX 表头；JSONL 用同名字段）：
      id          题目编号，不能重复
      question    问题原文
      category    分类（可选），报告按分类统计
      answerable  知识库能否回答：是/否（或 true/false）
      evidence    可回答的题必填：文档|原文引语；文档可写文件名或标题，多条用换行或 ; 分隔
      key_points  答案应包含的要点（可选），用 ; 分隔
    用 djbot eval --template 问题集.xlsx 生成模板。
    """
    if template:
        from evals.templates import write_template

        write_template(template)
        typer.echo(f"模板已写入 {template}", err=True)
        return
    from evals.report import write_report
    from evals.runner import load_dataset, run_eval
    from retrieval.answer import answer
    from retrieval.errors import LLMError
    from retrieval.llm import unreachable

    from .context import answer_fn_for

    s = _settings(ctx)
    if mode not in {"auto", "extractive", "llm"}:
        raise InvalidInputError("--mode 只能是 auto、extractive 或 llm")
    if mode == "llm" and not s.llm_base_url:
        raise InvalidInputError("--mode llm 需要先配置 DJBOT_LLM_BASE_URL 和 DJBOT_LLM_MODEL")
    fn = answer if mode == "extractive" else answer_fn_for(s)
    kb = _kb(s)
    items = load_dataset(dataset)
    if fn is not answer:
        typer.echo(f"正在连接大模型服务 {s.llm_base_url}…", err=True)
    if fn is not answer and (why := unreachable(s)):
        # Asked once, up front: otherwise each question waited for the timeout until the breaker opened, and the
        # fallback's answers were reported as the LLM's.
        if mode == "llm":
            raise LLMError(f"大模型服务无法连接或没有响应（{s.llm_base_url}：{why}）")
        typer.echo(f"大模型服务无法连接或没有响应（{why}），本次按摘录式评测", err=True)
        fn = answer
    mode_used = "extractive" if fn is answer else "llm"
    # Progress on stderr (stdout keeps the JSON alone): a slow or unreachable LLM makes a long run look hung.
    typer.echo(f"评测 {len(items)} 题（{'摘录式' if mode_used == 'extractive' else '大模型'}），正在加载模型…", err=True)
    result = run_eval(items, kb, s, answer_fn=lambda q, history=None: fn(q, kb, s, history=history),
                      mode=mode_used, on_progress=ProgressLines(every=5.0))
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
