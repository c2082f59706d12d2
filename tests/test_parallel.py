import platform
import threading

import numpy as np
import pytest
import torch

from tests.conftest import dark_rgb, random_model
from zdce_core import parallel
from zdce_core.adjustments import DEFAULT_ADJUSTMENTS
from zdce_core.enhancer import Enhancer
from zdce_core.memory import keep_freed_memory
from zdce_core.pipeline import enhance_photo


@pytest.fixture
def workers():
    """Set the worker count for a test; the default count again afterwards."""
    yield parallel.set_compute_threads
    parallel.set_compute_threads()


def test_compute_threads_leave_torch_one_intra_op_thread(workers):
    torch.set_num_threads(2)
    assert workers(3) == 3
    assert parallel.compute_threads() == 3
    assert torch.get_num_threads() == 1
    assert workers(0) == parallel.available_cores()


def test_torch_threads_sets_and_restores(workers):
    workers(2)
    with parallel.torch_threads(2):
        assert torch.get_num_threads() == 2
    assert torch.get_num_threads() == 1


def test_work_on_the_workers_inside_torch_threads_keeps_them(workers, monkeypatch):
    monkeypatch.setattr(parallel, "_workers", 0)  # not set up yet, as in a fresh process
    monkeypatch.setattr(parallel, "_pool", None)
    with parallel.torch_threads(2):  # training, whose sample previews enhance photos
        parallel.run_pieces(abs, [-1, -2, -3])
        assert torch.get_num_threads() == 2


def test_pieces_run_on_the_workers_in_order(workers):
    workers(2)
    names = set()

    def square(i: int) -> int:
        names.add(threading.current_thread().name)
        return i * i

    assert parallel.run_pieces(square, list(range(20))) == [i * i for i in range(20)]
    assert all(n.startswith("zdce-compute") for n in names)


def test_a_failing_piece_stops_the_rest(workers):
    workers(2)
    started = []

    def work(i: int) -> int:
        started.append(i)
        if i == 2:
            raise KeyError("piece 2")
        return i

    with pytest.raises(KeyError, match="piece 2"):
        parallel.run_pieces(work, list(range(200)))
    assert len(started) < 200


def test_a_pair_runs_side_by_side_on_the_workers(workers):
    workers(2)
    both = threading.Barrier(2, timeout=5)  # each waits for the other: they must overlap

    def side(value: str) -> tuple[str, str]:
        both.wait()
        return value, threading.current_thread().name

    (a, first), (b, second) = parallel.run_pair(lambda: side("a"), lambda: side("b"))
    assert (a, b) == ("a", "b")
    assert first != second and all(n.startswith("zdce-compute") for n in (first, second))
    workers(1)
    assert parallel.run_pair(lambda: 1, lambda: "one") == (1, "one")


def test_large_photos_analyse_one_thing_at_a_time(workers, monkeypatch):
    """Over ``SIDE_BY_SIDE`` pixels the network and the analysis do not run at once (each
    holds a full-size copy for Pillow); the result is the same either way."""
    import zdce_core.pipeline as pipeline

    workers(2)
    enhancer = Enhancer(random_model("dcenet++"), "cpu")
    pixels = dark_rgb(40, 56, seed=5)
    side_by_side = enhance_photo(enhancer, pixels, DEFAULT_ADJUSTMENTS).pixels
    pairs = []
    monkeypatch.setattr(pipeline, "run_pair", lambda *tasks: pairs.append(tasks))
    monkeypatch.setattr(pipeline, "SIDE_BY_SIDE", 40 * 56 - 1)
    alone = enhance_photo(enhancer, pixels, DEFAULT_ADJUSTMENTS).pixels
    assert not pairs
    np.testing.assert_array_equal(alone, side_by_side)


def test_split_rows_covers_every_row_once():
    assert parallel.split_rows(10, 4) == [(0, 4), (4, 8), (8, 10)]


@pytest.mark.parametrize("arch", ["dcenet", "dcenet++"])
def test_estimation_in_bands_equals_one_pass(workers, arch):
    e = Enhancer(random_model(arch), "cpu")
    x = torch.rand(1, 3, 150, 90).contiguous(memory_format=torch.channels_last)
    workers(1)
    whole = e.run_net_in_bands(x)
    workers(4)
    assert torch.allclose(e.run_net_in_bands(x), whole, atol=1e-5)


def test_parallel_rendering_equals_serial(workers):
    e = Enhancer(random_model("dcenet++"), "cpu")
    photo = dark_rgb(300, 200)
    workers(1)
    serial = enhance_photo(e, photo, DEFAULT_ADJUSTMENTS).pixels
    workers(3)
    parallel_result = enhance_photo(e, photo, DEFAULT_ADJUSTMENTS).pixels
    assert np.abs(parallel_result.astype(int) - serial).max() <= 1


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc settings")
def test_glibc_keeps_freed_memory():
    assert keep_freed_memory()
