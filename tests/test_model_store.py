"""Hostile files in the model folder (issue 20, item 12) and the one rule for model names
(issue 20, item 14): listed as "unreadable: reason", never blocking on a named pipe, printed
with control characters escaped; a bad name refused by every front end with the rule."""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import brightening_net
from zdce_core import training
from zdce_core.cli import main
from zdce_core.errors import ModelFileError, WeightsError
from zdce_core.model_names import MODEL_NAME_RULE, check_model_name, printable
from zdce_core.model_store import (
    ModelSource,
    ModelState,
    UnreadableModelError,
    delete_model,
    export_model,
    import_model,
    list_models,
    open_model,
    read_metadata,
    rename_model,
    resolve_model,
    user_models_dir,
)
from zdce_core.training_config import Preset, preset_config
from zdce_core.weights import save_model

needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def write_header(path: Path, header: bytes | object) -> Path:
    """A file with a safetensors size prefix and ``header`` (bytes, or JSON of an object)."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(len(raw).to_bytes(8, "little") + raw)
    return path


def in_time(work: Callable[[], object], seconds: float = 20.0) -> object:
    """``work()`` in a daemon thread; fails (instead of hanging the suite) when it blocks."""
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["result"] = work()
        except BaseException as exc:  # re-raised in the test's thread
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"blocked for {seconds} s (reading a named pipe?)"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("result")


def user_entry(name: str):
    return next(e for e in list_models() if e.source is ModelSource.USER and e.name == name)


# -- item 12: hostile files -----------------------------------------------------------------------

HOSTILE_HEADERS = [
    ("list", [1, 2, 3], "the header is a list, not a JSON object"),
    ("nested", b"[" * 200_000 + b"]" * 200_000, "the header is nested too deeply"),
    ("nested_obj", b'{"a":' * 100_000 + b"1" + b"}" * 100_000, "nested too deeply"),
    ("number", 12345, "the header is a number"),
    ("latin1", b'{"__metadata__": {"a": "\xe9"}}', "the header is not UTF-8 text"),
    ("garbage", b"{not json", "the header is not valid JSON"),
    ("meta_list", {"__metadata__": ["a"]}, "its metadata is not a table of text values"),
    ("meta_number", {"__metadata__": {"epochs": 3}}, "its metadata is not a table"),
]


@pytest.mark.parametrize(("stem", "header", "reason"), HOSTILE_HEADERS, ids=lambda v: str(v)[:12])
def test_a_hostile_header_is_unreadable_with_the_reason(user_home, capsys, stem, header, reason):
    path = write_header(user_models_dir() / f"{stem}.safetensors", header)
    with pytest.raises(UnreadableModelError, match=reason):
        read_metadata(path)
    info = user_entry(stem).info()
    assert info.state is ModelState.UNREADABLE and reason in info.reason
    assert user_entry(stem).metadata() == {}
    assert main(["models"]) == 0
    line = next(x for x in capsys.readouterr().out.splitlines() if x.startswith(stem + " "))
    assert f"unreadable: {info.reason}" in line
    with pytest.raises(WeightsError, match=reason):  # loading says the same, not a traceback
        open_model(stem)
    delete_model(stem)
    assert not path.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "too short"),
        (b"\x01\x02", "too short"),
        ((10**12).to_bytes(8, "little") + b"{}", "impossible header size"),
        ((500).to_bytes(8, "little") + b'{"a": 1}', "cut short"),
    ],
)
def test_short_or_impossible_files_are_unreadable(user_home, content, reason):
    path = user_models_dir() / "short.safetensors"
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    assert user_entry("short").info().state is ModelState.UNREADABLE
    assert reason in user_entry("short").info().reason


@needs_fifo
def test_a_named_pipe_is_listed_as_unreadable_and_never_opened(user_home, capsys, tmp_path):
    save_model(brightening_net(), user_models_dir() / "good.safetensors")
    fifo = user_models_dir() / "x.safetensors"
    os.mkfifo(fifo)
    pth_fifo = user_models_dir() / "y.pth"
    os.mkfifo(pth_fifo)
    assert in_time(lambda: main(["models"])) == 0
    out = capsys.readouterr().out
    x_line = next(line for line in out.splitlines() if line.startswith("x "))
    assert "unreadable: not a file but a named pipe (FIFO)" in x_line
    assert "unreadable: not a file but a named pipe" in out.split("\ny ")[1]
    assert "good" in out and "dcenet" in out
    with pytest.raises(UnreadableModelError, match="named pipe"):
        in_time(lambda: read_metadata(fifo))
    assert in_time(lambda: user_entry("x").info()).state is ModelState.UNREADABLE  # type: ignore[union-attr]
    with pytest.raises(WeightsError):
        in_time(lambda: open_model("x"))
    with pytest.raises(WeightsError, match="named pipe"):
        in_time(lambda: open_model(str(fifo)))
    with pytest.raises(ModelFileError, match="unreadable: not a file but a named pipe"):
        in_time(lambda: export_model(user_entry("x"), tmp_path / "copy"))
    in_time(lambda: delete_model(user_entry("x")))
    in_time(lambda: delete_model("y"))
    assert not fifo.exists() and not pth_fifo.exists()
    assert [e.name for e in list_models() if e.source is ModelSource.USER] == ["good"]


@needs_fifo
def test_a_named_pipe_given_as_model_path_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(WeightsError, match="not a file but a named pipe"):
        in_time(lambda: resolve_model(fifo))


def test_a_folder_named_like_a_model_is_unreadable(user_home):
    (user_models_dir() / "dir.safetensors").mkdir(parents=True)
    info = user_entry("dir").info()
    assert info.state is ModelState.UNREADABLE and info.reason == "not a file but a folder"


def test_terminal_escapes_in_names_and_metadata_are_printed_escaped(user_home, capsys):
    hostile = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202e"
    save_model(
        brightening_net(),
        user_models_dir() / "evil\x1b[2J.safetensors",
        {"epochs": "3\x1b[2J", "date": f"2024 {hostile}"},
    )
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    for raw in ("\x1b", "\x07", "\x9b", "\u202e"):
        assert raw not in out
    assert "evil\\x1b[2J" in out and "3\\x1b[2J epochs" in out
    assert "\\x1b]0;pwned\\x07\\x9b31m\\u202e" in out
    entry = user_entry("evil\x1b[2J")
    assert entry.metadata()["epochs"] == "3\x1b[2J"  # the data itself is kept as it is
    assert entry.label == "evil\\x1b[2J (yours)"


@pytest.mark.skipif(sys.platform in ("darwin", "win32"), reason="names must be UTF-8 there")
def test_a_file_name_that_is_not_utf8_is_printed(user_home, capsys):
    folder = os.fsencode(user_models_dir())
    os.makedirs(folder)
    save_model(brightening_net(), user_models_dir() / "tmp.safetensors")
    os.rename(os.path.join(folder, b"tmp.safetensors"), os.path.join(folder, b"\xff.safetensors"))
    assert main(["models"]) == 0
    assert "\\xff" in capsys.readouterr().out


def test_printable_escapes_only_controls():
    assert printable("Nacht über 夜景 (v2)") == "Nacht über 夜景 (v2)"
    assert (
        printable("a\nb\tc\x00\x7f\x85\u2028\u2066") == "a\\x0ab\\x09c\\x00\\x7f\\x85\\u2028\\u2066"
    )
    assert printable("\udcff") == "\\xff"


# -- item 14: one rule for names ------------------------------------------------------------------

BAD_NAMES = [
    ("../../../escape", "path separator '/'"),
    ("/tmp/anywhere", "path separator '/'"),
    ("sub/dir", "path separator '/'"),
    ("sub\\dir", "path separator '\\'"),
    (".hidden", "starts with a dot"),
    ("..evil", "starts with a dot"),
    ("a..b", "holds '..'"),
    ("", "empty"),
    ("   ", "empty"),
    ("x" * 300, "300 characters"),
    ("夜" * 90, "too long for a file name"),
    ("tab\there", "'\\x09'"),
    ("clear\x1b[2J", "'\\x1b'"),
    ("a:b", "':'"),
    ("con", "device name on Windows"),
]
GOOD_NAMES = ["night", "Night shots 2024", "Nacht-über_Köln", "夜景", "हिंदी", "v1.2 (b)", "a+b,c"]


@pytest.mark.parametrize(("name", "why"), BAD_NAMES, ids=lambda v: repr(v)[:16])
def test_bad_model_names_are_refused_with_the_rule(name, why):
    with pytest.raises(ModelFileError) as caught:
        check_model_name(name)
    message = str(caught.value)
    assert why in message and MODEL_NAME_RULE in message and "\x1b" not in message
    assert len(message) < 400  # a 300-character name is not repeated


@pytest.mark.parametrize("name", GOOD_NAMES)
def test_good_model_names_are_kept(name):
    assert check_model_name(f"  {name} ") == name


def test_names_are_composed_unicode():
    assert check_model_name("Ko\u0308ln") == "K\u00f6ln"


@pytest.mark.parametrize(("name", "why"), BAD_NAMES, ids=lambda v: repr(v)[:16])
def test_train_refuses_a_bad_name_before_any_work(tmp_path, monkeypatch, capsys, name, why):
    def no_training(*_a, **_k):
        raise AssertionError("training started")

    monkeypatch.setattr(training, "train", no_training)
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    assert main(["train", str(tmp_path), "--name", name]) == 2
    err = capsys.readouterr().err
    assert "--name:" in err and why in err and MODEL_NAME_RULE in err
    assert sorted(tmp_path.rglob("*")) == before


def test_the_training_configuration_refuses_a_bad_name():
    for name, _why in BAD_NAMES:
        with pytest.raises(ModelFileError, match="not a usable model name"):
            preset_config(Preset.FINE_TUNE, ["x"], name).validate()
    with pytest.raises(ValueError, match="spaces at its ends"):
        preset_config(Preset.FINE_TUNE, ["x"], " night").validate()
    preset_config(Preset.FINE_TUNE, ["x"], "Nacht über Köln").validate()


def test_import_refuses_a_file_whose_name_is_not_a_model_name(user_home, tmp_path):
    for file_name in ("..evil.safetensors", ".hidden.safetensors", "a\x1b[2J.safetensors"):
        source = save_model(brightening_net(), tmp_path / file_name)
        with pytest.raises(ModelFileError, match="rename the file first") as caught:
            import_model(source)
        assert MODEL_NAME_RULE in str(caught.value) and "\x1b" not in str(caught.value)
    (tmp_path / "model.bin").write_bytes(b"x")
    with pytest.raises(ModelFileError, match=r"ends in \.safetensors"):
        import_model(tmp_path / "model.bin")
    assert not user_models_dir().exists() or not any(user_models_dir().iterdir())
    assert import_model(save_model(brightening_net(), tmp_path / "Köln 2.safetensors")).is_file()


def test_rename_refuses_bad_names_without_a_raw_os_error(user_home):
    path = save_model(brightening_net(), user_models_dir() / "night.safetensors")
    for name, why in BAD_NAMES:
        with pytest.raises(ModelFileError, match="not a usable model name") as caught:
            rename_model("night", name)
        assert why in str(caught.value)
    assert path.is_file() and sorted(p.name for p in user_models_dir().iterdir()) == [path.name]
    assert rename_model("night", "Nacht (Köln)").name == "Nacht (Köln).safetensors"


def test_export_refuses_a_name_that_would_not_import_back(user_home, tmp_path):
    save_model(brightening_net(), user_models_dir() / "night.safetensors")
    entry = user_entry("night")
    for name in (".hidden", "..evil.safetensors", "x" * 150):
        with pytest.raises(ModelFileError, match="cannot export as"):
            export_model(entry, tmp_path / name)
    assert sorted(tmp_path.iterdir()) == []
    assert export_model(entry, tmp_path / "night copy").name == "night copy.safetensors"


def test_entries_name_the_exact_file(user_home):
    """Two files share a name with different extensions: deleting one entry deletes that file."""
    save_model(brightening_net(), user_models_dir() / "twin.safetensors")
    (user_models_dir() / "twin.pth").write_bytes(b"junk")
    pth = next(e for e in list_models() if e.path.suffix == ".pth")
    delete_model(pth)
    assert [p.name for p in user_models_dir().iterdir()] == ["twin.safetensors"]
    with pytest.raises(WeightsError, match="not a user model"):
        delete_model(next(e for e in list_models() if e.source is ModelSource.BUNDLED))
