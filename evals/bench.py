"""`make bench`: speed and memory figures (printed, never asserted). Medians of several runs."""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

from retrieval.answer import answer
from retrieval.index import KnowledgeBase, embed_text
from retrieval.settings import Settings

QUESTIONS = [
    "企业里正式党员不足三人，没法单独成立党支部，应该怎么组建党组织？",
    "非公企业党组织的活动经费可以从哪些渠道解决？",
    "党组织活动场所建设的“六有”标准是什么？",
    "怎样选优配强两新组织的党组织书记？",
    "企业建了党组织但还没有工会，怎么推动建会？",
    "北京明天会下雨吗？",
]
# The README example, embedded as a query: the MD5 of its float32 vector tells whether two machines' embedders give
# the same vectors (stop 18 found one commit answering a few questions differently on an AMD and an Intel machine).
FINGERPRINT_TEXT = "企业正式党员不足三人，怎么联合组建党组织？"


def embedder_fingerprint(embedder) -> str:
    return hashlib.md5(embedder.embed_query(FINGERPRINT_TEXT).astype("float32").tobytes()).hexdigest()


def _machine() -> str:
    cpu = "unknown cpu"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}"


def _pct(xs: list[float], q: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(q * (len(s) - 1))))]


def run(runs: int, knowledge: Path) -> dict:
    first, again, pipeline_cps, embed_cps = [], [], [], []
    latencies: list[float] = []
    embedder = None
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            settings = Settings(_env_file=None, data_dir=Path(tmp), knowledge_dir=knowledge)
            kb = KnowledgeBase(settings, embedder=embedder)
            t0 = time.perf_counter()
            report = kb.ingest([knowledge])
            first.append(time.perf_counter() - t0)
            pipeline_cps.append(report.chunks / first[-1])
            embedder = kb.embedder
            t0 = time.perf_counter()
            kb.ingest([knowledge])
            again.append(time.perf_counter() - t0)
            texts = [embed_text(c) for c in kb.snapshot().chunks]
            t0 = time.perf_counter()
            for i in range(0, len(texts), settings.embed_batch):
                kb.embedder.embed_passages(texts[i : i + settings.embed_batch])
            embed_cps.append(len(texts) / (time.perf_counter() - t0))
            for q in QUESTIONS:  # warm-up
                answer(q, kb, settings)
            for _ in range(5):
                for q in QUESTIONS:
                    t0 = time.perf_counter()
                    answer(q, kb, settings)
                    latencies.append((time.perf_counter() - t0) * 1000)
            chunks = report.chunks
            fingerprint = embedder_fingerprint(kb.embedder)
            kb.close()
    return {
        "machine": _machine(),
        "embedder_fingerprint": fingerprint,
        "runs": runs,
        "chunks": chunks,
        "first_ingest_s": round(statistics.median(first), 2),
        "reingest_unchanged_s": round(statistics.median(again), 3),
        "embedder_chunks_per_s": round(statistics.median(embed_cps), 2),
        "pipeline_chunks_per_s": round(statistics.median(pipeline_cps), 2),
        "ask_p50_ms": round(_pct(latencies, 0.5), 1),
        "ask_p95_ms": round(_pct(latencies, 0.95), 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def bench_http(data_dir: Path, knowledge: Path, clients: int = 8, requests_total: int = 240, runs: int = 3) -> dict:
    """Requests/s and latency of POST /v1/ask from `clients` concurrent clients, and the server's RSS."""
    import os
    import socket
    import subprocess
    import sys
    from concurrent.futures import ThreadPoolExecutor

    import httpx

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "DJBOT_DATA_DIR": str(data_dir), "DJBOT_KNOWLEDGE_DIR": str(knowledge),
           "DJBOT_RATE_LIMIT": "1000000/minute"}
    exe = Path(sys.executable).parent / "djbot"
    proc = subprocess.Popen([str(exe), "serve", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        else:
            raise RuntimeError("service did not become ready")
        def one(i: int, lat: list[float]) -> None:
            with httpx.Client(timeout=30) as client:
                for j in range(requests_total // clients):
                    q = QUESTIONS[(i + j) % len(QUESTIONS)]
                    t0 = time.perf_counter()
                    r = client.post(url + "/v1/ask", json={"question": q})
                    r.raise_for_status()
                    lat.append((time.perf_counter() - t0) * 1000)

        with httpx.Client() as warm:
            warm.post(url + "/v1/ask", json={"question": QUESTIONS[0]})
        rps, p50, p95, count = [], [], [], 0
        for _ in range(runs):
            lat: list[float] = []
            t0 = time.perf_counter()
            with ThreadPoolExecutor(clients) as pool:
                list(pool.map(lambda i, lat=lat: one(i, lat), range(clients)))
            elapsed = time.perf_counter() - t0
            rps.append(len(lat) / elapsed)
            p50.append(_pct(lat, 0.5))
            p95.append(_pct(lat, 0.95))
            count = len(lat)
        status = Path(f"/proc/{proc.pid}/status").read_text()
        rss = {k: int(v.split()[0]) / 1024 for k, v in (ln.split(":", 1) for ln in status.splitlines())
               if k in {"VmRSS", "VmHWM"}}
        return {
            "http_clients": clients,
            "http_requests_per_run": count,
            "http_ask_rps": round(statistics.median(rps), 1),
            "http_ask_p50_ms": round(statistics.median(p50), 1),
            "http_ask_p95_ms": round(statistics.median(p95), 1),
            "service_rss_mb": round(rss.get("VmRSS", 0), 1),
            "service_peak_rss_mb": round(rss.get("VmHWM", 0), 1),
        }
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def main() -> None:
    parser = argparse.ArgumentParser(description="djbot benchmarks")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    args = parser.parse_args()
    result = run(args.runs, args.knowledge)
    with tempfile.TemporaryDirectory() as tmp:
        KnowledgeBase(Settings(_env_file=None, data_dir=Path(tmp), knowledge_dir=args.knowledge)).ingest([args.knowledge])
        result.update(bench_http(Path(tmp), args.knowledge, runs=args.runs))
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
