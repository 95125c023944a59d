"""Critique a JSONL file of drafts on a Dask cluster, when one machine is not enough.

    python examples/dask_batch.py drafts.jsonl results            # a local cluster
    python examples/dask_batch.py drafts.jsonl results tcp://scheduler:8786

Dask splits the input into blocks, runs ``critique_line`` on every line on its workers,
and writes one output file per block (``results/part-0.jsonl``, ...) with the same lines
``allyfeedback batch`` writes, in input order. Dask schedules and retries; allyfeedback
only critiques. Needs ``pip install "dask[distributed]"`` (not an allyfeedback dependency).
"""

from __future__ import annotations

import sys

import dask.bag as db
from dask.distributed import Client, LocalCluster

from allyfeedback.batch import critique_line


def main(src: str, out_dir: str, scheduler: str | None = None) -> None:
    if scheduler is None:  # on this machine: one single-threaded worker process per core
        cluster = LocalCluster(threads_per_worker=1, dashboard_address=None)
        client = Client(cluster)
    else:  # an existing cluster, started with `dask scheduler` and `dask worker`
        client = Client(scheduler)
    with client:
        lines = db.read_text(src, blocksize="16MiB").map(critique_line)
        lines.to_textfiles(f"{out_dir}/part-*.jsonl")
    if scheduler is None:
        cluster.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
