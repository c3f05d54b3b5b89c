"""Adapters get a port into the core, never the pipeline, the database or staff web helpers."""

from __future__ import annotations

import ast
from pathlib import Path

BOTS = Path(__file__).resolve().parents[2] / "bots"
# What an adapter may import from the service: the port and the values crossing it, the
# configuration, shared JSON/HTTP plumbing, the outbox's delivery types, the wording, and the
# background-loop plumbing (finish_round: a stopped loop lets its round end).
ALLOWED = {"adviceline.channels", "adviceline.domain", "adviceline.config", "adviceline.jsonapi",
           "adviceline.outbox", "adviceline.tasks", "adviceline.texts"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_adapters_import_only_the_port_from_the_core() -> None:
    modules = sorted(BOTS.rglob("*.py"))
    assert len(modules) > 5
    for path in modules:
        core = {name for name in _imports(path) if name.split(".")[0] == "adviceline"}
        assert core <= ALLOWED, f"{path.relative_to(BOTS.parent)} imports {core - ALLOWED}"
