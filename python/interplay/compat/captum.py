"""captum's Shapley attribution classes on interplay's engine: same call, same tensors.

``ShapleyValues(forward_func).attribute(inputs, baselines=, target=, feature_mask=)`` returns
the exact Shapley values captum's ``ShapleyValues`` returns (captum walks all n! permutations;
this class evaluates the 2^n coalitions once and runs :func:`interplay.exact`).
``ShapleyValueSampling`` and ``KernelShap`` estimate them with interplay's permutation and
KernelSHAP estimators (:func:`interplay.approximate`), reproducible by ``seed``.

The players are the feature groups of ``feature_mask`` (every scalar of every input when it is
None; ids shared across input tensors form one player, as in captum); an absent player's
elements take the baseline. All examples of the batch are explained in one pass (the game has
one output per example); each forward call gets at most ``perturbations_per_eval``
perturbations of the batch (captum's meaning; at most about 2^22 input elements), which does
not change the values. A forward function returning one scalar for the whole batch (a loss) is
captum's aggregate mode: the batch is one game and the attributions have first dimension 1.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from ..engine import exact
from ..estimators import approximate
from ..results import InteractionResult

__all__ = ["KernelShap", "ShapleyValueSampling", "ShapleyValues"]

#: input elements per forward call (rows x elements of one example)
CHUNK_ELEMENTS = 1 << 22


class _PerturbedBatch:
    """The game of a batch: coalitions (m, n) -> target outputs (m, B), one per example.

    Player j of example b is the set of input elements whose ``feature_mask`` id is
    ``ids[j]``; a coalition keeps its players' elements and sets the others to the baseline.
    """

    def __init__(self, forward_func: Callable, inputs: Any, baselines: Any, target: Any,
                 additional_forward_args: Any, feature_mask: Any,
                 perturbations_per_eval: int = 1) -> None:
        ppe = perturbations_per_eval
        if isinstance(ppe, bool) or not isinstance(ppe, (int, np.integer)) or ppe < 1:
            raise ValueError(f"perturbations_per_eval must be a positive integer, got {ppe!r}")
        self.per_eval = int(ppe)
        self.agg = False  # captum's aggregate mode: one scalar for the whole batch (probe)
        self.is_tuple = isinstance(inputs, tuple)
        xs = inputs if self.is_tuple else (inputs,)
        if not xs or not all(isinstance(x, torch.Tensor) for x in xs):
            raise TypeError("inputs must be a tensor or a tuple of tensors")
        self.B = int(xs[0].shape[0]) if xs[0].ndim else 0
        if self.B == 0 or any(x.ndim == 0 or x.shape[0] != self.B for x in xs):
            raise ValueError("inputs: every tensor needs the same first (example) dimension > 0")
        self.xs = tuple(x.detach() for x in xs)
        self.bases = self._baselines(baselines)
        masks = self._masks(feature_mask)
        self.mask_rows = {1} if feature_mask is None else {
            int(np.shape(fm)[0]) if np.ndim(fm) == x.ndim else 1
            for fm, x in zip(feature_mask if isinstance(feature_mask, tuple)
                             else (feature_mask,), self.xs)}
        self.ids = np.unique(np.concatenate([m.reshape(-1) for m in masks]))
        self.pos = [np.searchsorted(self.ids, m) for m in masks]  # (B, *shape[1:]) players
        self.n = len(self.ids)
        self.forward_func = forward_func
        self.target = self._target(target)
        self.out_shape: tuple = ()  # an example's outputs attributed (target None: all)
        self.out_axes = True  # False: attributions without the output axes (KernelShap)
        self.probed = False
        extra = additional_forward_args
        self.extra = () if extra is None else extra if isinstance(extra, tuple) else (extra,)

    def _baselines(self, baselines: Any) -> tuple:
        bs = baselines if isinstance(baselines, tuple) else (baselines,) * len(self.xs)
        if len(bs) != len(self.xs):
            raise ValueError(f"baselines: {len(bs)} entries for {len(self.xs)} input tensors")
        out = []
        for x, b in zip(self.xs, bs):
            b = torch.as_tensor(0 if b is None else b, dtype=x.dtype, device=x.device)
            try:
                out.append(b.expand_as(x) if b.ndim < x.ndim or b.shape[0] in (1, self.B)
                           else None)
            except RuntimeError:
                out.append(None)
            if out[-1] is None:
                raise ValueError(f"baselines: shape {tuple(b.shape)} does not match the input "
                                 f"shape {tuple(x.shape)} (give a scalar, one row or B rows)")
        return tuple(out)

    def _masks(self, feature_mask: Any) -> list[np.ndarray]:
        if feature_mask is None:  # every scalar its own player
            sizes = [int(np.prod(x.shape[1:], dtype=np.int64)) for x in self.xs]
            offs = np.cumsum([0] + sizes)
            return [np.broadcast_to(np.arange(o, o + s).reshape(x.shape[1:]), x.shape)
                    for x, o, s in zip(self.xs, offs, sizes)]
        fms = feature_mask if isinstance(feature_mask, tuple) else (feature_mask,)
        if len(fms) != len(self.xs):
            raise ValueError(f"feature_mask: {len(fms)} tensors for {len(self.xs)} inputs")
        out = []
        for x, fm in zip(self.xs, fms):
            fm = np.asarray(fm.detach().cpu() if hasattr(fm, "detach") else fm)
            if fm.dtype.kind not in "iu":
                raise TypeError(f"feature_mask must hold integer ids, got dtype {fm.dtype}")
            try:
                out.append(np.broadcast_to(fm, x.shape))
            except ValueError:
                raise ValueError(f"feature_mask: shape {fm.shape} does not broadcast to the "
                                 f"input shape {tuple(x.shape)}") from None
        return out

    def _target(self, target: Any) -> Any:
        if isinstance(target, torch.Tensor):
            target = target.tolist() if target.numel() > 1 else int(target.reshape(()))
        if isinstance(target, list) and len(target) != self.B:
            raise ValueError(f"target: {len(target)} entries for {self.B} examples")
        return target

    def probe(self) -> None:
        """captum's first forward call, on the baselines: a forward function that returns one
        scalar for the whole batch (e.g. a loss) makes the batch one game (captum's aggregate
        mode), with captum's rules: perturbations_per_eval 1, one feature mask for all
        examples (first dimension 1); attributions then have first dimension 1. A target that
        does not index the output is refused here."""
        if self.probed:
            return
        self.probed = True
        with torch.no_grad():
            out = torch.as_tensor(self.forward_func(*self.bases, *self.extra))
        if not (out.ndim == 0 or (self.B > 1 and out.numel() == 1)):
            try:  # the output rows and the target checked on this one call
                self._select(out, 1)
            except (IndexError, RuntimeError) as e:
                raise ValueError(f"target {self.target!r} does not index forward_func's "
                                 f"output of shape {tuple(out.shape)}: {e}") from None
            return
        if self.per_eval != 1:
            raise ValueError("perturbations_per_eval must be 1 when forward_func returns one "
                             "scalar per batch (captum's rule)")
        if self.mask_rows != {1}:
            raise ValueError("feature_mask: its first dimension must be 1 when forward_func "
                             "returns one scalar per batch (one feature grouping for the batch)")
        if self.target is not None:
            raise ValueError("target must be None when forward_func returns one scalar per batch")
        self.agg = True

    def _select(self, out: Any, m: int) -> torch.Tensor:
        """Target outputs (m, B), or all outputs (m, B * O) without a target, of a forward
        output with m * B rows (aggregate mode: the batch's scalar, (1, 1))."""
        out = torch.as_tensor(out)
        if self.agg:
            return out.reshape(1, 1)
        if out.ndim == 0 or out.shape[0] != m * self.B:
            raise ValueError(f"forward_func returned shape {tuple(out.shape)} for {m * self.B} "
                             "examples: one output (row) per example is needed (a scalar per "
                             "batch is not supported)")
        out = out.reshape(m, self.B, *out.shape[1:])
        t = self.target
        if t is None:  # every output of an example (captum: attributions (B, *out, *input))
            self.out_shape = tuple(out.shape[2:])
            return out.reshape(m, -1)
        if isinstance(t, list):
            return torch.stack([out[(slice(None), b) + (tuple(tb) if isinstance(tb, tuple)
                                                         else (int(tb),))]
                                for b, tb in enumerate(t)], dim=1)
        return out[(slice(None), slice(None)) + (tuple(t) if isinstance(t, tuple) else (int(t),))]

    def _extra_rows(self, m: int) -> tuple:
        """Additional tensor arguments with a first dimension of B, repeated per coalition."""
        return tuple(a.unsqueeze(0).expand(m, *a.shape).reshape(m * self.B, *a.shape[1:])
                     if isinstance(a, torch.Tensor) and a.ndim and a.shape[0] == self.B else a
                     for a in self.extra)

    def __call__(self, coalitions: np.ndarray) -> np.ndarray:
        C = np.asarray(coalitions, dtype=bool)
        per_row = self.B * sum(int(np.prod(x.shape[1:], dtype=np.int64)) for x in self.xs)
        # captum's perturbations_per_eval bounds the coalitions per forward call (aggregate
        # mode: one); so does a memory cap of about CHUNK_ELEMENTS input elements
        step = 1 if self.agg else min(self.per_eval, max(1, CHUNK_ELEMENTS // max(per_row, 1)))
        vals = []
        with torch.no_grad():
            for s in range(0, len(C), step):
                c = C[s: s + step]
                m = len(c)
                rows = []
                for x, b, pos in zip(self.xs, self.bases, self.pos):
                    keep = torch.from_numpy(np.ascontiguousarray(c[:, pos])).to(x.device)
                    rows.append(torch.where(keep, x.unsqueeze(0), b.unsqueeze(0))
                                .reshape(m * self.B, *x.shape[1:]))
                out = self.forward_func(*rows, *self._extra_rows(m))
                vals.append(self._select(out, m).detach().to("cpu", torch.float64).numpy())
        return np.concatenate(vals) if vals else np.zeros((0, 1 if self.agg else self.B))

    def attributions(self, res: InteractionResult, return_input_shape: bool = True) -> Any:
        """Each element's player's value, shaped (B, *outputs, *input shape) as captum's
        (outputs: () with a target), or (B, *outputs, n) per player."""
        vals = res.values.reshape(len(res), -1)
        phi = np.zeros((self.n, vals.shape[1]))
        for r in np.flatnonzero(res.sizes == 1):
            phi[res.players(int(r))[0]] = vals[r]
        B = 1 if self.agg else self.B  # aggregate mode: one row of attributions
        phi = phi.T.reshape(B, -1, self.n)  # (B, O, n)
        out_shape = self.out_shape if self.out_axes else ()
        if not return_input_shape:
            return torch.from_numpy(phi.reshape(B, *out_shape, self.n)).to(
                self.xs[0].device, _float(self.xs[0].dtype))
        out = tuple(torch.from_numpy(np.take_along_axis(
            phi, pos[:B].reshape(B, 1, -1), axis=2).reshape(
                B, *out_shape, *x.shape[1:])).to(x.device, _float(x.dtype))
            for x, pos in zip(self.xs, self.pos))
        return out if self.is_tuple else out[0]


def _float(dtype: Any) -> Any:
    return dtype if dtype.is_floating_point else torch.float32


class _Attribution:
    """Common constructor: captum's ``forward_func``, plus the sampling ``seed``."""

    def __init__(self, forward_func: Callable, *, seed: int | None = 0) -> None:
        if not callable(forward_func):
            raise TypeError(f"forward_func must be callable, got {type(forward_func).__name__}")
        self.forward_func = forward_func
        self.seed = seed

    def _game(self, inputs, baselines, target, additional_forward_args, feature_mask,
              perturbations_per_eval):
        return _PerturbedBatch(self.forward_func, inputs, baselines, target,
                               additional_forward_args, feature_mask, perturbations_per_eval)


class ShapleyValues(_Attribution):
    """Exact Shapley values in captum's form (``captum.attr.ShapleyValues``).

    ``phi_i = sum_{S subset of N minus {i}} |S|! (n - |S| - 1)! / n! (v(S u {i}) - v(S))``
    (Shapley 1953) of ``v(S) = f(x_S, baseline_{N minus S})[target]``, per example, from the
    2^n coalition values (:func:`interplay.exact`); captum averages the same marginal
    contributions over all n! permutations.
    """

    MAX_PLAYERS = 24

    def attribute(self, inputs: Any, baselines: Any = None, target: Any = None,
                  additional_forward_args: Any = None, feature_mask: Any = None,
                  perturbations_per_eval: int = 1, show_progress: bool = False) -> Any:
        """Attributions shaped like ``inputs`` (a tensor, or a tuple like it)."""
        game = self._game(inputs, baselines, target, additional_forward_args, feature_mask,
                          perturbations_per_eval)
        if game.n > self.MAX_PLAYERS:
            raise ValueError(f"feature_mask: {game.n} features need 2^{game.n} evaluations; "
                             f"group them (at most {self.MAX_PLAYERS}), or use "
                             "ShapleyValueSampling or KernelShap")
        game.probe()
        masks = np.arange(1 << game.n, dtype=np.int64)
        table = game(((masks[:, None] >> np.arange(game.n)) & 1).astype(bool))
        return game.attributions(exact(table, "SV", 1))


class ShapleyValueSampling(_Attribution):
    """Shapley values estimated from random permutations, in captum's form
    (``captum.attr.ShapleyValueSampling``): ``n_samples`` permutations' worth of evaluations,
    ``n_samples * n + 1`` (captum's count), given to interplay's permutation estimator
    (Castro et al. 2009) as its budget of distinct coalitions; exact once that covers 2^n.

    References
    ----------
    J. Castro, D. Gomez, J. Tejada, "Polynomial calculation of the Shapley value based on
    sampling", Computers & Operations Research 36 (2009).
    """

    METHOD = "permutation"

    def _budget(self, n_samples: int, n: int) -> int:
        return int(n_samples) * n + 1

    def attribute(self, inputs: Any, baselines: Any = None, target: Any = None,
                  additional_forward_args: Any = None, feature_mask: Any = None,
                  n_samples: int = 25, perturbations_per_eval: int = 1,
                  show_progress: bool = False, *, seed: int | None = None) -> Any:
        """Attributions shaped like ``inputs``; ``seed`` (default: the constructor's) fixes
        the draws."""
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
                or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        game = self._game(inputs, baselines, target, additional_forward_args, feature_mask,
                          perturbations_per_eval)
        return game.attributions(self._estimate(game, n_samples, seed))

    def _estimate(self, game: _PerturbedBatch, n_samples: int, seed: int | None):
        game.probe()
        budget = max(2, min(self._budget(n_samples, game.n), 1 << min(game.n, 62)))
        return approximate(game, game.n, "SV", budget, max_order=1, method=self.METHOD,
                           seed=self.seed if seed is None else seed)


class KernelShap(ShapleyValueSampling):
    """Shapley values estimated by KernelSHAP (Lundberg & Lee 2017) in captum's form
    (``captum.attr.KernelShap``): ``n_samples`` coalitions drawn from the Shapley kernel,
    weighted least squares under the efficiency constraint (interplay's "kernelshap"
    estimator); exact once ``n_samples`` covers 2^n.

    References
    ----------
    S. M. Lundberg, S.-I. Lee, "A unified approach to interpreting model predictions",
    NeurIPS 2017.
    """

    METHOD = "kernelshap"

    def _budget(self, n_samples: int, n: int) -> int:
        return int(n_samples)

    def attribute(self, inputs: Any, baselines: Any = None, target: Any = None,  # type: ignore[override]
                  additional_forward_args: Any = None, feature_mask: Any = None,
                  n_samples: int = 25, perturbations_per_eval: int = 1,
                  return_input_shape: bool = True, show_progress: bool = False, *,
                  seed: int | None = None) -> Any:
        """Attributions shaped like ``inputs``, or (B, n) per feature group with
        ``return_input_shape=False``; ``seed`` as in :class:`ShapleyValueSampling`."""
        if isinstance(n_samples, bool) or not isinstance(n_samples, (int, np.integer)) \
                or n_samples < 1:
            raise ValueError(f"n_samples must be a positive integer, got {n_samples!r}")
        game = self._game(inputs, baselines, target, additional_forward_args, feature_mask,
                          perturbations_per_eval)
        game.probe()
        if int(np.prod(game.out_shape)) != 1:  # captum's KernelShap (a Lime) has no output axes
            raise ValueError(f"target: forward_func returns {int(np.prod(game.out_shape))} "
                             "outputs per example; KernelShap needs a target selecting one "
                             "(captum's rule: one scalar per example)")
        game.out_axes = False
        return game.attributions(self._estimate(game, n_samples, seed), return_input_shape)
