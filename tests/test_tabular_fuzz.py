"""Property-based fuzzing of TabularGAN's tabular input: any mixed table either fits and samples
with its dtypes kept, or is refused with a ValueError naming the column."""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gansynth import TabularGAN

from .conftest import TINY

FUZZ = dict(
    TINY,
    epochs=1,
    batch_size=20,
    pac=2,
    generator_dim=(8,),
    discriminator_dim=(8,),
    embedding_dim=4,
    max_modes=3,
)

finite_floats = st.floats(min_value=-1e9, max_value=1e9) | st.sampled_from([0.0, 0.5, 3.0])
floats = finite_floats | st.sampled_from([np.inf, -np.inf, np.nan])


@st.composite
def column(draw, n, clean=False):
    """A column of one kind; ``clean`` leaves out what fit refuses (infinities, all missing)."""
    kind = draw(st.sampled_from(["float", "int", "bool", "text", "category", "date"]))
    nan_rate = draw(st.sampled_from([0.0, 0.0, 0.3] if clean else [0.0, 0.0, 0.3, 1.0]))
    missing = np.array(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool) & (nan_rate > 0)
    if nan_rate == 1.0:
        missing[:] = True
    if kind == "float":
        values = pd.Series(
            draw(st.lists(finite_floats if clean else floats, min_size=n, max_size=n)), dtype=float
        )
    elif kind == "int":
        values = pd.Series(draw(st.lists(st.integers(-1000, 1000), min_size=n, max_size=n)), dtype="int64")
        if missing.any():
            values = values.astype(float)
    elif kind == "bool":
        values = pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
        if missing.any():
            values = values.astype(object)
    elif kind == "text":
        values = pd.Series(
            draw(st.lists(st.sampled_from(["a", "b", "ç", "", " "]), min_size=n, max_size=n)), dtype=object
        )
    elif kind == "category":
        values = pd.Series(
            pd.Categorical(draw(st.lists(st.sampled_from(["x", "y"]), min_size=n, max_size=n)))
        )
    else:
        days = draw(st.lists(st.integers(0, 3650), min_size=n, max_size=n))
        values = pd.Series(pd.to_datetime("2000-01-01") + pd.to_timedelta(days, unit="D"))
    if clean and missing.all():  # a clean column keeps one value (clean tables have rows)
        missing[0] = False
    return values.mask(missing) if missing.any() else values


@st.composite
def tables(draw, clean=False):
    n = draw(st.integers(4, 25) if clean else st.integers(0, 25))
    width = draw(st.integers(1, 4))
    return pd.DataFrame({f"c{i}": draw(column(n, clean)).reset_index(drop=True) for i in range(width)})


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(tables())
def test_any_table_fits_and_samples_with_its_dtypes_or_is_refused_clearly(frame):
    original = frame.copy()
    try:
        model = TabularGAN(**FUZZ, random_state=0).fit(frame)
    except ValueError as error:
        event("refused")
        message = str(error)
        assert "empty" in message or "row" in message or any(f"'{c}'" in message for c in frame.columns), (
            message
        )
        return
    finally:
        pd.testing.assert_frame_equal(frame, original)  # the input is never modified
    event("fitted")
    sample = model.sample(7, random_state=0)
    assert list(sample.columns) == list(frame.columns)
    pd.testing.assert_series_equal(sample.dtypes, frame.dtypes)
    for name in frame.columns:
        if not frame[name].isna().any():
            assert not sample[name].isna().any(), name
        if isinstance(frame[name].dtype, pd.CategoricalDtype) or frame[name].dtype == object:
            assert set(sample[name].dropna()) <= set(frame[name].dropna()), name


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(tables(clean=True), st.data())
def test_a_condition_on_any_training_value_is_kept_exactly_or_refused_by_name(frame, data):
    model = TabularGAN(**FUZZ, random_state=0).fit(frame)
    name = data.draw(st.sampled_from(list(frame.columns)))
    value = data.draw(st.sampled_from(frame[name].tolist()))
    try:
        rows = model.sample(6, conditions={name: value}, random_state=0)
    except ValueError as error:
        event("refused")
        assert f"'{name}'" in str(error), str(error)
        return
    event("kept")
    pd.testing.assert_series_equal(rows.dtypes, frame.dtypes)
    if pd.isna(value):
        assert rows[name].isna().all(), (name, value, rows[name].tolist())
    else:
        assert (rows[name] == value).all(), (name, value, rows[name].tolist())
