"""`source/sources.yaml`: the deck's name and, per document, its title and, where the
detectors would guess wrong, the layout (a detector's name) that must read it."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .extract import LAYOUTS
from .model import PipelineError, shorten
from .stamps import CACHE
from .yamlio import line_of, load

MANIFEST = "sources.yaml"
SCHEMA = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "deck_root": {"type": "string", "minLength": 1},
        "documents": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["file"],
                "properties": {
                    "file": {"type": "string", "minLength": 1},
                    "title": {"type": "string"},
                    "layout": {"enum": LAYOUTS},
                    "url": {"type": "string"},
                    "note": {"type": "string"},
                },
            },
        },
    },
}


@dataclass
class Manifest:
    deck_root: str  # the deck's name: `deck_root` in sources.yaml, else the source folder's name
    titles: dict[str, str] = field(default_factory=dict)  # file -> title given in sources.yaml
    layouts: dict[str, str] = field(default_factory=dict)  # file -> detector that must read it


def _is_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # a name too long for the file system, say: no such file either
        return False


def read_manifest(source_dir: Path, build_dir: Path | None = None) -> Manifest:
    """The manifest of `source_dir` (defaults when it has none: the deck is named after the
    folder); PipelineError with file and line for bad YAML, a schema violation or a
    document that does not exist. With `build_dir`, an unchanged file is taken from the
    copy its last read left in the build's cache (yamlio.load)."""
    path = source_dir / MANIFEST
    folder = source_dir.resolve().name or "deck"  # "/" has no name
    if not path.exists():
        return Manifest(folder)
    data = load(path, SCHEMA, shown=str(path), kept=build_dir / CACHE if build_dir else None) or {}
    manifest = Manifest(data.get("deck_root", folder))
    for k, doc in enumerate(data.get("documents") or []):
        if not _is_file(source_dir / doc["file"]):
            raise PipelineError(str(path), f"documents/{k}/file: no such file in {source_dir}: {shorten(doc['file'])}",
                                line_of(path, ["documents", k, "file"]))
        if doc.get("title"):
            manifest.titles[doc["file"]] = doc["title"]
        if doc.get("layout"):
            manifest.layouts[doc["file"]] = doc["layout"]
    return manifest
