"""Property-based fuzzing of GANOversampler and evaluate: success, or a gansynth error, never a foreign one.

A "gansynth error" is an instance of :class:`gansynth.GansynthError`: the common base of the
errors gansynth's own checks raise (``InputError`` and ``InputTypeError``, which are also
``ValueError`` and ``TypeError``, ``ModelFileError``, ``TableFileError``...). Nothing here
catches anything broader, so a numpy, pandas, scikit-learn or torch error escaping from deep
inside fails the test, and hypothesis shrinks it to a minimal example.
"""

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gansynth import GANOversampler, GansynthError, TabularGAN, evaluate

from .test_tabular_fuzz import FUZZ, column

FUZZ_SETTINGS = dict(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

# Label pools, from ordinary to odd: numpy and scikit-learn sort labels, so None, NaN and a mix
# of text and numbers are where foreign errors came from.
LABEL_POOLS = {
    "ints": [0, 1, 2],
    "strings": ["a", "b"],
    "one class": ["a"],
    "with None": ["a", "b", None],
    "NaN floats": [0.0, 1.0, np.nan],
    "NaN in text": ["a", "b", np.nan],
    "text and numbers": ["a", 1],
    "continuous": [0.5, 1.0, 2.25],
    "booleans": [True, False],
}


@st.composite
def tables(draw, sizes):
    """A mixed table (see ``test_tabular_fuzz``) with a row count drawn from ``sizes``."""
    n = draw(st.sampled_from(sizes))
    width = draw(st.integers(1, 4))
    return pd.DataFrame({f"c{i}": draw(column(n)).reset_index(drop=True) for i in range(width)})


# Mostly enough rows for two classes to resample from; a few tiny or empty tables.
ROWS = [0, 1, 3, *range(6, 26)]


@st.composite
def labels(draw, n):
    # Ordinary labels half the time, so that the resampling itself is fuzzed too.
    pool = draw(st.sampled_from(["ints", "strings", "booleans"] * 2 + sorted(LABEL_POOLS)))
    event(f"y: {pool}")
    values = draw(st.lists(st.sampled_from(LABEL_POOLS[pool]), min_size=n, max_size=n))
    form = draw(st.sampled_from(["list", "array", "series"]))
    if form == "array":
        return np.array(
            values, dtype=object if pool in ("with None", "NaN in text", "text and numbers") else None
        )
    return pd.Series(values) if form == "series" else values


def _names_the_problem(message: str, columns) -> bool:
    return any(f"'{c}'" in message for c in columns) or any(
        word in message for word in ("y ", "X ", "table", "row", "class", "label")
    )


@settings(max_examples=30, **FUZZ_SETTINGS)
@given(data=st.data())
def test_oversampler_on_mixed_tables_and_odd_labels_succeeds_or_refuses_clearly(data):
    frame = data.draw(tables(ROWS))
    y = data.draw(labels(len(frame) + data.draw(st.sampled_from([0, 0, 0, 0, 1]))))
    sampler = GANOversampler(
        generator=TabularGAN(**FUZZ),
        quality_filter=data.draw(st.sampled_from([None, "nearest"])),
        per_class=data.draw(st.booleans()),
        random_state=0,
    )
    original = frame.copy()
    try:
        X_new, y_new = sampler.fit_resample(frame, y)
    except GansynthError as error:
        event(f"refused: {str(error)[:45]}")
        assert _names_the_problem(str(error), frame.columns), str(error)
        return
    finally:
        pd.testing.assert_frame_equal(frame, original)
    event("resampled")
    assert len(X_new) == len(y_new) >= len(frame)
    pd.testing.assert_frame_equal(X_new.iloc[: len(frame)], original)
    assert list(y_new[: len(frame)]) == list(y)


@st.composite
def evaluation_tables(draw):
    """A real table, and a synthetic one: a shuffled copy, an unrelated table, or a damaged copy."""
    real = draw(tables(ROWS))
    change = draw(
        st.sampled_from(["copy", "unrelated", "inf", "all NaN", "empty", "dropped column", "extra column"])
    )
    event(f"synthetic: {change}")
    synthetic = real.sample(frac=1.0, random_state=0).reset_index(drop=True)
    name = draw(st.sampled_from(list(real.columns)))
    if change == "unrelated":
        synthetic = pd.DataFrame({c: draw(column(len(real))).reset_index(drop=True) for c in real.columns})
    elif change == "inf" and len(real):
        synthetic[name] = pd.to_numeric(synthetic[name], errors="coerce").astype(float)
        synthetic.loc[0, name] = draw(st.sampled_from([np.inf, -np.inf]))
    elif change == "all NaN":
        synthetic[name] = np.nan
    elif change == "empty":
        synthetic = synthetic.iloc[:0]
    elif change == "dropped column":
        synthetic = synthetic.drop(columns=name)
    elif change == "extra column":
        synthetic["extra"] = 1.0
    target = draw(st.sampled_from([None, name]))
    return real, synthetic, target


@settings(max_examples=25, **FUZZ_SETTINGS)
@given(evaluation_tables())
def test_evaluate_on_mixed_tables_succeeds_or_refuses_clearly(tables_and_target):
    real, synthetic, target = tables_and_target
    try:
        report = evaluate(real, synthetic, target=target, max_rows=50, cv=2, random_state=0)
    except GansynthError as error:
        message = str(error)
        event(f"refused: {message[:45]}")
        assert (
            "`real`" in message
            or "`synthetic`" in message
            or "target" in message
            or any(f"'{c}'" in message for c in real.columns)
        ), message
        return
    event("evaluated")
    assert set(report.summary()["metric"]) >= {"column_shapes", "detection_auc"}
    assert all(isinstance(flag, str) for flag in report.flags)
