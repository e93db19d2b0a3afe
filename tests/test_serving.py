"""The serving study's clients: one client calls the model from the serving thread, the one that
loaded it, set its thread count and timed its latency, so that its requests/s and the latency agree."""

from __future__ import annotations

import threading
import time

from measurements.studies import serving


def test_one_client_calls_from_the_serving_thread() -> None:
    callers: set[int] = set()

    def call() -> None:
        callers.add(threading.get_ident())
        time.sleep(0.001)

    found = serving.concurrent(call, 1, 0.1)
    assert callers == {threading.get_ident()}
    assert found["requests"] >= 10 and found["requests_per_s"] < 1000  # 1 ms a call, one at a time


def test_more_clients_call_from_threads_of_their_own() -> None:
    callers: set[int] = set()

    def call() -> None:
        callers.add(threading.get_ident())
        time.sleep(0.001)

    serving.concurrent(call, 4, 0.1)
    assert len(callers) == 4 and threading.get_ident() not in callers
