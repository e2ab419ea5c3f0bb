"""The layout's rules, checked on the source: data flows corpus → index → service, the core
never imports Flask, no module imports another's private names, and imports form no cycle."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("corpus", "index", "service")
LAYER = {"corpus": 0, "index": 1, "service": 2}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> list[tuple[str, list[str], bool]]:
    """(module, names, at top level) for every import of a project module in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top = set(map(id, tree.body))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, [a.name for a in node.names], id(node) in top))
        elif isinstance(node, ast.Import):
            found += [(alias.name, [], id(node) in top) for alias in node.names]
    return [(m, n, t) for m, n, t in found if m.split(".")[0] in PACKAGES + ("flask",)]


@pytest.mark.parametrize("module", sorted(MODULES))
def test_data_flows_one_way_and_the_core_has_no_flask(module):
    layer = LAYER[module.split(".")[0]]
    for imported, _, _ in _imports(MODULES[module]):
        if imported.split(".")[0] == "flask":
            assert module.startswith("service.http"), f"{module} imports Flask"
        else:
            assert LAYER[imported.split(".")[0]] <= layer, f"{module} imports {imported}"


@pytest.mark.parametrize("module", sorted(MODULES))
def test_no_private_names_are_imported_from_other_modules(module):
    for imported, names, _ in _imports(MODULES[module]):
        private = [n for n in names if n.startswith("_") and not n.startswith("__")]
        assert not private, f"{module} imports {private} from {imported}"


def test_module_level_imports_form_no_cycle():
    graph = {module: {imported for imported, names, top in _imports(path) if top
                      for imported in [imported, *(f"{imported}.{n}" for n in names)]
                      if imported in MODULES and imported != module}
             for module, path in MODULES.items()}
    state: dict[str, int] = {}

    def visit(module: str, trail: list[str]) -> None:
        state[module] = 1
        for nxt in sorted(graph[module]):
            if state.get(nxt) == 1:
                pytest.fail(" → ".join([*trail, module, nxt]))
            if nxt not in state:
                visit(nxt, [*trail, module])
        state[module] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module, [])


def readme_map() -> dict[str, set[str]]:
    """The file names README's map names under each folder (`index/retrieval` → {...})."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## How it works"):]
    block = section[section.index("```\n") + 4:]
    block = block[:block.index("```")]
    named: dict[str, set[str]] = {}
    top = sub = ""
    for line in block.splitlines():
        indent = len(line) - len(line.lstrip())
        first = line.split()[0] if line.strip() else ""
        if indent == 0 and first.endswith("/"):
            top, sub = first.rstrip("/"), ""
        elif indent == 2 and first:
            sub = first.rstrip("/") if first.endswith("/") else ""
        folder = f"{top}/{sub}" if sub else top
        named.setdefault(folder, set()).update(re.findall(r"[\w]+\.py", line))
    return named


def test_the_readme_map_names_every_module_under_its_own_folder():
    named = readme_map()
    missing = [str(path.relative_to(ROOT)) for path in MODULES.values()
               if path.name != "__init__.py"
               and path.name not in named.get(str(path.parent.relative_to(ROOT)), set())]
    assert not missing, f"README's 'How it works' map does not name, in their folders: {missing}"


def test_the_map_check_tells_folders_apart():
    named = readme_map()
    assert "search.py" in named["index/retrieval"] and "search.py" not in named["index"]
    assert "figures.py" in named["corpus"] and "figures.py" in named["service"]
