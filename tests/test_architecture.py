"""The package's structure (issue 27): no import circle, and no module importing a higher layer.

Every import is read from the source (also those under ``TYPE_CHECKING`` and inside functions), so an
import that Python would only run later counts as much as one at the top. The layer order is written
once, here, and shown in docs/architecture.md.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from tests.conftest import REPO

PACKAGE = REPO / "pose_demo"
# From the lowest layer to the highest; a module belongs to the longest prefix that names it. A module
# may import its own layer and those below, never one above.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("pose_demo.i18n", "pose_demo.checks", "pose_demo.skeleton", "pose_demo.timing"),
    ("pose_demo.results", "pose_demo.geometry", "pose_demo.image_input", "pose_demo.enhance"),
    ("pose_demo.focus", "pose_demo.overlap", "pose_demo.visualization"),
    ("pose_demo.models", "pose_demo.detection", "pose_demo.pose_estimation"),
    ("pose_demo.predictor", "pose_demo.evaluation"),
    ("pose_demo.tracking", "pose_demo.classifier"),
    ("pose_demo.rules",),
    ("pose_demo.exercises",),
    ("pose_demo.analysis", "pose_demo.stream"),
    ("pose_demo.video",),
    ("pose_demo.report", "pose_demo.compare", "pose_demo.learn", "pose_demo.batch", "pose_demo.quantize"),
    ("pose_demo.bench", "pose_demo.app"),
    ("pose_demo.cli", "pose_demo"),
)


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports(name: str) -> set[str]:
    """The project's modules that module ``name`` imports, anywhere in its source."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            # "from package import module" imports that module; "from module import name" the module
            submodules = [f"{module}.{a.name}" for a in node.names]
            targets = [sub if sub in MODULES else module for sub in submodules]
        else:
            continue
        found.update(t for t in targets if t in MODULES and t != name)
    return found


GRAPH = {name: imports(name) for name in MODULES}


def layer(name: str) -> int:
    matches = [
        (len(prefix), k)
        for k, prefixes in enumerate(LAYERS)
        for prefix in prefixes
        if name == prefix or name.startswith(prefix + ".")
    ]
    assert matches, f"{name} is in no layer: add it to LAYERS (and to docs/architecture.md)"
    return max(matches)[1]


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each strongly connected group of modules (Tarjan's algorithm), as a path."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_the_import_reader_sees_every_kind_of_import() -> None:
    """Imports at the top, under TYPE_CHECKING, inside functions, and relative ones."""
    assert "pose_demo.results" in GRAPH["pose_demo.geometry"]  # at the top
    assert "pose_demo.classifier.model_file" in GRAPH["pose_demo.rules.ruleset"]  # inside a function
    assert "pose_demo.learn.train" in GRAPH["pose_demo.app.teach_tab"]  # under TYPE_CHECKING
    assert {"pose_demo.rules.ruleset", "pose_demo.rules.tracker"} <= GRAPH["pose_demo.rules"]  # a package


def test_the_cycle_finder_finds_circles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"} - {"e"}}
    assert cycles(graph) == [["a", "b", "c"]]


def test_no_import_circle() -> None:
    assert cycles(GRAPH) == []


def test_every_module_is_in_a_layer() -> None:
    for name in MODULES:
        layer(name)


@pytest.mark.parametrize("name", sorted(MODULES))
def test_no_module_imports_a_higher_layer(name: str) -> None:
    higher = sorted(t for t in GRAPH[name] if layer(t) > layer(name))
    assert not higher, f"{name} (layer {layer(name)}) imports {higher} from a higher layer"


def test_the_app_has_one_room_per_tab() -> None:
    """A tab's module imports shared modules of the app only, never another tab nor the assembly; a shared
    module imports no tab."""
    app = [name for name in MODULES if name.startswith("pose_demo.app.")]
    tabs = {name for name in app if name.endswith("_tab")}
    assert {t.removeprefix("pose_demo.app.") for t in tabs} == {
        "image_tab", "video_tab", "webcam_tab", "compare_tab", "teach_tab"
    }  # fmt: skip
    for name in app:
        if name == "pose_demo.app.layout":
            continue
        crossing = sorted(GRAPH[name] & (tabs | {"pose_demo.app.layout"}))
        assert not crossing, f"{name} imports {crossing}"


def test_the_docs_show_the_layer_order() -> None:
    docs = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for k, prefixes in enumerate(LAYERS):
        names = ", ".join(f"`{p.removeprefix('pose_demo.') or 'pose_demo'}`" for p in prefixes)
        assert f"{k + 1}. {names}" in docs, f"docs/architecture.md's layer list lacks: {k + 1}. {names}"


def test_the_readme_names_every_part_of_the_package() -> None:
    """README's "Where things are" table names each top-level module and folder of the package."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("Where things are:") : readme.index("## Command line")]
    parts = [p for p in sorted(PACKAGE.iterdir()) if p.suffix == ".py" or (p / "__init__.py").is_file()]
    for part in parts:
        if part.name == "__init__.py":
            continue
        named = f"pose_demo/{part.name}" + ("/" if part.is_dir() else "")
        assert named in table or f"`{part.name}`" in table, f"README's layout table does not name {named}"
