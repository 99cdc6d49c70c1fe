"""Jobs in worker processes, each under a deadline. A job that runs past it (a source that
sends a stage into a pathological case) is ended with its process and reported, instead
of hanging the whole build; the other jobs go on in fresh workers."""
from __future__ import annotations

import multiprocessing
import signal
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from typing import Any


@contextmanager
def stops_held() -> Iterator[None]:
    """Ctrl-C and SIGTERM wait until the block is done: a stop that lands in a fork's
    handlers is lost (Python ignores the exception they raise, and the build goes on), one
    that lands in tqdm's constructor leaves a half-made bar that prints a traceback. A
    process forked inside the block starts with them held: `release_stops` there."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


def release_stops() -> None:
    """In a process forked inside `stops_held`: Ctrl-C and SIGTERM reach it again."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPS)


_STOPS = {signal.SIGTERM, signal.SIGINT}


@dataclass(frozen=True)
class Stopped:
    """A job that gave no result: what happened to it."""

    reason: str


def _serve(conn: Connection, work: Callable[[Any], Any], initializer: Callable[[], None]) -> None:
    release_stops()
    initializer()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it ends the workers
    while (message := conn.recv()) is not None:  # a job comes as (job,), so that a job may be None
        try:
            conn.send((True, work(message[0])))
        except Exception as exc:  # a fault in the code, not in the input: raised again in the parent
            conn.send((False, exc))


@dataclass
class _Worker:
    process: multiprocessing.Process
    conn: Connection
    job: int | None = None
    started: float = 0.0

    def stop(self) -> None:
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


def run_jobs(work: Callable[[Any], Any], jobs: list[Any], processes: int, seconds: float,
             initializer: Callable[[], None]) -> Iterator[tuple[int, Any]]:
    """Run `work(job)` for every job in up to `processes` worker processes (each started
    with `initializer`) and yield (position of the job, its result) as jobs finish. A job
    still running after `seconds` yields `Stopped("took longer than … s")`, one whose
    process dies yields `Stopped` with the exit code. An exception raised by `work` is
    raised here."""
    waiting = deque(range(len(jobs)))
    workers: list[_Worker] = []

    def start() -> _Worker:
        parent, child = multiprocessing.Pipe()
        process = multiprocessing.Process(target=_serve, args=(child, work, initializer), daemon=True)
        with stops_held():
            process.start()
        child.close()
        workers.append(_Worker(process, parent))
        return workers[-1]

    def busy() -> list[_Worker]:
        return [w for w in workers if w.job is not None]

    try:
        while waiting or busy():
            while waiting and len(busy()) < processes:
                worker = next((w for w in workers if w.job is None), None) or start()
                worker.job, worker.started = waiting.popleft(), time.monotonic()
                worker.conn.send((jobs[worker.job],))
            running = busy()
            first_deadline = min(w.started for w in running) + seconds
            ready = wait([w.conn for w in running], timeout=max(0.0, first_deadline - time.monotonic()))
            for worker in running:
                overdue = time.monotonic() - worker.started >= seconds
                if worker.conn not in ready and not overdue:
                    continue
                position, worker.job = worker.job, None
                try:
                    finished, result = worker.conn.recv() if worker.conn in ready else (None, None)
                except (EOFError, OSError):
                    finished = None
                if finished is None:
                    worker.stop()
                    workers.remove(worker)
                    yield position, Stopped(f"its worker process died (exit code {worker.process.exitcode})"
                                            if worker.conn in ready else f"took longer than {seconds:g} s")
                elif not finished:
                    raise result
                else:
                    yield position, result
    finally:
        for worker in workers:
            if worker.job is None:
                try:
                    worker.conn.send(None)  # an idle worker leaves on its own
                    worker.process.join(timeout=1)
                except OSError:
                    pass
            worker.stop()
