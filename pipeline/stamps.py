"""A build with nothing to do, decided in milliseconds from file stamps.

The last whole build records in the build folder (`.stamps.json`) one digest of the stamps
(size and modification time in ns) of every file under the source folder, of the id
registry, of the pipeline's code and installed libraries, and of every output in the build
folder, with the build's options. `python -m pipeline build` computes that digest again
before it imports a stage: when it matches, nothing changed since, and the build prints its
summary and exits without reading a source, a cached result or a card.

A file changed twice within the file system's clock tick keeps its stamp. So an input whose
modification time is within RACY_NS of the moment the stamps were taken is "racy" (as in
git): its content digest goes into the record and is checked again by content. Outputs are
written by the build itself and only stamped.

This module imports the standard library only: it runs before anything else is loaded.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import stat
import sys
import sysconfig
import time
from contextlib import redirect_stderr
from dataclasses import dataclass, field
from pathlib import Path

RECORD = ".stamps.json"  # in the build folder
CACHE = "cache"  # the build folder's per-source cache: not an output
RACY_NS = 2_000_000_000  # coarser than any file system's clock tick (FAT: 2 s)
CODE = Path(__file__).resolve().parent
CODE_FILES = (".py", ".j2")  # the pipeline's code: its modules and the review page's templates
# a PIPELINE_* variable changes what a build does (PIPELINE_SOURCE_SECONDS)
ENVIRONMENT = "PIPELINE_"

Stamp = list  # [size, mtime_ns] of a file; ["link", target, …] of a symbolic link; [] when missing


def parser() -> argparse.ArgumentParser:
    """The command line of `python -m pipeline`."""
    p = argparse.ArgumentParser(prog="python -m pipeline", description="Command line: `python -m pipeline "
                                "build|diff|edit`.")
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("build", help="build cards.yaml, report.md, the deck and the study sheets")
    b.add_argument("--source", default="source", help="folder of .txt, .md and .html documents")
    b.add_argument("--build", default="build", help="output folder")
    b.add_argument("--keep-going", action="store_true", help="skip unreadable sources instead of stopping")
    b.add_argument("--registry", help="card id registry (default: SOURCE/card_ids.yaml)")
    b.add_argument("--quiet", action="store_true")
    e = sub.add_parser("edit", help="print a ready-to-edit entry of source/edits.yaml for a card")
    e.add_argument("id")
    e.add_argument("--build", default="build")
    d = sub.add_parser("diff", help="cards added, removed and changed since the previous build")
    d.add_argument("--build", default="build")
    return p


def registry_path(source_dir: Path, build_dir: Path, given: str | None) -> Path:
    """Where the id registry is: `given`, else SOURCE/card_ids.yaml, else (a read-only
    source folder: a shared corpus) BUILD/card_ids.yaml."""
    if given:
        return Path(given)
    # the mode bits decide, because root may write anywhere
    own = source_dir / "card_ids.yaml"
    try:
        writable = own.exists() or source_dir.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)
    except OSError:  # no source folder: the build says so
        writable = True
    return own if writable else build_dir / "card_ids.yaml"


def summary(cards: int, ok: int, sources: int, seconds: float, build_dir: Path, skipped: list[str],
            unchanged: bool = False) -> str:
    """The line a build prints on stderr, with a line per skipped source."""
    line = (f"built {cards} cards ({ok} ok) from {sources} sources in {seconds:.2f} s → {build_dir}/"
            + (f"; skipped {len(skipped)} bad sources" if skipped else "")
            + ("; nothing changed since the last build" if unchanged else ""))
    return "\n".join([line, *(f"  skipped: {e}" for e in skipped)])


def stamp(path: str) -> Stamp:
    """[size, mtime_ns] of the file at `path` ([] when there is none), after ["link", target] for a link."""
    try:
        st = os.stat(path)
    except OSError:
        st = None
    found = [st.st_size, st.st_mtime_ns] if st is not None else []
    if os.path.islink(path):
        try:
            return ["link", os.readlink(path), *found]
        except OSError:
            return ["link", *found]
    return found


def _tree(folder: str, skip: str, stamps: dict[str, Stamp], only: str | tuple[str, ...] = "") -> None:
    """Stamps of the files under `folder` (links not followed; the folder `skip` left out;
    names ending in `only` if given) into `stamps`, keyed by path."""
    for top, dirs, files in os.walk(folder):
        for name in list(dirs):
            path = os.path.join(top, name)
            if path == skip or name == "__pycache__":
                dirs.remove(name)
            elif os.path.islink(path):
                stamps[path] = stamp(path)
        for name in files:
            if name.endswith(only):
                path = os.path.join(top, name)
                stamps[path] = stamp(path)


def _content(path: str) -> str:
    try:
        with open(path, "rb") as handle:
            return hashlib.file_digest(handle, "blake2b").hexdigest()
    except OSError:
        return ""


@dataclass
class Options:
    """What a build was asked to do: the folders (resolved) and its switches."""

    source: str
    build: str
    registry: str
    keep_going: bool

    @classmethod
    def of(cls, source_dir: Path, build_dir: Path, registry: Path, keep_going: bool) -> Options:
        return cls(os.path.realpath(source_dir), os.path.realpath(build_dir), os.path.realpath(registry), keep_going)

    def inputs(self) -> dict[str, Stamp]:
        """Stamps of everything a build reads: the source folder (but the build folder in
        it), the registry, the pipeline's code, the installed libraries' folders (an
        install or upgrade changes them)."""
        stamps: dict[str, Stamp] = {}
        _tree(self.source, self.build, stamps)
        _tree(str(CODE), "", stamps, only=CODE_FILES)
        stamps[self.registry] = stamp(self.registry)
        for folder in {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}:
            stamps[folder] = stamp(folder)
        return stamps

    def outputs(self) -> dict[str, Stamp]:
        """Stamps of what is in the build folder (but the record and the cache)."""
        stamps: dict[str, Stamp] = {}
        try:
            entries = os.listdir(self.build)
        except OSError:
            return stamps
        for name in entries:
            if name not in (RECORD, CACHE):
                path = os.path.join(self.build, name)
                stamps[path] = stamp(path)
        return stamps

    def digest(self, stamps: dict[str, Stamp], contents: dict[str, str]) -> str:
        environment = {k: v for k, v in os.environ.items() if k.startswith(ENVIRONMENT)}
        data = [self.source, self.build, self.registry, self.keep_going, sys.executable, sys.version, environment,
                sorted(stamps.items()), sorted(contents.items())]
        return hashlib.blake2b(json.dumps(data).encode("ascii"), digest_size=16).hexdigest()


@dataclass
class Stamps:
    """The inputs' stamps, taken when a build starts (a file changed while the build
    reads it then differs from its stamp), and what the build printed."""

    options: Options
    taken: int = field(default_factory=time.time_ns)
    inputs: dict[str, Stamp] = field(default_factory=dict)
    contents: dict[str, str] = field(default_factory=dict)  # racy inputs: their content digest

    @classmethod
    def take(cls, options: Options) -> Stamps:
        """Stamp the inputs now, and digest the content of the racy ones."""
        stamps = cls(options)
        stamps.inputs = options.inputs()
        for path in stamps.inputs:
            stamps.again(path)
        return stamps

    def again(self, path: Path | str) -> None:
        """Stamp `path` again: an input the build itself wrote (the registry)."""
        path = os.path.realpath(path) if isinstance(path, Path) else path
        self.inputs[path] = stamp(path)
        self.contents.pop(path, None)
        now = self.inputs[path]
        if len(now) >= 2 and isinstance(now[-1], int) and now[-1] >= self.taken - RACY_NS:
            self.contents[path] = _content(path)

    def record(self, cards: int, ok: int, sources: int, skipped: list[str], warnings: list[str]) -> str:
        """The record of a whole build (JSON for build/RECORD), taken once its outputs are written."""
        stamps = {**self.inputs, **self.options.outputs()}
        return json.dumps({"digest": self.options.digest(stamps, self.contents), "racy": sorted(self.contents),
                           "cards": cards, "ok": ok, "sources": sources, "skipped": skipped, "warnings": warnings})


def unchanged(options: Options) -> dict | None:
    """The record of the last build when nothing it read or wrote has changed since, else None."""
    try:
        record = json.loads(Path(options.build, RECORD).read_text(encoding="utf-8"))
        racy = record["racy"]
        stamps = {**options.inputs(), **options.outputs()}
        contents = {path: _content(path) for path in racy}
        summary_keys = {"cards", "ok", "sources", "skipped", "warnings"}
        return record if options.digest(stamps, contents) == record["digest"] and summary_keys <= record.keys() else None
    except (OSError, ValueError, KeyError, TypeError):
        return None


def forget(build_dir: Path) -> None:
    """A real build starts: until it ends whole, the build folder is not up to date."""
    try:
        Path(build_dir, RECORD).unlink(missing_ok=True)
    except OSError:
        pass  # the build reports an unwritable folder when it writes its first output


def exit_if_unchanged(argv: list[str]) -> None:
    """For `python -m pipeline build …`: when nothing changed since the last build, print
    its summary line and exit 0; otherwise return (the build goes on)."""
    started = time.perf_counter()
    if argv[:1] != ["build"] or {"-h", "--help"} & set(argv):
        return
    try:
        with redirect_stderr(io.StringIO()):  # a bad command line is the build's to report
            args = parser().parse_args(argv)
        if not Path(args.source).is_dir():
            return
        source, build = Path(args.source), Path(args.build)
        record = unchanged(Options.of(source, build, registry_path(source, build, args.registry), args.keep_going))
    except (OSError, ValueError, SystemExit):  # a bad command line or path: the build reports it
        return
    if record is None:
        return
    if not args.quiet:
        for warning in record["warnings"]:
            print(f"warning: {warning}", file=sys.stderr)
        print(summary(record["cards"], record["ok"], record["sources"], time.perf_counter() - started, build,
                      record["skipped"], unchanged=True), file=sys.stderr)
    sys.exit(0)
