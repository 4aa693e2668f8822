"""Every generated query function is exercised: by a query test under tests/, or by the services that use it.

A query nobody calls is either dead SQL or untested SQL; both should fail here rather than rot.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import nexus.db.queries

ROOT = Path(__file__).resolve().parents[2]
CALLERS = [*(ROOT / "tests").rglob("*.py"), *(ROOT / "nexus").rglob("*.py")]


def _generated_functions() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for info in pkgutil.iter_modules(nexus.db.queries.__path__):
        module = importlib.import_module(f"nexus.db.queries.{info.name}")
        names = {
            n for n, f in vars(module).items() if inspect.iscoroutinefunction(f) and f.__module__ == module.__name__
        }
        if names:
            found[info.name] = names
    return found


def _called_attributes() -> set[str]:
    """Names used as `something.name(...)` or `getattr(x, "name")` anywhere outside the generated modules."""
    called: set[str] = set()
    for path in CALLERS:
        if "nexus/db/queries" in str(path) or path.name == Path(__file__).name:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Attribute):
                    called.add(func.attr)
                elif isinstance(func, ast.Name):
                    called.add(func.id)
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and re.fullmatch(r"[a-z_0-9]+", node.value)
            ):
                called.add(node.value)
    return called


def test_every_generated_query_is_called_somewhere() -> None:
    called = _called_attributes()
    missing = sorted(
        f"{module}.{name}" for module, names in _generated_functions().items() for name in names if name not in called
    )
    assert missing == [], f"generated queries that no test or service calls: {missing}"
