"""README's first command, `bash scripts/serve.sh`, as a newcomer runs it: it installs, migrates,
loads the demo, prints the logins and serves the platform with the embedded worker."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.cli.test_processes import ROOT, _free_port

pytestmark = pytest.mark.slow


def test_readme_serve_command_runs_the_platform_with_demo_data(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "OPENOA_DATA_DIR": str(tmp_path / "var"), "OPENOA_PORT": str(port),
           "OPENOA_BASE_URL": f"http://127.0.0.1:{port}"}
    env.pop("OPENOA_DATABASE_URL", None)
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        proc = subprocess.Popen(["bash", str(ROOT / "scripts" / "serve.sh")], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert proc.poll() is None, "serve.sh stopped: " + log.read_text()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, "serve.sh did not start: " + log.read_text()
            time.sleep(0.5)
        printed = log.read_text()
        assert "admin@demo.openoa" in printed and "staff@demo.openoa" in printed and "openoa-demo-1" in printed
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            token = client.get("/csrf").json()["csrf_token"]
            login = client.post("/console/api/login", json={"email": "admin@demo.openoa", "password": "openoa-demo-1"},
                                headers={"X-CSRF-Token": token})
            assert login.status_code == 200, login.text
            accounts = client.get("/console/api/accounts").json()
            assert {a["display_name"] for a in accounts} == {"Siam Coffee", "Baan Noodles"}
            home = client.get(f"/console/api/accounts/{accounts[0]['id']}").json()
            assert home["friends"] and home["friends"] > 0
        assert (tmp_path / "var" / "openoa.db").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
