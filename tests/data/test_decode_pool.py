"""The decoding pool: a bounded number of results in flight when the consumer is slow, stuck or dead
workers replaced, and a stop that ends the run even while every worker is stuck."""

import time

import pytest

from core.data.decode_pool import DecodePool
from tests.data import pool_work


def test_a_slow_consumer_holds_the_workers_back():
    pool = DecodePool(pool_work.big, workers=2, depth=2)
    seen, most = [], 0
    for index, result, problem in pool.run(list(range(40))):
        most = max(most, pool.outstanding)
        time.sleep(0.01)  # a slow store writer; the workers are far faster
        seen.append(index)
        assert problem is None and result[0] == index
    assert sorted(seen) == list(range(40))
    assert most <= 2 * 2


def test_a_stopped_worker_is_replaced_and_its_item_tried_again(tmp_path):
    marker = str(tmp_path / "stopped")
    items = [(i, marker if i == 3 else "") for i in range(12)]
    results = {i: (r, p) for i, r, p in DecodePool(pool_work.stop_once, workers=2, timeout_s=2).run(items)}
    assert results == {i: (i, None) for i in range(12)}


def test_a_dead_worker_is_replaced(tmp_path):
    marker = str(tmp_path / "died")
    items = [(i, marker if i == 5 else "") for i in range(12)]
    results = {i: (r, p) for i, r, p in DecodePool(pool_work.die_once, workers=2).run(items)}
    assert results == {i: (i, None) for i in range(12)}


def test_a_worker_that_died_while_idle_is_replaced_when_fed():
    results = DecodePool(pool_work.exit_after_first, workers=1, depth=1).run([0, 1, 2])
    assert next(results) == (0, 0, None)
    time.sleep(1.0)  # the pool is paused here (nothing asked for); its only worker exits meanwhile
    assert list(results) == [(1, 1, None), (2, 2, None)]


def test_an_item_that_hangs_twice_is_a_problem_not_a_hang():
    [(index, result, problem)] = list(DecodePool(pool_work.always_stop, workers=1, timeout_s=1).run([7]))
    assert (index, result) == (0, None) and "longer than 1 s" in problem and "twice" in problem


def test_a_stop_ends_the_run_while_every_worker_is_stuck():
    calls = []

    def stop() -> bool:
        calls.append(1)
        return len(calls) > 5

    pool = DecodePool(pool_work.always_stop, workers=2, timeout_s=3600)
    assert list(pool.run(list(range(6)), stop)) == []


def test_an_exception_in_the_function_is_that_item_s_problem():
    [(index, result, problem)] = list(DecodePool(pool_work.fails, workers=1).run([4]))
    assert (index, result) == (0, None) and "RuntimeError: bad item 4" in problem


@pytest.mark.parametrize("workers,depth", [(0, 1), (1, 0)])
def test_bad_sizes_are_refused(workers, depth):
    with pytest.raises(ValueError, match="workers >= 1 and depth >= 1"):
        DecodePool(pool_work.big, workers, depth)
