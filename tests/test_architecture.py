"""The import structure a newcomer relies on: no cycles, handlers/ above bot/, a pure core.

Imports are read with `ast` from the source (every `import`, also inside functions and under
TYPE_CHECKING: an import hidden in a function is still a dependency, and a cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "knowledge", "i18n")
# The one module of bot/ that may read handlers/: it builds the Application from their table.
COMPOSITION_ROOT = "bot.telegram_app"
# Pure cores: no Telegram type reaches them, so the terminal and tests use them as they are.
TELEGRAM_FREE = (
    "knowledge",
    "i18n",
    "bot.eligibility",
    "bot.answering",
    "bot.assistant",
    "bot.questions",
    "bot.services",
    "bot.terminal",
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            found[_module_name(path)] = path
    return found


def _imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """Every module name path imports (project modules or not), resolved like Python does."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join([*base, *([node.module] if node.module else [])])
            else:
                module = node.module or ""
            names.add(module)
            # `from handlers import questions` imports the module handlers.questions.
            submodules = (f"{module}.{alias.name}" for alias in node.names)
            names.update(m for m in submodules if m in known)
    return names


def _graph() -> dict[str, set[str]]:
    known = _modules()
    return {
        name: {m for m in _imported(name, path, known) if m in known and m != name}
        for name, path in known.items()
    }


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def _within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def test_no_module_imports_itself_through_others() -> None:
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c"]]


def test_only_the_composition_root_in_bot_imports_handlers() -> None:
    edges = [
        (name, target)
        for name, targets in _graph().items()
        if _within(name, "bot") and name != COMPOSITION_ROOT
        for target in targets
        if _within(target, "handlers")
    ]
    assert edges == []


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen = {start}
    todo = [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


def test_the_core_reaches_nothing_of_telegram_even_through_other_modules() -> None:
    known = _modules()
    graph = _graph()
    offending = sorted(
        (name, reached, module)
        for name in known
        if any(_within(name, core) for core in TELEGRAM_FREE)
        for reached in _reachable(graph, name)
        for module in _imported(reached, known[reached], known)
        if _within(module, "telegram") or _within(module, "handlers")
    )
    assert offending == []


def test_every_handler_row_of_the_table_is_a_handler_of_handlers() -> None:
    from handlers.routes import ROUTES

    modules = {route.handler.__module__ for route in ROUTES}
    assert all(_within(module, "handlers") for module in modules)
    # The free-text catch-all is the last row: every command and button is tried before it.
    assert ROUTES[-1].handler.__name__ == "answer_question"
