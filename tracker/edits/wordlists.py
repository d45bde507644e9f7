"""Vocabulary the edit classifier matches against: data only, no logic.

Every phrase is lower case with single spaces; the classifier matches whole words, longest
phrase first, so "a small number of" wins over "number" and "partial outage" over "outage".
Ranks: a larger number means more severe, or wider.
"""

from __future__ import annotations

# Words that state an amount without giving one. A number replaced by one of these is the
# Apple 2013 rewrite ("30 percent of users" → "some users").
VAGUE_QUANTIFIERS: tuple[str, ...] = (
    "some",
    "a small number of",
    "a small percentage of",
    "a small subset of",
    "a subset of",
    "a limited number of",
    "a number of",
    "a portion of",
    "a fraction of",
    "a handful of",
    "a minority of",
    "certain",
    "few",
    "a few",
    "several",
    "limited",
    "various",
    "brief",
    "briefly",
    "a brief period",
    "a brief period of time",
    "a short period",
    "a short period of time",
    "a short time",
    "momentarily",
    "temporarily",
    "for a time",
    "for a while",
    "a while",
    "longer than usual",
    "longer than normal",
    "longer than expected",
    "take longer",
    "taking longer",
    "some time",
)

# Words for numbers, so "three regions" → "two regions" reads as a number change. "one" is
# left out: "one of our providers" is not a count.
NUMBER_WORDS: dict[str, float] = {
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "hundred": 100,
    "hundreds": 100,
    "thousand": 1000,
    "thousands": 1000,
    "million": 1_000_000,
    "millions": 1_000_000,
    "dozen": 12,
    "dozens": 12,
    "half": 0.5,
    "a third": 0.33,
    "a quarter": 0.25,
}

# A digit sequence with inner separators: 30, 1,200, 3.5, 10-15, 30%.
NUMBER_PATTERN = r"\d+(?:[.,]\d+)*(?:-\d+(?:[.,]\d+)*)?%?"

# Three-digit numbers that name a status code, not an amount ("403 errors").
STATUS_CODE_PATTERN = (
    r"(?:http\s+)?[1-5]\d\d(?=\s+(?:errors?|responses?|status|codes?|bad gateway|"
    r"gateway|service unavailable|internal server|not found|forbidden|unauthorized))"
)

DURATION_UNITS: tuple[str, ...] = (
    "seconds",
    "second",
    "secs",
    "sec",
    "minutes",
    "minute",
    "mins",
    "min",
    "hours",
    "hour",
    "hrs",
    "hr",
    "days",
    "day",
    "weeks",
    "week",
    "months",
    "month",
)

MONTHS: tuple[str, ...] = (
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
)

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)

TIME_ZONES: tuple[str, ...] = (
    "utc",
    "gmt",
    "pdt",
    "pst",
    "pt",
    "mdt",
    "mst",
    "cdt",
    "cst",
    "edt",
    "est",
    "et",
    "cet",
    "cest",
    "bst",
    "ist",
    "jst",
    "kst",
    "aest",
    "aedt",
    "us/pacific",
    "us/eastern",
    "us/central",
    "us/mountain",
)

# Regular expressions (matched case-insensitively on normalised text) for points in time and
# lengths of time. {months}, {weekdays}, {zones}, {units} and {number_words} are filled in by
# the classifier from the tuples above.
TIME_PATTERNS: tuple[str, ...] = (
    # ISO dates and date-times: 2026-08-20, 2026-08-20T19:37:40+00:00
    r"\d{4}-\d{2}-\d{2}(?:[t ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(?:z|[+-]\d{2}:?\d{2})?)?",
    # US dates: 02/15/2020, 6/26/25
    r"\d{1,2}/\d{1,2}/\d{2,4}",
    # Clock times with optional seconds, am/pm and zone: 14:45, 9:05 AM PDT, 10:22 pdt
    r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[ap]\.?m\.?)?(?:\s(?:{zones})\b)?",
    # Bare hours with am/pm: 9 AM, 11pm
    r"\d{1,2}\s?[ap]\.?m\.?(?:\s(?:{zones})\b)?",
    # Month and day: Jan 12, March 3rd, 2024
    r"(?:{months})\.?\s\d{1,2}(?:st|nd|rd|th)?(?:,?\s\d{4})?",
    # Day and month: 12 January
    r"\d{1,2}(?:st|nd|rd|th)?\s(?:{months})\b(?:,?\s\d{4})?",
    # Month and year: "through the end of February 2024"
    r"(?:{months})\.?,?\s\d{4}",
    # Weekdays
    r"(?:{weekdays})",
    # Durations: 2 hours, 45 minutes, 1.5 hrs, two hours, 90-minute
    r"(?:\d+(?:\.\d+)?|{number_words})(?:\s|-)(?:{units})",
    # A time zone on its own: "PDT" → "PST" moves every time in the sentence
    r"(?:{zones})",
)

# Severity ladders. Phrases in prose: rank 7 is the worst. The classifier compares the worst
# phrase removed with the worst phrase added.
SEVERITY_PHRASES: dict[str, int] = {
    "major outage": 7,
    "complete outage": 7,
    "full outage": 7,
    "total outage": 7,
    "widespread outage": 7,
    "global outage": 7,
    "hard down": 7,
    "completely down": 7,
    "is down": 6,
    "are down": 6,
    "was down": 6,
    "were down": 6,
    "went down": 6,
    "unavailable": 6,
    "unreachable": 6,
    "not available": 6,
    "inaccessible": 6,
    "unable to": 6,
    "partial outage": 6,
    "outage": 5,
    "outages": 5,
    "service disruption": 5,
    "disruption": 5,
    "disrupted": 5,
    "emergency maintenance": 5,
    "major degradation": 5,
    "severe degradation": 5,
    "significant degradation": 5,
    "degraded performance": 4,
    "failed requests": 4,
    "failing requests": 4,
    "request failures": 4,
    "degradation": 4,
    "degradations": 4,
    "degraded": 4,
    "service degradation": 4,
    "service degradations": 4,
    "elevated error rates": 3,
    "increased error rates": 3,
    "elevated errors": 3,
    "increased errors": 3,
    "elevated latency": 3,
    "elevated latencies": 3,
    "increased latency": 3,
    "slowness": 3,
    "slow": 3,
    "intermittent issues": 2,
    "intermittent errors": 2,
    "intermittent failures": 2,
    "issues": 2,
    "problems": 2,
    "a problem": 2,
    "an issue": 2,
    "minor issue": 1,
    "minor issues": 1,
    "minor impact": 1,
    "minimal impact": 1,
    "no impact": 0,
    "operating normally": 0,
}

# "elevated 502 errors" is "elevated errors" with the status code named.
SEVERITY_PHRASES |= {
    f"{rise} {code} errors": 3
    for rise in ("elevated", "increased")
    for code in ("4xx", "5xx", "500", "502", "503", "504")
}

# Ladders of labels a page uses for an incident, an update or a component. A move between two
# labels of the same ladder is a severity change; labels are compared lower case, with "_" and
# "-" read as spaces.
SEVERITY_LADDERS: tuple[dict[str, int], ...] = (
    # Statuspage incident impact
    {"critical": 3, "major": 2, "minor": 1, "none": 0, "maintenance": 0},
    # Statuspage component status
    {
        "major outage": 4,
        "partial outage": 3,
        "degraded performance": 2,
        "under maintenance": 1,
        "operational": 0,
    },
    # Apple statusType
    {"outage": 2, "issue": 1, "maintenance": 0},
    # Google Cloud status_impact and update status
    {
        "service outage": 3,
        "service disruption": 2,
        "service information": 1,
        "available": 0,
    },
    # Google Cloud severity, and generic labels
    {"high": 2, "medium": 1, "low": 0},
)

# Words that soften a statement into a possibility, each with the hedge it counts as: "some
# users may" and "may be" are one "may", so "Some users may" → "All users may" adds no hedge.
# An empty value marks a phrase that only looks like a hedge.
HEDGES: dict[str, str] = {
    "may": "may",
    "may be": "may",
    "some users may": "may",
    "some customers may": "may",
    "might": "might",
    "might be": "might",
    "could": "could",
    "could be": "could",
    # Not a hedge: a plain statement that something failed.
    "could not": "",
    "couldn't": "",
    "should": "should",
    "appears to": "appears",
    "appear to": "appears",
    "appeared to": "appears",
    "seems to": "seems",
    "seem to": "seems",
    "potentially": "potentially",
    "possibly": "possibly",
    "likely": "likely",
    "unlikely": "likely",
    "we believe": "believe",
    "believe": "believe",
    "believed to": "believe",
    "intermittent": "intermittent",
    "intermittently": "intermittent",
    "sporadic": "sporadic",
    "sporadically": "sporadic",
    "occasional": "occasional",
    "occasionally": "occasional",
    "reportedly": "reportedly",
    "in some cases": "in some cases",
}

# How much of the user base a statement covers: 4 is everyone, 1 is almost no one. A statement
# with no quantifier ("users were affected") sits between 3 and 4.
SCOPE_WORDS: dict[str, int] = {
    "all": 4,
    "all users": 4,
    "all customers": 4,
    "every": 4,
    "everyone": 4,
    "entire": 4,
    "global": 4,
    "globally": 4,
    "worldwide": 4,
    "all regions": 4,
    "widespread": 4,
    "many": 3,
    "most": 3,
    "multiple": 3,
    "numerous": 3,
    "a large number of": 3,
    "the majority of": 3,
    "a majority of": 3,
    "some": 2,
    "a subset of": 2,
    "certain": 2,
    "a portion of": 2,
    "a number of": 2,
    "several": 2,
    "a small number of": 1,
    "a small subset of": 1,
    "a small percentage of": 1,
    "a limited number of": 1,
    "a handful of": 1,
    "a few": 1,
    "few": 1,
    "limited": 1,
    "isolated": 1,
    "a single": 1,
    "single": 1,
    "one region": 1,
}
IMPLICIT_SCOPE = 3.5

# Places: continents, markets and cloud region or zone codes. Dropping one narrows the scope.
LOCATIONS: tuple[str, ...] = (
    "north america",
    "north american",
    "south america",
    "south american",
    "latin america",
    "europe",
    "european",
    "asia",
    "asian",
    "asia pacific",
    "africa",
    "african",
    "middle east",
    "oceania",
    "australia",
    "apac",
    "emea",
    "latam",
    "americas",
    "us",
    "usa",
    "united states",
    "eu",
    "uk",
    "canada",
    "india",
    "japan",
    "china",
    "brazil",
    "germany",
    "france",
    "singapore",
)
# Cloud region and zone codes: us-west1, us-east-1, europe-west4, use1-az2, apse1-az1.
LOCATION_CODE_PATTERN = (
    r"(?:[a-z]{2,12}-[a-z]{2,12}\d{1,2}(?:-[a-z0-9]{1,3})?)|(?:[a-z]{3,6}\d-az\d{1,2})"
)

# Phrases that introduce a cause. Text after one, to the end of its sentence, is the stated
# cause.
CAUSE_MARKERS: tuple[str, ...] = (
    "caused by",
    "cause of",
    "the cause",
    "root cause",
    "due to",
    "as a result of",
    "the result of",
    "resulted from",
    "resulting from",
    "triggered by",
    "related to",
    "because of",
    "because",
    "stemmed from",
    "stemming from",
    "attributed to",
    "owing to",
    "traced to",
    "traced back to",
    "originated",
)

# Lifecycles of an incident's or an update's status, in order. A move forward is the incident
# going its course (or a maintenance starting), never an edit. Labels as in SEVERITY_LADDERS.
LIFECYCLES: tuple[tuple[str, ...], ...] = (
    ("investigating", "identified", "monitoring", "resolved", "postmortem"),  # Statuspage
    ("scheduled", "in progress", "verifying", "completed"),  # Statuspage maintenance
    ("current", "archive"),  # AWS data.json listings
    ("upcoming", "ongoing", "resolved"),  # Apple eventStatus
    ("upcoming", "ongoing", "completed"),
)

# What prose says for each severity label, as a band of SEVERITY_PHRASES ranks: an update that
# says "degraded performance" names the impact "minor".
LABEL_PHRASE_BANDS: dict[str, tuple[int, int]] = {
    "none": (0, 1),
    "minor": (2, 4),
    "major": (5, 6),
    "critical": (7, 7),
    "operational": (0, 1),
    "degraded performance": (2, 4),
    "partial outage": (5, 6),
    "major outage": (7, 7),
    "issue": (1, 4),
    "outage": (5, 7),
    "service information": (0, 2),
    "service disruption": (3, 5),
    "service outage": (6, 7),
    "low": (0, 2),
    "medium": (3, 4),
    "high": (5, 7),
}

# Severity phrases too vague to name an impact: "any further issues" says nothing of how bad.
VAGUE_SEVERITY: frozenset[str] = frozenset({"issues", "problems", "a problem", "an issue"})

# Words every update says, which repeat nothing in particular: an update sharing only these
# with an edit does not announce it.
_COMMON = """
    a about after all also am an and any are as at be been being but by can could currently
    did do does for from had has have having he her here his how i if in into is it its just
    may me more most my no not now of off on once only or other our out over own same she
    should so some still such than that the their them then there these they this those
    through to too under until up very was we were what when where which while who why will
    with would you your us
    issue issues incident investigating investigate investigation identified monitoring
    monitor results fix implemented resolved resolve update updates continue continuing
    working work team teams service services users user customers customer affected affecting
    impact impacted experiencing experience seeing some cause root apologize inconvenience
    provide further information soon next minutes hours progress scheduled maintenance
    status page look looking please thank patience engineers aware additional ongoing
"""
COMMON_WORDS: frozenset[str] = frozenset(_COMMON.split())
