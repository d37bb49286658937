#!/usr/bin/env python3
"""Check the import rules of Beffroi's architecture (run by ``make lint``).

The rules (README, "Architecture"):

1. Layers. A module may import its own layer's and lower layers' modules, never a higher one:

       beffroi (project wiring: urls, settings, admin, testing…)
       api, demo                                   the HTTP API, the demo data of every domain
       alerts (participation, volunteering, frontdesk to come)      the domains
       accounts, territory, messaging             shared services
       core                                        framework-light helpers

2. ``messaging`` imports only ``core``: every domain sends through it, so it knows none.
3. Domains meet only through one another's services, selectors and access helpers.
4. Inside ``alerts``, ``subscriptions`` and ``registry`` never import ``composer``,
   ``dispatch`` or ``public``: residents' registrations and the registry stand on their own,
   the alert workflow is built on them.
5. No import cycle between the modules of ``beffroi/``.

Every import counts: at module level, inside functions and under ``TYPE_CHECKING``, because
each is a dependency a reader has to follow. Tests and migrations are not checked.

Usage: ``python scripts/check_imports.py [ROOT]`` (ROOT: the directory holding ``beffroi/``).
Exit status 1 and one line per broken rule when something is wrong.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGE = "beffroi"
LAYERS: tuple[frozenset[str], ...] = (
    frozenset({"api", "demo"}),
    frozenset({"alerts", "participation", "volunteering", "frontdesk"}),
    frozenset({"accounts", "territory", "messaging"}),
    frozenset({"core"}),
)
DOMAINS = LAYERS[1]
# What one domain may use of another: its writes, reads and access helpers (and the models
# those return).
DOMAIN_INTERFACE = frozenset({"services", "selectors", "access", "models"})
# app → the only apps it may import besides itself.
ONLY: dict[str, frozenset[str]] = {"messaging": frozenset({"core"})}
# (package, forbidden packages): sub-packages that must not depend on others.
FORBIDDEN: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (f"{PACKAGE}.alerts.{area}", forbidden)
    for area in ("subscriptions", "registry")
    for forbidden in [
        frozenset(f"{PACKAGE}.alerts.{other}" for other in ("composer", "dispatch", "public"))
    ]
)
SKIPPED_PARTS = frozenset({"tests", "migrations", "__pycache__"})


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module of the package
    path: Path
    line: int


def discover(root: Path) -> dict[str, Path]:
    """Module name → file, for every checked module of the package."""
    modules: dict[str, Path] = {}
    for path in sorted((root / PACKAGE).rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        if SKIPPED_PARTS.intersection(relative.parts):
            continue
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        modules[".".join(parts)] = path
    return modules


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The module of the package that ``name`` designates (a module, or a name inside one)."""
    while name:
        if name in modules:
            return name
        if "." not in name:
            return None
        name = name.rsplit(".", 1)[0]
    return None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> Iterator[Import]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        candidates: list[str] = []
        if isinstance(node, ast.Import):
            candidates = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            # "from a.b import c" imports module a.b.c when it is one, else a name of a.b.
            candidates = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin
                for alias in node.names
            ]
        for candidate in candidates:
            if not (candidate == PACKAGE or candidate.startswith(PACKAGE + ".")):
                continue
            target = _resolve(candidate, modules)
            if target is not None and target != module:
                yield Import(module, target, path, node.lineno)


def _app(module: str, modules: dict[str, Path]) -> str | None:
    """The app (top-level package inside beffroi) of ``module``; None for the project's own
    modules (beffroi.urls, beffroi.settings…) and the root package."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    package = f"{PACKAGE}.{parts[1]}"
    return parts[1] if modules.get(package, Path()).name == "__init__.py" else None


def _layer(app: str | None) -> int | None:
    for index, apps in enumerate(LAYERS):
        if app in apps:
            return index
    return None


def _layers_text() -> str:
    return " → ".join(", ".join(sorted(apps)) for apps in LAYERS)


def rule_errors(edge: Import, modules: dict[str, Path]) -> Iterator[str]:
    source_app, target_app = _app(edge.source, modules), _app(edge.target, modules)
    if source_app is None or source_app == target_app or edge.target == PACKAGE:
        pass  # the project wiring may import anything; anyone may read beffroi.__version__
    else:
        source_layer, target_layer = _layer(source_app), _layer(target_app)
        if source_layer is None:
            yield (
                f"{edge.source} is in package {source_app!r}, which has no layer: add it to "
                f"LAYERS in scripts/check_imports.py"
            )
        elif target_layer is None:
            yield (
                f"{edge.source} imports {edge.target}, a project module: only the project "
                f"wiring may import it (layers: {_layers_text()})"
            )
        elif target_layer < source_layer:
            yield (
                f"{edge.source} imports {edge.target}: {source_app} may not import "
                f"{target_app}, a higher layer (layers: {_layers_text()})"
            )
        elif (
            source_app in DOMAINS
            and target_app in DOMAINS
            and not DOMAIN_INTERFACE.intersection(edge.target.split(".")[2:])
        ):
            yield (
                f"{edge.source} imports {edge.target}: a domain uses another only through its "
                f"services, selectors, access helpers and models"
            )
        allowed = ONLY.get(source_app)
        if allowed is not None and target_app not in allowed:
            yield (
                f"{edge.source} imports {edge.target}: {source_app} may import only "
                f"{', '.join(sorted(allowed))}"
            )
    for package, forbidden in FORBIDDEN:
        if edge.source == package or edge.source.startswith(package + "."):
            for bad in forbidden:
                if edge.target == bad or edge.target.startswith(bad + "."):
                    yield (
                        f"{edge.source} imports {edge.target}: {package} never imports "
                        f"{', '.join(sorted(forbidden))}"
                    )


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each as a cycle
    path through them, sorted for a stable report."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = 0

    for start in sorted(graph):
        if start in index:
            continue
        # Iterative depth-first search: deep import chains must not hit the recursion limit.
        work: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component: list[str] = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(_cycle_path(sorted(component), graph))
    return sorted(components)


def _cycle_path(component: list[str], graph: dict[str, set[str]]) -> list[str]:
    """One cycle through the component's first module, to show where the loop is."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for child in sorted(graph.get(node, ())):
            if child == start:
                return [*paths[node], start]
            if child in members and child not in paths:
                paths[child] = [*paths[node], child]
                queue.append(child)
    return component  # pragma: no cover - a component always holds a cycle


def check(root: Path) -> list[str]:
    modules = discover(root)
    graph: dict[str, set[str]] = {module: set() for module in modules}
    errors: list[str] = []
    for module, path in modules.items():
        for edge in imports_of(module, path, modules):
            graph[module].add(edge.target)
            location = f"{edge.path.relative_to(root)}:{edge.line}"
            errors.extend(f"{location}: {message}" for message in rule_errors(edge, modules))
    errors.extend(f"import cycle: {' → '.join(loop)}" for loop in cycles(graph))
    return errors


def main(argv: Iterable[str] = ()) -> int:
    args = list(argv)
    root = Path(args[0]) if args else Path(__file__).resolve().parent.parent
    errors = check(root)
    for error in errors:
        print(error)
    if errors:
        print(f"{len(errors)} import rule(s) broken; see scripts/check_imports.py.")
        return 1
    print(f"Import rules hold ({len(discover(root))} modules).")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
