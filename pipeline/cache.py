"""What builds keep in build/cache for the next: per-source results cached by content (the
file's bytes, its title and the pipeline's own code: a source that did not change is not
read again; any change to the code invalidates every entry), and rendered text kept in one
file per kind (`KeptFile`, `Fragments`)."""
from __future__ import annotations

import hashlib
import pickle
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from .model import PIPELINE_VERSION
from .stamps import CODE_FILES
from .yamlio import write_atomic


@lru_cache(maxsize=1)
def code_version() -> str:
    digest = hashlib.blake2b(PIPELINE_VERSION.encode(), digest_size=16)
    for path in sorted(p for p in Path(__file__).parent.rglob("*") if p.name.endswith(CODE_FILES)):
        digest.update(path.read_bytes())
    return digest.hexdigest()


class SourceCache:
    def __init__(self, folder: Path):
        self.folder = folder
        self.used: set[str] = set()

    def key(self, path: Path, title: str) -> str:
        digest = hashlib.blake2b(code_version().encode() + title.encode("utf-8") + b"\0", digest_size=16)
        digest.update(path.name.encode("utf-8") + b"\0" + path.read_bytes())
        return digest.hexdigest()

    def get(self, key: str) -> Any | None:
        self.used.add(key)
        try:
            with (self.folder / f"{key}.pickle").open("rb") as handle:
                return pickle.load(handle)
        except (OSError, pickle.PickleError, EOFError, AttributeError, ImportError):
            return None

    def put(self, key: str, value: Any) -> None:
        self.used.add(key)
        write_atomic(self.folder / f"{key}.pickle", pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))

    def prune(self) -> None:
        """Forget entries this build did not use (removed sources, older code)."""
        for entry in self.folder.glob("*.pickle"):
            if entry.stem not in self.used:
                entry.unlink(missing_ok=True)


class KeptFile:
    """Entries a build made (key -> entry), kept in one file of build/cache for the next,
    under a version (the code's, and whatever else all of them depend on): a file of
    another version is a normal miss. A file that does not load, or holds an entry that
    `valid` refuses, is no cache at all (whole or not at all: a damaged file lends no
    entry): `warning` says so, and the build makes every entry again."""

    def __init__(self, path: Path, what: str, valid: Callable[[Any], bool]):
        self.path = path
        self.what = what  # what the entries are, for the warning
        self.valid = valid
        self.warning = ""

    def load(self, version: object) -> dict:
        """The entries kept under `version` (none when there are none, or the file is damaged)."""
        try:
            with self.path.open("rb") as handle:
                kept, entries = pickle.load(handle)
            if kept != version:
                return {}
            if not isinstance(entries, dict) or not all(self.valid(entry) for entry in entries.values()):
                raise TypeError(f"an entry is not one of {self.what}")
            return entries
        except FileNotFoundError:
            return {}
        except Exception as exc:  # noqa: BLE001 - whatever a damaged file raises, it only means no cache
            self.warning = f"{self.path}: not a cache of {self.what} ({type(exc).__name__}: {exc}); they were made again"
            return {}

    def save(self, version: object, entries: dict) -> None:
        """Keep `entries` under `version` for the next build. Raises PipelineError (from
        write_atomic) when the build folder does not take the file."""
        write_atomic(self.path, pickle.dumps((version, entries), protocol=pickle.HIGHEST_PROTOCOL))


Needs = tuple[tuple[str, "str | None"], ...]  # what a fragment read outside what it is made from, as it was


def _fragment(entry: Any) -> bool:
    return (isinstance(entry, tuple) and len(entry) == 2 and isinstance(entry[0], str) and isinstance(entry[1], tuple)
            and all(isinstance(n, tuple) and len(n) == 2 and isinstance(n[0], str) and (n[1] is None or isinstance(n[1], str))
                    for n in entry[1]))


class Fragments:
    """Text rendered by earlier builds (a card of study.md, a source's section of the review
    page), in one file of build/cache, each under the digest of everything it is made from
    (`key`) and of the code, with what it read besides (`needs`: pairs of a name and what
    it gave then, such as an image's src and its link, which the caller checks before using
    the text). `save` keeps the fragments this build used or made, no others."""

    def __init__(self, path: Path, what: str):
        self.file = KeptFile(path, what, _fragment)
        self.kept: dict[str, tuple[str, Needs]] = self.file.load(code_version())
        self.used: dict[str, tuple[str, Needs]] = {}

    @property
    def warning(self) -> str:
        return self.file.warning

    @staticmethod
    def key(made_from: object) -> str:
        """The key of a fragment made from `made_from` (dataclasses, strings, numbers and
        their containers: its `repr` holds every value)."""
        return hashlib.blake2b(repr(made_from).encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()

    def get(self, key: str) -> tuple[str, Needs] | None:
        """The fragment kept or made under `key` and what it needed, or None."""
        entry = self.used.get(key) or self.kept.get(key)
        if entry is not None:
            self.used[key] = entry
        return entry

    def put(self, key: str, text: str, needs: Needs = ()) -> None:
        self.used[key] = (text, needs)

    def save(self) -> None:
        """Keep this build's fragments. Raises PipelineError (from write_atomic) when the
        build folder does not take the file."""
        self.file.save(code_version(), self.used)
