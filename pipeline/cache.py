"""Per-source results cached by content: the file's bytes, its title and the pipeline's
own code. A source that did not change is not read again; any change to the code
invalidates every entry."""
from __future__ import annotations

import hashlib
import pickle
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
