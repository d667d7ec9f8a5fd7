"""The write lock: a thread that must wait for it calls the holder's hook first (``WriteLock.waiters_call``)."""

from __future__ import annotations

import threading
import time

from igsn_graph.registry.locking import WriteLock


def test_a_waiting_thread_calls_the_holders_hook_before_it_waits() -> None:
    lock = WriteLock(None)
    called = threading.Event()
    holder_inside = []
    entered = threading.Event()

    def hook() -> None:
        holder_inside.append(lock._owner is not None)  # the holder still holds it when the waiter calls
        called.set()

    def waiter() -> None:
        with lock:
            entered.set()

    with lock, lock.waiters_call(hook):
        thread = threading.Thread(target=waiter)
        thread.start()
        assert called.wait(30), "the waiting thread did not call the holder's hook"
        assert not entered.is_set()  # it waits all the same
    thread.join(30)
    assert entered.is_set() and holder_inside == [True]


def test_no_hook_is_called_without_a_wait_nor_after_the_holder_withdrew_it() -> None:
    lock = WriteLock(None)
    calls: list[str] = []
    with lock, lock.waiters_call(lambda: calls.append("waited")):
        with lock:  # the holder re-entering does not wait
            pass
    with lock:  # uncontended
        pass
    release = threading.Event()
    held = threading.Event()

    def holder() -> None:
        with lock:
            with lock.waiters_call(lambda: calls.append("waited")):
                pass
            held.set()
            release.wait(30)

    thread = threading.Thread(target=holder)
    thread.start()
    assert held.wait(30)
    timer = threading.Timer(0.2, release.set)
    timer.start()
    with lock:  # waits for the holder, whose hook it withdrew before
        pass
    thread.join(30)
    assert calls == []


def test_a_thread_already_waiting_when_the_hook_is_said_calls_it() -> None:
    """The holder says whom to call after it took the lock (its first statements come first): a thread that began
    to wait before then calls the hook all the same, while it waits."""
    lock = WriteLock(None)
    called = threading.Event()
    with lock:
        thread = threading.Thread(target=lambda: lock.__enter__() and lock.__exit__(None, None, None))
        thread.start()
        time.sleep(0.2)  # waiting, no hook yet
        with lock.waiters_call(called.set):
            assert called.wait(30), "the waiting thread never called the hook"
    thread.join(30)
    assert not thread.is_alive()
