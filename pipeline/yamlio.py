"""YAML in and out: loading that names the file and line of every problem (syntax,
duplicate keys, unknown keys, wrong types, anchors and aliases, too deep, too large), and
writing that is atomic, readable in a diff (multi-line text in block style `|`, no folded
lines) and never uses anchors."""
from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Hashable, Iterator
from pathlib import Path
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (DocumentEndEvent, DocumentStartEvent, Event, MappingEndEvent, MappingStartEvent,
                         ScalarEvent, SequenceEndEvent, SequenceStartEvent, StreamEndEvent, StreamStartEvent)

from .model import PipelineError, shorten


FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 20x faster

# Caps on what the build reads from the files people (and merges) write, so that a
# mistaken or hostile file fails at once with its name instead of eating minutes and memory.
HUMAN_FILE_LIMIT = 4 * 2**20  # sources.yaml, edits.yaml: typed by hand; 4 MB is thousands of full edits
REGISTRY_LIMIT = 32 * 2**20  # card_ids.yaml grows ~200 bytes a card (with its note time): room for 160,000 cards
MAX_DEPTH = 32  # nesting of YAML collections: the schemas need 5 levels; deeper input would exhaust the stack
QUOTE = 80  # characters of a value an error message may quote


_Emitter = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml's emitter when present


class _Refused(yaml.MarkedYAMLError):
    """A YAML feature the human files may not use."""


class _Loader(FastLoader):
    """libyaml's loader (parser and composer in C) with mappings that refuse duplicate
    keys. It expands anchors and aliases past any hook: `_refuse_anchors` reads the
    events first."""


def _refuse_anchors(text: str) -> None:
    """Raise _Refused at the first anchor or alias (a 450-byte file of nested aliases
    stands for a billion values) and at the first node nested deeper than MAX_DEPTH, from
    libyaml's events, before anything is composed."""
    depth = 0
    for event in yaml.parse(text, Loader=FastLoader):
        if isinstance(event, (MappingEndEvent, SequenceEndEvent)):
            depth -= 1
            continue
        if getattr(event, "anchor", None) is not None:  # an anchored node (&name) or an alias (*name)
            raise _Refused(None, None, "anchors and aliases are not allowed", event.start_mark)
        if isinstance(event, (ScalarEvent, MappingStartEvent, SequenceStartEvent)) and depth >= MAX_DEPTH:
            raise _Refused(None, None, f"nested deeper than {MAX_DEPTH} levels", event.start_mark)
        if isinstance(event, (MappingStartEvent, SequenceStartEvent)):
            depth += 1


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            break  # SafeConstructor refuses it below, with its line
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {shorten(repr(key))} (first at line {seen[key]})", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return SafeConstructor.construct_mapping(loader, node, deep=deep)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _line_of(node: yaml.Node | None, path: list) -> int | None:
    """The line of the value at `path` (keys and indexes) in a composed YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for step in path:
        if isinstance(node, yaml.MappingNode):
            match = next(((k, v) for k, v in node.value if k.value == str(step)), None)
            if match is None:
                return line
            node = match[1]
            line = match[0].start_mark.line + 1
        elif isinstance(node, yaml.SequenceNode) and isinstance(step, int) and step < len(node.value):
            node = node.value[step]
            line = node.start_mark.line + 1
        else:
            return line
    return line


def read_text(path: Path, limit: int, shown: str | None = None) -> str:
    """The text of a file the build reads, refused with PipelineError when it is over
    `limit` bytes (read no further than that: the file may be a pipe or a device),
    unreadable or not UTF-8."""
    name = shown or str(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as exc:
        raise PipelineError(name, f"cannot read: {exc.strerror}") from None
    if len(raw) > limit:
        raise PipelineError(name, f"is larger than {limit // 2**20} MB, the limit for this file "
                                  "(pipeline/yamlio.py); nothing was read")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PipelineError(name, "is not UTF-8 text", raw[:exc.start].count(b"\n") + 1) from None


def parse(text: str, name: str, schema: dict | None = None) -> Any:
    """Parse YAML text read from the file `name`; on any problem (syntax, anchors and
    aliases, too deep, duplicate keys, a schema violation) raise PipelineError with the
    file, the line and at most QUOTE characters of any value quoted."""
    try:
        _refuse_anchors(text)
        data = yaml.load(text, Loader=_Loader)
    except _Refused as exc:
        raise PipelineError(name, exc.problem, exc.problem_mark.line + 1) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PipelineError(name, f"YAML error: {shorten(exc.problem or exc.context or '', 2 * QUOTE)}",
                            mark.line + 1 if mark else None) from None
    except yaml.YAMLError as exc:
        raise PipelineError(name, f"YAML error: {shorten(str(exc), 2 * QUOTE)}") from None
    if schema is not None:
        import jsonschema  # here: 50 ms of imports that a build whose human files did not change is spared

        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            where = "/".join(shorten(str(p)) for p in err.absolute_path) or "top level"
            # jsonschema quotes the whole offending value: a 1 MB string makes a 1 MB message
            message = shorten(err.message.replace(repr(err.instance), shorten(repr(err.instance))), 3 * QUOTE)
            raise PipelineError(name, f"{where}: {message}", line_in(text, list(err.absolute_path)))
    return data


def load(path: Path, schema: dict | None = None, shown: str | None = None, limit: int = HUMAN_FILE_LIMIT,
         kept: Path | None = None) -> Any:
    """Load a YAML file of at most `limit` bytes, checked against `schema` (JSON Schema);
    on any problem raise PipelineError naming the file and line (see parse). With `kept`
    (a folder), a file read before with the same text and code is not parsed again: what
    it gave is kept there (`keep_parsed`)."""
    name = shown or str(path)
    text = read_text(path, limit, name)
    if kept is not None and (data := kept_parsed(kept, path.name, text)) is not None:
        return data
    data = parse(text, name, schema)
    if kept is not None:
        keep_parsed(kept, path.name, text, data, exact=True)
    return data


def _parsed_copy(folder: Path, name: str, text: str) -> Path:
    from .cache import code_version  # the cache's module writes through this one

    digest = hashlib.blake2b(code_version().encode() + text.encode("utf-8"), digest_size=16).hexdigest()
    return folder / f"{Path(name).stem}-{digest}.json"


def kept_parsed(folder: Path, name: str, text: str) -> Any | None:
    """What reading the file `name` with this `text` gave, as `keep_parsed` kept it in
    `folder` for this code; None when it is not there or does not read."""
    try:
        return json.loads(_parsed_copy(folder, name, text).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def keep_parsed(folder: Path, name: str, text: str, data: Any, exact: bool = False) -> None:
    """Keep in `folder`, as JSON, what reading the file `name` with this `text` gave (for
    `kept_parsed`), in place of what an earlier text gave. `exact`: nothing is kept when
    JSON would not give back the same data (YAML may hold integer keys, dates)."""
    dumped = json.dumps(data, ensure_ascii=False, default=str)
    if exact and json.loads(dumped) != data:
        return
    for old in folder.glob(f"{Path(name).stem}-*.json"):
        old.unlink(missing_ok=True)
    write_atomic(_parsed_copy(folder, name, text), dumped)


def _compose(text: str) -> yaml.Node | None:
    return yaml.compose(text, Loader=_Loader)


def line_in(text: str, keys: list) -> int | None:
    """The line of the value at `keys` (mapping keys and list indexes) in YAML text
    already known to parse."""
    return _line_of(_compose(text), keys)


def line_of(path: Path, keys: list) -> int | None:
    """The line of the value at `keys` in a YAML file already known to parse."""
    return line_in(path.read_text(encoding="utf-8"), keys)


_STR = "tag:yaml.org,2002:str"
_RESOLVER = yaml.resolver.Resolver()
_PLAIN: dict[str, bool] = {}  # short strings (keys, kinds, labels) recur thousands of times
_UNFOLDED = 2**30  # a line width no text reaches: a long line stays one line, so a diff shows one change


def _plain(text: str) -> bool:
    """Whether `text` written without quotes reads back as this string (not `true`, `12`, `null` …)."""
    plain = _PLAIN.get(text)
    if plain is None:
        plain = _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == _STR
        if len(text) < 40:
            _PLAIN[text] = plain
    return plain


def _events(data: Any) -> Iterator[Event]:
    """The YAML events of `data` (str, int, bool, None, lists and str-keyed dicts): text
    with line breaks in block style (libyaml falls back to quotes where a block cannot
    hold it exactly, such as a space before a line break), lists of numbers on one line."""
    if isinstance(data, str):
        if "\n" in data:
            yield ScalarEvent(None, None, (False, True), data, style="|")
        else:
            yield ScalarEvent(None, None, (_plain(data), True), data)
    elif isinstance(data, dict):
        yield MappingStartEvent(None, None, True)
        for key, value in data.items():
            yield from _events(key)
            yield from _events(value)
        yield MappingEndEvent()
    elif isinstance(data, list | tuple):
        flow = not data or all(isinstance(v, int) for v in data)
        yield SequenceStartEvent(None, None, True, flow_style=flow)
        for value in data:
            yield from _events(value)
        yield SequenceEndEvent()
    elif isinstance(data, bool) or data is None:
        yield ScalarEvent(None, None, (True, False), {True: "true", False: "false", None: "null"}[data])
    elif isinstance(data, int):
        yield ScalarEvent(None, None, (True, False), str(data))
    else:
        raise TypeError(f"cannot write {type(data).__name__} as YAML")


def dump(data: Any) -> str:
    """YAML text for `data` (str, int, bool, None, lists, str-keyed dicts), keys in their
    order, Unicode as is, multi-line text in block style, never anchors and aliases.
    Events go straight to libyaml's emitter: PyYAML's representer and resolver, which
    build and inspect a node per value, took 4x as long on a large cards.yaml."""
    def stream() -> Iterator[Event]:
        yield StreamStartEvent()
        yield DocumentStartEvent(explicit=False)
        yield from _events(data)
        yield DocumentEndEvent(explicit=False)
        yield StreamEndEvent()
    return yaml.emit(stream(), Dumper=_Emitter, allow_unicode=True, width=_UNFOLDED)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Write via a temporary file in the same folder and rename: readers see the old
    file or the new one, never half of one. Raises PipelineError naming `path` and the
    system's reason when the folder does not take it (read-only, full, not a folder)."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        with os.fdopen(fd, "wb") as handle:
            handle.write(content.encode("utf-8") if isinstance(content, str) else content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise PipelineError(str(path), f"cannot write: {exc.strerror or exc}") from None
        raise
