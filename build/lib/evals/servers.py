"""Throwaway servers on loopback (a PostgreSQL cluster in a temp dir, `chroma run`), for the tests and
the scale benchmark. Nothing here is used by the service itself."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postgres_bindir() -> Path:
    """Debian's PostgreSQL binaries (the newest installed major version)."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).resolve().parent
    raise RuntimeError("PostgreSQL is not installed: run `make postgres` (apt-get install postgresql)")


@contextmanager
def postgres_cluster(*, durable: bool = True) -> Iterator[str]:
    """A fresh cluster on a loopback port, trust auth, user `djbot`; yields the URL of its `postgres`
    database. As root, the server runs as Debian's `postgres` user (PostgreSQL refuses to run as root).
    `durable=False` turns fsync off: faster for tests that never crash the server itself."""
    bindir = postgres_bindir()
    tmp = Path(tempfile.mkdtemp(prefix="djbot-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        account = pwd.getpwnam("postgres")
        os.chown(tmp, account.pw_uid, account.pw_gid)
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = tmp / "data", free_port()

    def run(*args: str) -> None:
        res = subprocess.run(as_user + list(args), capture_output=True, text=True, timeout=120)
        if res.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {res.stdout}\n{res.stderr}")

    run(str(bindir / "initdb"), "-D", str(data), "-U", "djbot", "--auth=trust", "-E", "UTF8", "--no-locale",
        "--no-sync")
    opts = f"-p {port} -k {tmp} -c listen_addresses=127.0.0.1 -c max_connections=200"
    if not durable:
        opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    try:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(tmp / "server.log"), "-o", opts, "-w", "-t", "60",
            "start")
        yield f"postgresql+psycopg://djbot@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(as_user + [str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                       capture_output=True, timeout=60)
        shutil.rmtree(tmp, ignore_errors=True)


def create_database(server_url: str, name: str) -> str:
    """Create database `name` on the server of `server_url`; returns its URL."""
    from sqlalchemy import create_engine, text

    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@contextmanager
def chroma_server(path: Path) -> Iterator[str]:
    """`chroma run` (the CLI that ships with chromadb) on a loopback port; yields its URL."""
    exe = Path(sys.executable).parent / "chroma"
    if not exe.exists():
        raise RuntimeError("the chroma CLI ships with the chromadb package: reinstall it")
    port = free_port()
    proc = subprocess.Popen([str(exe), "run", "--path", str(path), "--host", "127.0.0.1", "--port", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                if httpx.get(url + "/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        else:
            raise RuntimeError("chroma server did not start")
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)
