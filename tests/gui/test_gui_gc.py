"""Garbage is collected on the GUI thread while the app runs, never on a worker."""

import gc
import threading

from zdce_gui.gui_gc import GuiCollector, collect_due


class Cycle:
    def __init__(self, collected: list[str]) -> None:
        self.me = self
        self.collected = collected

    def __del__(self) -> None:
        self.collected.append(threading.current_thread().name)


def test_cycles_are_collected_on_the_gui_thread_and_collection_is_given_back(qtbot):
    assert gc.isenabled()
    collector = GuiCollector()
    try:
        assert not gc.isenabled()
        collected: list[str] = []
        gc.collect()
        for _ in range(5):
            Cycle(collected)
        kept: list[list[int]] = []
        worker = threading.Thread(target=lambda: kept.extend([] for _ in range(5_000)))
        worker.start()  # allocates far past the threshold: nothing is collected there
        worker.join()
        assert gc.get_count()[0] > gc.get_threshold()[0]
        assert collected == []
        qtbot.waitUntil(lambda: len(collected) == 5, timeout=5_000)
        assert set(collected) == {threading.main_thread().name}
        assert collect_due() == 0  # nothing due right after a collection
    finally:
        collector.stop()
    assert gc.isenabled()
