"""Smoke test of the matrix benchmark (bench/matrix.py --quick) on the Helsinki graph."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "bench" / "matrix.py"


def test_bench_matrix_quick_runs_and_checks_every_engine(capsys):
    spec = importlib.util.spec_from_file_location("bench_matrix", BENCH)
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    # the benchmark raises if any engine's times or lengths differ from countylink's
    assert bench.main(["--quick", "--graphs", "helsinki-all", "--sizes", "100", "--nx-origins", "3"]) == 0
    out = capsys.readouterr().out
    for engine in ("countylink stored ordering", "countylink from scratch", "networkx per origin", "routingkit-cch"):
        assert engine in out
    assert "times equal on 10,000 pairs" in out and "lengths equal" in out
    lines = out.strip().splitlines()
    assert re.fullmatch(
        r"graph=helsinki-all nodes=6721 n=100 ratio_vs_networkx=\d+\.\d ratio_vs_ch=\d+\.\d\d", lines[-2]
    ), lines[-2]
    assert lines[-1].startswith("min_ratio_vs_ch_n_ge_1000=nan")
