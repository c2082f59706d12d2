"""Atomic writes and the clean-up of their temporaries: only files named as ours, and only
when their writer is gone (issue 20, item 6)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from zdce_core import nets
from zdce_core.atomic import (
    NAME_BYTES,
    STALE_AFTER_S,
    TEMP_PREFIX,
    atomic_path,
    host_label,
    name_part,
    parse_temporary,
    pid_alive,
    remove_stale_temporaries,
    remove_temporaries_of,
    temporary_name,
)
from zdce_core.model_store import ModelSource, export_model, import_model, list_models
from zdce_core.training_runs import RunInfo, write_run
from zdce_core.weights import save_model

posix_only = pytest.mark.skipif(os.name != "posix", reason="process ids are checked on POSIX")

NO_SUCH_PID = 2**22 + 1
"""Above every system's largest process id (Linux allows at most 2**22): never alive."""

USERS_OWN = (".thesis.20240101.part", ".My Backup.download.part")
"""Hidden ``.part`` files of the user's or another program's: never ours."""


def plant(folder: Path, names: tuple[str, ...] | list[str], age_s: float = 0.0) -> list[Path]:
    """Write a small file under each name in ``folder``, last modified ``age_s`` ago."""
    folder.mkdir(parents=True, exist_ok=True)
    when = time.time() - age_s
    paths = []
    for name in names:
        path = folder / name
        path.write_bytes(b"half a file")
        os.utime(path, (when, when))
        paths.append(path)
    return paths


@pytest.fixture
def dead_pid() -> int:
    """The id of a process of this host that has ended (started, then waited for)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_temporary_name_says_who_writes_it():
    name = temporary_name("a_enhanced.jpg")
    assert name.startswith(f"{TEMP_PREFIX}{host_label()}-{os.getpid()}-")
    assert name.endswith("-a_enhanced.jpg.part")
    found = parse_temporary(Path("/out") / name)
    assert found is not None
    assert (found.host, found.pid, found.name_part) == (host_label(), os.getpid(), "a_enhanced.jpg")
    assert temporary_name("a_enhanced.jpg") != name  # a random part


def test_host_labels_keep_names_parseable():
    assert host_label("my-host.example.org") == "my_host_example_org"
    assert host_label("") == "unknown"
    long = host_label("node-" + "x" * 100)
    assert len(long) == 32 and long != host_label("node-" + "x" * 99)
    name = temporary_name("p.png", pid=42, host="a-12-b")
    found = parse_temporary(name)
    assert found is not None and (found.host, found.pid) == ("a_12_b", 42)


@pytest.mark.parametrize(
    "name",
    [
        *USERS_OWN,
        ".a_enhanced.jpg.k3x9_q2z.part",  # the pattern of older versions: not told apart
        ".zdce-tmp-notes.part",
        ".zdce-tmp-host-0-abcdefgh-a.jpg.part",  # no process has id 0
        ".zdce-tmp-host-12-ABCDEFGH-a.jpg.part",
        ".zdce-tmp-host-12-abcdefgh-.part",
        ".zdce-tmp-host-12-abcdefgh-a.jpg.part.bak",
        "zdce-tmp-host-12-abcdefgh-a.jpg.part",
    ],
)
def test_names_that_are_not_ours_are_not_parsed(name):
    assert parse_temporary(name) is None


def test_the_users_own_part_files_are_never_removed(tmp_path):
    kept = plant(tmp_path, [*USERS_OWN, ".a.jpg.abcd1234.part", ".zdce-tmp-notes.part"], 2 * 3600)
    kept += plant(tmp_path, [".ancient.part"], 10 * STALE_AFTER_S)
    assert remove_stale_temporaries(tmp_path) == []
    assert all(p.read_bytes() == b"half a file" for p in kept)


@posix_only
def test_ours_from_a_writer_that_ended_is_removed_at_once(tmp_path, dead_pid):
    assert not pid_alive(dead_pid) and not pid_alive(NO_SUCH_PID)
    ours = plant(
        tmp_path, [temporary_name("a.jpg", dead_pid), temporary_name("b.jpg", NO_SUCH_PID)]
    )
    assert sorted(remove_stale_temporaries(tmp_path)) == sorted(ours)
    assert not list(tmp_path.iterdir())


def test_ours_from_a_running_writer_is_kept(tmp_path):
    assert pid_alive(os.getpid())
    live = plant(tmp_path, [temporary_name("a.jpg"), temporary_name("b.jpg", 1)], 2 * 3600)
    assert remove_stale_temporaries(tmp_path) == []
    assert all(p.exists() for p in live)


def test_ours_from_another_host_is_removed_only_when_old(tmp_path):
    recent = plant(tmp_path, [temporary_name("a.jpg", NO_SUCH_PID, "elsewhere")], 2 * 3600)
    old = plant(tmp_path, [temporary_name("b.jpg", 12, "elsewhere")], STALE_AFTER_S + 60)
    assert remove_stale_temporaries(tmp_path) == old
    assert recent[0].exists()


@posix_only
def test_only_regular_files_are_removed(tmp_path):
    (tmp_path / temporary_name("a.jpg", NO_SUCH_PID)).mkdir()
    (tmp_path / temporary_name("b.jpg", NO_SUCH_PID)).symlink_to(tmp_path / "elsewhere")
    assert remove_stale_temporaries(tmp_path) == []
    assert remove_stale_temporaries(tmp_path / "no such folder") == []


def test_a_write_in_progress_survives_a_clean_up(tmp_path):
    target = tmp_path / "a.png"
    with atomic_path(target) as tmp:
        tmp.write_bytes(b"new")
        assert remove_stale_temporaries(tmp_path) == []
        assert parse_temporary(tmp) is not None
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["a.png"]


@pytest.mark.parametrize("stem", ["é" * 120, "x" * 245, "夜" * 80])
def test_a_long_name_gives_a_valid_temporary_name(tmp_path, stem):
    target = tmp_path / f"{stem}.jpg"
    assert len(os.fsencode(target.name)) <= 255
    with atomic_path(target) as tmp:
        assert len(os.fsencode(tmp.name)) <= 255
        found = parse_temporary(tmp)
        assert found is not None and found.name_part == name_part(target.name)
        assert len(os.fsencode(found.name_part)) <= NAME_BYTES
        tmp.write_bytes(b"done")
    assert target.read_bytes() == b"done"
    assert name_part(target.name) != name_part(f"{stem[:-1]}.jpg")  # a digest tells them apart


def test_temporaries_of_given_outputs_are_removed_whoever_wrote_them(tmp_path):
    long = tmp_path / ("n" * 200 + ".png")
    ours = plant(
        tmp_path,
        [
            temporary_name("a.png"),
            temporary_name("a.png", 7, "worker-2"),
            temporary_name(long.name),
        ],
    )
    kept = plant(tmp_path, [temporary_name("b.png"), ".a.png.abcd1234.part", "a.png"])
    removed = remove_temporaries_of([tmp_path / "a.png", long, tmp_path / "gone" / "c.png"])
    assert sorted(removed) == sorted(ours)
    assert sorted(tmp_path.iterdir()) == sorted(kept)


@posix_only
def test_the_model_folder_is_cleaned_by_imports_and_saves(tmp_path, user_home):
    models = user_home / "models"
    users = plant(models, USERS_OWN, 2 * 3600)
    left = plant(models, [temporary_name("night.safetensors", NO_SUCH_PID)])
    import_model(save_model(nets.build("dcenet"), tmp_path / "night.safetensors"))
    assert not left[0].exists() and all(p.exists() for p in users)
    left = plant(models, [temporary_name("day.safetensors", NO_SUCH_PID)])
    save_model(nets.build("dcenet"), models / "day.safetensors")  # as training saves a model
    assert not left[0].exists()
    assert sorted(p.name for p in models.iterdir()) == sorted(
        [*USERS_OWN, "day.safetensors", "night.safetensors"]
    )


@posix_only
def test_an_export_cleans_the_folder_it_writes_to(tmp_path):
    source = save_model(nets.build("dcenet"), tmp_path / "src" / "night.safetensors")
    import_model(source)
    entry = next(e for e in list_models() if e.source is ModelSource.USER)
    folder = tmp_path / "exports"
    users = plant(folder, USERS_OWN, 2 * 3600)
    plant(folder, [temporary_name("copy.safetensors", NO_SUCH_PID)])
    export_model(entry, folder / "copy")
    assert sorted(folder.iterdir()) == sorted([*users, folder / "copy.safetensors"])


@posix_only
def test_a_training_run_folder_is_cleaned_when_written(tmp_path):
    run_dir = tmp_path / "runs" / "night"
    users = plant(run_dir, USERS_OWN, 2 * 3600)
    plant(run_dir, [temporary_name("checkpoint.pt", NO_SUCH_PID)])  # a killed save: 90 MB
    live = plant(run_dir, [temporary_name("run.json")])
    info = RunInfo(run_dir, 1, {"epochs": 2}, [])
    write_run(run_dir, {"weights": torch.zeros(2)}, info)
    names = {p.name for p in run_dir.iterdir()}
    assert names == {*USERS_OWN, live[0].name, "checkpoint.pt", "run.json"}
    assert all(p.exists() for p in users)
