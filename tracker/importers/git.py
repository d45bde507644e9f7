"""Import the history of one file of a local git repository (a git-scraping archive).

Every commit that touched the file becomes one observation, at the commit's time. One
long-running `git cat-file --batch` reads all the versions: starting a process per commit
would cost more than storing them.
"""

from __future__ import annotations

import mimetypes
import os
import posixpath
import queue
import subprocess
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import IO

from ..archive import Archive
from ..errors import ImportFailed, UsageError
from ..fetch import BLOCKED, EMPTY, is_challenge
from ..ingest import signatures
from ..models import FetchResult, Source
from ..noise import Signature
from .ahead import read_ahead
from .common import ImportSummary, ProgressCallback, Run, ensure_source, iso_utc

ORIGIN = "git"

_CONTENT_TYPES = {
    ".json": "application/json",
    ".js": "application/javascript",
    ".atom": "application/atom+xml",
    ".rss": "application/rss+xml",
    ".xml": "application/xml",
    ".html": "text/html",
    ".htm": "text/html",
}


@dataclass(frozen=True)
class Commit:
    sha: str
    observed_at: str  # commit time in UTC, the archive's format


def import_git(
    archive: Archive,
    repo: Path,
    file: str,
    *,
    source: str,
    fmt: str | None = None,
    url: str | None = None,
    since: str | None = None,
    until: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> ImportSummary:
    """Ingest every commit of `file` in `repo`, oldest first, skipping those already imported.

    `since`/`until` take any date git understands. Each commit is stored as it is read, so an
    interrupted import keeps what it did and a rerun carries on. A commit dated before the
    newest stored version (committer clocks can be wrong) is passed over as too old.
    """
    repo, path = _locate(_check_repo(repo), file)
    commits = list_commits(repo, path, since=since, until=until)
    if not commits and not _ever_committed(repo, path):
        raise UsageError(
            f"{file} was never committed in {repo} (on its current branch); "
            "FILE is a path inside REPO, e.g. data/incidents.json"
        )
    target = ensure_source(archive, source, url or f"git:{repo}:{path}", fmt)
    run = Run(archive, target, ORIGIN)
    wanted = [not run.skipped(commit.sha, commit.observed_at) for commit in commits]
    chosen = [commit for commit, read in zip(commits, wanted, strict=True) if read]

    def plan() -> tuple[str | None, dict, tuple[Signature, ...]]:
        fmt = run.source.format
        learned = tuple(signatures(archive, run.source.name))
        return (None if fmt == "auto" else fmt), run.source.options, learned

    with blob_reader(repo) as reader:
        # git reads the next versions, and a worker process reads what they say, while this
        # one is stored.
        bodies = reader.stream([(c.sha, path) for c in chosen])
        results = (
            _result(run.source, repo, path, c, body) for c, body in zip(chosen, bodies, strict=True)
        )
        size = max((reader.size(c.sha, path) for c in chosen[:1] + chosen[-1:]), default=0)
        kind = content_type(path)
        with read_ahead(results, plan, len(chosen), size, kind) as readings, run.batched():
            for done, (commit, read) in enumerate(zip(commits, wanted, strict=True), start=1):
                if read:
                    result, extracted = next(readings)
                    run.store(commit.sha, result, commit.observed_at, extracted)
                run.tally.count("found")
                if on_progress:
                    on_progress(done, len(commits))
    return run.tally.summary()


def list_commits(
    repo: Path, path: str, *, since: str | None = None, until: str | None = None
) -> list[Commit]:
    """The commits of the current branch that touched `path`, oldest first.

    Only the branch's own line (`--first-parent`): a merged branch's commits were never what
    the branch showed, and would interleave with its commits by date.
    """
    args = ["log", "--first-parent", "--reverse", "--format=%H%x00%cI"]
    if since:
        args.append(f"--since={since}")
    if until:
        args.append(f"--until={until}")
    output = _git(repo, [*args, "--", _pathspec(path)])
    commits = []
    for line in output.splitlines():
        sha, _, when = line.partition("\x00")
        commits.append(Commit(sha, iso_utc(datetime.fromisoformat(when))))
    return commits


@contextmanager
def blob_reader(repo: Path) -> Iterator[BlobReader]:
    reader = BlobReader(repo)
    try:
        yield reader
    finally:
        reader.close()


class BlobReader:
    """`git cat-file --batch`: ask for `<commit>:<path>`, read back the object's bytes."""

    # How many versions `stream` reads ahead of the one being stored.
    AHEAD = 4

    def __init__(self, repo: Path):
        self.repo = repo
        self._process = subprocess.Popen(
            ["git", "cat-file", "--batch"],
            cwd=repo,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def stream(self, wanted: Sequence[tuple[str, str]]) -> Iterator[bytes | None]:
        """The bytes of each (commit, path), in order, read by a thread a few versions ahead:
        git unpacks the next versions while the caller works on this one."""
        ready: queue.Queue[tuple[bytes | None, BaseException | None]] = queue.Queue(self.AHEAD)

        def offer(item: tuple[bytes | None, BaseException | None]) -> bool:
            while not self._stop.is_set():
                try:
                    ready.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def work() -> None:
            for sha, path in wanted:
                try:
                    item: tuple[bytes | None, BaseException | None] = (self(sha, path), None)
                except Exception as exc:  # handed to the caller, raised there
                    offer((None, exc))
                    return
                if not offer(item):
                    return

        self._thread = threading.Thread(target=work, name="git-cat-file", daemon=True)
        self._thread.start()
        for _ in wanted:
            body, error = ready.get()
            if error is not None:
                raise error
            yield body

    def size(self, sha: str, path: str) -> int:
        """The size of the file at `sha` (0 when it is not there), without reading it."""
        try:
            return int(_git(self.repo, ["cat-file", "-s", f"{sha}:{path}"]))
        except UsageError:  # not at that commit
            return 0

    def __call__(self, sha: str, path: str) -> bytes | None:
        """The file's bytes at `sha`; None when the commit deleted it."""
        stdin, stdout = self._pipes()
        stdin.write(f"{sha}:{path}\n".encode())
        stdin.flush()
        header = stdout.readline().split()
        if header[-1:] == [b"missing"]:
            return None
        if len(header) != 3:
            raise ImportFailed(
                f"git cat-file in {self.repo} answered {b' '.join(header)!r} for {sha}:{path}; "
                "check the repository with `git fsck`"
            )
        if header[1] != b"blob":
            raise UsageError(f"{path} is a {header[1].decode()} in {sha}, not a file")
        size = int(header[2])
        body = stdout.read(size)
        stdout.read(1)  # the newline that ends every object
        if len(body) != size:
            raise ImportFailed(f"git cat-file in {self.repo} stopped while reading {sha}:{path}")
        return body

    def _pipes(self) -> tuple[IO[bytes], IO[bytes]]:
        assert self._process.stdin is not None and self._process.stdout is not None
        return self._process.stdin, self._process.stdout

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        stdin, _ = self._pipes()
        stdin.close()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def _result(
    source: Source, repo: Path, path: str, commit: Commit, body: bytes | None
) -> FetchResult:
    """One commit's version as a fetch result, judged like a live body would be."""
    result = FetchResult(
        url=source.url,
        final_url=source.url,
        started_at=commit.observed_at,
        finished_at=commit.observed_at,
        request={"method": "git", "repository": str(repo), "commit": commit.sha, "path": path},
    )
    if body is None:
        detail = f"{path} does not exist at commit {commit.sha} (deleted or moved)"
        return replace(result, error=EMPTY, detail=detail)
    headers = {"Content-Type": content_type(path)}
    result = replace(result, status=200, headers=headers, body=body)
    if not body or body.isspace():  # (no copy of a large body, as strip() would make)
        return replace(result, error=EMPTY, detail=f"{path} is empty at commit {commit.sha}")
    if is_challenge(200, headers, body):
        detail = f"commit {commit.sha} holds a bot-protection challenge page, not the page"
        return replace(result, error=BLOCKED, detail=detail)
    return result


def content_type(path: str) -> str:
    """What a web server would have sent for this file, guessed from its extension."""
    extension = posixpath.splitext(path)[1].lower()
    guessed = _CONTENT_TYPES.get(extension) or mimetypes.guess_type(path)[0]
    return guessed or "application/octet-stream"


# -- the repository --------------------------------------------------------------------------


def _git(repo: Path, args: Sequence[str]) -> str:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=repo, capture_output=True, text=True, check=False
        )
    except FileNotFoundError as exc:
        raise ImportFailed("git is not installed or not on PATH; install git and retry") from exc
    if completed.returncode != 0:
        message = completed.stderr.strip().splitlines()
        reason = message[-1] if message else f"exit status {completed.returncode}"
        raise UsageError(f"git {args[0]} failed in {repo}: {reason}")
    return completed.stdout


def _check_repo(repo: Path) -> Path:
    repo = Path(repo).expanduser().resolve()
    if not repo.is_dir():
        raise UsageError(f"{repo} is not a directory; REPO is a local git repository")
    try:
        _git(repo, ["rev-parse", "--git-dir"])
    except UsageError as exc:
        raise UsageError(
            f"{repo} is not a git repository; clone the history first (git clone URL)"
        ) from exc
    return repo


def _locate(repo: Path, file: str) -> tuple[Path, str]:
    """The repository's root, and `file` (relative to REPO, or absolute) as a path from it."""
    if "\n" in file or not file.strip():
        raise UsageError(f"{file!r} is not a file path")
    relative = os.path.relpath(file, repo) if os.path.isabs(file) else file
    prefix = _git(repo, ["rev-parse", "--show-prefix"]).strip()
    path = posixpath.normpath(posixpath.join(prefix, Path(relative).as_posix()))
    if path == "." or path.startswith("../"):
        raise UsageError(f"{file} is not inside {repo}")
    root = (repo / _git(repo, ["rev-parse", "--show-cdup"]).strip()).resolve()
    return root, path


def _pathspec(path: str) -> str:
    # From the top of the repository, and never a glob: FILE names exactly one file.
    return f":(top,literal){path}"


def _ever_committed(repo: Path, path: str) -> bool:
    return bool(_git(repo, ["log", "-1", "--format=%H", "--", _pathspec(path)]).strip())
