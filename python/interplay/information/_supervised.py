"""Discretising embeddings for PID with the label in mind, and the held-out check.

k-means on an embedding clusters by what varies most (a sentence's nouns, say), not by what
predicts the label, and the plug-in PID of those clusters can miss nearly all of I(X1,X2;Y). The
BROJA atoms of a discretisation T1(X1), T2(X2) equal those of (X1, X2) when
p(y | x1) = p(y | T1), p(y | x2) = p(y | T2) and p(y | x1, x2) = p(y | T1, T2): unique information
depends on each source only through its channel up to Blackwell equivalence (Bertschinger et al.
2014), and the synergy through I(X1,X2;Y). So each modality is described by what cross-fitted
classifiers say about y: its unimodal posterior, and the posterior of a joint classifier when it
is paired with each of a fixed set of reference partners from the other modality, and these
profiles are clustered. Under XOR the unimodal posterior is flat but the profile flips with the
modality's bit; under redundancy the joint classifier may ignore one modality, but its
unimodal posterior keeps the label.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from .._threads import blas_limit

N_REFERENCE = 32  # reference partners of the profile
HIDDEN = 64  # units of each classifier's hidden layer
PCA_DEFAULT = 64  # input dimension of the classifiers (PCA, whitened)


def _sklearn() -> Any:
    try:
        import sklearn  # noqa: F401, PLC0415
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("pid_from_embeddings needs scikit-learn: "
                          "pip install 'interplay[embeddings]'") from exc
    from sklearn import cluster, decomposition, exceptions, model_selection, neural_network  # noqa: PLC0415
    return cluster, decomposition, exceptions, model_selection, neural_network


def _whiten(arr: np.ndarray, dim: int | None, seed: int) -> np.ndarray:
    """PCA to at most ``dim`` whitened components (unsupervised: fitted on all rows, no labels)."""
    _, decomposition, *_ = _sklearn()
    dim = min(dim or PCA_DEFAULT, arr.shape[1], arr.shape[0] - 1)
    out = decomposition.PCA(n_components=max(dim, 1), whiten=True,
                            random_state=seed).fit_transform(arr)
    return np.nan_to_num(out)


def crossfit(a1: np.ndarray, a2: np.ndarray, y: np.ndarray, *, folds: int, seed: int,
             profiles: bool) -> dict[str, np.ndarray]:
    """Held-out posteriors of y given x1, x2 and (x1, x2) from ``folds``-fold cross-fitting
    (one-hidden-layer MLPs, scikit-learn); with ``profiles`` also each sample's profile: the
    joint classifier's posteriors with its x1 paired with N_REFERENCE fixed x2 (and vice versa).
    No sample's label reaches a classifier that predicts it."""
    _, _, exceptions, model_selection, neural_network = _sklearn()
    n, classes = y.size, int(y.max()) + 1
    rng = np.random.default_rng(seed)
    ref = rng.choice(n, size=min(N_REFERENCE, n), replace=False)
    out = {k: np.zeros((n, classes)) for k in ("x1", "x2", "joint")}
    if profiles:
        out["profile1"] = np.zeros((n, ref.size, classes))
        out["profile2"] = np.zeros((n, ref.size, classes))

    def fit(x: np.ndarray, tr: np.ndarray) -> Any:
        # full-batch L-BFGS: Adam with early stopping halted on XOR's plateau (held-out
        # accuracy 0.71-0.99 by split on MiniLM); L-BFGS reached 1.00 in 30-40 iterations
        m = neural_network.MLPClassifier((HIDDEN,), solver="lbfgs", alpha=1.0, max_iter=100,
                                         random_state=seed)
        return m.fit(x[tr], y[tr])

    def proba(m: Any, x: np.ndarray) -> np.ndarray:
        p = np.zeros((x.shape[0], classes))
        p[:, m.classes_] = m.predict_proba(x)
        return p

    split = model_selection.StratifiedKFold(folds, shuffle=True, random_state=seed)
    with warnings.catch_warnings(), blas_limit():  # two BLAS threads spin against each other
        warnings.simplefilter("ignore", exceptions.ConvergenceWarning)
        for tr, te in split.split(a1, y):
            out["x1"][te] = proba(fit(a1, tr), a1[te])
            out["x2"][te] = proba(fit(a2, tr), a2[te])
            a12 = np.hstack([a1, a2])
            m = fit(a12, tr)
            out["joint"][te] = proba(m, a12[te])
            if profiles:
                k = te.size
                pair = np.hstack([np.repeat(a1[te], ref.size, 0), np.tile(a2[ref], (k, 1))])
                out["profile1"][te] = proba(m, pair).reshape(k, ref.size, classes)
                pair = np.hstack([np.tile(a1[ref], (k, 1)), np.repeat(a2[te], ref.size, 0)])
                out["profile2"][te] = proba(m, pair).reshape(k, ref.size, classes)
    return out


def profile_clusters(marginal: np.ndarray, profile: np.ndarray, k: int, seed: int,
                     n_init: int) -> np.ndarray:
    """k-means on [sqrt(R) p(y | x), p(y | x, partner_r) for r < R]: the unimodal posterior
    weighted as much as the R joint posteriors together."""
    cluster, *_ = _sklearn()
    r = profile.shape[1]
    feats = np.hstack([np.sqrt(r) * marginal, profile.reshape(profile.shape[0], -1)])
    return cluster.KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(feats)


def heldout_information(post: np.ndarray, y: np.ndarray, base: float, bins: int = 5) -> float:
    r"""I(f(X); Y) of a held-out posterior f(x) = p_hat(y | x), coarse-grained to (predicted class,
    confidence quantile bin), plug-in with the Miller-Madow correction

    .. math:: \hat I = \hat I_{plug-in} - (m_{fy} - m_f - m_y + 1) / (2 n \ln b)

    (m: occupied cells; Miller 1955). By data processing I(f(X); Y) <= I(X; Y), so this is an
    estimate of a lower bound on the information in X, and it does not need calibrated
    posteriors."""
    conf = post.max(axis=1)
    edges = np.unique(np.quantile(conf, np.linspace(0, 1, bins + 1)[1:-1]))
    code = post.argmax(axis=1) * (edges.size + 1) + np.searchsorted(edges, conf, side="right")
    _, c = np.unique(code, return_inverse=True)
    _, t = np.unique(y, return_inverse=True)
    joint = np.zeros((c.max() + 1, t.max() + 1))
    np.add.at(joint, (c.reshape(-1), t.reshape(-1)), 1.0)
    n = y.size
    joint /= n
    pc, pt = joint.sum(1, keepdims=True), joint.sum(0, keepdims=True)
    nz = joint > 0
    mi = float(np.sum(joint[nz] * np.log(joint[nz] / (pc @ pt)[nz])))
    mi -= (nz.sum() - (pc > 0).sum() - (pt > 0).sum() + 1) / (2.0 * n)
    return mi / np.log(base)
