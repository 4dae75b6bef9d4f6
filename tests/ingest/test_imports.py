"""The ingest modules import each other in one direction only, even inside functions."""

import ast
from pathlib import Path

import qa_bot.ingest

PACKAGE = Path(qa_bot.ingest.__file__).parent


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _ingest_imports() -> dict[str, set[str]]:
    """Every ``qa_bot.ingest`` module and the ingest modules it imports anywhere in its body."""
    graph: dict[str, set[str]] = {}
    for path in PACKAGE.rglob("*.py"):
        targets = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module:
                targets.add(node.module)
            elif isinstance(node, ast.Import):
                targets.update(alias.name for alias in node.names)
        graph[_module_name(path)] = {t for t in targets if t.startswith("qa_bot.ingest.")}
    return graph


def test_no_import_cycles_between_ingest_modules():
    graph = _ingest_imports()
    assert "qa_bot.ingest.loaders" in graph and "qa_bot.ingest.formats.html" in graph
    done: set[str] = set()

    def visit(module: str, path: tuple[str, ...]) -> None:
        assert module not in path, "import cycle: " + " -> ".join(path + (module,))
        if module in done:
            return
        for target in graph.get(module, ()):
            visit(target, path + (module,))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_the_sandbox_parent_does_not_import_the_loaders_it_isolates():
    graph = _ingest_imports()
    assert graph["qa_bot.ingest.sandbox"] == {"qa_bot.ingest.article"}
