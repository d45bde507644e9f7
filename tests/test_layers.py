"""The flow goes one way: no stage imports another, and each outside library has one home."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "tracker"

# Stage name → the files that make it up.
STAGES = {
    "fetch": ["fetch.py", "deadline.py"],
    "archive": ["archive.py", "store.py"],
    "extract": ["extract"],
    "diff": ["diff.py", "align.py"],
    "classify": ["classify.py", "terms.py", "wordlists.py"],
    "report": ["report", "feed.py", "export.py"],
}
# Shared plain values and helpers every stage may use.
SHARED = {"models", "errors", "text", "__init__"}
# Outside libraries and the only stage allowed to import each.
OWNERS = {"requests": "fetch", "urllib3": "fetch", "sqlite_utils": "archive", "jinja2": "report"}


def files_of(stage: str) -> list[Path]:
    paths: list[Path] = []
    for entry in STAGES[stage]:
        path = PACKAGE / entry
        paths.extend(sorted(path.rglob("*.py")) if path.is_dir() else [path])
    return paths


def stage_of(module: str) -> str | None:
    top = module.split(".")[0]
    for stage, entries in STAGES.items():
        if any(top == entry.removesuffix(".py") for entry in entries):
            return stage
    return None


def imports(path: Path) -> set[str]:
    """Modules imported by a file, package-relative ones without the leading `tracker.`."""
    names: set[str] = set()
    tree = ast.parse(path.read_text("utf-8"))
    package = path.parent.relative_to(PACKAGE.parent).parts
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = list(package[: len(package) - node.level + 1])
                module = ".".join([*base, node.module] if node.module else base)
                if not node.module:
                    names.update(f"{module}.{alias.name}" for alias in node.names)
                    continue
            else:
                module = node.module or ""
            names.add(module)
    return names


def internal(module: str) -> str | None:
    if module == "tracker" or not module.startswith("tracker."):
        return None
    return module.removeprefix("tracker.")


def test_no_stage_imports_another():
    crossings = []
    for stage in STAGES:
        for path in files_of(stage):
            for module in imports(path):
                inner = internal(module)
                if inner is None or inner.split(".")[0] in SHARED:
                    continue
                other = stage_of(inner)
                if other is not None and other != stage:
                    crossings.append(f"{path.relative_to(PACKAGE)} ({stage}) imports {module}")
    assert crossings == []


def test_each_outside_library_has_one_home():
    misplaced = []
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE).as_posix()
        owner_here = stage_of(relative.split("/")[0])
        for module in imports(path):
            owner = OWNERS.get(module.split(".")[0])
            if owner and owner != owner_here:
                misplaced.append(f"{relative} imports {module} (only {owner} may)")
    assert misplaced == []


def test_the_walker_sees_imports():
    """The checks above are only as good as this: it must find real imports."""
    assert "sqlite_utils" in imports(PACKAGE / "archive.py")
    assert "requests" in imports(PACKAGE / "fetch.py")
    assert any(m.startswith("tracker.") for m in imports(PACKAGE / "pipeline.py"))
