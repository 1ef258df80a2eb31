"""No import cycle between the modules of one app. Imports inside functions count too: a function-local import
hides a cycle from Python at start-up, it does not remove it (design.md §1: one direction, also inside an app).
Read with `ast` from the source, so nothing is imported or run."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APPS = ["jaim", "members", "fees", "applications", "roster", "lifecycle", "backoffice", "security", "demo"]


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(root: Path, app: str) -> dict[str, Path]:
    return {
        _module_name(p, root): p
        for p in sorted((root / app).rglob("*.py"))
        if "migrations" not in p.relative_to(root).parts
    }


def _nearest(name: str, modules: dict) -> str | None:
    """The module an import names: `fees.models.Invoice` → `fees.models`."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path, name: str, modules: dict) -> set[str]:
    """Modules of the same app that `path` imports anywhere (top level, functions, methods)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
        else:
            continue
        for target in targets:
            module = _nearest(target, modules)
            if module and module != name:
                found.add(module)
    return found


def import_graph(root: Path, app: str) -> dict[str, set[str]]:
    modules = _modules(root, app)
    return {name: _imports(path, name, modules) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                out.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_between_the_modules_of_an_app(app):
    graph = import_graph(ROOT, app)
    assert len(graph) > 1
    assert cycles(graph) == [], "modules importing each other (a local import counts too)"


def test_a_cycle_hidden_by_a_function_local_import_is_found(tmp_path):
    pkg = tmp_path / "shop"
    (pkg / "services").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "services" / "__init__.py").write_text("from shop.services.orders import place\n")
    (pkg / "services" / "orders.py").write_text(
        "def place():\n    from shop import tasks\n    tasks.send()\n"
    )
    (pkg / "tasks.py").write_text("from shop import services\n\ndef send():\n    pass\n")
    (pkg / "models.py").write_text("from .services import orders\n")
    graph = import_graph(tmp_path, "shop")
    assert graph["shop.models"] == {"shop.services.orders"}  # relative imports resolve too
    assert cycles(graph) == [["shop.services", "shop.services.orders", "shop.tasks"]]
