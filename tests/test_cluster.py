"""`zdce enhance --cluster`: the same batch on a local Ray instance started by the tests."""

import hashlib
import sys
from pathlib import Path

import pytest

from tests.conftest import dark_rgb, save_photo
from zdce_core.cli import main

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "zdce[cluster]")')

pytestmark = pytest.mark.slow  # starts a local Ray instance


@pytest.fixture(scope="module")
def local_ray():
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def digests(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir() if p.is_file()
    }


def test_the_cluster_writes_what_the_local_batch_writes(local_ray, tmp_path, capsys):
    src = tmp_path / "night"
    for i in range(20):
        save_photo(src / ("sub" if i % 3 == 0 else ".") / f"p{i:02d}.png", dark_rgb(40, 56, seed=i))
    (src / "corrupt.jpg").write_bytes(b"\xff\xd8 not really a jpeg")
    common = ["enhance", str(src), "--recursive", "--model", "default"]
    assert main(["--threads", "1", *common, "-o", str(tmp_path / "local")]) == 1
    capsys.readouterr()
    assert main([*common, "-o", str(tmp_path / "ray"), "--cluster", "local"]) == 1
    err = capsys.readouterr().err
    failed = [line for line in err.splitlines() if line.startswith("failed ")]
    assert len(failed) == 1 and "corrupt.jpg" in failed[0]
    assert "19 enhanced" not in err and "20 enhanced, 0 skipped, 1 failed of 21" in err
    for sub in (".", "sub"):
        assert digests(tmp_path / "ray" / sub) == digests(tmp_path / "local" / sub)
    assert not list((tmp_path / "ray").rglob(".*part"))
    assert main([*common, "-o", str(tmp_path / "ray"), "--cluster", "local"]) == 1
    assert "0 enhanced, 20 skipped, 1 failed of 21" in capsys.readouterr().err


def test_without_ray_the_cluster_option_says_how_to_get_it(tmp_path, monkeypatch, capsys):
    save_photo(tmp_path / "a.png")
    monkeypatch.setitem(sys.modules, "ray", None)  # as if not installed
    assert (
        main(["enhance", str(tmp_path / "a.png"), "-o", str(tmp_path / "o"), "--cluster", "local"])
        == 2
    )
    assert 'pip install "zdce[cluster]"' in capsys.readouterr().err


def test_actors_follow_the_clusters_resources():
    from zdce_core.cluster import ClusterOptions, default_workers

    assert default_workers({"CPU": 8.0}, ClusterOptions()) == 8
    assert default_workers({"CPU": 8.0}, ClusterOptions(cpus_per_worker=2)) == 4
    assert default_workers({"CPU": 8.0, "GPU": 2.0}, ClusterOptions(gpus_per_worker=1)) == 2
    assert default_workers({"CPU": 1.0}, ClusterOptions(gpus_per_worker=1)) == 1
