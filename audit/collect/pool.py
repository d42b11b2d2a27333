"""A bounded thread pool for the live collectors (account×region, project) that reports progress
and, on Ctrl-C or a bug, drops queued work without waiting for the calls in flight."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import TypeVar

T = TypeVar("T")
Progress = Callable[[int, int], None]


def run_all(
    jobs: Sequence[Callable[[], T]], *, max_workers: int, name: str, progress: Progress | None = None
) -> list[T]:
    """Every job's result, in completion order."""
    pool = ThreadPoolExecutor(max_workers=max(1, max_workers), thread_name_prefix=name)
    results: list[T] = []
    try:
        futures = [pool.submit(job) for job in jobs]
        for done, future in enumerate(as_completed(futures), start=1):
            results.append(future.result())
            if progress is not None:
                progress(done, len(futures))
    except BaseException:
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return results
