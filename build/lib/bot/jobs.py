"""Background ingest jobs (upload, reindex) with progress, polled over HTTP."""

from __future__ import annotations

import logging
import threading
import time
import uuid

from retrieval.errors import DjbotError

log = logging.getLogger("djbot.http")


class Jobs:
    """A few background ingest jobs with progress; one runs at a time (the ingest lock)."""

    def __init__(self) -> None:
        self._jobs: dict[str, dict] = {}
        self._lock = threading.Lock()

    def start(self, kind: str, work, job_id: str | None = None) -> dict:
        job = {"id": job_id or uuid.uuid4().hex, "kind": kind, "status": "running", "stage": "", "done": 0, "total": 0,
               "result": None, "error": None, "started_at": time.time()}
        with self._lock:
            self._jobs[job["id"]] = job
            if len(self._jobs) > 100:
                oldest = sorted(self._jobs.values(), key=lambda j: j["started_at"])[0]
                self._jobs.pop(oldest["id"], None)

        def progress(stage: str, done: int, total: int) -> None:
            job.update(stage=stage, done=done, total=total)

        def run() -> None:
            try:
                job["result"] = work(progress)
                job["status"] = "done"
            except DjbotError as exc:
                job.update(status="failed", error=exc.message)
            except Exception:  # the job must report, not vanish
                log.exception("job %s failed", job["id"])
                job.update(status="failed", error="处理失败，请查看服务日志")

        threading.Thread(target=run, daemon=True, name=f"job-{kind}").start()
        return job

    def get(self, job_id: str) -> dict | None:
        return self._jobs.get(job_id)
