"""Sparse games of issue 17, in plain NumPy (imported by bench_sparse.py in interplay's Python
and by _spex_child.py in the shapiq 1.8.0 Python, so both explain the same game).

A sum of `terms` distinct unanimity games of orders 1..4 (uniform), coefficients N(0, 1), plus
optional dense noise: a fixed N(0, (noise * Var v)) value per coalition, a hash of its bits
(the same value whenever the coalition is asked again; dense in every basis).
"""

from __future__ import annotations

import time

import numpy as np


class SparseGame:
    def __init__(self, n: int, terms: int, seed: int, noise: float = 0.0) -> None:
        rng = np.random.default_rng(seed)
        self.n_players = n
        sets, seen = [], set()
        while len(sets) < terms:
            s = tuple(sorted(int(p) for p in rng.choice(n, size=int(rng.integers(1, 5)),
                                                         replace=False)))
            if s not in seen:
                seen.add(s)
                sets.append(s)
        self.sets = sets
        self.coef = rng.normal(size=terms)
        self.sd = 0.0
        if noise:
            C = np.random.default_rng(seed + 1).random((4000, n)) < 0.5
            self.sd = float(np.sqrt(noise * self.clean(C).var()))
        self.cpu = 0.0  # CPU seconds spent inside the game
        self.rows = 0

    def clean(self, C: np.ndarray) -> np.ndarray:
        out = np.zeros(C.shape[0])
        for s, c in zip(self.sets, self.coef):
            out += c * C[:, list(s)].all(axis=1)
        return out

    def _noise(self, C: np.ndarray) -> np.ndarray:
        packed = np.packbits(np.ascontiguousarray(C), axis=1)
        pad = (-packed.shape[1]) % 8
        # SPEX hands over Fortran-ordered coalitions: make the bytes contiguous before the view
        words = np.ascontiguousarray(np.pad(packed, ((0, 0), (0, pad)))).view("<u8")
        h = np.full(C.shape[0], 0x243F6A8885A308D3, dtype=np.uint64)
        u = []
        with np.errstate(over="ignore"):
            for salt in (1, 2):
                x = h ^ np.uint64(salt)
                for w in range(words.shape[1]):
                    x = x ^ words[:, w]
                    x = x + np.uint64(0x9E3779B97F4A7C15)
                    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
                    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
                    x = x ^ (x >> np.uint64(31))
                u.append(((x >> np.uint64(11)).astype(np.float64) + 0.5) / float(1 << 53))
        return np.sqrt(-2 * np.log(u[0])) * np.cos(2 * np.pi * u[1])

    def __call__(self, C) -> np.ndarray:
        t = time.process_time()
        C = np.asarray(C, dtype=bool)
        out = self.clean(C)
        if self.sd:
            out = out + self.sd * self._noise(C)
        self.cpu += time.process_time() - t
        self.rows += C.shape[0]
        return out

    def top(self, k: int = 20) -> list[tuple[int, ...]]:
        order = np.argsort(-np.abs(self.coef))[:k]
        return [self.sets[i] for i in order]


def holdout(n: int, seed: int = 12345, m: int = 2000) -> np.ndarray:
    return np.random.default_rng(seed).random((m, n)) < 0.5


def predict(moebius: dict, C: np.ndarray) -> np.ndarray:
    """v_hat(C) = sum_{S subset C} m(S) for a dict {players tuple: coefficient}."""
    out = np.zeros(C.shape[0])
    for s, c in moebius.items():
        out += c * (C[:, list(s)].all(axis=1) if s else 1.0)
    return out


def score(game: SparseGame, moebius: dict) -> dict:
    """R^2 on 2,000 held-out uniform coalitions (against the game as evaluated, noise included)
    and recall of the true top-20 sets among the recovered ones."""
    C = holdout(game.n_players)
    cpu, rows = game.cpu, game.rows
    y = game(C)
    game.cpu, game.rows = cpu, rows  # scoring is not the method's game time
    yh = predict(moebius, C)
    r2 = 1.0 - float(((y - yh) ** 2).sum() / ((y - y.mean()) ** 2).sum())
    found = {tuple(sorted(int(p) for p in s)) for s, c in moebius.items() if abs(c) > 1e-10}
    top = game.top(min(20, len(game.sets)))
    return {"r2": r2, "recall": float(np.mean([t in found for t in top])),
            "support": len(found)}
