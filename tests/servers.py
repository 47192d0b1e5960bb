"""A real server and a real PostgreSQL database for the tests and the load benchmark: `loanbook serve` in its own
process on a free port, and a database made for one run and dropped after it."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

LOANBOOK = str(Path(sys.executable).parent / "loanbook")
POSTGRES_ADMIN = os.environ.get("LOANBOOK_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(url: str, workers: int = 1) -> Iterator[tuple[str, subprocess.Popen]]:
    """`loanbook serve` on the store at `url`, once it answers: its base address and its process."""
    port = free_port()
    process = subprocess.Popen([LOANBOOK, "serve", "--port", str(port), "--workers", str(workers), "--quiet"],
                               env={**os.environ, "LOANBOOK_DATABASE_URL": url}, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base}/openapi.json", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not start: {process.stderr.read().decode()[-2000:]}")
            time.sleep(0.1)
        yield base, process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        process.stderr.close()


@contextmanager
def postgres_database(name: str, template: str | None = None) -> Iterator[str]:
    """A new database `name` on the machine's PostgreSQL server (its URL), dropped afterwards: empty, or a copy of
    the database `template` (which nobody may be connected to). An unreachable server raises sqlalchemy's
    OperationalError."""
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            copy = f' TEMPLATE "{template}"' if template else ""
            connection.execute(text(f'CREATE DATABASE "{name}"{copy}'))
        try:
            yield POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
