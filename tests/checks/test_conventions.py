"""House conventions that review would otherwise have to catch (STYLE.md 3, 7, and the CSP).

Python is checked on its syntax tree, so docstrings and comments that merely mention a
forbidden call do not count; templates are checked as text.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON_TREES = ("src", "tests", "migrations", "bench", "scripts")
TEMPLATES = ROOT / "src" / "openoa" / "web" / "templates"

# The only module that ends a transaction, and the only sources of time and random IDs.
COMMIT_ALLOWED = {"src/openoa/core/db.py"}
CLOCK_AND_IDS = {"src/openoa/core/clock.py", "src/openoa/core/ids.py"}


def python_files() -> Iterator[tuple[str, ast.AST]]:
    for tree in PYTHON_TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            if ".venv" in path.parts or "node_modules" in path.parts:
                continue
            relative = path.relative_to(ROOT).as_posix()
            yield relative, ast.parse(path.read_text(encoding="utf-8"), filename=relative)


def calls(tree: ast.AST) -> Iterator[ast.Call]:
    return (node for node in ast.walk(tree) if isinstance(node, ast.Call))


def dotted(node: ast.expr) -> str:
    """``a.b.c`` for a name or attribute chain, '' for anything else."""
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def is_commit(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Attribute) and call.func.attr == "commit"


def reads_the_system_clock_or_mints_an_id(call: ast.Call) -> bool:
    name = dotted(call.func)
    return (name.endswith(("datetime.now", "datetime.utcnow", "datetime.today", "date.today"))
            or name.split(".")[-1] in {"uuid1", "uuid4"})


def test_style_3_only_core_db_commits() -> None:
    found = [f"{path}:{call.lineno}: {ast.unparse(call)}"
             for path, tree in python_files() if path not in COMMIT_ALLOWED
             for call in calls(tree) if is_commit(call)]
    assert found == [], "services flush; the caller's Database.scope() commits:\n" + "\n".join(found)


def test_style_7_time_and_ids_only_from_core_clock_and_core_ids() -> None:
    found = [f"{path}:{call.lineno}: {ast.unparse(call)}"
             for path, tree in python_files() if path not in CLOCK_AND_IDS
             for call in calls(tree) if reads_the_system_clock_or_mints_an_id(call)]
    assert found == [], "use openoa.core.clock.now() and openoa.core.ids:\n" + "\n".join(found)


def templates() -> Iterator[tuple[str, str]]:
    assert TEMPLATES.is_dir(), TEMPLATES
    for path in sorted(TEMPLATES.rglob("*.html")):
        yield path.relative_to(ROOT).as_posix(), path.read_text(encoding="utf-8")


def where(path: str, text: str, match: re.Match[str]) -> str:
    line = text.count("\n", 0, match.start()) + 1
    return f"{path}:{line}: {' '.join(match.group(0).split())[:100]}"


_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script\s*>", re.IGNORECASE | re.DOTALL)
_STYLE_ATTRIBUTE = re.compile(r"<[^>]*\sstyle\s*=", re.IGNORECASE)
_STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)
_EVENT_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)
_JAVASCRIPT_URL = re.compile(r"""(?:href|src|action)\s*=\s*["']?\s*javascript:""", re.IGNORECASE)


def test_csp_templates_have_no_inline_script_content() -> None:
    found = [where(path, text, m) for path, text in templates()
             for m in _SCRIPT.finditer(text) if m.group(1).strip()]
    assert found == [], "CSP blocks inline scripts; put the code in web/static/*.js:\n" + "\n".join(found)


def test_csp_templates_have_no_inline_styles_or_event_handlers() -> None:
    found = [where(path, text, m) for path, text in templates()
             for pattern in (_STYLE_ATTRIBUTE, _STYLE_ELEMENT, _EVENT_HANDLER, _JAVASCRIPT_URL)
             for m in pattern.finditer(text)]
    assert found == [], ("CSP blocks style=\"\", <style>, on…= handlers and javascript: URLs; "
                         "use classes in web/static/*.css and scripts in web/static/*.js:\n" + "\n".join(found))


def test_the_checks_catch_what_they_are_meant_to() -> None:
    """Each detector fires on a sample, so a broken check cannot pass silently."""
    [commit] = calls(ast.parse("session.commit()"))
    assert is_commit(commit)
    samples = ["datetime.now(UTC)", "datetime.datetime.utcnow()", "uuid.uuid4()", "uuid4()", "date.today()"]
    assert all(reads_the_system_clock_or_mints_an_id(next(calls(ast.parse(s)))) for s in samples)
    assert not reads_the_system_clock_or_mints_an_id(next(calls(ast.parse("clock.now()"))))
    assert _SCRIPT.search("<script>alert(1)</script>").group(1)  # type: ignore[union-attr]
    assert not _SCRIPT.search('<script src="/static/x.js"></script>').group(1)  # type: ignore[union-attr]
    assert _STYLE_ATTRIBUTE.search('<p class="a" style="color:red">')
    assert _STYLE_ATTRIBUTE.search('<p class="a"\n   style="color:red">'), "attributes on the next line count"
    assert _EVENT_HANDLER.search('<button onclick="go()">')
    assert not _EVENT_HANDLER.search("<p>Turn notifications on=off</p>")
    assert _JAVASCRIPT_URL.search('<a href="javascript:void(0)">')
