"""The command line on bad input: errors name the file (and line), nothing is half-written."""
from __future__ import annotations

import resource
import shutil
import subprocess
import sys

from conftest import ROOT, build_dir, run_cli


def copy_sources(tmp_path):
    src = tmp_path / "src"
    shutil.copytree(ROOT / "source", src, ignore=shutil.ignore_patterns("card_ids.yaml"))
    return src


def test_undecodable_file_is_named_and_previous_build_kept(tmp_path):
    src = copy_sources(tmp_path)
    out = tmp_path / "build"
    assert run_cli("build", "--source", str(src), "--build", str(out)).returncode == 0
    before = (out / "cards.yaml").read_bytes()
    (src / "broken.txt").write_bytes(b"\x00\x01\x02binary\xff\xfe" * 50)
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 2
    assert "broken.txt" in result.stderr and "Traceback" not in result.stderr
    assert (out / "cards.yaml").read_bytes() == before
    assert not list(out.glob(".*.tmp"))


def test_keep_going_builds_the_rest_and_lists_the_skipped(tmp_path):
    src = copy_sources(tmp_path)
    (src / "a-broken.md").write_bytes(b"\x00\x00\x00\x00" * 10)
    (src / "b-broken.txt").write_bytes(b"\x00PK\x03\x04" * 10)
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"), "--keep-going")
    assert result.returncode == 0
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "a-broken.md" in report and "b-broken.txt" in report


def test_a_document_of_a_kind_no_front_end_reads_is_named_as_skipped_an_image_beside_the_sources_is_not(tmp_path):
    src = copy_sources(tmp_path)
    (src / "quiz.rst").write_text("Question\n========\n\nWhat is dropout?\n", encoding="utf-8")
    (src / "figure.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"))
    assert result.returncode == 0
    report = (tmp_path / "b" / "report.md").read_text(encoding="utf-8")
    assert "quiz.rst: a .rst document is not read" in report and "quiz.rst" in result.stderr
    assert "figure.png" not in report and "figure.png" not in result.stderr


def test_all_bad_files_are_reported_in_one_run(tmp_path):
    src = copy_sources(tmp_path)
    (src / "a-broken.md").write_bytes(b"\x00\x00\x00\x00" * 10)
    (src / "b-broken.txt").write_bytes(b"\x00PK\x03\x04" * 10)
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"))
    assert result.returncode == 2
    assert "a-broken.md" in result.stderr and "b-broken.txt" in result.stderr


def test_manifest_errors_name_file_and_line(tmp_path):
    src = copy_sources(tmp_path)
    (src / "sources.yaml").write_text("deck_root: x\ndocuments:\n  - file: 000_493e6a27935986c3.txt\n    titel: typo\n",
                                      encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"))
    assert result.returncode == 2
    assert "sources.yaml:3" in result.stderr and "titel" in result.stderr
    (src / "sources.yaml").write_text("deck_root: x\ndeck_root: y\n", encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"))
    assert "sources.yaml:2" in result.stderr and "duplicate key" in result.stderr
    (src / "sources.yaml").write_text("documents:\n  - file: [unclosed\n", encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "b"))
    assert "sources.yaml:" in result.stderr and "YAML error" in result.stderr and "Traceback" not in result.stderr


def test_missing_source_directory():
    result = run_cli("build", "--source", "/nonexistent/dir", "--build", "/tmp/x")
    assert result.returncode == 2 and "/nonexistent/dir" in result.stderr


def test_layout_hint_in_the_manifest_overrides_the_guess(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "notes.md").write_text("### 什么是A？\n\n- 甲是什么: 第一种解释\n\n### 什么是B？\n\n- 乙是什么: 第二种解释\n",
                                  encoding="utf-8")
    guessed = build_dir(src, tmp_path / "a")
    assert [c["question"] for c in guessed["cards"]] == ["什么是A？", "什么是B？"]
    (src / "sources.yaml").write_text("documents:\n  - file: notes.md\n    layout: bullet\n", encoding="utf-8")
    hinted = build_dir(src, tmp_path / "b")
    assert [c["question"] for c in hinted["cards"]] == ["甲是什么", "乙是什么"]
    (src / "sources.yaml").write_text("documents:\n  - file: notes.md\n    layout: guess\n", encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(tmp_path / "c"))
    assert result.returncode == 2 and "sources.yaml:3" in result.stderr and "guess" in result.stderr


def test_a_build_folder_that_cannot_be_written_is_named(tmp_path):
    src = copy_sources(tmp_path)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(blocker / "b"))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: {blocker / 'b'}" in result.stderr and "Not a directory" in result.stderr


def test_a_full_disk_stops_the_build_with_a_clear_error_and_whole_files(tmp_path):
    src, out = copy_sources(tmp_path), tmp_path / "b"
    assert run_cli("build", "--source", str(src), "--build", str(out)).returncode == 0
    kept = {name: (out / name).read_bytes() for name in ("cards.yaml", ".cards.json")}
    (src / "new.md").write_text("### 什么是新加的文件？\n\n一个新文件。\n", encoding="utf-8")
    limit = len(kept[".cards.json"]) // 2  # what the disk still takes: less than one copy of the cards

    def small_disk():
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    result = subprocess.run([sys.executable, "-m", "pipeline", "build", "--source", str(src), "--build", str(out)],
                            cwd=ROOT, capture_output=True, text=True, timeout=120, preexec_fn=small_disk)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"error: {out / 'cards.yaml'}: cannot write: File too large" in result.stderr  # the first file written
    assert not (out / ".previous-cards.json").exists(), "no half-written copy of the cards"
    assert {name: (out / name).read_bytes() for name in kept} == kept
    assert not list(out.glob(".*.tmp"))
    assert run_cli("build", "--source", str(src), "--build", str(out)).returncode == 0
    added = [line for line in run_cli("diff", "--build", str(out)).stdout.splitlines() if line.startswith("+ ")]
    assert len(added) == 1 and added[0].endswith("什么是新加的文件？")
