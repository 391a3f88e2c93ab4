"""TabularGAN's public sampling methods: whole tables, chunks, and files.

:class:`TabularSampling` is a mixin: it checks a call's arguments and draws its seed, and
:mod:`gansynth.tabular.decoding` does the rest. It needs the fitted model's ``generator_``,
``columns_``, ``_logic_``, ``_sample_stream_`` and ``clip``.
"""

from __future__ import annotations

import numbers
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

from gansynth._random import draw_seed
from gansynth.errors import InputError
from gansynth.io.tables import write_table_chunks
from gansynth.tabular.conditions import numeric_condition_values
from gansynth.tabular.decoding import sample_chunks
from gansynth.tabular.schema import category_template

# Rows per chunk when streaming: a chunk of a 20-column table is tens of megabytes while it is
# decoded, and a Parquet row group of this size compresses well.
DEFAULT_CHUNK_SIZE = 100_000


class TabularSampling:
    """``sample``, ``iter_samples``, ``sample_to`` and ``condition_values`` of a fitted
    :class:`~gansynth.TabularGAN`."""

    def condition_values(self, column) -> list:
        """The values ``column`` can take in ``sample(conditions={column: value})``.

        Parameters
        ----------
        column : str or int
            A column of the training table.

        Returns
        -------
        list
            A discrete column's categories; a derived column's values (a functional dependency
            in ``constraints_``); a numeric or datetime column's spikes, the values its rows pile
            up on. NaN comes last where the column has missing values. Empty when the column
            cannot be a condition: a numeric column without spikes or missing values, or one that
            the table's logic models through another column.
        """
        check_is_fitted(self, "generator_")
        specs = {spec.name: spec for spec in self.columns_}
        if column not in specs:
            raise InputError(f"unknown column {column!r}; the columns are {list(specs)}")
        spec = specs[column]
        missing = [float("nan")] if spec.has_nan else []
        derived = self._logic_.dependencies.get(column)
        if derived is not None:
            return list(dict.fromkeys(value for _, value, _ in derived.lookup if value is not None)) + missing
        if self._logic_.reshaping(column) is not None:
            return []
        if spec.is_discrete:
            return list(spec.categories) + missing
        return numeric_condition_values(self.transformer_, column)

    def sample(self, n, conditions=None, random_state=None, clip=None):
        """Generate rows.

        Parameters
        ----------
        n : int
            Number of rows.
        conditions : dict or None, default=None
            ``{discrete column: value}`` or ``{discrete column: sequence of n values}``. The rows
            are generated through the conditional vector (never by rejection) and carry exactly
            these values; a value grouped as "other" (see ``max_categories``) conditions the
            generator on "other". A column derived from others (a functional dependency in
            ``constraints_``) can be a condition too, whatever its kind: its determinants are
            conditioned on a training combination that gives the value. A numeric or datetime
            column can be conditioned on a value its rows pile up on (a spike, such as 0 in a
            zero-inflated column or 1 in a 0/1 integer label), or on NaN when it has missing
            values: the spike's slot of the column's mode block is set, and decodes exactly.
            Other numeric values, and columns the table's logic reshapes (an inequality, a range
            by category, a missing-together group), are refused with an error.
        random_state : int, RandomState instance or None, default=None
            Seed for this call; with it the output is reproducible, also when several threads
            sample from one model at once. Without it, successive calls continue one stream
            seeded by the constructor's ``random_state``.
        clip : bool or None, default=None
            Keep numeric values inside the training range; ``None`` uses the ``clip``
            parameter (see there).

        Returns
        -------
        pandas.DataFrame or numpy.ndarray
            ``n`` rows with the training table's columns, order and dtypes (an array when
            ``fit`` got an array).

        See Also
        --------
        iter_samples : The same rows, generated and returned a chunk at a time.
        sample_to : The same rows, written to a CSV or Parquet file a chunk at a time.
        """
        n = self._check_rows(n)
        (rows,) = self._chunks(n, max(n, 1), conditions, random_state, clip)
        return rows

    def iter_samples(
        self, n, *, chunk_size=DEFAULT_CHUNK_SIZE, conditions=None, random_state=None, clip=None
    ):
        """Generate rows a chunk at a time, holding one chunk in memory, not ``n`` rows.

        The rows do not depend on ``chunk_size``: the chunks, concatenated, equal
        ``sample(n, conditions, random_state=random_state, clip=clip)`` whenever ``random_state``
        is given (without it, each call draws its seed from the model's stream, as ``sample``
        does). The arguments are checked when this method is called, before any row is made.

        Parameters
        ----------
        n : int
            Number of rows in all.
        chunk_size : int, default=100_000
            Rows per chunk; the last chunk may be shorter.
        conditions : dict or None, default=None
            As in :meth:`sample`: a value per discrete column, or a sequence of ``n`` values.
        random_state : int, RandomState instance or None, default=None
            Seed for this call, as in :meth:`sample`.
        clip : bool or None, default=None
            Keep numeric values inside the training range; ``None`` uses the ``clip``
            parameter (see there).

        Returns
        -------
        iterator of pandas.DataFrame or numpy.ndarray
            ``ceil(n / chunk_size)`` chunks (one empty chunk when ``n`` is 0), each like
            :meth:`sample`'s output; a DataFrame chunk's index continues from the previous one.

        Examples
        --------
        >>> from gansynth import TabularGAN
        >>> from gansynth.datasets import load_student_placements
        >>> model = TabularGAN(epochs=1, verbose=False, random_state=0).fit(load_student_placements())
        >>> [len(chunk) for chunk in model.iter_samples(250, chunk_size=100, random_state=0)]
        [100, 100, 50]
        """
        n = self._check_rows(n)
        if not isinstance(chunk_size, numbers.Integral) or isinstance(chunk_size, bool) or chunk_size < 1:
            raise InputError(f"chunk_size must be a positive integer; got {chunk_size!r}")
        return self._chunks(n, int(chunk_size), conditions, random_state, clip)

    def sample_to(
        self, path, n, *, chunk_size=DEFAULT_CHUNK_SIZE, conditions=None, random_state=None, clip=None
    ):
        """Write ``n`` generated rows to a CSV or Parquet file, a chunk at a time.

        Memory is bounded by ``chunk_size``, not by ``n``. The file is written under a temporary
        name beside ``path`` and renamed when complete, so a failure or an interruption never
        leaves a partial file under ``path``. With ``random_state`` given, the file holds the
        rows ``sample(n, conditions, random_state=random_state, clip=clip)`` returns.

        Parameters
        ----------
        path : str or os.PathLike
            Destination: Parquet for ``.parquet`` or ``.pq`` (dtypes kept, one row group per
            chunk), CSV otherwise; ``"-"`` writes CSV to standard output. Missing parent
            folders are created.
        n : int
            Number of rows.
        chunk_size : int, default=100_000
            Rows generated and written at a time.
        conditions : dict or None, default=None
            As in :meth:`sample`.
        random_state : int, RandomState instance or None, default=None
            As in :meth:`sample`.
        clip : bool or None, default=None
            As in :meth:`sample`.

        Returns
        -------
        pathlib.Path or str
            The path written (``"-"`` for standard output).

        Raises
        ------
        gansynth.io.tables.TableFileError
            If the file cannot be written (a ``ValueError``; Parquet also needs pyarrow).
        """
        chunks = self.iter_samples(
            n, chunk_size=chunk_size, conditions=conditions, random_state=random_state, clip=clip
        )
        frames = (pd.DataFrame(chunk) if isinstance(chunk, np.ndarray) else chunk for chunk in chunks)
        write_table_chunks(frames, path, types_from=category_template(self.columns_))
        return path if str(path) == "-" else Path(path)

    def _check_rows(self, n) -> int:
        check_is_fitted(self, "generator_")
        if not isinstance(n, numbers.Integral) or isinstance(n, bool) or n < 0:
            raise InputError(f"n must be a non-negative integer; got {n!r}")
        return int(n)

    def _chunks(self, n: int, chunk_size: int, conditions, random_state, clip):
        """Check the arguments and draw the call's seed now; return the lazy chunks."""
        if clip is not None and not isinstance(clip, (bool, np.bool_)):
            raise InputError(f"clip must be True, False or None; got {clip!r}")
        seed = draw_seed(random_state if random_state is not None else self._sample_stream_)
        clip = self.clip if clip is None else clip
        return sample_chunks(self, self._logic_, n, chunk_size, conditions, seed, clip)
