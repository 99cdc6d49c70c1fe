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
    log = tmp_path / "read.log"  # sources are read in worker processes: they append here
    original = cli._read_or_error

    def counting(job):
        with log.open("a", encoding="utf-8") as f:
            f.write(job[0].name + "\n")
        return original(job)

    def read() -> list[str]:
        names = log.read_text(encoding="utf-8").split() if log.exists() else []
        log.unlink(missing_ok=True)
        return names

    monkeypatch.setattr(cli, "_read_or_error", counting)
    out = tmp_path / "b"
    cli.build(src, out, quiet=True)
    assert len(read()) == 5
    cli.build(src, out, quiet=True)
    assert read() == []
    path = src / "002_39923598443be3f0.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n什么是新问题?\n新答案。\n", encoding="utf-8")
    cli.build(src, out, quiet=True)
    assert read() == ["002_39923598443be3f0.txt"]
    cache_module.code_version.cache_clear()
    monkeypatch.setattr(cache_module, "PIPELINE_VERSION", "changed")
    try:
        cli.build(src, out, quiet=True)
    finally:
        cache_module.code_version.cache_clear()  # later builds in this process see the real code again
    assert len(read()) == 5
    assert len(list((out / "cache").glob("*.pickle"))) == 5  # stale entries are pruned
