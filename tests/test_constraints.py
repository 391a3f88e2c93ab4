"""The table's own logic: detected with a known answer, kept exactly, declared, conditioned on, saved.

Every table here is built so that its logic is known: the tests check that exactly that logic is
found, that 10,000 sampled rows keep all of it, and that one violating row in 1,000 is enough
for a rule not to be detected.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import gansynth
from gansynth import (
    FunctionalDependency,
    Inequality,
    MissingTogether,
    ModelFileError,
    RangeByCategory,
    TabularGAN,
)
from gansynth.cli.tabular import parse_conditions
from gansynth.datasets import load_student_placements
from gansynth.tabular.logic_detection import MIN_INEQUALITY_CUT, independent_cut, learn_logic
from gansynth.tabular.schema import build_specs

from .conftest import TINY, forged_copy

LEVELS = {"low": 1, "mid": 2, "high": 3, "top": 4}
COUNTRY = {"paris": "france", "lyon": "france", "berlin": "germany", "munich": "germany", "rome": "italy"}
SIZE_RANGES = {"small": (0.0, 1.0), "large": (5.0, 6.0)}


def _code(a, b):
    """A Latin square: neither ``a`` nor ``b`` alone determines the code, the two together do."""
    return f"c{(('x', 'y', 'z').index(a) + ('p', 'q', 'r').index(b)) % 3}"


def logic_table(n=1000, seed=0) -> pd.DataFrame:
    """A table with one known instance (or two) of every kind of logic, and nothing else."""
    rng = np.random.default_rng(seed)
    level = rng.choice(list(LEVELS), n)
    city = rng.choice(list(COUNTRY), n)
    a, b = rng.choice(["x", "y", "z"], n), rng.choice(["p", "q", "r"], n)
    placed = rng.random(n) < 0.7
    start = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.integers(0, 200, n), unit="D")
    end = start + pd.to_timedelta(rng.integers(0, 120, n), unit="D")
    m1 = rng.normal(50, 10, n)
    lost = rng.random(n) < 0.1
    kind = rng.choice(["small", "large"], n)
    low = np.array([SIZE_RANGES[k][0] for k in kind])
    return pd.DataFrame(
        {
            "level": level,
            "level_num": [LEVELS[v] for v in level],
            "city": city,
            "country": [COUNTRY[v] for v in city],
            "a": a,
            "b": b,
            "code": [_code(x, y) for x, y in zip(a, b)],
            "placed": placed,
            "salary": np.where(placed, rng.integers(40, 90, n) * 500.0, np.nan),
            "start": start.where(placed),
            "end": end.where(placed),
            "m1": np.where(lost, np.nan, m1),
            "m2": np.where(lost, np.nan, m1 + rng.exponential(5, n)),
            "kind": kind,
            "size": low + rng.random(n),
            "noise": rng.normal(size=n),
        }
    )


EXPECTED = [
    FunctionalDependency(("level",), "level_num"),
    FunctionalDependency(("city",), "country"),
    FunctionalDependency(("a", "b"), "code"),
    MissingTogether(("salary", "start", "end"), "placed", (False,)),
    MissingTogether(("m1", "m2")),
    Inequality("start", "end"),
    Inequality("m1", "m2"),
    RangeByCategory("size", "kind"),
]


def detected(frame, constraints="auto", protected=()):
    return learn_logic(frame, build_specs(frame), constraints, protected)


@pytest.fixture(scope="module")
def table():
    return logic_table()


@pytest.fixture(scope="module")
def model(table):
    return TabularGAN(**dict(TINY, max_modes=3), random_state=0).fit(table)


# ---------------------------------------------------------------- detection with known answers


def test_every_kind_is_detected_and_nothing_else(table):
    records = detected(table)
    assert records == EXPECTED
    assert records[0].one_to_one and not records[1].one_to_one
    assert {k[0]: v for k, v, _ in records[0].lookup} == LEVELS
    assert records[7].ranges == (("large", *_observed(table, "large")), ("small", *_observed(table, "small")))


def _observed(table, kind):
    values = table.loc[table["kind"] == kind, "size"]
    return values.min(), values.max()


def test_the_demo_table_has_its_known_logic():
    assert [str(r) for r in detected(load_student_placements())] == [
        "salary, start_date, end_date, duration: missing together, exactly when placed is False",
        "start_date <= end_date",
        "experience_years in a range set by work_experience: [0, 0] when False, [1, 3] when True",
    ]


def test_adult_has_education_and_education_num_as_one_column(data_dir):
    adult = pd.read_csv(data_dir / "adult.csv", skipinitialspace=True)
    (record,) = detected(adult)
    assert record == FunctionalDependency(("education",), "education-num") and record.one_to_one


def _break_one_row(frame, column, value, row=0):
    frame = frame.copy()
    frame.loc[row, column] = value
    return frame


def _another_code(row):
    return next(c for c in ("c0", "c1", "c2") if c != row["code"])


@pytest.mark.parametrize(
    "column, value, lost, gained",
    [
        # What is left is still exact: level_num's range by level (wider for "low" only).
        (
            "level_num",
            4,
            FunctionalDependency(("level",), "level_num"),
            [RangeByCategory("level_num", "level")],
        ),
        ("country", "italy", FunctionalDependency(("city",), "country"), []),
        ("code", _another_code, FunctionalDependency(("a", "b"), "code"), []),
        ("m2", np.nan, MissingTogether(("m1", "m2")), []),
        ("m2", -1000.0, Inequality("m1", "m2"), []),
    ],
)
def test_one_violating_row_in_1000_is_not_exact_logic(table, column, value, lost, gained):
    row = int(np.flatnonzero(table["m1"].notna() & (table["level"] == "low") & (table["city"] == "paris"))[0])
    value = value(table.loc[row]) if callable(value) else value
    records = detected(_break_one_row(table, column, value, row))
    assert lost not in records
    assert len(records) == len(EXPECTED) - 1 + len(gained)
    assert set(records) == {r for r in EXPECTED if r != lost} | set(gained)


def test_near_misses_of_a_missingness_group_and_of_an_inequality(table):
    placed_row = int(np.flatnonzero(table["placed"])[0])
    unplaced_row = int(np.flatnonzero(~table["placed"])[0])
    # One unplaced row with a salary: salary leaves the group, start and end stay in it.
    records = detected(_break_one_row(table, "salary", 30000.0, unplaced_row))
    assert MissingTogether(("start", "end"), "placed", (False,)) in records
    assert not any("salary" in getattr(r, "columns", ()) for r in records)
    # One row ending the day before it starts.
    broken = _break_one_row(table, "end", table.loc[placed_row, "start"] - pd.Timedelta(days=1), placed_row)
    assert Inequality("start", "end") not in detected(broken)


def test_an_inequality_that_holds_by_the_ranges_on_almost_every_row_is_not_detected():
    # Bank Marketing's shape: a day count that is 999 unless the client was called before, and a
    # rate that is always below it. The ranges overlap (a few rows have 0 or 1 days), so only the
    # share of independent draws that break the inequality (under 0.1% here) tells it is no logic.
    rng = np.random.default_rng(3)
    rate = rng.choice([-3.4, -1.8, -0.1, 1.1, 1.4], 2000)
    days = np.where(rng.random(2000) < 0.97, 999, rng.integers(2, 27, 2000))
    days[:3] = [1, 0, 1]
    rate[:3] = [-1.8, -3.4, -0.1]
    frame = pd.DataFrame({"rate": rate, "days": days})
    assert (frame["rate"] <= frame["days"]).all() and frame["rate"].max() > frame["days"].min()
    assert independent_cut(rate, days.astype(float)) < MIN_INEQUALITY_CUT
    assert detected(frame, ["inequality"]) == []
    # The same rate below a day count spread over its range is logic.
    frame["days"] = rate + rng.exponential(2, 2000)
    assert detected(frame, ["inequality"]) == [Inequality("rate", "days")]


def test_independent_cut_counts_pairs_of_independent_draws():
    assert independent_cut(np.array([0.0, 1.0]), np.array([0.5, 2.0, 3.0, 4.0])) == 1 / 8
    assert independent_cut(np.array([1.0, 1.0]), np.array([1.0, 1.0])) == 0.0  # ties do not break it
    assert independent_cut(np.array([0.0]), np.array([5.0, 6.0])) == 0.0


def test_support_rule_rejects_a_dependency_on_a_near_unique_column():
    rng = np.random.default_rng(1)
    ticket = rng.integers(0, 200, 1000).astype(str)  # about 5 rows per value: below the support
    frame = pd.DataFrame({"ticket": ticket, "gate": [f"g{int(t) % 7}" for t in ticket]})
    assert detected(frame) == []
    assert detected(pd.concat([frame] * 2, ignore_index=True)) == [FunctionalDependency(("ticket",), "gate")]


# ---------------------------------------------------------------- kept exactly when sampling


@pytest.mark.parametrize("seed", [0, 1])
def test_all_logic_holds_on_10000_sampled_rows(table, model, seed):
    rows = model.sample(10_000, random_state=seed)
    assert list(rows.dtypes) == list(table.dtypes)
    assert (rows["level_num"] == rows["level"].map(LEVELS)).all()
    assert (rows["country"] == rows["city"].map(COUNTRY)).all()
    assert (rows["code"] == [_code(x, y) for x, y in zip(rows["a"], rows["b"])]).all()
    group = rows[["salary", "start", "end"]].isna()
    assert (group.all(axis=1) == ~rows["placed"]).all() and (group.any(axis=1) == group.all(axis=1)).all()
    assert (rows["m1"].isna() == rows["m2"].isna()).all() and rows["m1"].isna().any()
    both = rows["m1"].notna()
    assert (rows.loc[both, "m1"] <= rows.loc[both, "m2"]).all()
    assert (rows.loc[rows["placed"], "start"] <= rows.loc[rows["placed"], "end"]).all()
    for kind in SIZE_RANGES:
        low, high = _observed(table, kind)
        assert rows.loc[rows["kind"] == kind, "size"].between(low, high).all()


def test_logic_holds_without_clipping_and_for_array_input():
    rng = np.random.default_rng(2)
    low = rng.normal(0, 1, 600)
    data = np.column_stack([low, low + rng.exponential(1, 600)])
    model = TabularGAN(**TINY, random_state=0).fit(data)
    assert model.constraints_ == [Inequality(0, 1)]
    rows = model.sample(10_000, random_state=0, clip=False)
    assert isinstance(rows, np.ndarray) and (rows[:, 0] <= rows[:, 1]).all()


# ---------------------------------------------------------------- conditions


def test_conditioning_on_a_derived_column_conditions_its_determinants(model):
    rows = model.sample(500, conditions={"level_num": 3}, random_state=0)
    assert (rows["level_num"] == 3).all() and (rows["level"] == "high").all()
    rows = model.sample(500, conditions={"country": "france"}, random_state=0)
    assert (rows["country"] == "france").all() and set(rows["city"]) == {"paris", "lyon"}
    rows = model.sample(500, conditions={"code": "c1", "a": "y"}, random_state=0)
    assert (rows["code"] == "c1").all() and (rows["a"] == "y").all() and (rows["b"] == "p").all()
    wanted = [1, 4] * 250
    rows = model.sample(500, conditions={"level_num": wanted}, random_state=0)
    assert rows["level_num"].tolist() == wanted and rows["level"].map(LEVELS).tolist() == wanted


def test_condition_values_of_derived_and_reshaped_columns(model):
    assert sorted(model.condition_values("level_num")) == sorted(LEVELS.values())
    assert model.condition_values("level") == sorted(LEVELS)
    assert model.condition_values("salary") == []  # a missing-together member: refused as a condition


def test_conditions_that_the_logic_cannot_meet_are_refused(model):
    with pytest.raises(ValueError, match="no training row has level_num = 3.0 together with the conditions"):
        model.sample(10, conditions={"level_num": 3, "level": "low"})
    with pytest.raises(ValueError, match=r"unknown value\(s\) \[7\] for condition column 'level_num'"):
        model.sample(10, conditions={"level_num": 7})
    with pytest.raises(ValueError, match="cannot condition on column 'salary': the table's logic keeps it"):
        model.sample(10, conditions={"salary": 30000.0})
    with pytest.raises(ValueError, match="unknown condition column 'nope'; the columns are"):
        model.sample(10, conditions={"nope": 1})


def test_a_condition_on_the_when_column_sets_the_group_missing(model):
    rows = model.sample(200, conditions={"placed": False}, random_state=0)
    assert rows[["salary", "start", "end"]].isna().all().all()


def test_the_cli_parses_conditions_on_derived_columns(model):
    assert parse_conditions(["level_num=3", "country=france"], model) == {
        "level_num": 3.0,
        "country": "france",
    }


# ---------------------------------------------------------------- declaring and filtering


def test_a_declared_constraint_the_data_breaks_names_the_rows_and_columns(table):
    broken = int((table["noise"] > table["size"]).sum())
    with pytest.raises(ValueError, match=rf"{broken} of 1000 rows break it \(columns 'noise', 'size'\)"):
        TabularGAN(**TINY).fit(table, constraints=[Inequality("noise", "size")])
    counts = pd.crosstab(table["kind"], table["level"])
    broken = int(len(table) - counts.max(axis=1).sum())
    with pytest.raises(ValueError, match=rf"kind -> level does not hold: {broken} of 1000 rows"):
        TabularGAN(**TINY).fit(table, constraints=[FunctionalDependency("kind", "level")])


@pytest.mark.parametrize(
    "declared, match",
    [
        ([Inequality("m1", "nope")], "unknown column 'nope'"),
        ([Inequality("level", "size")], "needs two numeric columns or two datetime columns"),
        ([FunctionalDependency("salary", "level")], "determinant 'salary' must be a boolean or categorical"),
        ([Inequality("m1", "m2"), RangeByCategory("m2", "kind")], "'m2' is already used by m1 <= m2"),
        (["inequality", "magic"], "'magic' is neither a constraint record"),
    ],
)
def test_bad_declarations_get_one_clear_error(table, declared, match):
    with pytest.raises(ValueError, match=match):
        TabularGAN(**TINY).fit(table, constraints=declared)


def test_detection_can_be_turned_off_filtered_or_extended(table):
    assert detected(table, None) == [] and detected(table, []) == []
    assert detected(table, ["inequality"]) == [Inequality("start", "end"), Inequality("m1", "m2")]
    assert detected(table, [Inequality("m1", "m2")]) == [Inequality("m1", "m2")]
    declared = MissingTogether(("salary", "start"), when="placed")
    records = detected(table, [declared, "missing_together"])
    assert records[0] == MissingTogether(("salary", "start"), "placed", (False,))
    assert MissingTogether(("m1", "m2")) in records and len(records) == 2  # the wider group conflicts


def test_refitting_with_a_filtered_list_keeps_exactly_those_records(table, model):
    kept = [r for r in model.constraints_ if r.kind != "range_by_category"]
    assert [r.to_dict() for r in detected(table, kept)] == [r.to_dict() for r in kept]


def test_declared_ranges_wider_than_the_data_are_used():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"group": rng.choice(["a", "b"], 400), "x": rng.random(400)})
    declared = RangeByCategory("x", "group", (("a", -5.0, 5.0),))
    model = TabularGAN(**TINY, random_state=0).fit(frame, constraints=[declared])
    assert model.constraints_[0].ranges == (("a", -5.0, 5.0),)
    rows = model.sample(2000, random_state=0, clip=False)
    assert rows["x"].between(-5, 5).all()


def test_a_column_named_in_condition_shares_stays_modelled(table):
    records = detected(table, protected={"country"})
    assert FunctionalDependency(("city",), "country") not in records
    with pytest.raises(ValueError, match="'country' is named in condition_shares"):
        detected(table, [FunctionalDependency("city", "country")], protected={"country"})


# ---------------------------------------------------------------- files and sklearn conventions


def test_save_and_load_keep_the_logic_and_the_samples(model, tmp_path):
    loaded = gansynth.load(model.save(tmp_path / "logic.gsyn"))
    assert [r.to_dict() for r in loaded.constraints_] == [r.to_dict() for r in model.constraints_]
    for conditions in (None, {"level_num": 2}):
        expected = model.sample(300, conditions=conditions, random_state=5)
        pd.testing.assert_frame_equal(loaded.sample(300, conditions=conditions, random_state=5), expected)


def test_info_lists_the_logic(model, tmp_path, capsys):
    from gansynth.cli import main

    assert main(["info", str(model.save(tmp_path / "logic.gsyn"))]) == 0
    out = capsys.readouterr().out
    assert "logic kept by construction:" in out
    assert "  level <-> level_num (4 combinations: 'high': 3, 'low': 1, 'mid': 2, ...)" in out
    assert (
        "  start <= end" in out
        and "  salary, start, end: missing together, exactly when placed is False" in out
    )


def _record_index(model, kind):
    return next(i for i, r in enumerate(model["constraints"]) if r["type"] == kind)


def _edit(kind, edit):
    def apply(model):
        edit(model["constraints"][_record_index(model, kind)], model)

    return apply


HOSTILE_EDITS = [
    (_edit("inequality", lambda r, m: r.update(high="nope")), "unknown column 'nope'"),
    (_edit("inequality", lambda r, m: r.update(low="level")), "needs two numeric columns"),
    (_edit("functional_dependency", lambda r, m: r["lookup"][0].update(key=["nope"])), "not a category"),
    (_edit("functional_dependency", lambda r, m: r["lookup"][0].update(count=0)), r"count must be in \[1"),
    (_edit("functional_dependency", lambda r, m: r["lookup"].append(r["lookup"][0])), "holds a key twice"),
    (_edit("functional_dependency", lambda r, m: r["lookup"][0].update(value=99.0)), "must be finite and in"),
    (
        _edit("functional_dependency", lambda r, m: r.update(column="city")),
        "is not a category of column 'city'",
    ),
    (_edit("missing_together", lambda r, m: r.update(values=[None])), "placed' has no missing values"),
    (_edit("range_by_category", lambda r, m: r["ranges"][0].update(low=9.0)), "high must be finite and in"),
    (_edit("range_by_category", lambda r, m: r.update(column="level")), "needs a numeric column"),
    (_edit("missing_together", lambda r, m: r.update(type="magic")), "type must be one of"),
    (lambda m: m["constraints"].append({"type": "inequality", "low": "m2", "high": "m1"}), "closes a cycle"),
    (lambda m: m["engine_columns"].pop(), "engine_columns"),
    (lambda m: m.pop("constraints"), r"lacks \['constraints'\]"),
]


@pytest.mark.parametrize("edit, match", HOSTILE_EDITS)
def test_hostile_edits_of_the_logic_are_model_file_errors(model, tmp_path, edit, match):
    path = forged_copy(model.save(tmp_path / "logic.gsyn"), tmp_path / "forged.gsyn", edit)
    with pytest.raises(ModelFileError, match=match) as info:
        gansynth.load(path)
    assert "\n" not in str(info.value)


def test_sklearn_conventions_hold(model):
    assert set(model.get_params(deep=True)) == set(TabularGAN().get_params(deep=True))
    assert not hasattr(clone(model), "constraints_")
    copy = pickle.loads(pickle.dumps(model))
    assert copy.constraints_ == model.constraints_
    pd.testing.assert_frame_equal(copy.sample(100, random_state=0), model.sample(100, random_state=0))
