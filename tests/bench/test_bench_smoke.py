"""The benchmark scripts still run: each for about a second with tiny parameters, printing its
ratio and its verdict against shared/BENCHMARKS.md (the figures themselves are not judged here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

BENCH = Path(__file__).resolve().parents[2] / "bench"


def run(script: str, *args: str) -> str:
    done = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True, text=True,
                          timeout=120, env={"COLUMNS": "200", "PATH": "/usr/bin:/bin"})
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_b2_push_prints_its_ratio_and_verdict() -> None:
    out = run("b2_push.py", "--seconds", "1", "--warmup", "0.2", "--concurrency", "4")
    assert "ratio OpenOA / bare:" in out
    assert "B2 PASS" in out or "B2 FAIL" in out
    assert "bare FastAPI (baseline)" in out and "OpenOA push" in out


def test_b3_webhooks_prints_its_ratio_and_verdict() -> None:
    out = run("b3_webhooks.py", "--events", "30", "--rounds", "1")
    assert "ratio OpenOA / plain client:" in out
    assert "B3 PASS" in out or "B3 FAIL" in out
    assert "31" in out  # the 30 events and the friend's follow event, all delivered
