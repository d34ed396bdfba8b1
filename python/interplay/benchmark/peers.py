"""shap's and captum's Shapley value samplers as benchmark estimators (their own classes).

A game on n players is handed to them as a model of n binary features explained at x = (1, ..., 1)
against the single background row b = (0, ..., 0): the masked input with the features of T taken
from x is the indicator of T, so f(1_T) = v(T) and the value the explainer estimates,
phi_i = sum_T w(T) [f(x_{T+i}, b_{rest}) - f(x_T, b_{rest})], is the Shapley value of v
(Lundberg and Lee 2017, "A unified approach to interpreting model predictions", Sec. 4). Budgets
are game evaluations; each class is given the setting of its own that spends that many (the
``n_evaluations`` column of a row records what it actually asked for).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable

import numpy as np

__all__ = ["PEER_ESTIMATORS", "installed", "run_peer"]

#: library -> its Shapley value samplers run by the benchmark (order 1: they estimate SV only)
PEER_ESTIMATORS: dict[str, tuple[str, ...]] = {
    "shap": ("KernelExplainer", "PermutationExplainer", "SamplingExplainer"),
    "captum": ("ShapleyValueSampling", "KernelShap"),
}


def installed(library: str) -> bool:
    """Whether ``library`` ("shap" or "captum") can be imported (checked without importing it)."""
    if library not in PEER_ESTIMATORS:
        raise ValueError(f"library must be one of {sorted(PEER_ESTIMATORS)}, got {library!r}")
    return importlib.util.find_spec(library) is not None and (
        library != "captum" or importlib.util.find_spec("torch") is not None)


def run_peer(library: str, cls: str, game: Callable[[np.ndarray], np.ndarray], n_players: int,
             budget: int, seed: int) -> tuple[np.ndarray, float]:
    r"""Estimate the Shapley values of ``game`` with ``library``'s class ``cls``.

    Each class is given the setting of its own that spends ``budget`` game evaluations:

    - shap ``KernelExplainer``: ``nsamples = budget - 2`` coalitions (the empty and the full
      coalition are evaluated apart), ``l1_reg=False`` (shap's default, ``"num_features(10)"``,
      keeps 10 features by a Lasso path above 10 players: feature selection, not the estimator);
      seeded through NumPy's global generator (restored afterwards);
    - shap ``PermutationExplainer``: ``max_evals = budget`` (antithetic permutations of 2n + 1
      evaluations each; fewer than 2n + 1 raise), ``seed``;
    - shap ``SamplingExplainer``: ``nsamples = (budget - 2) // 2`` (two evaluations a sample
      after the empty and the full coalition; Strumbelj and Kononenko 2014), NumPy's global
      generator;
    - captum ``ShapleyValueSampling``: ``n_samples = (budget - 1) // n`` permutations of n
      evaluations after the baseline's, a permutation per forward call; ``KernelShap``:
      ``n_samples = budget`` coalitions (Lime with the Shapley kernel, its default linear
      regression); both seeded by ``torch.manual_seed`` inside ``torch.random.fork_rng``.

    Returns
    -------
    (values (n,), baseline) where baseline is the explainer's v(empty) (its expected value).
    """
    if library not in PEER_ESTIMATORS or cls not in PEER_ESTIMATORS[library]:
        raise ValueError(f"cls must be one of {PEER_ESTIMATORS.get(library, ())} for library "
                         f"{library!r}, got {cls!r}")
    n, budget, seed = int(n_players), int(budget), int(seed)

    def f(X: np.ndarray) -> np.ndarray:  # features in {0, 1}: the coalition's indicator
        return np.asarray(game(np.asarray(X) > 0.5), dtype=np.float64)

    x, b = np.ones((1, n)), np.zeros((1, n))
    if library == "shap":
        import shap

        state = np.random.get_state()
        try:
            np.random.seed(seed)
            if cls == "KernelExplainer":
                e = shap.KernelExplainer(f, b)
                phi = e.shap_values(x, nsamples=max(budget - 2, 1), l1_reg=False, silent=True)
                return np.asarray(phi, dtype=np.float64).reshape(n), float(np.ravel(
                    e.expected_value)[0])
            if cls == "PermutationExplainer":
                e = shap.PermutationExplainer(f, shap.maskers.Independent(b, max_samples=1),
                                              seed=seed)
                out = e(x, max_evals=budget, silent=True)
                return (np.asarray(out.values, dtype=np.float64).reshape(n),
                        float(np.ravel(out.base_values)[0]))
            e = shap.SamplingExplainer(f, b)
            phi = e.shap_values(x, nsamples=max((budget - 2) // 2, 1), silent=True)
            return np.asarray(phi, dtype=np.float64).reshape(n), float(np.ravel(
                e.expected_value)[0])
        finally:
            np.random.set_state(state)
    import torch
    from captum import attr

    def forward(X: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(f(X.detach().cpu().numpy()))

    xt, bt = torch.ones((1, n), dtype=torch.float64), torch.zeros((1, n), dtype=torch.float64)
    with torch.random.fork_rng(devices=[]), torch.no_grad():
        torch.manual_seed(seed)
        if cls == "ShapleyValueSampling":
            phi = attr.ShapleyValueSampling(forward).attribute(
                xt, baselines=bt, n_samples=max((budget - 1) // n, 1), perturbations_per_eval=n)
        else:
            phi = attr.KernelShap(forward).attribute(
                xt, baselines=bt, n_samples=budget, perturbations_per_eval=min(budget, 1024))
    return phi.detach().numpy().astype(np.float64).reshape(n), float(f(b)[0])
