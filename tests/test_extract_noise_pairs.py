"""The noise corpus of the extract stage: pairs of one page that differ only in per-request
furniture extract to the same document; a real edit next to the noise changes exactly the
update it was made in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tracker.extract import extract
from tracker.models import Document

PAIRS = Path(__file__).parent / "fixtures" / "noise" / "extract"
CASES = json.loads((PAIRS / "cases.json").read_text(encoding="utf-8"))


def changed_updates(before: Document, after: Document) -> list[tuple[str, str]]:
    old = {(i.key, u.key): u for i in before.incidents for u in i.updates}
    new = {(i.key, u.key): u for i in after.incidents for u in i.updates}
    return sorted(key for key in old.keys() | new.keys() if old.get(key) != new.get(key))


@pytest.mark.parametrize("case", CASES, ids=[case["name"] for case in CASES])
def test_noise_pair(case: dict) -> None:
    before = extract(case["format"], (PAIRS / case["a"]).read_bytes(), case.get("a_type"))
    after = extract(case["format"], (PAIRS / case["b"]).read_bytes(), case.get("b_type"))
    assert before.incidents, "a pair must have something to compare"
    if "changed" not in case:
        assert before.hash() == after.hash()
        assert before == after
        return
    assert before.hash() != after.hash()
    assert changed_updates(before, after) == [tuple(case["changed"])]
    assert [i.key for i in before.incidents] == [i.key for i in after.incidents]
    assert before.page == after.page


def test_every_pair_file_is_used() -> None:
    named = {case[side] for case in CASES for side in ("a", "b")}
    on_disk = {p.name for p in PAIRS.iterdir() if p.suffix in (".html", ".xml")}
    assert named == on_disk
