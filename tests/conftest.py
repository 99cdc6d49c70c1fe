from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
SHARED = ROOT.parent / "shared"
# documents and gold from other repositories are read from ../shared at test time, never committed
PRACTICE = SHARED / "practice"
GOLD = SHARED / "gold"
SCORER = SHARED / "tools" / "score_extraction.py"


def need_shared(*paths: Path) -> None:
    """Skip the calling test, naming the folder, when ../shared does not hold `paths`."""
    for path in paths:
        if not path.exists():
            pytest.skip(f"{path} is not beside the project (../shared)")


def run_cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pipeline", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def source_folder(tmp_path: Path, files: dict[str, str]) -> Path:
    """A source folder `tmp_path/src` holding `files` (name -> UTF-8 text)."""
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    for name, text in files.items():
        (src / name).write_text(text, encoding="utf-8")
    return src


def build_dir(source: Path, out: Path, *extra: str) -> dict:
    """Build `source` into `out` through the real command line; return cards.yaml."""
    result = run_cli("build", "--source", str(source), "--build", str(out),
                     "--registry", str(out / "card_ids.yaml"), *extra)
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return yaml.safe_load((out / "cards.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def seeds_build(tmp_path_factory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("seeds")
    return out, build_dir(ROOT / "source", out)


@pytest.fixture(scope="session")
def practice_build(tmp_path_factory) -> tuple[Path, dict]:
    need_shared(PRACTICE / "docs")
    out = tmp_path_factory.mktemp("practice")
    return out, build_dir(PRACTICE / "docs", out)
