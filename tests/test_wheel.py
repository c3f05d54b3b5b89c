"""The service as an administrator installs it: a wheel (not a source checkout) in a fresh
environment, started from an empty directory with the shipped configuration and content."""

from __future__ import annotations

import json
import os
import shutil
import signal
import site
import subprocess
import sys
import urllib.request
from pathlib import Path

from tests.processes import free_port, http_get, wait_until_ready

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ("pyproject.toml", "README.md", "adviceline", "bots", "knowledge_base", "routing",
           "config")


def _build_and_install(tmp_path: Path) -> Path:
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.db", "*.db-*", "build", "*.egg-info")
    for name in SOURCES:
        path = ROOT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels),
                    str(source)], check=True, capture_output=True)
    (wheel,) = wheels.glob("adviceline-*.whl")
    fresh = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(fresh)], check=True)
    # --ignore-installed: without it pip first uninstalls the adviceline of the environment
    # running the tests (an editable install), and every later test would lose it.
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps",
                    "--ignore-installed", "--prefix", str(fresh), str(wheel)],
                   check=True, capture_output=True)
    # The dependencies come from this environment; adviceline itself only from the wheel.
    packages = next((fresh / "lib").glob("python3*/site-packages"))
    (packages / "dependencies.pth").write_text(site.getsitepackages()[0] + "\n")
    return fresh / "bin" / "python"


def test_a_wheel_installed_elsewhere_inits_and_serves_from_an_empty_directory(
        tmp_path: Path) -> None:
    python = _build_and_install(tmp_path)
    empty = tmp_path / "empty"
    empty.mkdir()
    env = {key: value for key, value in os.environ.items()
           if key not in ("PYTHONPATH", "ADVICELINE_DATABASE_URL")}
    found = subprocess.run([str(python), "-c", "import adviceline, knowledge_base; "
                            "print(adviceline.__file__); print(knowledge_base.__file__)"],
                           cwd=empty, env=env, check=True, capture_output=True, text=True)
    assert str(ROOT) not in found.stdout and str(tmp_path / "fresh") in found.stdout
    check = subprocess.run([str(python), "-m", "adviceline", "kb", "check"], cwd=empty, env=env,
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr

    # As an administrator starts: a region's configuration from `init`, then `serve` with it.
    init = subprocess.run([str(python), "-m", "adviceline", "init", "--region", "regio",
                           "--name", "Regio Test", "--municipality", "Almelo"], cwd=empty,
                          env=env, capture_output=True, text=True, timeout=120)
    assert init.returncode == 0, init.stderr
    config = empty / "regio" / "adviceline.toml"
    port = free_port()
    process = subprocess.Popen([str(python), "-m", "adviceline", "serve", "--config",
                                str(config), "--port", str(port)],
                               cwd=empty, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(process, base, 90)
        status, page = http_get(f"{base}/")
        assert status == 200 and b"<html" in page
        request = urllib.request.Request(
            f"{base}/api/v1/conversations", data=json.dumps({"municipality": "Almelo"}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 201 and json.loads(response.read())["token"]
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "adviceline is running (Regio Test" in out
    assert (empty / "regio" / "adviceline.db").is_file()   # where `init` put it
    # The environment running the tests still has its own adviceline.
    assert subprocess.run([sys.executable, "-m", "pip", "show", "-q", "adviceline"],
                          capture_output=True).returncode == 0
