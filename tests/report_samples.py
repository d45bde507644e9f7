"""Realistic edit records and dossiers for the report, feed and export tests.

Wording is taken from real vendor payloads (tests/fixtures/hostile/README.md lists where each
text comes from); the "before" texts are the kinds of rewrites status-tracker exists to catch.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tracker.models import (
    DELETE,
    EQUAL,
    INSERT,
    Dossier,
    EditEvent,
    EditRecord,
    Evidence,
    TimelineEntry,
    UpdateVersion,
)

APPLE_URL = "https://www.apple.com/support/systemstatus/"
GITHUB_URL = "https://www.githubstatus.com/api/v2/summary.json"
CLOUDFLARE_URL = "https://www.cloudflarestatus.com/api/v2/summary.json"

APPLE_OLD = (
    "Users may have been unable to send or receive iMessages.\n"
    "Between 9:00 AM and 2:30 PM PDT, 30 percent of users were affected."
)
APPLE_NEW = (
    "Users may have been unable to send or receive iMessages.\n"
    "Between 9:00 AM and 2:30 PM PDT, some users were affected."
)
APPLE_DIFF = (
    (EQUAL, APPLE_OLD[: APPLE_OLD.index("30 percent")]),
    (DELETE, "30 percent of"),
    (INSERT, "some"),
    (EQUAL, " users were affected."),
)


def body_sha(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def evidence(
    snapshot_id: int,
    first_seen: str,
    last_seen: str,
    *,
    url: str,
    origin: str = "live",
    reference: str | None = None,
) -> Evidence:
    return Evidence(
        snapshot_id=snapshot_id,
        sha256=body_sha(f"{url} snapshot {snapshot_id}"),
        first_seen=first_seen,
        last_seen=last_seen,
        origin=origin,
        reference=reference,
        url=url,
    )


def _wayback(stamp: str) -> str:
    return f"https://web.archive.org/web/{stamp}/http://www.apple.com/support/systemstatus/"


APPLE_BEFORE = evidence(
    1,
    "2013-07-22T18:10:44Z",
    "2013-07-22T21:05:12Z",
    url=APPLE_URL,
    origin="wayback",
    reference=_wayback("20130722210512"),
)
APPLE_AFTER = evidence(
    2,
    "2013-07-23T16:40:03Z",
    "2013-07-25T09:12:30Z",
    url=APPLE_URL,
    origin="wayback",
    reference=_wayback("20130723164003"),
)


def apple_record() -> EditRecord:
    event = EditEvent(
        kind="update_edited",
        incident_key="imessage-2013-07-22",
        incident_title="iMessage",
        update_key="imessage-2013-07-22/1",
        old=APPLE_OLD,
        new=APPLE_NEW,
        diff=APPLE_DIFF,
        silent=True,
        flags=("quantity_vagued",),
        reasons=('quantity_vagued: "30 percent of" became "some"',),
        score=9.5,
        posted_at="2013-07-22T16:00:00Z",
    )
    return EditRecord(
        id=1,
        source="apple",
        source_url=APPLE_URL,
        event=event,
        window_start=APPLE_BEFORE.last_seen,
        window_end=APPLE_AFTER.first_seen,
        before=APPLE_BEFORE,
        after=APPLE_AFTER,
    )


def apple_dossier(record: EditRecord) -> Dossier:
    versions = (
        UpdateVersion(APPLE_OLD, APPLE_BEFORE.first_seen, APPLE_BEFORE.last_seen, 1, 1),
        UpdateVersion(APPLE_NEW, APPLE_AFTER.first_seen, APPLE_AFTER.last_seen, 2, 2),
    )
    entry = TimelineEntry("imessage-2013-07-22/1", "2013-07-22T16:00:00Z", "resolved", versions)
    return Dossier(
        source="apple",
        source_url=APPLE_URL,
        incident_key="imessage-2013-07-22",
        title="iMessage",
        impact=None,
        status="resolved",
        url=APPLE_URL,
        timeline=(entry,),
        edits=(record,),
    )


# GitHub, incident y5hdmv0p49x3 (githubstatus.com, 24 Mar 2022): the first update's
# updated_at is 37 minutes after its display_at; the after-text is the one the page served.
GH_OLD = (
    "We are experiencing delays in Actions start times and Webhook delivery for all "
    "customers. Our team is actively working on mitigating the issue."
)
GH_NEW = (
    "We are experiencing delays in Actions start times and Webhook delivery. "
    "Our team is actively working on mitigating the issue."
)
GH_BEFORE = evidence(11, "2022-03-24T14:45:02Z", "2022-03-24T15:15:04Z", url=GITHUB_URL)
GH_AFTER = evidence(
    12,
    "2022-03-24T15:22:31Z",
    "2022-03-24T16:02:11Z",
    url=GITHUB_URL,
    origin="git",
    reference="2db62a581eaa7d366a2540742e0824271cb42b64",
)


def github_records() -> list[EditRecord]:
    reworded = EditEvent(
        kind="update_edited",
        incident_key="y5hdmv0p49x3",
        incident_title="Incident with GitHub Actions and Webhooks",
        update_key="8hh05qltx7ym",
        old=GH_OLD,
        new=GH_NEW,
        diff=(
            (EQUAL, "We are experiencing delays in Actions start times and Webhook delivery"),
            (DELETE, " for all customers"),
            (EQUAL, ". Our team is actively working on mitigating the issue."),
        ),
        silent=True,
        flags=("scope_narrowed", "text_removed"),
        reasons=(
            'scope_narrowed: "for all customers" was removed',
            'text_removed: "for all customers" deleted',
        ),
        score=7.0,
        posted_at="2022-03-24T14:43:35.000Z",
    )
    impact = EditEvent(
        kind="incident_changed",
        incident_key="y5hdmv0p49x3",
        incident_title="Incident with GitHub Actions and Webhooks",
        field="impact",
        old="major",
        new="minor",
        diff=((DELETE, "major"), (INSERT, "minor")),
        silent=True,
        flags=("severity_down",),
        reasons=("severity_down: impact went from major to minor",),
        score=6.0,
    )
    return [
        EditRecord(
            2,
            "github",
            GITHUB_URL,
            reworded,
            GH_BEFORE.last_seen,
            GH_AFTER.first_seen,
            GH_BEFORE,
            GH_AFTER,
        ),
        EditRecord(
            3,
            "github",
            GITHUB_URL,
            impact,
            GH_BEFORE.last_seen,
            GH_AFTER.first_seen,
            GH_BEFORE,
            GH_AFTER,
        ),
    ]


def github_dossier(records: list[EditRecord]) -> Dossier:
    first = TimelineEntry(
        "8hh05qltx7ym",
        "2022-03-24T14:43:35.000Z",
        "investigating",
        (
            UpdateVersion(GH_OLD, GH_BEFORE.first_seen, GH_BEFORE.last_seen, 11, 11),
            UpdateVersion(GH_NEW, GH_AFTER.first_seen, GH_AFTER.last_seen, 12, 12),
        ),
    )
    second = TimelineEntry(
        "h97j2z8ns3nj",
        "2022-03-24T15:10:26.626Z",
        "investigating",
        (
            UpdateVersion(
                "Webhooks is experiencing degraded performance. We are continuing to investigate.",
                GH_BEFORE.first_seen,
                GH_AFTER.last_seen,
                11,
                12,
            ),
        ),
    )
    return Dossier(
        source="github",
        source_url=GITHUB_URL,
        incident_key="y5hdmv0p49x3",
        title="Incident with GitHub Actions and Webhooks",
        impact="minor",
        status="investigating",
        url="https://stspg.io/x0mgfyw0s1yg",
        timeline=(first, second),
        edits=tuple(records),
    )


# Cloudflare, incident j7960hzg7bbk (cloudflarestatus.com, 6 Oct 2023): "403 errors" left the
# first update; a cause sentence was reworded; a later update was deleted.
CF_FIRST_OLD = (
    "Cloudflare is observing increased congestion and 403 errors in multiple North American "
    "locations.\n\nWe are working to mitigate impact to Internet users in this region."
)
CF_FIRST_NEW = (
    "Cloudflare is observing increased congestion in multiple North American locations.\n\n"
    "We are working to mitigate impact to Internet users in this region."
)
CF_CAUSE_OLD = (
    "The congestion was caused by a configuration error during a network change. "
    "A fix has been implemented and we are monitoring the results."
)
CF_CAUSE_NEW = (
    "The congestion was caused by an issue with a third-party transit provider. "
    "A fix has been implemented and we are monitoring the results."
)
CF_REMOVED = "We are continuing to investigate reports of 403 errors for some customers."
CF_1 = evidence(21, "2023-10-06T10:45:00Z", "2023-10-06T10:58:40Z", url=CLOUDFLARE_URL)
CF_2 = evidence(22, "2023-10-06T11:03:12Z", "2023-10-06T11:40:19Z", url=CLOUDFLARE_URL)
CF_3 = evidence(23, "2023-10-06T11:45:02Z", "2023-10-06T13:00:00Z", url=CLOUDFLARE_URL)


def cloudflare_records() -> list[EditRecord]:
    key, title = "j7960hzg7bbk", "Congestion increase in multiple North American locations"
    first = EditEvent(
        kind="update_edited",
        incident_key=key,
        incident_title=title,
        update_key="rjx13ms49c0j",
        old=CF_FIRST_OLD,
        new=CF_FIRST_NEW,
        diff=(
            (EQUAL, "Cloudflare is observing increased congestion "),
            (DELETE, "and 403 errors "),
            (
                EQUAL,
                "in multiple North American locations.\n\nWe are working to mitigate impact "
                "to Internet users in this region.",
            ),
        ),
        silent=True,
        flags=("text_removed",),
        reasons=('text_removed: "and 403 errors" deleted',),
        score=5.5,
    )
    cause = EditEvent(
        kind="update_edited",
        incident_key=key,
        incident_title=title,
        update_key="drlnjql8b371",
        old=CF_CAUSE_OLD,
        new=CF_CAUSE_NEW,
        diff=(
            (EQUAL, "The congestion was caused by "),
            (DELETE, "a configuration error during a network change"),
            (INSERT, "an issue with a third-party transit provider"),
            (EQUAL, ". A fix has been implemented and we are monitoring the results."),
        ),
        silent=True,
        flags=("cause_changed",),
        reasons=(
            'cause_changed: "a configuration error during a network change" became '
            '"an issue with a third-party transit provider"',
        ),
        score=6.5,
    )
    removed = EditEvent(
        kind="update_removed",
        incident_key=key,
        incident_title=title,
        update_key="k2vq0m3l9x1d",
        old=CF_REMOVED,
        flags=("text_removed",),
        reasons=("text_removed: a published update was deleted",),
        score=4.0,
    )
    return [
        EditRecord(
            4, "cloudflare", CLOUDFLARE_URL, first, CF_1.last_seen, CF_2.first_seen, CF_1, CF_2
        ),
        EditRecord(
            5, "cloudflare", CLOUDFLARE_URL, cause, CF_2.last_seen, CF_3.first_seen, CF_2, CF_3
        ),
        EditRecord(
            6, "cloudflare", CLOUDFLARE_URL, removed, CF_2.last_seen, CF_3.first_seen, CF_2, CF_3
        ),
    ]


def cloudflare_dossier(records: list[EditRecord]) -> Dossier:
    timeline = (
        TimelineEntry(
            "rjx13ms49c0j",
            "2023-10-06T10:40:36.000Z",
            "investigating",
            (
                UpdateVersion(CF_FIRST_OLD, CF_1.first_seen, CF_1.last_seen, 21, 21),
                UpdateVersion(CF_FIRST_NEW, CF_2.first_seen, CF_3.last_seen, 22, 23),
            ),
        ),
        TimelineEntry(
            "k2vq0m3l9x1d",
            "2023-10-06T10:51:02.000Z",
            "investigating",
            (UpdateVersion(CF_REMOVED, CF_1.first_seen, CF_2.last_seen, 21, 22),),
            removed=True,
        ),
        TimelineEntry(
            "drlnjql8b371",
            "2023-10-06T11:02:23.890Z",
            "monitoring",
            (
                UpdateVersion(CF_CAUSE_OLD, CF_2.first_seen, CF_2.last_seen, 22, 22),
                UpdateVersion(CF_CAUSE_NEW, CF_3.first_seen, CF_3.last_seen, 23, 23),
            ),
        ),
    )
    return Dossier(
        source="cloudflare",
        source_url=CLOUDFLARE_URL,
        incident_key="j7960hzg7bbk",
        title="Congestion increase in multiple North American locations",
        impact="minor",
        status="monitoring",
        url="https://stspg.io/9yrksy5ztvk5",
        timeline=timeline,
        edits=tuple(records),
    )


def seed() -> tuple[list[EditRecord], list[Dossier]]:
    """The Apple 2013 case plus GitHub and Cloudflare Statuspage edits, with their dossiers."""
    apple = apple_record()
    github = github_records()
    cloudflare = cloudflare_records()
    records = [apple, *github, *cloudflare]
    dossiers = [apple_dossier(apple), github_dossier(github), cloudflare_dossier(cloudflare)]
    return records, dossiers


HOSTILE_PATH = Path(__file__).parent / "fixtures" / "hostile" / "strings.json"
LARGE_SENTENCE = "Some users may experience elevated error rates in us-east-1 (30 percent). "


def hostile_strings() -> list[str]:
    """The hostile corpus plus about 1 MB of status text."""
    strings = json.loads(HOSTILE_PATH.read_text(encoding="utf-8"))
    large = LARGE_SENTENCE * (1_048_576 // len(LARGE_SENTENCE) + 1)
    return [*strings, large]


def hostile_seed() -> tuple[list[EditRecord], list[Dossier]]:
    """One incident per hostile string, the string in every scraped field it could reach."""
    records, dossiers = [], []
    for number, text in enumerate(hostile_strings(), start=100):
        short = text[:200]
        before = evidence(
            2 * number,
            "2024-05-01T10:00:00Z",
            "2024-05-01T11:00:00Z",
            url=text,
            origin="wayback",
            reference=text,
        )
        after = evidence(
            2 * number + 1,
            "2024-05-01T12:00:00Z",
            "2024-05-01T13:00:00Z",
            url="https://status.example.com/api/v2/summary.json",
            reference=text,
        )
        event = EditEvent(
            kind="update_edited",
            incident_key=text,
            incident_title=short,
            update_key=text,
            old=f"Before: {text}",
            new=f"After: {text}",
            diff=((EQUAL, "Before"), (DELETE, f": {text}"), (INSERT, f" {text} after")),
            silent=True,
            flags=("quantity_vagued", short),
            reasons=(f"quantity_vagued: {short}",),
            score=float(number),
            posted_at=short,
        )
        record = EditRecord(
            number, short, text, event, before.last_seen, after.first_seen, before, after
        )
        versions = (
            UpdateVersion(
                f"Before: {text}", before.first_seen, before.last_seen, 2 * number, 2 * number
            ),
            UpdateVersion(
                f"After: {text}", after.first_seen, after.last_seen, 2 * number + 1, 2 * number + 1
            ),
        )
        dossiers.append(
            Dossier(
                source=short,
                source_url=text,
                incident_key=text,
                title=short,
                impact=short,
                status=short,
                url=text,
                timeline=(TimelineEntry(text, short, short, versions, removed=number % 2 == 0),),
                edits=(record,),
            )
        )
        records.append(record)
    return records, dossiers
