"""YAML in and out: loading that names the file and line of every problem (syntax,
duplicate keys, unknown keys, wrong types), and writing that is atomic."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from .model import PipelineError


_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)  # libyaml when present: 20x faster
FastLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys and remembers where each node starts."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first at line {seen[key]})", key_node.start_mark)
        seen[key] = key_node.start_mark.line + 1
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


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


def load(path: Path, schema: dict | None = None, shown: str | None = None, machine_written: bool = False) -> Any:
    """Load a YAML file; on any problem raise PipelineError with file and line. A file
    the build wrote itself is read with libyaml, without the duplicate-key check."""
    name = shown or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise PipelineError(name, "is not UTF-8 text") from None
    except OSError as exc:
        raise PipelineError(name, f"cannot read: {exc.strerror}") from None
    try:
        data = yaml.load(text, Loader=FastLoader if machine_written else _Loader)  # noqa: S506 - both are safe loaders
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise PipelineError(name, f"YAML error: {exc.problem or exc.context}",
                            mark.line + 1 if mark else None) from None
    if schema is not None:
        errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(data), key=lambda e: list(e.absolute_path))
        if errors:
            err = errors[0]
            node = yaml.compose(text, Loader=yaml.SafeLoader)
            where = "/".join(str(p) for p in err.absolute_path) or "top level"
            raise PipelineError(name, f"{where}: {err.message}", _line_of(node, list(err.absolute_path)))
    return data


def line_of(path: Path, keys: list) -> int | None:
    """The line of the value at `keys` in a YAML file already known to parse."""
    return _line_of(yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader), keys)


def dump(data: Any) -> str:
    return yaml.dump(data, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=100)


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
