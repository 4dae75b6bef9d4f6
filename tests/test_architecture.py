"""The shape of the code, checked on its source: no import cycles, no oversized modules, no corpus
knowledge in the library, a docstring on everything public.

These read files with ``ast``/``tokenize`` and import nothing from ``qa_bot``, so they are fast, and a
broken module cannot hide a violation.
"""

from __future__ import annotations

import ast
import calendar
import io
import re
import tokenize
from collections import defaultdict
from functools import lru_cache
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
LIBRARY = ROOT / "qa_bot"
APP_SIDE = [ROOT / "app_pages", ROOT / "app.py"]
CORPUS = ROOT / "corpus"
MAX_LINES = 400


def _sources(*roots: Path) -> dict[str, Path]:
    """Dotted module name -> file, for every ``.py`` under ``roots`` (a package is its ``__init__``)."""
    out = {}
    for root in roots:
        for path in sorted([root] if root.is_file() else root.rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


# --- import graph ---------------------------------------------------------------------------------

def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The most specific known module ``name`` refers to (``a.b.func`` -> ``a.b``), or None if external."""
    parts = name.split(".")
    while parts:
        if ".".join(parts) in modules:
            return ".".join(parts)
        parts.pop()
    return None


def _imports(module: str, modules: dict[str, Path]) -> dict[str, int]:
    """Internal modules ``module`` imports -> first line doing so.

    Every ``import`` statement counts, at module level, inside functions and under ``TYPE_CHECKING``:
    a lazy import is still a dependency, and a cycle hidden behind one is still a cycle.
    """
    path = modules[module]
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: dict[str, int] = {}
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            stem = ".".join([*base, *(node.module.split(".") if node.module else [])])
            # ``from pkg import name`` imports the submodule pkg.name when there is one, else pkg itself.
            targets = [f"{stem}.{alias.name}" if f"{stem}.{alias.name}" in modules else stem for alias in node.names]
        for target in targets:
            resolved = _resolve(target, modules)
            if resolved and resolved != module:
                found.setdefault(resolved, node.lineno)
    return found


def _graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    return {name: _imports(name, modules) for name in modules}


def _cycles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """One shortest cycle per strongly connected component of more than one module (Tarjan, then BFS)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for succ in graph[node]:
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)

    cycles = []
    for component in components:
        start = min(component)
        came_from: dict[str, str] = {}  # breadth-first from start until it is reached again
        queue = [start]
        while start not in came_from:
            node = queue.pop(0)
            for succ in sorted(graph[node]):
                if succ in component and succ not in came_from:
                    came_from[succ] = node
                    queue.append(succ)
        path = [start]
        while len(path) == 1 or path[-1] != start:
            path.append(came_from[path[-1]])
        cycles.append(path[::-1])
    return cycles


def _describe(cycles: list[list[str]], graph: dict[str, dict[str, int]], modules: dict[str, Path]) -> str:
    lines = []
    for cycle in cycles:
        lines.append(" -> ".join(cycle))
        for a, b in zip(cycle, cycle[1:]):
            lines.append(f"    {modules[a].relative_to(ROOT)}:{graph[a][b]} imports {b}")
    return "\n".join(lines)


def test_library_has_no_import_cycle():
    modules = _sources(LIBRARY)
    graph = _graph(modules)
    cycles = _cycles(graph)
    assert not cycles, "import cycles in qa_bot/:\n" + _describe(cycles, graph, modules)


def test_app_has_no_import_cycle_and_the_library_never_imports_it():
    modules = _sources(LIBRARY, *APP_SIDE)
    graph = _graph(modules)
    cycles = _cycles(graph)
    assert not cycles, "import cycles across qa_bot/, app_pages/, app.py:\n" + _describe(cycles, graph, modules)
    upward = [f"{modules[a].relative_to(ROOT)}:{line} imports {b}" for a, targets in graph.items()
              if a.startswith("qa_bot") for b, line in targets.items() if not b.startswith("qa_bot")]
    assert not upward, "the library imports its front end:\n" + "\n".join(upward)


# --- module size ----------------------------------------------------------------------------------

def test_no_module_is_over_the_size_limit():
    sizes = {path: len(path.read_text(encoding="utf-8").splitlines()) for path in _sources(LIBRARY, *APP_SIDE).values()}
    over = [f"{path.relative_to(ROOT)}: {n} lines" for path, n in sorted(sizes.items()) if n > MAX_LINES]
    assert not over, f"modules over {MAX_LINES} lines (split them by concept):\n" + "\n".join(over)


# --- corpus knowledge -----------------------------------------------------------------------------

_TOKEN = re.compile(r"[A-Za-z][A-Za-z'’-]*[A-Za-z]|[A-Za-z]|[^\sA-Za-z]")
_POSSESSIVE = re.compile(r"['’]s$")
_SENTENCE_BREAK = set('.!?:;"“”‘(')
_CALENDAR = {w for w in [*calendar.month_name, *calendar.day_name] if w}


def _corpus() -> list[tuple[dict, str]]:
    out = []
    for path in sorted(CORPUS.glob("*.md")):
        if path.name.lower() != "readme.md":
            _, head, body = path.read_text(encoding="utf-8").split("---", 2)
            out.append((yaml.safe_load(head), body))
    return out


@lru_cache(maxsize=1)
def corpus_names() -> frozenset[str]:
    """Names of the corpus's people, places and outlets, found in the corpus itself.

    Outlets and bylines come from the front matter. From the text: runs of capitalised words that
    do not open a sentence; a single word counts when it recurs in two or more articles and never
    appears in lower case (nor its plural or singular), which drops ordinary English; a two- or
    three-word run counts when it recurs and never appears in lower case as a phrase ("Great Hall"
    and "Xi Jinping" do, "Foreign Minister" only if the corpus never writes "foreign minister").
    Two-letter acronyms ("AI", "US") are left out: in code they are too often something else.
    """
    articles = _corpus()
    where: dict[str, set[int]] = defaultdict(set)
    lower_words: set[str] = set()
    plain_text: list[str] = []
    for i, (meta, body) in enumerate(articles):
        for paragraph in [str(meta["title"]), *re.split(r"\n\s*\n", body)]:
            tokens = _TOKEN.findall(paragraph)
            plain_text.append(" ".join(tokens))
            run: list[str] = []
            sentence_start = True

            def close_run() -> None:
                if len(run) == 1:
                    where[run[0]].add(i)
                for n in (2, 3):
                    for k in range(len(run) - n + 1):
                        where[" ".join(run[k:k + n])].add(i)
                run.clear()

            for token in tokens:
                if not token[0].isalpha():
                    close_run()
                    sentence_start = sentence_start or token in _SENTENCE_BREAK
                    continue
                word = _POSSESSIVE.sub("", token)
                if word[0].islower():
                    close_run()
                    lower_words.add(word)
                elif sentence_start or word in _CALENDAR:  # capitalised for grammar, not because it is a name
                    close_run()
                else:
                    run.append(word)
                    if word != token:  # "Lee's Beijing visit" is two names, not one
                        close_run()
                sentence_start = False
            close_run()

    text = f" {' '.join(plain_text)} "

    def english(word: str) -> bool:
        w = word.lower()
        return w in lower_words or f"{w}s" in lower_words or (w.endswith("s") and w[:-1] in lower_words)

    names = {meta[key] for meta, _ in articles for key in ("outlet", "author") if meta.get(key)}
    for candidate, articles_with_it in where.items():
        if len(articles_with_it) < 2:
            continue
        if " " in candidate:
            if f" {candidate.lower()} " not in text:
                names.add(candidate)
        elif not english(candidate) and not (candidate.isupper() and len(candidate) <= 2):
            names.add(candidate)
    return frozenset(names)


def _name_pattern(names: frozenset[str]) -> re.Pattern:
    # Two-letter names ("Xi", "Li") match as written: in any case they are mostly other things ("xi", "<li>").
    def alternative(name: str) -> str:
        escaped = re.escape(name).replace(r"\ ", r"[\s_]+")
        return escaped if len(name) > 2 else f"(?-i:{escaped})"

    body = "|".join(alternative(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{body})(?![A-Za-z0-9])", re.I)


def _identifier_words(name: str) -> str:
    """``SEOUL_LEDGER`` -> ``SEOUL LEDGER``, ``hangangWire`` -> ``hangang Wire``: an identifier's words."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", name).replace("_", " ")


def _code_texts(path: Path) -> list[tuple[int, str]]:
    """(line, text) for every identifier and every string literal that is not a docstring."""
    source = path.read_text(encoding="utf-8")
    tree = ast.parse(source, str(path))
    documentation = set()
    for node in ast.walk(tree):
        # A string statement is documentation (docstrings, and attribute docs after an assignment).
        if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
            documentation.add(id(node.value))
    out = [(node.lineno, node.value) for node in ast.walk(tree)
           if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation]
    out += [(tok.start[0], _identifier_words(tok.string)) for tok in tokenize.generate_tokens(io.StringIO(source).readline)
            if tok.type == tokenize.NAME]
    return out


def test_corpus_name_list_is_substantial():
    names = corpus_names()
    print(f"{len(names)} corpus names: {sorted(names)}")
    outlets = {meta["outlet"] for meta, _ in _corpus()}
    assert len(names) >= 20
    assert outlets <= names
    # The coverage's main people and places, to show the extraction finds them.
    assert {"Lee", "Xi", "Xi Jinping", "Lee Jae Myung", "Beijing", "Seoul", "Gyeongju"} <= names


def test_library_code_names_nothing_from_the_corpus():
    pattern = _name_pattern(corpus_names())
    offenders = set()
    for path in _sources(LIBRARY).values():
        for line, text in _code_texts(path):
            for match in pattern.finditer(text):
                offenders.add(f"{path.relative_to(ROOT)}:{line}: {match.group()!r} in {text[:80]!r}")
    assert not offenders, ("qa_bot/ code (outside docstrings and comments) names the corpus's people, places or "
                           f"outlets ({len(offenders)}):\n" + "\n".join(sorted(offenders)))


# --- docstrings -----------------------------------------------------------------------------------

def _public_definitions(body: list[ast.stmt], prefix: str = ""):
    for node in body:
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) or node.name.startswith("_"):
            continue
        decorators = {ast.unparse(d) for d in node.decorator_list}
        if any(d.endswith((".setter", ".deleter")) for d in decorators) or "overload" in decorators:
            continue
        yield f"{prefix}{node.name}", node
        if isinstance(node, ast.ClassDef):
            yield from _public_definitions(node.body, f"{prefix}{node.name}.")


def test_every_public_function_and_class_has_a_docstring():
    missing = []
    for path in _sources(LIBRARY).values():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        missing += [f"{path.relative_to(ROOT)}:{node.lineno}: {name}"
                    for name, node in _public_definitions(tree.body) if not ast.get_docstring(node)]
    assert not missing, f"public definitions without a docstring ({len(missing)}):\n" + "\n".join(missing)


def test_only_the_decide_stage_weighs_spans_or_applies_the_answer_threshold():
    """One decision, one place: outside qa_bot/answering/ nothing builds a Decider, reads a span's probability
    or the support model, or applies keep_ratio (callers take the decision's verdicts as they are)."""
    forbidden = re.compile(r"\bDecider\(|\.probability\b|\bkeep_ratio\b|\bdecide\.support\b|\bSUPPORT_SIGNALS\b")
    found = []
    for path in _sources(LIBRARY, *APP_SIDE).values():
        rel = path.relative_to(ROOT).as_posix()
        if rel.startswith("qa_bot/answering/") or rel == "qa_bot/params.py":
            continue
        found += [f"{rel}:{n}" for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                  if forbidden.search(line)]
    assert not found, "span scores weighed outside the decide stage:\n" + "\n".join(found)
