"""The encoded training rows, with each grouped categorical block held as one code per row.

A grouped column's one-hot block is up to ``max_categories`` wide; stored densely it would cost
``4 * max_categories`` bytes per row (2 GB for 500,000 rows at 1,000 slots). Held as codes, it
costs 8 bytes per row, and :meth:`EncodedRows.__getitem__` rebuilds the one-hot for a training
batch only. Without grouped columns the rows are the dense matrix itself, indexed as before.
"""

from __future__ import annotations

import numpy as np
import torch


class EncodedRows:
    """Rows of the encoded matrix: a dense part plus one-hot blocks held as codes.

    Parameters
    ----------
    dense : torch.Tensor of shape (n_rows, n_dense)
        The matrix's columns outside the coded blocks, in matrix order.
    dense_columns : torch.Tensor of shape (n_dense,)
        Where each dense column sits in the matrix.
    codes : torch.Tensor of shape (n_rows, n_blocks)
        The active slot of each coded block, per row.
    code_starts : torch.Tensor of shape (n_blocks,)
        Where each coded block starts in the matrix.
    width : int
        The matrix's width.
    """

    def __init__(self, dense, dense_columns, codes, code_starts, width: int):
        self.dense = torch.as_tensor(dense)
        self.dense_columns = torch.as_tensor(dense_columns, dtype=torch.long, device=self.dense.device)
        self.codes = torch.as_tensor(codes, dtype=torch.long, device=self.dense.device)
        self.code_starts = torch.as_tensor(code_starts, dtype=torch.long, device=self.dense.device)
        self.width = int(width)

    def __len__(self) -> int:
        return len(self.dense)

    @property
    def device(self) -> torch.device:
        return self.dense.device

    def to(self, device) -> EncodedRows:
        return EncodedRows(
            self.dense.to(device), self.dense_columns, self.codes.to(device), self.code_starts, self.width
        )

    def __getitem__(self, rows: torch.Tensor) -> torch.Tensor:
        """The matrix rows ``rows``, coded blocks one-hot again."""
        if not len(self.code_starts):
            return self.dense[rows]
        batch = self.dense.new_zeros((len(rows), self.width))
        batch[:, self.dense_columns] = self.dense[rows]
        return batch.scatter_(1, self.code_starts + self.codes[rows], 1.0)

    def block_codes(self, start: int, width: int) -> np.ndarray:
        """The active slot per row of the one-hot block at ``start``, coded or dense."""
        coded = (self.code_starts == start).nonzero()
        if len(coded):
            return self.codes[:, int(coded[0, 0])].cpu().numpy()
        first = int(torch.searchsorted(self.dense_columns, start))
        return self.dense[:, first : first + width].argmax(dim=1).cpu().numpy()

    def matrix(self) -> np.ndarray:
        """The whole dense matrix (``n_rows x width`` float32; large when blocks are coded)."""
        if not len(self.code_starts):
            return self.dense.cpu().numpy()
        return self[torch.arange(len(self), device=self.device)].cpu().numpy()
