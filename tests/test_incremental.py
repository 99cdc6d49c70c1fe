"""Incremental builds: unchanged sources come from the cache, a changed one is read again,
a change to the pipeline's code invalidates everything."""
from __future__ import annotations

import shutil

import pipeline.__main__ as cli
from pipeline import cache as cache_module
from conftest import ROOT


def test_only_changed_sources_are_read_again(tmp_path, monkeypatch):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "source", src, ignore=shutil.ignore_patterns("card_ids.yaml"))
    read: list[str] = []
    original = cli._read_or_error

    def counting(job):
        read.append(job[0].name)
        return original(job)

    monkeypatch.setattr(cli, "_read_or_error", counting)
    out = tmp_path / "b"
    cli.build(src, out, quiet=True)
    assert len(read) == 5
    read.clear()
    cli.build(src, out, quiet=True)
    assert read == []
    path = src / "002_39923598443be3f0.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n什么是新问题?\n新答案。\n", encoding="utf-8")
    cli.build(src, out, quiet=True)
    assert read == ["002_39923598443be3f0.txt"]
    read.clear()
    cache_module.code_version.cache_clear()
    monkeypatch.setattr(cache_module, "PIPELINE_VERSION", "changed")
    cli.build(src, out, quiet=True)
    assert len(read) == 5
    assert len(list((out / "cache").glob("*.pickle"))) == 5  # stale entries are pruned
