"""Missing-together groups with boolean and categorical members: detected, kept, conditioned on.

The table is built so that its logic is known: ``salary`` (numeric), ``city`` (categorical) and
``remote`` (boolean) are missing exactly when ``placed`` is False, and ``b`` is missing exactly
when ``a`` is.
"""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gansynth import MissingTogether, RangeByCategory, TabularGAN
from gansynth.models import load
from gansynth.tabular.constraint_fit import Roles
from gansynth.tabular.logic_detection import learn_logic
from gansynth.tabular.logic_transform import _category_codes
from gansynth.tabular.schema import build_specs

from .conftest import TINY

CITY_SHARES = {"Leeds": 0.7, "York": 0.25, "Bath": 0.05}
EXPECTED = [
    MissingTogether(("salary", "city", "remote"), "placed", (False,)),
    MissingTogether(("b",), "a", (None,)),
]


def discrete_group_table(n=1000, seed=0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    placed = rng.random(n) < 0.7
    city = rng.choice(list(CITY_SHARES), n, p=list(CITY_SHARES.values()))
    a_missing = rng.random(n) < 0.2
    return pd.DataFrame(
        {
            "placed": placed,
            "salary": np.where(placed, rng.normal(50_000, 8_000, n), np.nan),
            "city": pd.Series(np.where(placed, city, None), dtype=object),
            "remote": pd.Series(np.where(placed, rng.random(n) < 0.5, None), dtype="boolean"),
            "a": pd.Series(np.where(a_missing, None, rng.choice(["x", "y"], n)), dtype=object),
            "b": pd.Series(np.where(a_missing, None, rng.choice(["p", "q", "r"], n)), dtype="category"),
            "noise": rng.normal(size=n),
        }
    )


def detected(frame, constraints="auto"):
    return learn_logic(frame, build_specs(frame), constraints)


@pytest.fixture(scope="module")
def table():
    return discrete_group_table()


@pytest.fixture(scope="module")
def model(table):
    return TabularGAN(**dict(TINY, epochs=20), random_state=0).fit(table)


def test_discrete_members_are_detected_with_a_known_answer(table):
    assert detected(table) == EXPECTED


def test_one_present_value_among_the_missing_rows_drops_that_member_only(table):
    broken = table.copy()
    row = int(np.flatnonzero(~table["placed"])[1])
    broken.loc[row, "city"] = "York"
    assert detected(broken)[0] == MissingTogether(("salary", "remote"), "placed", (False,))


@pytest.mark.parametrize("seed", [0, 1])
def test_the_groups_hold_on_10000_sampled_rows_with_dtypes_kept(table, model, seed):
    rows = model.sample(10_000, random_state=seed)
    assert list(rows.dtypes) == list(table.dtypes)
    group = rows[["salary", "city", "remote"]].isna()
    assert (group.all(axis=1) == ~rows["placed"]).all()
    assert (group.any(axis=1) == group.all(axis=1)).all()
    assert (rows["a"].isna() == rows["b"].isna()).all() and rows["a"].isna().any()
    assert set(rows["city"].dropna()) <= set(CITY_SHARES)


def test_filled_codes_follow_the_categories_whatever_their_order():
    # Mixed-type categories keep their order of first appearance, which filling can change.
    table_spec = SimpleNamespace(categories=["Leeds", 7, "Bath"])
    engine_spec = SimpleNamespace(categories=[7, "Bath", "Leeds"])
    assert _category_codes(engine_spec, table_spec).tolist() == [1, 2, 0]


def test_a_filled_column_keeps_its_category_shares(model):
    shares = model.sample(10_000, random_state=0)["city"].value_counts(normalize=True)
    placed = shares.sum()
    for city, share in CITY_SHARES.items():
        assert abs(shares.get(city, 0.0) / placed - share) < 0.15, shares.to_dict()


def test_conditions_on_a_filled_member_are_refused_and_on_the_when_column_kept(model):
    assert model.condition_values("city") == []
    with pytest.raises(ValueError, match="cannot condition on column 'city'.*missing-together group"):
        model.sample(5, conditions={"city": "York"})
    rows = model.sample(200, conditions={"a": float("nan")}, random_state=0)
    assert rows["a"].isna().all() and rows["b"].isna().all()
    rows = model.sample(200, conditions={"placed": False}, random_state=0)
    assert rows[["salary", "city", "remote"]].isna().all().all()


def test_a_declared_group_may_have_discrete_members(table):
    declared = [MissingTogether(("city", "remote"))]
    records = detected(table, constraints=declared)
    assert records[0] == MissingTogether(("city", "remote"))
    rows = TabularGAN(**TINY, random_state=0).fit(table, constraints=declared).sample(2000, random_state=0)
    assert (rows["city"].isna() == rows["remote"].isna()).all()


def test_a_member_cannot_also_say_when_another_group_is_missing():
    group, reader = MissingTogether(("a", "b")), MissingTogether(("salary",), "a", (None,))
    roles = Roles()
    roles.add(group)
    assert (
        roles.conflict(reader)
        == "'a' is a member of a, b: missing together, whose missing values the model fills"
    )
    roles = Roles()
    roles.add(reader)
    assert roles.conflict(group) == "'a' is already used by salary: missing together, exactly when a is NaN"
    roles = Roles()
    roles.add(group)
    assert "'a' is a member" in roles.conflict(RangeByCategory("noise", "a"))


def test_save_and_load_keep_the_groups(model, tmp_path):
    path = tmp_path / "model.safetensors"
    model.save(path)
    loaded = load(path)
    assert loaded.constraints_ == model.constraints_
    pd.testing.assert_frame_equal(loaded.sample(500, random_state=3), model.sample(500, random_state=3))


KINDS = {
    "float": lambda rng, n: pd.Series(rng.normal(size=n)),
    "int": lambda rng, n: pd.Series(rng.integers(0, 1000, n)).astype("Int64"),
    "object": lambda rng, n: pd.Series(rng.choice(["u", "v", "w"], n), dtype=object),
    "category": lambda rng, n: pd.Series(rng.choice(["u", "v"], n)).astype("category"),
    "boolean": lambda rng, n: pd.Series(rng.random(n) < 0.5, dtype="boolean"),
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    kinds=st.lists(st.sampled_from(sorted(KINDS)), min_size=2, max_size=4),
    n=st.integers(40, 90),
    seed=st.integers(0, 2**16),
)
def test_any_kinds_missing_together_are_detected_and_kept(kinds, n, seed):
    rng = np.random.default_rng(seed)
    missing = np.zeros(n, bool)
    missing[rng.permutation(n)[: n // 3]] = True
    columns = {f"g{i}_{kind}": KINDS[kind](rng, n).mask(missing) for i, kind in enumerate(kinds)}
    frame = pd.DataFrame({**columns, "noise": rng.normal(size=n)})
    model = TabularGAN(**dict(TINY, epochs=1), random_state=0).fit(frame)
    grouped = {name for record in model.constraints_ for name in record.all_columns}
    assert grouped == set(columns), model.constraints_
    rows = model.sample(300, random_state=seed)
    assert list(rows.dtypes) == list(frame.dtypes)
    absent = rows[list(columns)].isna()
    assert (absent.all(axis=1) == absent.any(axis=1)).all()
