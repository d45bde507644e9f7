"""JSON and CSV exports of edit events: faithful, and safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json

import pytest
from report_samples import apple_record, hostile_seed, seed

from tracker.publish.export import edit_rows, export_csv, export_json
from tracker.publish.records import EDIT_COLUMNS


def read_csv(text: str) -> list[dict[str, str]]:
    # The hostile corpus has a 1 MB cell; the reader's default limit is 128 KB.
    csv.field_size_limit(4 * 1024 * 1024)
    return list(csv.DictReader(io.StringIO(text, newline="")))


def test_edit_rows_are_flat_and_complete():
    (row,) = edit_rows([apple_record()])
    assert tuple(row) == EDIT_COLUMNS
    assert row["source"] == "apple"
    assert row["kind"] == "update_edited"
    assert row["incident"] == "imessage-2013-07-22"
    assert row["silent"] is True and row["backdated"] is False
    assert row["flags"] == ["quantity_vagued"]
    assert row["reasons"] == ['quantity_vagued: "30 percent of" became "some"']
    assert row["diff"][1:3] == [[-1, "30 percent of"], [1, "some"]]
    assert (row["before_snapshot"], row["after_snapshot"]) == (1, 2)
    assert row["after_sha256"] == apple_record().after.sha256
    assert row["window_end"] == "2013-07-23T16:40:03Z"


def test_json_round_trips():
    rows = edit_rows(seed()[0])
    assert json.loads(export_json(rows)) == rows


def test_json_round_trips_hostile_text_and_is_always_utf8():
    rows = edit_rows(hostile_seed()[0][:-1])
    text = export_json(rows)
    text.encode("utf-8")
    assert json.loads(text) == rows
    assert "<script>alert(1)</script>" in text


def test_csv_renders_lists_diffs_and_booleans_as_text():
    (row,) = read_csv(export_csv(edit_rows([apple_record()])))
    assert list(row) == list(EDIT_COLUMNS)
    assert row["diff"].endswith("[-30 percent of-]{+some+} users were affected.")
    assert row["flags"] == "quantity_vagued"
    assert row["silent"] == "true" and row["revert"] == "false"
    assert row["field"] == ""
    assert row["score"] == "9.5"
    assert (
        row["old"].splitlines()[1]
        == "Between 9:00 AM and 2:30 PM PDT, 30 percent of users were affected."
    )


def test_csv_joins_flags_with_spaces_and_reasons_by_line():
    rows = edit_rows(seed()[0])
    github = [row for row in read_csv(export_csv(rows)) if row["id"] == "2"][0]
    assert github["flags"] == "scope_narrowed text_removed"
    assert github["reasons"].splitlines() == [
        'scope_narrowed: "for all customers" was removed',
        'text_removed: "for all customers" deleted',
    ]


@pytest.mark.parametrize(
    "payload",
    ['=HYPERLINK("http://x","y")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"],
)
def test_csv_neutralises_formulas(payload):
    (row,) = read_csv(export_csv([{"source": payload, "score": -1.5}]))
    assert row["source"] == "'" + payload
    assert row["score"] == "-1.5"


def test_csv_of_hostile_text_parses_back():
    rows = edit_rows(hostile_seed()[0])
    parsed = read_csv(export_csv(rows))
    assert len(parsed) == len(rows)
    assert "<script>alert(1)</script>" in {row["incident"] for row in parsed}
    assert "'-1" not in {row["score"] for row in parsed}


def test_csv_of_no_rows_is_the_header():
    assert export_csv([]).strip() == ",".join(EDIT_COLUMNS)
