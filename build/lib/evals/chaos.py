"""`make chaos`: attack a running `djbot serve` on loopback the way a hostile user or an unlucky
operator would (issue 11), and print a table: attack, cases, failures. Exit code 1 on any failure.

The service runs in a child process on a copy of knowledge/ in a temporary directory, with Telegram
configured but unreachable (a closed proxy port), WeCom/WeChat callbacks configured, and its peak
resident memory (VmHWM) read from /proc before and after the oversized bodies.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
Q = "党组织活动场所建设的“六有”标准是什么？"
AES = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C"
SECRET = "chaos-secret"
BIG = 40 * 1024 * 1024


class Table:
    def __init__(self) -> None:
        self.rows: dict[str, list[int]] = {}
        self.notes: list[str] = []

    def check(self, attack: str, ok: bool, note: str = "") -> None:
        row = self.rows.setdefault(attack, [0, 0])
        row[0] += 1
        if not ok:
            row[1] += 1
            self.notes.append(f"{attack}: {note}")

    def print(self) -> int:
        width = max(len(a) for a in self.rows) + 2
        print(f"\n{'attack':<{width}}{'cases':>6}{'failures':>10}")
        for attack, (cases, failures) in self.rows.items():
            print(f"{attack:<{width}}{cases:>6}{failures:>10}")
        for note in self.notes:
            print("  ✗", note)
        return sum(f for _, f in self.rows.values())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _vm_hwm_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def _chunks(total: int, size: int = 256 * 1024):
    sent = 0
    while sent < total:
        yield b"x" * size
        sent += size


def _declared_oversize(port: int, path: str, size: int) -> int:
    """Declare a huge Content-Length and send almost nothing (no HTTP client library will): the
    service must answer 413 from the header alone instead of waiting for or buffering the body."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                     f"X-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: {size}\r\n\r\n{{}}".encode())
        head = sock.recv(4096).decode("latin-1")
    return int(head.split(" ", 2)[1]) if head.startswith("HTTP/") else 0


def _docx_bomb() -> bytes:
    import docx

    d = docx.Document()
    d.add_paragraph("企业党组织要建立健全党员学习制度，每月组织一次集中学习。")
    buf = io.BytesIO()
    d.save(buf)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for item in src.infolist():
            z.writestr(item, src.read(item.filename))
        info = zipfile.ZipInfo("word/media/big.xml")
        info.compress_type = zipfile.ZIP_DEFLATED
        with z.open(info, "w", force_zip64=True) as fh:
            for _ in range(300):
                fh.write(b"\x00" * (1024 * 1024))
    return out.getvalue()


def main() -> int:
    tmp = Path(tempfile.mkdtemp(prefix="djbot-chaos-"))
    knowledge = tmp / "knowledge"
    shutil.copytree(ROOT / "knowledge", knowledge)
    port = _free_port()
    env = {**os.environ, "DJBOT_DATA_DIR": str(tmp / "data"), "DJBOT_KNOWLEDGE_DIR": str(knowledge),
           "DJBOT_TELEGRAM_TOKEN": "123456:CHAOS-token", "DJBOT_TELEGRAM_WEBHOOK_SECRET": SECRET,
           "DJBOT_WECOM_TOKEN": "T", "DJBOT_WECOM_AES_KEY": AES, "DJBOT_WECOM_CORP_ID": "corp",
           "DJBOT_WECOM_BOT_TOKEN": "T", "DJBOT_WECOM_BOT_AES_KEY": AES,
           "DJBOT_WECHAT_TOKEN": "T", "DJBOT_WECHAT_AES_KEY": AES, "DJBOT_WECHAT_APP_ID": "wxapp",
           "DJBOT_RATE_LIMIT": "100000/minute",
           # Telegram is unreachable, as on an intranet: every connection goes to a closed port.
           "HTTPS_PROXY": "http://127.0.0.1:9", "HTTP_PROXY": "http://127.0.0.1:9", "NO_PROXY": "127.0.0.1,localhost"}
    djbot = str(Path(sys.executable).parent / "djbot")
    print("indexing a copy of knowledge/ …", file=sys.stderr)
    subprocess.run([djbot, "ingest"], env=env, check=True, cwd=tmp, stdout=subprocess.DEVNULL)
    log = open(tmp / "serve.log", "w")  # noqa: SIM115  (lives as long as the server)
    server = subprocess.Popen([djbot, "serve", "--port", str(port)], env=env, cwd=tmp, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    t = Table()
    try:
        c = httpx.Client(base_url=base, timeout=60, trust_env=False)
        started = time.time()
        ready = None
        while time.time() - started < 300 and server.poll() is None:
            try:
                ready = c.get("/readyz")
                if ready.status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.5)
        alive = server.poll() is None and ready is not None and ready.status_code == 200
        t.check("start with Telegram unreachable", alive, f"service did not come up (see {tmp / 'serve.log'})")
        if not alive:
            return t.print() or 1
        tg = ready.json().get("channels", {}).get("telegram", {})
        t.check("start with Telegram unreachable", tg.get("state") in {"connecting", "failed"}, f"telegram: {tg}")

        # 8 simultaneous first questions after start.
        codes: list[int] = []

        def ask_once():
            codes.append(httpx.post(base + "/v1/ask", json={"question": Q}, timeout=120, trust_env=False).status_code)

        threads = [threading.Thread(target=ask_once) for _ in range(8)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        for code in codes:
            t.check("8 simultaneous first questions", code == 200, f"status {code}")

        # Oversized bodies, with and without Content-Length, on every route; memory must not grow.
        routes = ["/v1/ask", "/v1/chat/completions", "/v1/feedback", "/wecom/callback", "/wecom/bot",
                  "/wechat/callback", "/telegram/webhook", "/v1/documents", "/v1/eval"]
        hwm_before = _vm_hwm_kb(server.pid)
        for route in routes:
            q = "?msg_signature=x&timestamp=1&nonce=n&signature=x"
            headers = {"content-type": "application/json", "X-Telegram-Bot-Api-Secret-Token": SECRET}
            try:
                code = c.post(route + q, content=_chunks(BIG), headers=headers).status_code
            except httpx.TransportError:
                code = 499  # the service answered early and closed while we were still sending: refused
            # The Telegram webhook answers 503 (retry later) while Telegram itself is unreachable.
            refused = 400 <= code < 500 or (route == "/telegram/webhook" and code == 503)
            t.check("chunked body over the limit", refused, f"{route}: {code}")
            status = _declared_oversize(port, route + q, BIG)
            t.check("declared body over the limit", status == 413, f"{route}: {status}")
        grown = (_vm_hwm_kb(server.pid) - hwm_before) / 1024
        print(f"peak RSS growth during oversized bodies: {grown:.1f} MB", file=sys.stderr)
        t.check("memory: peak RSS growth ≤ 10 MB", grown <= 10, f"grew {grown:.1f} MB")

        # One huge chat must be refused at once and must not hold up another question.
        history = [{"role": "user", "content": "党" * 3000}, {"role": "assistant", "content": "好" * 3000}] * 17
        t0 = time.perf_counter()
        r = c.post("/v1/chat/completions", json={"messages": history + [{"role": "user", "content": Q}]})
        t.check("100k characters of history", r.status_code in (413, 422) and time.perf_counter() - t0 < 5,
                f"{r.status_code} after {time.perf_counter() - t0:.1f} s")

        # Bad input: 4xx with a Chinese message, never 500; streams end with [DONE].
        bad = [
            ("/v1/chat/completions", {"messages": [{"role": "user", "content": [{"type": "text", "text": 7}]}]}),
            ("/v1/chat/completions", {"messages": [{"role": "user", "content": [1, 2]}]}),
            ("/v1/chat/completions", {"messages": "not a list"}),
            ("/v1/ask", {"question": ["x"]}),
            ("/v1/ask", {"question": ""}),
            ("/v1/feedback", {"answer_id": "x", "rating": 5}),
        ]
        for route, body in bad:
            r = c.post(route, json=body)
            t.check("malformed JSON bodies", 400 <= r.status_code < 500, f"{route} {body}: {r.status_code}")
        for raw in ('{"question": "\\ud800党建"}',):
            r = c.post("/v1/ask", content=raw.encode(), headers={"content-type": "application/json"})
            t.check("lone surrogates", 400 <= r.status_code < 500, f"{r.status_code}")
        raw = '{"messages": [{"role": "user", "content": "党建\\udfff"}], "stream": true}'
        r = c.post("/v1/chat/completions", content=raw.encode(), headers={"content-type": "application/json"})
        t.check("lone surrogates", 400 <= r.status_code < 500, f"stream: {r.status_code}")
        r = c.post("/v1/chat/completions", json={"messages": [{"role": "user", "content": Q}], "stream": True})
        t.check("stream ends with [DONE]", r.text.rstrip().endswith("data: [DONE]"), r.text[-80:])

        # Forged and replayed callbacks.
        now = str(int(time.time()))
        from bot.wecrypto import MsgCrypt, signature

        plain = (f"<xml><ToUserName>gh</ToUserName><FromUserName>oAttacker</FromUserName><CreateTime>{now}"
                 "</CreateTime><MsgType>text</MsgType><Content>hi</Content><MsgId>1</MsgId></xml>")
        sig = signature("T", now, "n")
        r = c.post(f"/wechat/callback?signature={sig}&timestamp={now}&nonce=n", content=plain.encode())
        t.check("WeChat plain body in safe mode", r.status_code == 403, f"{r.status_code}")
        old = "1409659813"
        enc = MsgCrypt("T", AES, "corp").encrypt("<xml><FromUserName>u</FromUserName><MsgType>text</MsgType>"
                                                 "<Content>hi</Content><MsgId>2</MsgId></xml>")
        body = f"<xml><Encrypt><![CDATA[{enc}]]></Encrypt></xml>"
        r = c.post(f"/wecom/callback?msg_signature={signature('T', old, 'n', enc)}&timestamp={old}&nonce=n",
                   content=body.encode())
        t.check("replayed old WeCom callback", r.status_code == 403, f"{r.status_code}")
        for payload in ([1, 2], "x", {"msgtype": "text", "from": "u", "text": "t", "msgid": "9"}):
            enc = MsgCrypt("T", AES, "").encrypt(json.dumps(payload))
            r = c.post(f"/wecom/bot?msg_signature={signature('T', now, 'n', enc)}&timestamp={now}&nonce=n",
                       json={"encrypt": enc})
            t.check("/wecom/bot wrong JSON shapes", r.status_code < 500, f"{payload}: {r.status_code}")

        # CSV formula injection.
        c.post("/v1/ask", json={"question": "=HYPERLINK(\"http://evil\",\"党建\")"})
        csv_text = c.get("/v1/log/export.csv").text
        t.check("CSV formula injection", ",=HYPERLINK" not in csv_text and "\n=" not in csv_text, "formula in CSV")

        # Hostile uploads: nothing bad enters knowledge/, reserved names refused.
        before = sorted(p.name for p in knowledge.iterdir())
        files = [("files", ("bomb.docx", _docx_bomb())), ("files", ("garbled.txt", bytes(range(0x81, 0xFF)) * 3)),
                 ("files", ("userdict.txt", b"x 1 n\n")), ("files", ("manifest.toml", b"[x]"))]
        r = c.post("/v1/documents", files=files)
        job = r.json().get("job")
        while job:
            j = c.get(f"/v1/jobs/{job}").json()
            if j["status"] != "running":
                break
            time.sleep(0.2)
        after = sorted(p.name for p in knowledge.iterdir())
        t.check("hostile uploads", after == before, f"knowledge/ changed: {sorted(set(after) - set(before))}")
        quarantined = {f["file"] for f in c.get("/v1/quarantine").json()["files"]}
        t.check("hostile uploads", quarantined >= {"bomb.docx"} or "bomb.docx" in str(r.json()["rejected"]),
                f"quarantine: {quarantined}")
        t.check("service still answers", c.post("/v1/ask", json={"question": Q}).status_code == 200, "ask failed")
    finally:
        server.terminate()
        try:
            server.wait(20)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    return 1 if t.print() else 0


if __name__ == "__main__":
    sys.exit(main())
