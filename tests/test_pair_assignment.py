"""Optimal pairing against brute force, constraints, market access, and the pairs CLI."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from countylink.accessibility.freight import assignment as pa
from countylink.accessibility.freight import market_access as mac
from countylink.errors import CountylinkError, DataError, NotFoundError
from countylink.layers.pair_points import pair_market_access_share


def _matrix(seed: int, rows: int, cols: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        rng.uniform(10, 300, (rows, cols)).round(1),
        index=[f"h{i}" for i in range(rows)],
        columns=[f"w{j}" for j in range(cols)],
    )


def _brute(cost: pd.DataFrame, *, fixed=(), forbidden=()) -> float:
    """Lowest total over every injective helper → helped map that respects the constraints."""
    best = np.inf
    rows, cols = list(cost.index), list(cost.columns)
    for perm in itertools.permutations(cols, len(rows)):
        pairs = set(zip(rows, perm))
        if not set(fixed) <= pairs or pairs & set(forbidden):
            continue
        best = min(best, sum(cost.at[h, w] for h, w in pairs))
    return best


@pytest.mark.parametrize("seed, rows, cols", [(1, 3, 3), (2, 5, 5), (3, 6, 6), (4, 4, 6), (5, 6, 6)])
def test_optimum_matches_brute_force(seed, rows, cols):
    cost = _matrix(seed, rows, cols)
    got = pa.optimal_assignment(cost)
    assert len(got) == rows and got["helped_adcode"].is_unique
    assert got["cost"].sum() == pytest.approx(_brute(cost))


def test_fixed_and_forbidden_match_brute_force():
    cost = _matrix(7, 6, 6)
    free = pa.optimal_assignment(cost)
    # fix a pair the free optimum does not use and forbid one it does use
    unused = next(
        (h, w)
        for h in cost.index
        for w in cost.columns
        if (h, w) not in set(zip(free["helper_adcode"], free["helped_adcode"]))
    )
    used = next(
        (h, w) for h, w in zip(free["helper_adcode"], free["helped_adcode"]) if h != unused[0] and w != unused[1]
    )
    got = pa.optimal_assignment(cost, fixed=[unused], forbidden=[used])
    pairs = set(zip(got["helper_adcode"], got["helped_adcode"]))
    assert unused in pairs and used not in pairs
    assert got.loc[got["helper_adcode"] == unused[0], "fixed"].item()
    assert got["cost"].sum() == pytest.approx(_brute(cost, fixed=[unused], forbidden=[used]))
    assert got["cost"].sum() >= free["cost"].sum() - 1e-9


def test_constraint_errors():
    cost = _matrix(8, 3, 3)
    with pytest.raises(CountylinkError, match="no complete assignment"):
        pa.optimal_assignment(cost, forbidden=[(h, "w0") for h in cost.index])
    with pytest.raises(NotFoundError, match="h9"):
        pa.optimal_assignment(cost, fixed=[("h9", "w0")])
    with pytest.raises(NotFoundError, match="w7"):
        pa.optimal_assignment(cost, forbidden=[("h0", "w7")])
    with pytest.raises(CountylinkError, match="both fixed and forbidden"):
        pa.optimal_assignment(cost, fixed=[("h0", "w0")], forbidden=[("h0", "w0")])
    with pytest.raises(CountylinkError, match="more than one pair"):
        pa.optimal_assignment(cost, fixed=[("h0", "w0"), ("h1", "w0")])
    holes = cost.copy()
    holes.iat[1, 2] = np.nan
    with pytest.raises(DataError, match="missing values"):
        pa.optimal_assignment(holes)


def test_gap_term_changes_the_optimum():
    # equal travel costs: only the gap term decides. Target ratio 4: big helper with the
    # small county (400/100) and small helper with the mid county (200/50).
    travel = pd.DataFrame(100.0, index=["big", "small"], columns=["tiny", "mid"])
    combined, comps, info = pa.combined_cost_matrix(
        travel,
        helper_gdp=pd.Series({"big": 400.0, "small": 200.0}),
        helped_gdp=pd.Series({"tiny": 100.0, "mid": 50.0}),
        target_ratio=4.0,
    )
    assert info["target_ratio"] == 4.0 and set(comps) == {"travel", "gap"}
    got = pa.optimal_assignment(combined).set_index("helper_adcode")["helped_adcode"].to_dict()
    assert got == {"big": "tiny", "small": "mid"}
    with pytest.raises(DataError, match="GDP missing"):
        pa.combined_cost_matrix(
            travel,
            helper_gdp=pd.Series({"big": 400.0, "small": np.nan}),
            helped_gdp=pd.Series({"tiny": 100.0, "mid": 50.0}),
        )
    with pytest.raises(DataError, match="unknown cost weight"):
        pa.combined_cost_matrix(travel, weights={"beauty": 1})


def test_industry_similarity():
    table = pd.DataFrame({"textiles": [10, 0, 5, 10], "machinery": [0, 10, 5, 0]}, index=["h1", "h2", "w1", "w2"])
    sim = pa.industry_similarity(table, ["h1", "h2"], ["w1", "w2"])
    assert sim.at["h1", "w2"] == pytest.approx(1.0)
    assert sim.at["h2", "w2"] == pytest.approx(0.0)
    assert sim.at["h1", "w1"] == pytest.approx(np.sqrt(0.5))
    travel = pd.DataFrame(50.0, index=["h1", "h2"], columns=["w1", "w2"])
    combined, _, _ = pa.combined_cost_matrix(travel, industry=table, weights={"industry": 1.0})
    # complementarity: each helper goes to the county least like it
    got = pa.optimal_assignment(combined).set_index("helper_adcode")["helped_adcode"].to_dict()
    assert got == {"h1": "w1", "h2": "w2"}
    with pytest.raises(NotFoundError, match="w3"):
        pa.industry_similarity(table, ["h1"], ["w3"])


def test_compare_assignments_totals():
    cost = _matrix(9, 4, 4)
    actual = pd.DataFrame({"helper_adcode": list(cost.index), "helped_adcode": list(cost.columns)})
    opt = pa.optimal_assignment(cost)
    cmp = pa.compare_assignments(actual, opt, cost, travel_cost=cost)
    t = cmp.attrs["totals"]
    assert t["actual_cost"] == pytest.approx(sum(cost.iat[i, i] for i in range(4)))
    assert t["optimal_cost"] == pytest.approx(opt["cost"].sum())
    assert t["cost_saving"] >= 0
    assert t["changed"] == int((cmp["actual_helped_adcode"] != cmp["optimal_helped_adcode"]).sum())
    with pytest.raises(NotFoundError):
        pa.compare_assignments(pd.DataFrame({"helper_adcode": ["hx"], "helped_adcode": ["w0"]}), opt, cost)


def test_market_access_by_hand():
    cost = pd.DataFrame(
        [[0, 10, 20], [10, 0, 5], [20, 5, 0]], index=["a", "b", "c"], columns=["a", "b", "c"], dtype=float
    )
    mass = pd.Series({"a": 100.0, "b": 50.0, "c": 30.0})
    ma = mac.market_access(cost, mass)
    assert ma.at["a", "market_access"] == pytest.approx(50 / 10 + 30 / 20)
    assert ma.at["b", "market_access"] == pytest.approx(100 / 10 + 30 / 5)
    ex = mac.market_access(cost, mass, decay="exponential", beta=0.1)
    assert ex.at["c", "market_access"] == pytest.approx(100 * np.exp(-2) + 50 * np.exp(-0.5))
    share = pair_market_access_share(
        pd.DataFrame({"helper_adcode": ["a", None], "helped_adcode": ["b", "c"]}), cost, mass
    )
    assert share["market_access_share"].iloc[0] == pytest.approx(10 / 16)
    assert np.isnan(share["market_access_share"].iloc[1])
    partial = mac.market_access(cost, mass.drop("c"))
    assert partial.at["a", "n_partners"] == 1 and partial.at["a", "mass_coverage"] == pytest.approx(0.5)
    with pytest.raises(NotFoundError, match="zz"):
        pair_market_access_share(pd.DataFrame({"helper_adcode": ["zz"], "helped_adcode": ["b"]}), cost, mass)
    with pytest.raises(DataError, match="negative"):
        mac.market_access(cost, mass.replace(30.0, -1.0))
    with pytest.raises(DataError, match="decay"):
        mac.market_access(cost, mass, decay="gaussian")


@pytest.fixture(scope="module")
def zhejiang(data_dir):
    from countylink.layers.cost import freight_inputs
    from countylink.layers.counties import counties_layer
    from countylink.layers.pairs import build_pairs

    counties = counties_layer(("zhejiang",), data=data_dir)
    return counties, build_pairs("zhejiang-2023", counties=counties), freight_inputs(data=data_dir)


@pytest.mark.slow
def test_zhejiang_assignment_beats_actual_and_random(zhejiang):
    from countylink.layers.cost import assignment_table

    counties, pairs, freight = zhejiang
    table = assignment_table(pairs, counties=counties, freight=freight)
    assert len(table) == 18 and table["optimal_helped_adcode"].is_unique
    assert set(table["optimal_helped_adcode"]) == set(pairs["helped_adcode"])
    t = table.attrs["totals"]
    assert t["optimal_cost"] <= t["actual_cost"] + 1e-9
    assert "gap" in table["components"].iloc[0]  # every Zhejiang county has a 2024 GDP
    # the optimum is no worse than 300 random one-to-one pairings under the same costs
    from countylink.layers.cost import province_cost_matrix

    matrix = province_cost_matrix(counties, freight=freight)
    helpers, helped = list(table["helper_adcode"]), list(table["actual_helped_adcode"])
    gdp = counties.set_index("adcode")["gdp"]
    combined, _, _ = pa.combined_cost_matrix(
        matrix.loc[helpers, helped],
        helper_gdp=gdp[helpers],
        helped_gdp=gdp[helped],
        target_ratio=float(np.exp(np.median(np.log(gdp[helpers].to_numpy() / gdp[helped].to_numpy())))),
    )
    rng = np.random.default_rng(0)
    for _ in range(300):
        perm = rng.permutation(helped)
        assert sum(combined.at[h, w] for h, w in zip(helpers, perm)) >= t["optimal_cost"] - 1e-9


@pytest.mark.slow
def test_pairs_cli(data_dir, tmp_path):
    from countylink.cli import main

    runner = CliRunner()
    out = tmp_path / "sd.csv"
    res = runner.invoke(
        main,
        [
            "pairs",
            "--programme",
            "shandong-2024",
            "--optimise",
            "--fix",
            "370102:371524",
            "--format",
            "csv",
            "-o",
            str(out),
            "--data",
            str(data_dir),
        ],
    )
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, dtype=str)
    assert len(table) == 8  # two helped counties have no known helper
    row = table[table["helper_adcode"] == "370102"].iloc[0]
    assert row["optimal_helped_adcode"] == "371524" and row["fixed"] == "True"
    res = runner.invoke(
        main,
        ["pairs", "--programme", "shandong-2024", "--optimise", "--forbid", "370102:999999", "--data", str(data_dir)],
    )
    assert res.exit_code == 2 and "999999" in res.output
    res = runner.invoke(main, ["pairs", "--programme", "shandong-2024", "--data", str(data_dir)])
    assert res.exit_code == 2 and "--optimise" in res.output
