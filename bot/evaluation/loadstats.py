"""Pure helpers for ``make bench``: percentiles, series summaries, ratios, process memory, tables.

Standard library only, so the unit tests run without Rasa or a running stack.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) with linear interpolation between closest ranks (numpy's default)."""
    if not values:
        return math.nan
    data = sorted(values)
    if len(data) == 1:
        return data[0]
    pos = (len(data) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return data[lo] + (data[hi] - data[lo]) * (pos - lo)


@dataclass
class Series:
    """One measured scenario: a target, a kind of turn and a concurrency level."""

    target: str              # "starter (REST)", "CareChat (REST)", "CareChat (gateway)"
    kind: str                # "knowledge", "personal", "starter"
    concurrency: int         # 1 = sequential
    latencies_ms: list[float] = field(default_factory=list)   # successful turns only
    errors: int = 0
    wall_seconds: float = 0.0
    error_kinds: dict[str, int] = field(default_factory=dict)

    @property
    def turns(self) -> int:
        return len(self.latencies_ms) + self.errors

    @property
    def throughput(self) -> float:
        """Successful messages per second over the scenario's wall time."""
        return len(self.latencies_ms) / self.wall_seconds if self.wall_seconds > 0 else 0.0

    def p(self, q: float) -> float:
        return percentile(self.latencies_ms, q)

    def add_error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def ratio(a: float, b: float) -> float:
    return a / b if b and not math.isnan(a) and not math.isnan(b) else math.nan


def fmt_ms(x: float) -> str:
    return "-" if math.isnan(x) else (f"{x:.0f}" if x >= 100 else f"{x:.1f}")


def fmt_ratio(x: float) -> str:
    return "-" if math.isnan(x) else f"{x:.2f}x"


def series_table(series: Iterable[Series]) -> str:
    """The latency/throughput table, one row per series."""
    rows = ["| target | turn | conversations | turns | p50 ms | p95 ms | p99 ms | msgs/s | errors |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|"]
    for s in series:
        conc = "sequential" if s.concurrency == 1 else str(s.concurrency)
        rows.append(f"| {s.target} | {s.kind} | {conc} | {s.turns} | {fmt_ms(s.p(50))} | {fmt_ms(s.p(95))} | "
                    f"{fmt_ms(s.p(99))} | {s.throughput:.1f} | {s.errors} |")
    return "\n".join(rows)


# ---------------------------------------------------------------------------------------
# Resident memory from /proc (psutil is not installed)
# ---------------------------------------------------------------------------------------
def parse_status_kb(status_text: str, key: str) -> Optional[int]:
    """``VmRSS``/``VmHWM`` in kB from the text of /proc/<pid>/status."""
    for line in status_text.splitlines():
        if line.startswith(key + ":"):
            parts = line.split()
            if len(parts) >= 2 and parts[1].isdigit():
                return int(parts[1])
    return None


def children_of(pid: int, proc: Path = Path("/proc")) -> list[int]:
    """Every descendant of ``pid`` (by scanning the ppid in /proc/*/stat)."""
    parents: dict[int, list[int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # the command name is in parentheses and may contain spaces: split after the last ')'
        fields = stat[stat.rfind(")") + 2:].split()
        if len(fields) >= 2 and fields[1].isdigit():
            parents.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def tree_memory_kb(pid: int, proc: Path = Path("/proc")) -> dict[str, int]:
    """RSS now and the peak RSS (high-water mark) of a process and all its descendants, in kB."""
    total = {"rss_kb": 0, "hwm_kb": 0, "processes": 0}
    for p in [pid, *children_of(pid, proc)]:
        try:
            text = (proc / str(p) / "status").read_text()
        except OSError:
            continue
        total["rss_kb"] += parse_status_kb(text, "VmRSS") or 0
        total["hwm_kb"] += parse_status_kb(text, "VmHWM") or 0
        total["processes"] += 1
    return total


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def cpu_count() -> int:
    return os.cpu_count() or 1
