"""Lanes: an OpenMP model's calls run on the lanes' own threads, and only a call that has the
cores to itself is spread over several of them."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from index.models.lanes import Lanes
from index.retrieval.in_flight import SEARCHES, Occupancy, searches_overlap


class TeamLog:
    """Stands in for omp_set_num_threads: records which thread set which team size."""

    def __init__(self) -> None:
        self.sets: list[tuple[str, int]] = []
        self.teams: dict[str, int] = {}
        self._lock = threading.Lock()

    def set_team(self, size: int) -> None:
        with self._lock:
            name = threading.current_thread().name
            self.sets.append((name, size))
            self.teams[name] = size

    def team_here(self) -> tuple[str, int]:
        name = threading.current_thread().name
        return name, self.teams.get(name, 0)


def test_a_lone_call_gets_every_thread_on_the_first_lane():
    log = TeamLog()
    lanes = Lanes(2, 2, set_team=log.set_team, name="t")
    assert lanes.run(log.team_here) == ("t-0_0", 2)
    assert lanes.run(log.team_here) == ("t-0_0", 2)
    assert log.sets == [("t-0_0", 2)]  # set once, on the lane's own thread


def test_calls_from_many_threads_run_on_the_lanes_only():
    log = TeamLog()
    lanes = Lanes(2, 2, set_team=log.set_team, name="t")

    def slow_call() -> str:
        time.sleep(0.01)
        return threading.current_thread().name

    with ThreadPoolExecutor(8) as callers:
        names = set(callers.map(lambda _: lanes.run(slow_call), range(40)))
    assert names <= {"t-0_0", "t-1_0"}


def test_overlapping_calls_run_on_one_thread_each():
    log = TeamLog()
    lanes = Lanes(2, 2, set_team=log.set_team, name="t")
    inside, release = threading.Event(), threading.Event()

    def blocking_call() -> tuple[str, int]:
        inside.set()
        release.wait(5)
        return log.team_here()

    with ThreadPoolExecutor(1) as caller:
        first = caller.submit(lanes.run, blocking_call)
        inside.wait(5)
        second = lanes.run(log.team_here)  # the first lane is busy: the other, one thread
        release.set()
        assert first.result() == ("t-0_0", 2)
    assert second == ("t-1_0", 1)
    # the second lane never forms a team, whatever happens later
    assert all(size == 1 for name, size in log.sets if name == "t-1_0")


def test_a_call_made_while_lanes_are_told_of_other_work_gets_one_thread():
    log = TeamLog()
    busy = [True]
    lanes = Lanes(2, 2, set_team=log.set_team, name="t", crowded=lambda: busy[0])
    assert lanes.run(log.team_here) == ("t-0_0", 1)
    busy[0] = False
    assert lanes.run(log.team_here) == ("t-0_0", 2)


def test_the_search_counter_tells_lanes_when_searches_overlap():
    log = TeamLog()
    lanes = Lanes(2, 2, set_team=log.set_team, name="t", crowded=searches_overlap)
    with SEARCHES, SEARCHES:  # this search and another one
        assert lanes.run(log.team_here) == ("t-0_0", 1)
    with SEARCHES:  # this search alone
        assert lanes.run(log.team_here) == ("t-0_0", 2)


def test_calls_beyond_the_lanes_wait_for_a_free_one():
    lanes = Lanes(1, 1, name="t")
    running = []
    most = []
    lock = threading.Lock()

    def counted_call() -> None:
        with lock:
            running.append(1)
            most.append(len(running))
        time.sleep(0.005)
        with lock:
            running.pop()

    with ThreadPoolExecutor(6) as callers:
        list(callers.map(lambda _: lanes.run(counted_call), range(18)))
    assert max(most) == 1


def test_an_error_in_a_call_reaches_the_caller_and_frees_the_lane():
    lanes = Lanes(1, 1, name="t")

    def failing_call() -> None:
        raise RuntimeError("model failed")

    with pytest.raises(RuntimeError, match="model failed"):
        lanes.run(failing_call)
    assert lanes.run(lambda: "still served") == "still served"


def test_lanes_refuse_a_count_of_zero():
    with pytest.raises(ValueError):
        Lanes(0, 2)


def test_occupancy_counts_work_in_progress():
    occupancy = Occupancy()
    assert occupancy.count == 0
    with occupancy:
        with occupancy:
            assert occupancy.count == 2
        assert occupancy.count == 1
    assert occupancy.count == 0


def test_searches_overlap_only_when_two_run():
    assert SEARCHES.count == 0 and not searches_overlap()
    with SEARCHES:
        assert not searches_overlap()
        with SEARCHES:
            assert searches_overlap()
