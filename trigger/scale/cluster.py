"""The Dask client every scale command runs on: an existing cluster (`--scheduler ADDRESS`) or a local one.

A local cluster has `workers` worker processes of one thread each (the work is numpy / alkaid / a compiler,
each already using a core); its logs are kept quiet and its dashboard off, so a command's output is its own.
An address that cannot be reached is bad input (InputError, exit 2), said before any work starts.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from trigger.errors import InputError

CONNECT_TIMEOUT_S = 10


def default_workers() -> int:
    """One worker per core this process may use."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


@contextmanager
def dask_client(scheduler: str | None = None, workers: int | None = None, memory_limit: str = "auto") -> Iterator:
    """A `distributed.Client`: on `scheduler` if given, else on a LocalCluster of `workers` processes."""
    from distributed import Client, LocalCluster

    if scheduler:
        if workers is not None:
            raise InputError("--workers applies to a local cluster only; the cluster at --scheduler has its own.")
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(f"--scheduler {scheduler}: cannot connect to a Dask scheduler there ({exc}).") from None
        with client:
            yield client
        return
    n = workers or default_workers()
    logging.getLogger("distributed").setLevel(logging.ERROR)  # the scheduler's chatter, even under a root logger
    cluster = LocalCluster(
        n_workers=n,
        threads_per_worker=1,
        processes=True,
        dashboard_address=":0",  # the scheduler's HTTP endpoints on a free port (None still takes :8787)
        scheduler_kwargs={"dashboard": False},
        silence_logs=logging.ERROR,
        memory_limit=memory_limit,
    )
    with cluster, Client(cluster) as client:
        yield client
