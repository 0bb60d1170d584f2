"""The cco_enrich benchmark: `python -m bench` runs the service against the stand-in registries.

harness.py    BenchStack: a private Redis, the stand-in, workers and the API; sessions and stats
inputs.py     the corpus and the identifier lists every scenario sends
bound.py      the fewest requests per pool and the lower bound on wall time the limits allow
upstream.py   the stand-in's counters: requests, 429s, peaks per pool, timeline
plain.py      the plain approach: one `/works/{doi}` request after another, as habanero does
throughput.py scenarios 1-3: cold Crossref-only and mixed, the plain loop, the warm cache
scaling.py    scenario 4: our own CPU, Redis bytes and memory per DOI vs session size
latency.py    scenario 5: API latency, idle and under load
fleet.py      scenario 6: four workers sharing the upstream limits
results.py    what a scenario measured: figures with targets (PASS / MISS)
report.py     docs/benchmarks.md;  plot.py: docs/benchmarks.png
"""
