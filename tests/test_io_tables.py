"""Table files: the errors a library caller gets for a missing or unreadable file."""

import pandas as pd
import pytest

from gansynth.io.tables import TableFileError, read_table, write_table


def test_missing_file_raises_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="file not found: .*missing.csv"):
        read_table(tmp_path / "missing.csv")


def test_unreadable_file_raises_a_value_error_naming_it(tmp_path):
    path = tmp_path / "garbage.csv"
    path.write_bytes(b"\x00\xff\xfe binary \x00\x01")
    with pytest.raises(TableFileError, match="cannot read .*garbage.csv as a table") as info:
        read_table(path)
    assert isinstance(info.value, ValueError)


def test_write_then_read_round_trips_csv_into_a_new_folder(tmp_path):
    frame = pd.DataFrame({"when": pd.to_datetime(["2020-01-02", "2021-03-04"]), "n": [1, 2]})
    path = tmp_path / "new" / "table.csv"
    write_table(frame, path)
    pd.testing.assert_frame_equal(read_table(path), frame)
