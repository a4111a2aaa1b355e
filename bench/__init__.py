"""`make bench`: secretmock's speed against a bare Starlette floor, measured in one run.

* ``run``: the entry point (``python -m bench.run``): what is measured, in which order.
* ``workloads``: the requests measured (each vendor's seed update, the mixed workload).
* ``servers``: the servers under load, started and stopped as subprocesses.
* ``wrk``: the load generator: its Lua scripts, its runs and the parsing of its output.
* ``inprocess``: micro-benchmarks of the engine called directly, without a socket.
* ``report``: the printed table and bench-results.json.
* ``floor``: the bare Starlette app every throughput is compared with.

wrk is not installed by any of these: ``make bench-deps`` does it (``make bench`` depends
on it), and ``run`` stops with a clear message when wrk is missing.
"""
