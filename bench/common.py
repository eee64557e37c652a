"""What the bench scripts share: free ports, a server process, its CPU time,
the machine description and the result table.

Imported by the scripts next to it (``python3 bench/x.py`` puts this folder on
``sys.path``).  Standard library only, so it runs with any Python 3.11+.
"""

from __future__ import annotations

import datetime as _dt
import os
import platform
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- processes ------------------------------------------------------------------


def free_ports(n: int) -> list[int]:
    """n distinct free TCP ports (held open together so they differ)."""
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for s in socks:
            s.close()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, all threads included, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    # the command name (field 2) may hold spaces: split after its closing ')'
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def wait_until(
    proc: subprocess.Popen[bytes], answers: Callable[[], bool], what: str, timeout: float = 15.0
) -> None:
    """Block until ``answers()`` is true (it returns False on a connection error).

    RuntimeError when ``proc`` exits first or ``timeout`` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        if answers():
            return
        if time.monotonic() > deadline:
            raise RuntimeError(f"{what} did not answer in {timeout}s")
        time.sleep(0.05)


@dataclass
class Server:
    """A server process on ``port``; a subclass says how it answers (``ready``)."""

    label: str
    argv: list[str]
    port: int
    proc: subprocess.Popen[bytes] | None = None

    def ready(self) -> bool:
        """One readiness probe: True when the server answers as it should."""
        raise NotImplementedError

    def start(self) -> None:
        self.proc = subprocess.Popen(
            self.argv,
            cwd=REPO,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            wait_until(self.proc, self.ready, f"server on port {self.port}")
        except RuntimeError as e:
            err = self.stop()
            raise RuntimeError(f"{self.label}: {shlex.join(self.argv)}: {e}\n{err}") from None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def stop(self) -> str:
        """Stop the server; its stderr."""
        proc = self.proc
        if proc is None:
            return ""
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.stderr:
            proc.stderr.close()
        self.proc = None
        return err


def stop_all(servers: Iterable[Server]) -> None:
    """Stop each server; print the stderr of those that wrote any."""
    for server in servers:
        err = server.stop()
        if err.strip():
            print(f"{server.label} stderr:\n{err}", file=sys.stderr)


# -- the report -----------------------------------------------------------------


def run_text(argv: Sequence[str]) -> str:
    """What a command prints (stdout, else stderr), stripped; its failure as text."""
    try:
        done = subprocess.run(argv, capture_output=True, text=True, check=False, cwd=REPO)
    except OSError as e:
        return f"unavailable ({e.strerror})"
    return (done.stdout or done.stderr).strip()


def machine() -> dict[str, str]:
    """The first lines of every report: date, CPU, cores, kernel, load, commit."""
    model = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {
        "date": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": model,
        "nproc": str(os.cpu_count()),
        "kernel": f"{platform.system()} {platform.release()}",
        "loadavg": " ".join(f"{x:.2f}" for x in os.getloadavg()),
        "cacheserver": run_text(["git", "describe", "--always", "--dirty"]),
    }


def median_of(samples: Iterable[object], attr: str) -> float | None:
    """The median of the samples' ``attr`` where it is not None."""
    values = [v for v in (getattr(s, attr) for s in samples) if v is not None]
    return statistics.median(values) if values else None


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def ratio(a: float | None, b: float | None) -> str:
    return "-" if a is None or not b else f"{a / b:.2f}"


def info_lines(info: dict[str, str], markdown: bool) -> list[str]:
    """The machine description: a markdown list, or aligned ``key: value`` lines."""
    if markdown:
        return [f"- {k.replace('_', '-')}: {v}" for k, v in info.items()]
    width = max(len(k) for k in info) + 2
    return [f"{k.replace('_', '-') + ':':{width}} {v}" for k, v in info.items()]


def table(
    header: Sequence[str], rows: Sequence[Sequence[str]], markdown: bool, left: int = 0
) -> list[str]:
    """A table, markdown or aligned text; the first ``left`` columns align left."""
    if markdown:
        out = ["| " + " | ".join(header) + " |"]
        out.append("|" + "|".join("---" if i < left else "---:" for i in range(len(header))) + "|")
        out.extend("| " + " | ".join(row) + " |" for row in rows)
        return out
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    return [
        "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in (header, *rows)
    ]
