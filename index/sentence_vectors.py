"""One unit vector per passage sentence, from the build's single forward pass: a passage's best sentence
ranks it (dense retrieval) and marks its answer (highlighting)."""

from __future__ import annotations

import io
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.manifest import SENTENCE_ROWS, SENTENCES


class SentenceVectors:
    """`matrix[rows[i]:rows[i + 1]]` are the sentence vectors of passage row i."""

    def __init__(self, matrix: np.ndarray, rows: np.ndarray) -> None:
        # A plain array over the memory-mapped file: slicing a np.memmap builds a memmap object each time.
        self.matrix = np.asarray(matrix)
        self.rows = rows

    def of(self, row: int) -> np.ndarray:
        first, last = int(self.rows[row]), int(self.rows[row + 1])
        return self.matrix[first:last].astype(np.float32)

    def best_similarity(self, rows: Sequence[int], cosines: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Each passage's similarity to the query: its own cosine, or its best sentence's when that is higher
        (a long passage answering in one sentence is as relevant as that sentence). One product for all rows."""
        row_ids = np.asarray(rows, dtype=np.int64)
        firsts, counts = self.rows[row_ids], self.rows[row_ids + 1] - self.rows[row_ids]
        out = np.asarray(cosines, dtype=np.float32).copy()
        has = counts > 0
        if not has.any():
            return out
        firsts, counts = firsts[has], counts[has]
        offsets = np.cumsum(counts) - counts  # where each passage's sentences start in the gathered block
        gathered = np.repeat(firsts - offsets, counts) + np.arange(int(counts.sum()))
        scores = self.matrix[gathered].astype(np.float32) @ vector
        out[has] = np.maximum(out[has], np.maximum.reduceat(scores, offsets))
        return out


def write_sentence_vectors(directory: Path, per_passage: Sequence[np.ndarray], dim: int) -> None:
    """Each passage's sentence vectors (float16) and where each passage's run of them starts, in row order."""
    counts = np.array([len(s) for s in per_passage], dtype=np.int64)
    rows = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    matrix = np.concatenate(per_passage).astype(np.float16) if len(per_passage) else np.zeros((0, dim), np.float16)
    np.save(directory / SENTENCES, matrix.reshape(-1, dim))
    np.save(directory / SENTENCE_ROWS, rows)


def write_with_appended(directory: Path, current: Path, rows: np.ndarray, added: Sequence[np.ndarray], dim: int) -> None:
    """The sentence vectors of the index in `current` (whose run starts are `rows`) with those of passages appended
    after its last row, written to `directory`: the old file is copied by the kernel, its header given the new
    shape and the new vectors appended, instead of reading the whole matrix through numpy and writing it again."""
    new = np.concatenate([np.asarray(s, dtype=np.float16).reshape(-1, dim) for s in added]) if added else np.zeros((0, dim), np.float16)
    counts = np.array([len(s) for s in added], dtype=np.int64)
    np.save(directory / SENTENCE_ROWS, np.concatenate([rows, rows[-1] + np.cumsum(counts)]).astype(np.int64))
    target = directory / SENTENCES
    shutil.copyfile(current / SENTENCES, target)
    with target.open("r+b") as handle:
        fmt = np.lib.format
        version = fmt.read_magic(handle)
        read, write = {(1, 0): (fmt.read_array_header_1_0, fmt.write_array_header_1_0),
                       (2, 0): (fmt.read_array_header_2_0, fmt.write_array_header_2_0)}.get(version, (None, None))
        shape, fortran, dtype = read(handle) if read is not None else ((0,), True, None)
        header_end = handle.tell()
        header = io.BytesIO()
        if write is not None:
            write(header, {"descr": fmt.dtype_to_descr(np.dtype(np.float16)), "fortran_order": False, "shape": (shape[0] + len(new), dim)})
        if write is None or fortran or dtype != np.float16 or len(header.getvalue()) != header_end:
            handle.close()  # an unusual header: write the file whole
            matrix = np.load(current / SENTENCES, mmap_mode="r")
            np.save(target, np.concatenate([np.asarray(matrix), new]))
            return
        handle.seek(0)
        handle.write(header.getvalue())
        handle.seek(0, io.SEEK_END)
        handle.write(np.ascontiguousarray(new).tobytes())


def of_rows(matrix: np.ndarray, rows: np.ndarray, kept: Sequence[int]) -> list[np.ndarray]:
    """The sentence vectors of the passages at rows `kept`, one array per passage, in that order."""
    return [np.asarray(matrix[rows[r] : rows[r + 1]]) for r in kept]
