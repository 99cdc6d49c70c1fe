"""The edit loop's main process: the deck's fields are kept between builds (render.FieldCache)
and only new ones are rendered; the registry the build writes is read back from its JSON
copy, not parsed again. Whatever is cached, the outputs are those of a fresh build."""
from __future__ import annotations

import json
import pickle
import sqlite3
import zipfile
from pathlib import Path
from unittest.mock import patch

import pytest

from conftest import run_cli, source_folder
from pipeline import render as render_module
from pipeline.export.anki import write_deck
from pipeline.ids import Registry
from pipeline.model import Card, Choice, SourceSpan
from pipeline.render import FIELD_CACHE, FieldCache


def png(shade: int) -> bytes:
    """A 1×1 grey PNG, `shade` its grey level (bytes differ, the file stays an image)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(bytes([0, shade]))) + chunk(b"IEND", b""))


def cards(second_answer: str = "平方项 $x^2$ 让大的权重受罚更多。") -> list[Card]:
    span = [SourceSpan("a.md", 1, 2)]
    return [
        Card("批归一化做什么？", "对每个通道 **归一化**：\n\n- 减均值\n- 除标准差\n\n![示意](pic.png)", "BN", span, "heading",
             id="c-aaaaaa", deck="根", tags=["topic::BN"]),
        Card("L2 正则的作用？", second_answer, "正则", span, "heading", id="c-bbbbbb", deck="根", tags=["topic::正则"]),
        Card("哪个是激活函数？", "ReLU 是，`conv` 不是。", "激活", span, "numbered", type="choice",
             choices=[Choice("A", "ReLU"), Choice("B", "`conv`")], correct=["A"], id="c-cccccc", deck="根"),
        Card("残差连接把 ____ 加到输出上，梯度可以直接回传。", "输入", "ResNet", span, "heading", type="cloze", blanks=["输入"],
             id="c-dddddd", deck="根"),
    ]


def deck(apkg: Path) -> tuple[list, list, dict]:
    """The notes (guid, fields, tags, sort field), the cards (ord, due) and the media of a package."""
    with zipfile.ZipFile(apkg) as z:
        db = apkg.with_suffix(".anki2")
        db.write_bytes(z.read("collection.anki2"))
        names = json.loads(z.read("media"))
        media = {name: z.read(index) for index, name in names.items()}
    with sqlite3.connect(db) as con:
        notes = con.execute("select guid, flds, tags, sfld from notes order by id").fetchall()
        rows = con.execute("select ord, due from cards order by id").fetchall()
    db.unlink()
    return notes, rows, media


@pytest.fixture
def rendered(monkeypatch) -> list[str]:
    """The fields rendered (not taken from a cache) from here on."""
    texts: list[str] = []
    original = render_module._simple_html
    monkeypatch.setattr(render_module, "_simple_html", lambda text: texts.append(text) or original(text))
    return texts


def write(tmp_path: Path, name: str, made: list[Card], cache: FieldCache | None) -> tuple[list, list, dict]:
    write_deck(made, "根", tmp_path, tmp_path / name, 1_700_000_000.0, cache=cache)
    return deck(tmp_path / name)


def test_a_rebuild_renders_only_the_changed_fields_and_writes_what_a_fresh_build_writes(tmp_path, rendered):
    (tmp_path / "pic.png").write_bytes(png(10))
    cache = FieldCache(tmp_path / "cache" / FIELD_CACHE)
    first = write(tmp_path, "a.apkg", cards(), cache)
    # each field once; plain lines (most questions, the cloze sentence) are written as they are
    assert len(rendered) == len(set(rendered)) == 5 and (tmp_path / "cache" / FIELD_CACHE).exists()
    rendered.clear()
    changed = cards("权重越大，惩罚越重。\n\n公式 $\\lambda \\|w\\|^2$。")
    again = write(tmp_path, "b.apkg", changed, cache)
    assert rendered == [changed[1].answer]
    assert again == write(tmp_path, "fresh.apkg", changed, None) != first
    assert '<img src="' in again[0][0][1] and list(again[2].values()) == [png(10)]
    assert cache.warning == ""


def test_a_changed_image_or_code_renders_its_fields_again(tmp_path, rendered, monkeypatch):
    (tmp_path / "pic.png").write_bytes(png(10))
    cache = FieldCache(tmp_path / "cache" / FIELD_CACHE)
    write(tmp_path, "a.apkg", cards(), cache)
    image_answer = cards()[0].answer
    rendered.clear()
    (tmp_path / "pic.png").write_bytes(png(200) + b"\0")  # replaced: another size, another stamp
    replaced = write(tmp_path, "b.apkg", cards(), cache)
    assert rendered == [image_answer] and list(replaced[2].values()) == [png(200) + b"\0"]
    rendered.clear()
    (tmp_path / "pic.png").unlink()
    gone = write(tmp_path, "c.apkg", cards(), cache)
    assert rendered == [image_answer] and "图片缺失" in gone[0][0][1] and gone[2] == {}
    assert gone == write(tmp_path, "fresh.apkg", cards(), None)
    rendered.clear()
    monkeypatch.setattr(render_module, "code_version", lambda: "another version of the code")
    write(tmp_path, "d.apkg", cards(), cache)
    assert len(rendered) == 5


@pytest.mark.parametrize("damage", [b"", b"not a pickle at all", b"\x80\x05K\x01.", None])
def test_a_damaged_cache_is_ignored_with_a_note(tmp_path, damage):
    (tmp_path / "pic.png").write_bytes(png(10))
    path = tmp_path / "cache" / FIELD_CACHE
    write(tmp_path, "a.apkg", cards(), FieldCache(path))
    if damage is None:  # a pickle of the right shape whose entries are not
        version, entries = pickle.loads(path.read_bytes())
        path.write_bytes(pickle.dumps((version, {text: (1, 2) for text in entries})))
    else:
        path.write_bytes(damage)
    cache = FieldCache(path)
    assert write(tmp_path, "b.apkg", cards(), cache) == write(tmp_path, "fresh.apkg", cards(), None)
    assert cache.warning.startswith(f"{path}: not a cache of deck fields")


def test_the_build_says_so_when_its_field_cache_is_damaged(tmp_path):
    src = source_folder(tmp_path, {"a.md": "### 动量法为什么有效？\n\n平均了过去的梯度 $v_t$，震荡相互抵消。\n"})
    out = tmp_path / "b"
    assert run_cli("build", "--source", str(src), "--build", str(out)).returncode == 0
    (out / "cache" / FIELD_CACHE).write_bytes(b"\x00garbage")
    (src / "a.md").write_text("### 动量法为什么有效？\n\n平均了过去的梯度 $v_t$，来回的震荡相互抵消。\n", encoding="utf-8")
    result = run_cli("build", "--source", str(src), "--build", str(out))
    assert result.returncode == 0 and "Traceback" not in result.stderr
    assert f"warning: {out / 'cache' / FIELD_CACHE}: not a cache of deck fields" in result.stderr
    notes, _, _ = deck(out / "deck.apkg")
    assert "来回的震荡" in notes[0][1]


def test_the_registry_the_build_writes_is_read_back_without_a_parse(tmp_path, monkeypatch):
    registry = Registry({"c-aaaaaa": {"questions": ["什么是 1？"], "topic": "数", "seen": True, "content": "ab",
                                      "modified": 1_700_000_000},
                         "c-bbbbbb": {"questions": ["true"], "alias_of": "c-aaaaaa"}})
    path, out = tmp_path / "card_ids.yaml", tmp_path / "b"
    registry.write(path, out)
    parsed = Registry.read(path)  # no build folder: the file itself
    monkeypatch.setattr("pipeline.ids.parse", lambda *a, **k: pytest.fail("the registry was parsed again"))
    assert Registry.read(path, out).ids == parsed.ids == registry.ids
    path.write_text(path.read_text(encoding="utf-8").replace("数", "数字"), encoding="utf-8")  # changed by hand
    with pytest.raises(pytest.fail.Exception):
        Registry.read(path, out)


def test_fields_rendered_on_every_core_beside_cached_ones_are_those_of_one_process(tmp_path):
    (tmp_path / "pic.png").write_bytes(png(10))
    made = [card for _ in range(5) for card in cards()]
    for k, card in enumerate(made):
        card.id, card.answer = f"c-{k:06d}", card.answer + ("" if k % 3 else f"\n\n![远](https://example.com/{k}.png)")
    made[7].answer += "\n\n![无](nothing.png)"
    path = tmp_path / "cache" / FIELD_CACHE
    write(tmp_path, "warm.apkg", made[:4], FieldCache(path))  # some fields come from the cache, the rest are made
    with patch.object(render_module, "PARALLEL_FIELDS", 3), patch("os.cpu_count", return_value=2):
        cache = FieldCache(path)
        media = write_deck(made, "根", tmp_path, tmp_path / "cores.apkg", 1_700_000_000.0, cache=cache)
    kept = pickle.loads(path.read_bytes())
    alone = write_deck(made, "根", tmp_path, tmp_path / "one.apkg", 1_700_000_000.0, cache=FieldCache(tmp_path / "x"))
    assert deck(tmp_path / "cores.apkg") == deck(tmp_path / "one.apkg")
    assert media.files == alone.files and len(media.files) == 1
    assert set(media.remote) == set(alone.remote) and len(set(media.remote)) == 7
    assert set(media.missing) == set(alone.missing) == {"nothing.png"}
    assert kept == pickle.loads((tmp_path / "x").read_bytes())
