"""What an archive costs: time, disk and memory of importing long git-scraping histories.

Each figure is printed next to its floor, measured in the same run:

- a generated 5,000-commit history of a ~2 MB Google Cloud `incidents.json` in which every
  commit changes one incident (`benchmarks/gcp_history.py`): import time vs reading every
  version out of git and hashing it, archive size vs the repository's git pack;
- the real Bitbucket history (a clone at $BENCH_ATLASSIAN, else made from the bundle in
  ../shared/histories/ when it is there): time, versions/s, and size vs the pack git makes of
  that file's versions alone (the repository holds four other files' histories);
- peak memory of each import, vs the bare read's;
- `verify` of the imported archive (every body re-read and re-hashed, the hash chain
  recomputed), vs the same read of every version out of git.

Every import runs in a child process so its peak RSS is its own. `BENCH_QUICK=1` shrinks the
generated history for a smoke run (`BENCH_GCP_COMMITS=N` sets its length, `BENCH_GCP_REPO=DIR`
keeps it there for the next run); `BENCH_PROFILE=1` prints where each import spent its time.

    python -m benchmarks.bench_storage
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).parent.parent
# The real Bitbucket history: a clone at BENCH_ATLASSIAN, else one made from the shared bundle.
ATLASSIAN = Path(os.environ.get("BENCH_ATLASSIAN", "/work/atlassian"))
BUNDLE = ROOT.parent / "shared" / "histories" / "atlassian-statuspage.bundle"
QUICK = bool(os.environ.get("BENCH_QUICK"))
PROFILE = bool(os.environ.get("BENCH_PROFILE"))
TARGET_SECONDS = 60.0
TARGET_PACK_RATIO = 2.0


def child_import(repo: str, file: str, home: str, source: str, fmt: str) -> None:
    """Runs in the child: import, then print time, peak memory and what was stored."""
    sys.path.insert(0, str(ROOT))
    from tracker.archive import Archive
    from tracker.importers import import_git

    archive = Archive(Path(home))
    started = time.perf_counter()
    if PROFILE:
        import cProfile
        import pstats

        profiler = cProfile.Profile()
        summary = profiler.runcall(import_git, archive, Path(repo), file, source=source, fmt=fmt)
        stats = pstats.Stats(profiler, stream=sys.stderr)
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(20)
    else:
        summary = import_git(archive, Path(repo), file, source=source, fmt=fmt)
    elapsed = time.perf_counter() - started
    archive.db.execute("pragma wal_checkpoint(truncate)")
    archive.close()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "maxrss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                # The largest of git and the process that read the versions ahead.
                "children_maxrss": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
                "found": summary.found,
                "new": summary.new,
                "unchanged": summary.unchanged,
                "failed": len(summary.failures),
                "edits": summary.edits,
            }
        )
    )


def child_build(repo: str, commits: str, size: str) -> None:
    """Runs in the child: generate the Google Cloud history."""
    sys.path.insert(0, str(ROOT))
    from benchmarks.gcp_history import build_repo

    build_repo(Path(repo), int(commits), int(size))
    print(json.dumps({"built": repo}))


def child_verify(home: str) -> None:
    """Runs in the child: `verify` of the imported archive (every body, the hash chain)."""
    sys.path.insert(0, str(ROOT))
    from tracker.archive import Archive
    from tracker.maintenance import verify

    archive = Archive(Path(home))
    started = time.perf_counter()
    checked = verify(archive)
    elapsed = time.perf_counter() - started
    archive.close()
    print(
        json.dumps(
            {
                "seconds": elapsed,
                "records": checked.head.count,
                "bodies": checked.bodies,
                "problems": len(checked.problems),
            }
        )
    )


def _git(repo: str | Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def child_read(repo: str, file: str) -> None:
    """The floor: list the commits, read every version out of git, hash it."""
    started = time.perf_counter()
    log = _git(repo, "log", "--first-parent", "--reverse", "--format=%H", "--", file).split()
    process = subprocess.Popen(
        ["git", "cat-file", "--batch"], cwd=repo, stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert process.stdin and process.stdout
    total = 0
    for sha in log:
        process.stdin.write(f"{sha}:{file}\n".encode())
        process.stdin.flush()
        header = process.stdout.readline().split()
        if header[-1:] == [b"missing"]:
            continue
        body = process.stdout.read(int(header[2]) + 1)[:-1]
        hashlib.sha256(body).hexdigest()
        total += len(body)
    process.stdin.close()
    process.wait()
    elapsed = time.perf_counter() - started
    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": elapsed, "maxrss": maxrss, "found": len(log), "bytes": total}))


def _child(*args: str) -> dict:
    output = subprocess.run(
        [sys.executable, __file__, "--child", *args],
        check=True,
        stdout=subprocess.PIPE,
        cwd=ROOT,
    ).stdout
    return json.loads(output.decode().strip().splitlines()[-1])


def archive_bytes(home: Path) -> tuple[int, int]:
    """(database bytes other than bodies, stored body bytes) of a data directory."""
    import sqlite3

    total = sum(p.stat().st_size for p in home.glob("tracker.db*"))
    files = sum(p.stat().st_size for p in (home / "blobs").rglob("*") if p.is_file())
    with sqlite3.connect(home / "tracker.db") as conn:
        (stored,) = conn.execute("select coalesce(sum(length(data)), 0) from bodies").fetchone()
    return total - stored, stored + files


def file_pack_bytes(repo: Path, file: str) -> int:
    """The bytes git needs for the versions of `file` alone: its blobs, delta-compressed into
    one pack by `git pack-objects` (the repository may hold other files' histories too)."""
    listed = _git(repo, "rev-list", "--objects", "--first-parent", "HEAD", "--", file)
    blobs = "".join(
        f"{sha}\n"
        for sha, _, path in (line.partition(" ") for line in listed.splitlines())
        if path == file
    )
    packed = subprocess.run(
        ["git", "pack-objects", "--stdout", "-q"],
        cwd=repo,
        input=blobs.encode(),
        check=True,
        capture_output=True,
    ).stdout
    return len(packed)


def mb(count: float) -> str:
    return f"{count / 1_000_000:,.1f} MB"


def report(
    label: str, repo: Path, file: str, source: str, fmt: str, pack: int | None, targets: bool
) -> None:
    """Import `file` of `repo` twice and verify it; `pack` is git's size for its versions."""
    from benchmarks.sizes import breakdown  # main() put the checkout on the path

    with tempfile.TemporaryDirectory(prefix="bench-storage-") as temp:
        home = Path(temp)
        floor = _child("read", str(repo), file)
        first = _child("import", str(repo), file, str(home), source, fmt)
        database, bodies = archive_bytes(home)
        tables = breakdown(home / "tracker.db")
        checked = _child("verify", str(home))
        second = _child("import", str(repo), file, str(home), source, fmt)
        again = archive_bytes(home)
    seconds = first["seconds"]
    print(
        f"{label}: {first['found']:,} commits, {first['new']:,} new versions, "
        f"{first['unchanged']:,} unchanged, {first['failed']} failed, {first['edits']:,} edits"
    )
    print(
        f"  import      {seconds:8.1f} s  ({first['found'] / seconds:,.0f} commits/s, "
        f"{first['new'] / seconds:,.0f} versions/s)   floor: read + hash every version "
        f"{floor['seconds']:.1f} s ({seconds / max(floor['seconds'], 1e-9):.1f}x)"
    )
    if pack is not None:
        ratio = (database + bodies) / pack
        print(
            f"  archive     {mb(database + bodies):>10}  (rows {mb(database)}, bodies "
            f"{mb(bodies)})   floor: git pack {mb(pack)} ({ratio:.2f}x; bodies alone "
            f"{bodies / pack:.2f}x; read {mb(floor['bytes'])} of versions)"
        )
    else:
        print(
            f"  archive     {mb(database + bodies):>10}  (rows {mb(database)}, bodies "
            f"{mb(bodies)})   floor: {mb(floor['bytes'])} of versions read"
        )
    print(f"    by table, MB: {tables}")
    print(
        f"  peak memory {mb(first['maxrss']):>10}  (its reading worker or git "
        f"{mb(first['children_maxrss'])})   floor: the bare read {mb(floor['maxrss'])}"
    )
    print(
        f"  verify      {checked['seconds']:8.1f} s  ({checked['bodies']:,} bodies, "
        f"{checked['records']:,} chain records, {checked['problems']} problems)   floor: read + "
        f"hash every version {floor['seconds']:.1f} s "
        f"({checked['seconds'] / max(floor['seconds'], 1e-9):.1f}x)"
    )
    grew = sum(again) - database - bodies
    print(
        f"  second import: {second['seconds']:.1f} s, {second['new']} new, {grew:+,} bytes stored"
    )
    if targets and pack is not None:
        print(
            f"  targets: import <= {TARGET_SECONDS:.0f} s: "
            f"{'met' if seconds <= TARGET_SECONDS else 'NOT met'}; archive <= "
            f"{TARGET_PACK_RATIO:.0f}x the git pack: "
            f"{'met' if database + bodies <= TARGET_PACK_RATIO * pack else 'NOT met'}"
        )


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from benchmarks.gcp_history import pack_bytes

    commits, size = (300, 500_000) if QUICK else (5000, 2_000_000)
    commits = int(os.environ.get("BENCH_GCP_COMMITS", commits))
    with tempfile.TemporaryDirectory(prefix="bench-gcp-") as temp:
        # BENCH_GCP_REPO=DIR: build the history there once and reuse it on later runs.
        repo = Path(os.environ.get("BENCH_GCP_REPO") or Path(temp) / "gcp-outages")
        started = time.perf_counter()
        if not (repo / ".git").exists():
            # In a child: the imports' children would inherit this process's peak memory.
            _child("build", str(repo), str(commits), str(size))
        commits = len(_git(repo, "rev-list", "HEAD").split())
        print(
            f"(history of {commits:,} commits of a {mb(size)} incidents.json ready in "
            f"{time.perf_counter() - started:.0f} s)"
        )
        report(
            f"Google Cloud incidents.json, {commits:,} commits",
            repo,
            "gcp_outages.json",
            "gcp",
            "gcp",
            pack_bytes(repo),
            targets=True,
        )
    with tempfile.TemporaryDirectory(prefix="bench-atlassian-") as temp:
        history = ATLASSIAN
        if not (history / "bitbucket_summary_v1.json").exists() and BUNDLE.exists():
            history = Path(temp) / "atlassian"
            subprocess.run(
                ["git", "clone", "-q", "-b", "main", str(BUNDLE), str(history)], check=True
            )
        if not (history / "bitbucket_summary_v1.json").exists():
            print(f"Bitbucket history: skipped, neither {ATLASSIAN} nor {BUNDLE} is there")
            return
        report(
            "Bitbucket summary.json (real history)",
            history,
            "bitbucket_summary_v1.json",
            "bitbucket",
            "statuspage",
            file_pack_bytes(history, "bitbucket_summary_v1.json"),
            targets=False,
        )


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        kind, *rest = sys.argv[2:]
        if kind == "read":
            child_read(*rest)
        elif kind == "verify":
            child_verify(*rest)
        elif kind == "build":
            child_build(*rest)
        else:
            child_import(*rest)
    else:
        main()
