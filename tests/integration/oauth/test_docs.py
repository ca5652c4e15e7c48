"""Every shell and Python example of docs/oauth.md runs against a real jwtgate: the
example's public URL is pointed at a test server, the reader's folder is a temporary
directory, and ``jwtgate`` is the one of this checkout."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.server import ServerThread

pytestmark = pytest.mark.parametrize("backend", ["sqlite+memory"], indirect=True)

DOCS = Path(__file__).parents[3] / "docs" / "oauth.md"
BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```$", re.MULTILINE | re.DOTALL)
EXAMPLE_URL = "https://auth.example.com"


def blocks(kind: str, server: ServerThread) -> list[str]:
    text = DOCS.read_text().replace(EXAMPLE_URL, server.url)
    return [body for found, body in BLOCK.findall(text) if found == kind]


def run(command: list[str], cwd: Path, data_dir: Path) -> str:
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "JWTGATE_DATA_DIR": str(data_dir),
    }
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (
        f"{command[-1][:400]}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
    )
    return done.stdout


def test_every_example_runs(server: ServerThread, data_dir: Path, tmp_path: Path) -> None:
    with server.admin() as admin:
        assert admin.post("/admin/policy", content="account: cucumber\n").status_code == 200
    shell = blocks("sh", server)
    assert len(shell) >= 4 and len(blocks("python", server)) >= 4
    registered = run(["bash", "-euo", "pipefail", "-c", shell[0]], tmp_path, data_dir)
    assert "client secret: jgc_" in registered
    deadline = time.monotonic() + 2
    while not {"SampleConfidentialApp", "batch-job"} <= set(server.runtime.clients.clients):
        assert time.monotonic() < deadline, "the registry change was not served within 2 s"
        time.sleep(0.05)
    output = run(["bash", "-euo", "pipefail", "-c", "\n".join(shell[1:])], tmp_path, data_dir)
    assert "<token_response><access_token>" in output
    assert '"active":true' in output
    for example in blocks("python", server):
        run([sys.executable, "-c", example], tmp_path, data_dir)
