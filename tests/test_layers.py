"""The flow goes one way: every module has a rank, and imports only go down.

A unit is a top-level module or package of `tracker/`. A unit may import its own modules and
any unit of a lower rank, never one of the same rank (sideways) or a higher one (upwards).
Every unit must be ranked, so a new module cannot slip past the rule.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).parent.parent / "tracker"

RANKS = {
    # The shell: the one place errors become exit codes.
    "cli": 6,
    # The offline tour composes a whole run.
    "demo": 5,
    # A sources file adds sources and notification targets.
    "sourcefile": 5,
    # Compositions over ingest: publishing, rebuilding and verifying, importing histories.
    "publish": 4,
    "maintenance": 4,
    "importers": 4,
    # One observation through the stages; what can be tracked.
    "ingest": 3,
    "sources": 3,
    "runs": 3,
    # The stages.
    "fetch": 2,
    "downloads": 2,
    "robots": 2,
    "deadline": 2,
    "archive": 2,
    "extract": 2,
    "edits": 2,
    "catalog": 2,
    "noise": 2,
    # Plain values and helpers every stage may use.
    "models": 1,
    "times": 1,
    "text": 1,
    "files": 1,
    "processes": 1,
    # The root exception, the package's version and the memo for pure functions, below
    # everything.
    "errors": 0,
    "memo": 0,
    "__init__": 0,
    "__main__": 7,
}
# Within the stages, fetch's watchdog belongs to fetch; robots.txt is fetched by fetch; the
# downloads of a check run fetch in a child process.
FRIENDS = {("fetch", "deadline"), ("robots", "fetch"), ("downloads", "fetch")}
# Outside libraries and the only units allowed to import each.
OWNERS = {
    "requests": {"fetch", "deadline"},
    "urllib3": {"fetch", "deadline"},
    "sqlite_utils": {"archive"},
    "sqlite3": {"archive", "cli"},
    "jinja2": {"publish"},
    "markupsafe": {"publish"},
    "click": {"cli"},
    "bs4": {"extract"},
    "soupsieve": {"extract"},
    "lxml": {"extract"},
    "selectolax": {"extract"},
    "diff_match_patch": {"edits"},
    "zstandard": {"archive"},
    "warcio": {"publish"},
    "protego": {"fetch", "robots"},
    "apprise": {"publish"},
}


def unit_of(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0].removesuffix(".py")


def imports(path: Path) -> set[str]:
    """Modules imported by a file, package-relative ones made absolute (`tracker.x.y`)."""
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
                if not node.module or module == "tracker":
                    names.update(f"{module}.{alias.name}" for alias in node.names)
                    continue
            else:
                module = node.module or ""
                if module == "tracker":
                    names.update(f"tracker.{alias.name}" for alias in node.names)
                    continue
            names.add(module)
    return names


def modules() -> list[Path]:
    return sorted(PACKAGE.rglob("*.py"))


def crossings() -> list[str]:
    found = []
    for path in modules():
        here = unit_of(path)
        for module in imports(path):
            if not module.startswith("tracker."):
                continue
            there = module.split(".")[1]
            if there not in RANKS and not (PACKAGE / there).exists():
                there = "__init__"  # a name defined in tracker/__init__.py (__version__)
            if there == here or (here, there) in FRIENDS:
                continue
            if RANKS.get(there, 99) >= RANKS[here]:
                found.append(f"{path.relative_to(PACKAGE)} ({here}) imports {module} ({there})")
    return found


def test_every_module_is_ranked():
    assert sorted({unit_of(p) for p in modules()} - set(RANKS)) == []


def test_imports_only_go_down():
    assert crossings() == []


def test_each_outside_library_has_one_home():
    misplaced = []
    for path in modules():
        for module in imports(path):
            owners = OWNERS.get(module.split(".")[0])
            if owners and unit_of(path) not in owners:
                misplaced.append(f"{path.relative_to(PACKAGE)} imports {module}")
    assert misplaced == []


def test_the_walker_sees_imports():
    """The checks above are only as good as this: it must find real imports."""
    assert "sqlite_utils" in imports(PACKAGE / "archive" / "schema.py")
    assert "requests" in imports(PACKAGE / "fetch.py")
    assert "tracker.edits" in imports(PACKAGE / "ingest.py")
    assert "tracker.publish.records" in imports(PACKAGE / "cli" / "app.py")


def test_an_upward_import_is_caught(tmp_path):
    """`from ..cli import cli` in the classifier must fail the rule (it once passed)."""
    classify = PACKAGE / "edits" / "classify.py"
    original = classify.read_text("utf-8")
    copy = tmp_path / "tracker"
    for path in modules():
        target = copy / path.relative_to(PACKAGE)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(path.read_text("utf-8"), "utf-8")
    (copy / "edits" / "classify.py").write_text(original + "\nfrom ..cli import cli\n", "utf-8")
    (copy / "extract" / "shape.py").write_text(
        (PACKAGE / "extract" / "shape.py").read_text("utf-8") + "\nfrom ..edits import detect\n",
        "utf-8",
    )
    globals()["PACKAGE"] = copy
    try:
        found = crossings()
    finally:
        globals()["PACKAGE"] = Path(__file__).parent.parent / "tracker"
    assert "edits/classify.py (edits) imports tracker.cli (cli)" in found
    assert "extract/shape.py (extract) imports tracker.edits (edits)" in found
