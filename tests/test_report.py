"""The HTML report: structure of the seed case, dossiers, safety against hostile scraped text."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from markupsafe import Markup
from report_samples import (
    APPLE_AFTER,
    APPLE_BEFORE,
    APPLE_NEW,
    APPLE_OLD,
    LARGE_SENTENCE,
    apple_dossier,
    apple_record,
    hostile_seed,
    hostile_strings,
    seed,
)

from tracker.errors import OutputError, TrackerError
from tracker.models import DELETE, EQUAL, INSERT, Dossier
from tracker.publish.report import render_diff_html, write_report

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'"
)
GENERATED = "2026-03-02T08:00:00Z"
APPLE_DIFF_HTML = '<del class="diff-del">30 percent of</del><ins class="diff-ins">some</ins>'


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def text_of(node: Tag) -> str:
    return " ".join(node.get_text(" ").split())


@pytest.fixture(scope="module")
def seed_report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    records, dossiers = seed()
    out = tmp_path_factory.mktemp("report") / "out"
    return out, write_report(out, records, dossiers, generated_at=GENERATED)


def dossier_page(written: list[Path], prefix: str) -> Path:
    (page,) = [path for path in written if path.name.startswith(prefix)]
    return page


# --- the seed case -----------------------------------------------------------------------


def test_directory_report_writes_index_and_one_page_per_incident(seed_report):
    out, written = seed_report
    assert written[0] == out / "index.html"
    pages = sorted(path.name for path in written[1:])
    assert len(pages) == 3
    assert all(re.fullmatch(r"[a-z0-9-]+-[0-9a-f]{10}\.html", name) for name in pages)
    assert all(path.parent == out / "incidents" and path.is_file() for path in written[1:])
    assert not [path for path in out.rglob("*") if path.name.endswith(".tmp")]


def test_head_starts_with_csp_then_charset_and_no_referrer(seed_report):
    _, written = seed_report
    for path in written:
        raw = path.read_bytes()
        head = soup_of(path).head
        first, second = head.find_all(True, recursive=False)[:2]
        assert first.name == "meta" and first["http-equiv"] == "Content-Security-Policy"
        assert first["content"] == CSP
        assert second.get("charset") == "utf-8"
        assert raw.index(b'<meta charset="utf-8">') < 1024
        assert head.find("meta", attrs={"name": "referrer"})["content"] == "no-referrer"


def test_report_loads_nothing_and_runs_nothing(seed_report):
    _, written = seed_report
    for path in written:
        soup = soup_of(path)
        assert not soup.find_all(["script", "link", "img", "iframe", "object", "embed", "form"])
        assert len(soup.find_all("style")) == 1
        assert not [tag for tag in soup.find_all(True) if tag.get("src") or tag.get("style")]
        assert "@import" not in soup.style.string and "url(" not in soup.style.string


def test_index_shows_the_apple_edit_with_badges_diff_reason_and_window(seed_report):
    out, _ = seed_report
    html = (out / "index.html").read_text(encoding="utf-8")
    row = soup_of(out / "index.html").find(id="edit-1")
    assert "apple" in text_of(row.find(class_="vendor"))
    assert text_of(row.find(class_="incident")) == "iMessage"
    badges = [text_of(badge) for badge in row.find_all(class_="badge")]
    assert badges == ["silent edit", "quantity_vagued"]
    flag = row.find(class_="tone-alarm")
    assert flag["title"] == 'quantity_vagued: "30 percent of" became "some"'
    assert text_of(row.find(class_="reasons")) == flag["title"]
    assert row.find("del", class_="diff-del").string == "30 percent of"
    assert row.find("ins", class_="diff-ins").string == "some"
    assert APPLE_DIFF_HTML in html
    when = text_of(row.find(class_="when"))
    assert when == "between 22 Jul 2013, 21:05 UTC and 23 Jul 2013, 16:40 UTC"
    assert row.find("time")["datetime"] == "2013-07-22T21:05:12+00:00"


def test_index_ranks_by_score(seed_report):
    out, _ = seed_report
    rows = soup_of(out / "index.html").select("ol.edits > li.edit")
    assert [row["id"] for row in rows] == [f"edit-{n}" for n in (1, 2, 5, 3, 4, 6)]


def test_index_links_each_edit_to_its_place_in_the_dossier(seed_report):
    out, _ = seed_report
    for row in soup_of(out / "index.html").select("li.edit"):
        page, _, anchor = row.find("a", class_="incident")["href"].partition("#")
        assert page.startswith("incidents/")
        assert soup_of(out / page).find(id=anchor) is not None, row["id"]


def test_vendor_summary_counts_edits_silent_edits_and_flags(seed_report):
    out, _ = seed_report
    table = soup_of(out / "index.html").find("table", class_="vendors")
    rows = {
        text_of(tr.td): [text_of(td) for td in tr.find_all("td")[1:]]
        for tr in table.tbody.find_all("tr")
    }
    assert rows["cloudflare"] == ["3", "2", "text_removed 2 cause_changed 1"]
    assert rows["github"] == ["2", "2", "scope_narrowed 1 severity_down 1 text_removed 1"]
    assert rows["apple"] == ["1", "1", "quantity_vagued 1"]
    link = table.find("a", string=None, href="https://www.apple.com/support/systemstatus/")
    assert link["rel"] == ["noopener", "noreferrer"]


def test_apple_dossier_has_timeline_rewording_and_evidence(seed_report):
    _, written = seed_report
    soup = soup_of(dossier_page(written, "apple-"))
    assert soup.title.string == "apple: iMessage — status-tracker report"
    assert text_of(soup.find(class_="dossier-title")) == "iMessage"
    entry = soup.select_one("ol.timeline > li.entry")
    assert entry.blockquote.string == APPLE_OLD
    change = entry.find(id="edit-1")
    assert change.find("del").string == "30 percent of"
    assert change.find("ins").string == "some"
    assert change.get_text().count(APPLE_NEW.split("\n")[0]) == 1
    assert "quantity_vagued" in [text_of(b) for b in change.find_all(class_="badge")]
    assert "between 22 Jul 2013, 21:05 UTC and 23 Jul 2013, 16:40 UTC" in text_of(change)
    evidence = soup.find("table", class_="evidence-table")
    hashes = [text_of(code) for code in evidence.find_all("code", class_="hash")]
    assert hashes == [APPLE_BEFORE.sha256, APPLE_AFTER.sha256]
    rows = evidence.tbody.find_all("tr")
    assert [row["id"] for row in rows] == ["snapshot-1", "snapshot-2"]
    assert "wayback" in text_of(rows[0])
    capture = rows[0].find("a", href=APPLE_BEFORE.reference)
    assert capture["rel"] == ["noopener", "noreferrer"]
    assert "22 Jul 2013, 18:10 UTC" in text_of(rows[0])
    assert entry.find("a", href="#snapshot-2") is not None


def test_cloudflare_dossier_marks_the_deleted_update(seed_report):
    _, written = seed_report
    soup = soup_of(dossier_page(written, "cloudflare-"))
    removed = soup.select("li.entry-removed")
    assert len(removed) == 1
    assert "deleted" in [text_of(b) for b in removed[0].find_all(class_="badge")]
    assert "Deleted from the page" in text_of(removed[0].find(class_="change-removed"))
    assert removed[0].find("del").string.startswith("We are continuing to investigate")
    cause = soup.find(id="edit-5")
    assert cause.find("del").string == "a configuration error during a network change"
    assert cause.find("ins").string == "an issue with a third-party transit provider"


def test_github_dossier_shows_impact_change_and_vendor_link(seed_report):
    _, written = seed_report
    soup = soup_of(dossier_page(written, "github-"))
    impact = soup.find(id="edit-3")
    assert "Impact changed" in text_of(impact)
    assert (impact.find("del").string, impact.find("ins").string) == ("major", "minor")
    vendor = soup.find("a", href="https://stspg.io/x0mgfyw0s1yg")
    assert vendor["rel"] == ["noopener", "noreferrer"]
    assert soup.find("a", string=re.compile("All edits"))["href"] == "../index.html"


def test_single_file_report_holds_index_and_every_dossier(tmp_path):
    records, dossiers = seed()
    target = tmp_path / "report.html"
    assert write_report(target, records, dossiers, generated_at=GENERATED) == [target]
    assert list(tmp_path.iterdir()) == [target]
    soup = soup_of(target)
    assert len(soup.select("section.dossier")) == 3
    ids = [tag["id"] for tag in soup.find_all(id=True)]
    assert len(ids) == len(set(ids))
    for link in soup.find_all("a", href=True):
        href = link["href"]
        assert href.startswith("#") or urlsplit(href).scheme in ("http", "https"), href
        if href.startswith("#"):
            assert soup.find(id=href[1:]) is not None, href
    row = soup.find(id="edit-1")
    assert row.find("a", class_="incident")["href"].startswith("#apple-imessage-2013-07-22-")


def test_empty_report_says_what_to_do(tmp_path):
    (index,) = write_report(tmp_path / "out", [], [], generated_at=GENERATED)
    text = text_of(soup_of(index).body)
    assert "No edits yet" in text
    assert "tracker fetch" in text
    assert not soup_of(index).select("li.edit")


def test_rewriting_a_report_replaces_it_in_place(tmp_path):
    records, dossiers = seed()
    write_report(tmp_path, records, dossiers, generated_at=GENERATED)
    write_report(tmp_path, records[:1], dossiers[:1], generated_at="2026-03-03T08:00:00Z")
    index = soup_of(tmp_path / "index.html")
    assert [row["id"] for row in index.select("li.edit")] == ["edit-1"]
    assert "3 Mar 2026" in text_of(index.find(class_="meta"))
    assert not [path for path in tmp_path.rglob(".*")]


def test_an_unwritable_target_is_an_output_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    records, dossiers = seed()
    with pytest.raises(OutputError, match="cannot write the report"):
        write_report(blocker / "out", records, dossiers, generated_at=GENERATED)


def test_incident_urls_that_are_not_http_are_shown_as_text(tmp_path):
    record = apple_record()
    dossier = apple_dossier(record)
    unsafe = Dossier(**{**dossier.__dict__, "url": "javascript:alert(1)"})
    write_report(tmp_path, [record], [unsafe], generated_at=GENERATED)
    (page,) = (tmp_path / "incidents").iterdir()
    soup = soup_of(page)
    assert not soup.find("a", href=re.compile("javascript", re.I))
    assert soup.find(class_="nolink", string="javascript:alert(1)") is not None


def test_slugs_are_safe_distinct_and_stable(tmp_path):
    record = apple_record()
    base = apple_dossier(record)
    keys = ["../../etc/passwd", "CON", "a/b", "a?b", "", "\u202eevil", "a/b"]
    dossiers = [Dossier(**{**base.__dict__, "incident_key": key}) for key in keys]
    first = write_report(tmp_path / "one", [record], dossiers, generated_at=GENERATED)
    again = write_report(tmp_path / "two", [record], dossiers, generated_at=GENERATED)
    names = [path.name for path in first[1:]]
    assert len(set(names)) == len(keys)
    assert all(re.fullmatch(r"[a-z0-9-]+\.html", name) for name in names)
    assert all(path.parent == tmp_path / "one" / "incidents" for path in first[1:])
    assert names == [path.name for path in again[1:]]


# --- diff rendering --------------------------------------------------------------------


def test_render_diff_html_escapes_and_marks_changes():
    html = render_diff_html(((EQUAL, "a <b> "), (DELETE, "x & y"), (INSERT, '"z"')))
    assert isinstance(html, Markup)
    expected = (
        'a &lt;b&gt; <del class="diff-del">x &amp; y</del><ins class="diff-ins">&#34;z&#34;</ins>'
    )
    assert html == expected


def test_render_diff_html_keeps_edge_spaces_outside_marks_but_marks_whitespace_changes():
    assert render_diff_html([[DELETE, " for all customers"]]) == (
        ' <del class="diff-del">for all customers</del>'
    )
    assert render_diff_html([[INSERT, "  "]]) == '<ins class="diff-ins">  </ins>'


def test_render_diff_html_shows_hidden_characters_as_labelled_markers():
    html = render_diff_html([(INSERT, "\u202eevil\x00")])
    assert "\u202e" not in html and "\x00" not in html
    soup = BeautifulSoup(html, "html.parser")
    labels = [span.string for span in soup.find_all(class_="hidden-char")]
    assert labels == ["RLO", "U+0000"]


def test_render_diff_html_rejects_unknown_operations():
    with pytest.raises(TrackerError, match="diff operation"):
        render_diff_html([(2, "x")])


def test_index_preview_trims_long_unchanged_text_around_the_change(tmp_path):
    long_old = LARGE_SENTENCE * 40 + "Impact: 30 percent of users. " + LARGE_SENTENCE * 40
    record = apple_record()
    event = record.event.__class__(
        **{
            **record.event.__dict__,
            "diff": (
                (EQUAL, LARGE_SENTENCE * 40 + "Impact: "),
                (DELETE, "30 percent of"),
                (INSERT, "some"),
                (EQUAL, " users. " + LARGE_SENTENCE * 40),
            ),
            "old": long_old,
        }
    )
    long_record = record.__class__(**{**record.__dict__, "event": event})
    write_report(tmp_path, [long_record], [], generated_at=GENERATED)
    line = soup_of(tmp_path / "index.html").find(class_="diff-line")
    text = text_of(line)
    assert len(text) < 300
    assert text.startswith("\u2026") and text.endswith("\u2026")
    assert "Impact: 30 percent of some users." in text


# --- hostile scraped text --------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    records, dossiers = hostile_seed()
    base = tmp_path_factory.mktemp("hostile")
    return {
        "directory": write_report(base / "dir", records, dossiers, generated_at=GENERATED),
        "single": write_report(base / "one.html", records, dossiers, generated_at=GENERATED),
    }


def visible(text: str) -> list[str]:
    """The parts of a hostile string a reader sees as text (hidden characters become markers)."""
    return [
        part
        for part in re.split(
            r"[\x00-\x1f\x7f\u200b\u202a-\u202e\ufeff\ufffe\uffff\ud800-\udfff]", text
        )
        if part.strip()
    ]


@pytest.mark.parametrize("mode", ["directory", "single"])
def test_hostile_text_stays_text(hostile_reports, mode):
    written = hostile_reports[mode]
    pages = {path: soup_of(path) for path in written}
    own = {path.resolve() for path in written}
    for path, soup in pages.items():
        assert not soup.find_all(["script", "img", "svg", "iframe", "a"], src=True)
        assert not soup.find_all("script") and not soup.find_all("svg")
        for tag in soup.find_all(True):
            assert not [name for name in tag.attrs if name.lower().startswith("on")], tag.name
        assert soup.head.find(True)["content"] == CSP
        assert soup.title.string.endswith("status-tracker report")
        for link in soup.find_all(href=True):
            href = link["href"]
            parts = urlsplit(href)
            if parts.scheme:
                assert parts.scheme in ("http", "https"), href
                assert link["rel"] == ["noopener", "noreferrer"]
            elif href.startswith("#"):
                assert soup.find(id=href[1:]) is not None, href
            else:
                assert (path.parent / parts.path).resolve() in own, href
    text = " ".join(soup.get_text() for soup in pages.values())
    for hostile in hostile_strings():
        for part in visible(hostile):
            assert part[:200] in text, part[:80]
    assert LARGE_SENTENCE * 100 in text
    labels = {
        marker.string for soup in pages.values() for marker in soup.find_all(class_="hidden-char")
    }
    assert {"RLO", "PDF", "ZWSP", "BOM", "U+0000", "U+007F", "U+D800", "U+FFFE"} <= labels


def test_hostile_incident_urls_never_become_links(hostile_reports):
    links = [
        link["href"]
        for path in hostile_reports["directory"]
        for link in soup_of(path).find_all("a", href=True)
    ]
    assert links, "the report has links (to dossiers and evidence) to check"
    assert not [h for h in links if h.lower().startswith(("javascript", "data", "vbscript"))]
