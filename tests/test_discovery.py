"""Discovery of folders the system will not list: refused (permission denied) or deeper than
the longest path it accepts. Each is reported once with its reason and fails the run
(``named=True``); the rest of the search goes on and nothing raises (issue 20, item 7).

Tests run as root in some sandboxes, where ``chmod 000`` refuses nothing: the refusal is
simulated by making ``os.scandir``/``os.listdir`` (what ``os.walk`` and discovery call) raise
the ``PermissionError`` the system gives; one test uses real permissions where it can.
"""

from __future__ import annotations

import errno
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import save_photo
from zdce_core.discovery import Ignored, IgnoreKind, discover, file_problem, os_reason

UNREADABLE = IgnoreKind.UNREADABLE_FOLDER


def refuse_listing(monkeypatch: pytest.MonkeyPatch, *folders: Path) -> None:
    """Make listing ``folders`` fail as a folder without read permission does for a user."""
    refused = {os.path.realpath(f) for f in folders}
    real_scandir, real_listdir = os.scandir, os.listdir

    def check(path: object) -> None:
        if isinstance(path, str | bytes | os.PathLike):
            name = os.fsdecode(os.fspath(path))
            if os.path.realpath(name) in refused:
                raise PermissionError(errno.EACCES, "Permission denied", name)

    def scandir(path: object = ".") -> object:
        check(path)
        return real_scandir(path)  # type: ignore[arg-type]

    def listdir(path: object = ".") -> list[str]:
        check(path)
        return real_listdir(path)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "scandir", scandir)
    monkeypatch.setattr(os, "listdir", listdir)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    """``in/a.jpg``, ``in/open/b.jpg`` and ``in/locked/c.jpg`` (the one to refuse)."""
    src = tmp_path / "in"
    for name in ("a.jpg", "open/b.jpg", "locked/c.jpg"):
        save_photo(src / name)
    return src.resolve()


def test_an_unreadable_subfolder_is_reported_and_the_rest_is_found(tree, monkeypatch):
    refuse_listing(monkeypatch, tree / "locked")
    found, ignored = discover([tree], recursive=True)
    assert [f.relative.as_posix() for f in found] == ["a.jpg", "open/b.jpg"]
    assert ignored == [Ignored(tree / "locked", UNREADABLE, "permission denied", named=True)]


@pytest.mark.parametrize("recursive", [False, True])
def test_an_unreadable_folder_named_directly_is_reported(tree, monkeypatch, recursive):
    refuse_listing(monkeypatch, tree / "locked")
    found, ignored = discover([tree / "locked"], recursive=recursive)
    assert found == []
    assert ignored == [Ignored(tree / "locked", UNREADABLE, "permission denied", named=True)]


def test_an_unreadable_folder_is_reported_once(tree, monkeypatch):
    refuse_listing(monkeypatch, tree / "locked")
    _, ignored = discover([tree, tree / "locked", tree], recursive=True)
    assert [i.path for i in ignored] == [tree / "locked"]


def test_a_file_whose_type_cannot_be_read_fails_the_run(tree, monkeypatch):
    """A folder with read but not search permission lists its names, but every ``stat``
    below it is refused: those photos are missing from the run, which must not succeed."""
    refused = str(tree / "open" / "b.jpg")
    real_lstat = os.lstat

    def lstat(path: object, *args: object, **kwargs: object) -> os.stat_result:
        if os.fspath(path) == refused:  # type: ignore[arg-type]
            raise PermissionError(errno.EACCES, "Permission denied", refused)
        return real_lstat(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "lstat", lstat)
    found, ignored = discover([tree], recursive=True)
    assert [f.path.name for f in found] == ["a.jpg", "c.jpg"]
    assert ignored == [
        Ignored(Path(refused), IgnoreKind.UNREADABLE, "cannot be read (permission denied)", True)
    ]


def permissions_refuse(tmp_path: Path) -> bool:
    """Whether a folder without permissions refuses us (not for root, who reads anything,
    unless it runs without ``CAP_DAC_OVERRIDE``/``CAP_DAC_READ_SEARCH``)."""
    probe = tmp_path / "probe"
    probe.mkdir(mode=0o000)
    try:
        os.listdir(probe)
    except PermissionError:
        return True
    finally:
        probe.rmdir()
    return False


def test_real_permissions(tree, tmp_path):
    if not permissions_refuse(tmp_path):
        pytest.skip("root can read any folder")
    locked, unsearchable = tree / "locked", tree / "open"
    locked.chmod(0o000)
    unsearchable.chmod(0o600)  # names listed, but no stat of anything inside
    try:
        found, ignored = discover([tree], recursive=True)
        assert [f.relative.as_posix() for f in found] == ["a.jpg"]
        reasons = {i.path.relative_to(tree).as_posix(): (i.reason, i.named) for i in ignored}
        assert reasons == {
            "locked": ("permission denied", True),
            "open/b.jpg": ("cannot be read (permission denied)", True),
        }
        assert discover([locked]) == ([], [Ignored(locked, UNREADABLE, "permission denied", True)])
        named_inside = discover([locked / "c.jpg"])[1]
        assert [(i.reason, i.named) for i in named_inside] == [
            ("cannot be read (permission denied)", True)
        ]
    finally:
        locked.chmod(0o755)
        unsearchable.chmod(0o755)


def _make_deep(base: Path, min_length: int) -> Iterator[Path]:
    """Nest folders with long names below ``base`` until the path is ``min_length`` long
    (made through folder descriptors: no single call sees the whole path). Yields each."""
    name = "d" * 200
    fd = os.open(base, os.O_RDONLY)
    path = base
    try:
        while len(os.fsencode(path)) < min_length:
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd, path = inner, path / name
            yield path
    finally:
        os.close(fd)


@pytest.mark.skipif(os.mkdir not in os.supports_dir_fd, reason="needs mkdir with dir_fd")
def test_folders_deeper_than_the_longest_path_are_reported(tmp_path):
    src = (tmp_path / "in").resolve()
    save_photo(src / "a.jpg")
    path_max = os.pathconf(src, "PC_PATH_MAX")
    folders = list(_make_deep(src, path_max + 1))
    try:
        too_long = next(f for f in folders if len(os.fsencode(f)) >= path_max)
        found, ignored = discover([src], recursive=True)
        assert [f.path.name for f in found] == ["a.jpg"]
        assert ignored == [Ignored(too_long, UNREADABLE, "path too long", named=True)]
    finally:
        shutil.rmtree(src)  # removes by folder descriptors: deep trees are fine


def test_os_reasons_are_plain_words():
    assert os_reason(PermissionError(errno.EACCES, "Permission denied")) == "permission denied"
    assert os_reason(PermissionError(errno.EPERM, "Operation not permitted")) == (
        "permission denied"
    )
    assert os_reason(OSError(errno.ENAMETOOLONG, "File name too long")) == "path too long"
    assert os_reason(OSError(errno.EIO, "Input/output error")) == "input/output error"


def test_a_missing_path_is_still_reported_as_missing(tmp_path):
    assert file_problem(tmp_path / "nope.jpg") == "no such file or folder"
    assert file_problem(tmp_path / "nope" / "a.jpg") == "no such file or folder"
