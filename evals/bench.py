"""`make bench`: speed and memory figures (printed, never asserted). Medians of several runs."""

from __future__ import annotations

import argparse
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
            kb.close()
    return {
        "machine": _machine(),
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


def main() -> None:
    parser = argparse.ArgumentParser(description="djbot benchmarks")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--knowledge", type=Path, default=Path("knowledge"))
    args = parser.parse_args()
    result = run(args.runs, args.knowledge)
    width = max(len(k) for k in result)
    for k, v in result.items():
        print(f"{k:<{width}}  {v}")
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
