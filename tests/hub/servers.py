"""Real servers for the hub and sync tests: the hub as a process on loopback, and a
throwaway PostgreSQL cluster (Debian's postgresql binaries, initdb + pg_ctl in a temp dir).

PostgreSQL refuses to run as root, and CI runs as root: the cluster then runs as the
`postgres` user the Debian package creates (through `runuser`). Without the binaries the
PostgreSQL tests skip on a developer machine and FAIL when CI=true.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- the hub process


@dataclass
class RunningHub:
    url: str
    data: Path
    db: str | None
    proc: subprocess.Popen[str]
    hub_id: str
    credentials: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [sys.executable, "-m", "hub", *args, "--data", str(self.data)]
        if self.db:
            cmd += ["--db", self.db]
        proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        if check and proc.returncode != 0:
            raise AssertionError(proc.stdout + proc.stderr)
        return proc

    def device(self, school: str) -> str:
        """A credential for a device of `school` (one per school per hub, cached)."""
        if school not in self.credentials:
            self.credentials[school] = self.cli("device-add", "--school", school).stdout.strip()
        return self.credentials[school]

    def listing(self, school: str | None = None) -> list[dict[str, object]]:
        args = ["list"] + (["--school", school] if school else [])
        data: list[dict[str, object]] = json.loads(self.cli(*args).stdout)
        return data

    def cpu_seconds(self) -> float:
        """User + system CPU time of the hub process so far (Linux /proc)."""
        fields = Path(f"/proc/{self.proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        ticks = os.sysconf("SC_CLK_TCK")
        return (int(fields[11]) + int(fields[12])) / ticks

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def start_hub(data: Path, db: str | None = None, *, verify: bool = True, port: int = 0) -> RunningHub:
    cmd = [sys.executable, "-m", "hub", "serve", "--data", str(data), "--port", str(port)]
    if db:
        cmd += ["--db", db]
    if not verify:
        cmd.append("--no-verify")
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.wait(10)
        raise AssertionError(f"hub did not start: {proc.stderr.read() if proc.stderr else ''}")
    first = json.loads(line)
    url = first["listening"]
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/v1/info", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if time.monotonic() > deadline or proc.poll() is not None:
            raise AssertionError("hub did not answer /v1/info")
        time.sleep(0.05)
    return RunningHub(url, data, db, proc, first["hub_id"])


# --------------------------------------------------------------------------- PostgreSQL


def pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


def require_postgres() -> Path:
    binaries = pg_bin()
    if binaries is None:
        message = "PostgreSQL is not installed (Debian package postgresql)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message + ": CI must run the PostgreSQL tests")
        pytest.skip(message)
    return binaries


class PgCluster:
    """initdb + pg_ctl in a fresh folder, on a free loopback port; `url(name)` creates a database."""

    def __init__(self, binaries: Path) -> None:
        self.bin = binaries
        self.folder = Path(tempfile.mkdtemp(prefix="hocba-pg-"))
        self.data = self.folder / "data"
        self.port = free_port()
        self.as_root = os.geteuid() == 0
        if self.as_root:
            shutil.chown(self.folder, "postgres", "postgres")

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"{args[0]} failed: {proc.stdout}{proc.stderr}")
        return proc

    def start(self) -> PgCluster:
        self._run(
            "initdb", "-D", str(self.data), "-U", "hub", "-A", "trust", "-E", "UTF8", "--locale=C.UTF-8"
        )
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(self.folder / "log.txt"), "-w", "start"
        )
        return self

    def url(self, name: str) -> str:
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", "hub", name)
        return f"postgresql://hub@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        with contextlib.suppress(Exception):
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "stop", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)
