"""The modules of planner/ import each other without a cycle.

Every import statement counts, those inside functions too: a cycle hidden in a function is
still two modules that cannot be understood, tested or moved one without the other. The
graph is read from the source with ``ast`` (nothing is imported), and ``graphlib`` finds a
cycle.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "planner"


def module_files(package: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every module and package under ``package``."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The modules of the package that ``name`` imports, anywhere in its file. ``from a
    import b`` is an import of the module ``a.b`` when there is one, else of ``a``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name in modules}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[:len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            for alias in node.names:
                if f"{base}.{alias.name}" in modules:
                    found.add(f"{base}.{alias.name}")
                elif base in modules:
                    found.add(base)
    found.discard(name)
    return found


def import_graph(package: Path = PACKAGE) -> dict[str, set[str]]:
    modules = module_files(package)
    return {name: imported(name, path, modules) for name, path in modules.items()}


def cycle(graph: dict[str, set[str]]) -> list[str] | None:
    try:
        TopologicalSorter(graph).prepare()
    except CycleError as exc:
        return list(exc.args[1])
    return None


def test_planner_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "planner.cli.main" in graph and "planner.formulation.model" in graph
    found = cycle(graph)
    assert found is None, "import cycle: " + " -> ".join(reversed(found or []))


@pytest.mark.parametrize(("files", "expected"), [
    ({"a.py": "from p import b\n", "b.py": "def f():\n    from p.a import x\n"}, True),
    ({"a.py": "from . import b\n", "b.py": "from .c import y\n", "c.py": "import p.a\n"},
     True),
    ({"a.py": "from p import b\n", "b.py": "import os\n"}, False),
])
def test_a_cycle_is_found_also_through_a_function(tmp_path: Path, files: dict[str, str],
                                                  expected: bool) -> None:
    """The walk itself: a cycle closed by an import inside a function, or by relative
    imports, is found; an acyclic package passes."""
    package = tmp_path / "p"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, text in files.items():
        (package / name).write_text(text)
    assert (cycle(import_graph(package)) is not None) is expected
