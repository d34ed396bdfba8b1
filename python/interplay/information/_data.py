"""PID from data: plug-in joints of integer labels, and discretised embeddings."""

from __future__ import annotations

import statistics
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import check_finite, check_int, check_numeric_array, check_real, require_memory
from ._api import pid
from ._result import PIDResult
from ._supervised import _sklearn, crossfit, heldout_information, profile_clusters, _whiten


def _labels(x: Any, name: str) -> np.ndarray:
    arr = check_numeric_array(x, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array of integer labels, got shape {arr.shape}")
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    if arr.dtype.kind == "f":
        check_finite(arr, name)
        if not np.all(arr == np.round(arr)):
            raise ValueError(f"{name} must hold integer labels, found non-integer values")
    return arr


def _encode(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values, codes = np.unique(arr, return_inverse=True)
    return values, codes.reshape(-1)


def joint_from_samples(x1: Any, x2: Any, y: Any) -> tuple[np.ndarray, tuple, tuple]:
    """Plug-in joint p(x1, x2, y) = counts / n over the observed symbols of each variable; the
    symbols and each sample's codes."""
    a = _labels(x1, "x1")
    b = _labels(x2, "x2")
    c = _labels(y, "y")
    if not (a.size == b.size == c.size):
        raise ValueError(f"x1, x2 and y must have the same length, got {a.size}, {b.size}, "
                         f"{c.size}")
    (va, ca), (vb, cb), (vc, cc) = _encode(a), _encode(b), _encode(c)
    shape = (va.size, vb.size, vc.size)
    require_memory(8 * int(np.prod(shape, dtype=np.float64)) * 12,
                   f"a joint of shape {shape}", argument="x1")
    return _plug_in((ca, cb, cc), shape, a.size), (va, vb, vc), (ca, cb, cc)


def _plug_in(codes: tuple[np.ndarray, ...], shape: tuple[int, ...], n: int) -> np.ndarray:
    """The empirical joint of n samples with these codes."""
    counts = np.zeros(shape)
    np.add.at(counts, codes, 1.0)
    return counts / n


_VALUES = ("redundancy", "unique_1", "unique_2", "synergy", "mutual_information", "mi_1", "mi_2")


def _bootstrap(res: PIDResult, codes: list[tuple[np.ndarray, ...]], shape: tuple[int, ...],
               nb: int, seed: int | None, level: float, measure: str,
               kwargs: dict[str, Any]) -> PIDResult:
    """Efron's bootstrap over the samples of each joint's codes (one joint, or a batch of
    joints on the same samples): bias-corrected values 2 a - mean_b a_b and normal intervals
    around them, +- z sd_b a_b (percentile intervals excluded the corrected value near 0, where
    every resample's plug-in atom lies above the sample's)."""
    n = codes[0][0].size
    flat = [np.ravel_multi_index(c, shape) for c in codes]
    size = int(np.prod(shape))
    rng = np.random.default_rng(seed)
    boot = np.zeros((len(codes), nb, size))
    for i in range(nb):
        idx = rng.integers(0, n, size=n)
        for j, f in enumerate(flat):
            boot[j, i] = np.bincount(f[idx], minlength=size) / n
    rb = pid(boot.reshape((len(codes), nb) + shape), measure=measure, **kwargs)
    z = statistics.NormalDist().inv_cdf(0.5 + level / 2)
    values, interval = {}, {}
    for v in _VALUES:
        a = np.asarray(getattr(res, v), dtype=float).reshape(len(codes))
        b = np.asarray(getattr(rb, v), dtype=float)
        est, half = 2 * a - b.mean(axis=1), z * b.std(axis=1, ddof=1)
        # every atom and information is >= 0: the interval is clipped there
        values[v], interval[v] = est, (np.maximum(est - half, 0.0), np.maximum(est + half, 0.0))
    gap = np.reshape(res.gap, len(codes)) + np.max(rb.gap, axis=-1)
    conv = np.logical_and(np.reshape(res.converged, len(codes)), np.all(rb.converged, axis=-1))
    if res.shape == ():
        values = {v: float(x[0]) for v, x in values.items()}
        interval = {v: (float(lo[0]), float(hi[0])) for v, (lo, hi) in interval.items()}
        gap, conv = float(gap[0]), bool(conv[0])
    out = PIDResult(**values, gap=gap, iterations=res.iterations, converged=conv,
                    measure=res.measure, base=res.base, info=dict(res.info), interval=interval)
    out.info.update(bias_correction="bootstrap", n_bootstrap=nb, seed=seed, level=level,
                    plug_in=res)
    return out


def _check_bootstrap(bias_correction: Any, n_bootstrap: Any, level: Any) -> tuple[int, float]:
    if bias_correction not in (None, "bootstrap"):
        raise ValueError(f"bias_correction must be None or 'bootstrap', got {bias_correction!r}")
    nb = check_int(n_bootstrap, "n_bootstrap", low=2)
    level = check_real(level, "level")
    if not 0.0 < level < 1.0:
        raise ValueError(f"level must be in (0, 1), got {level}")
    return nb, level


def pid_from_samples(x1: Any, x2: Any, y: Any, *, measure: str = "BROJA",
                     bias_correction: str | None = None, n_bootstrap: int = 100,
                     level: float = 0.95, seed: int | None = 0, **kwargs: Any) -> PIDResult:
    r"""PID of the plug-in (empirical) joint of integer-labelled samples.

    p(x1, x2, y) = #{i : (x1_i, x2_i, y_i) = (x1, x2, y)} / n, over the observed symbols.
    With ``bias_correction="bootstrap"`` every atom a is replaced by 2 a(p_hat) - mean_b a(p_b)
    over ``n_bootstrap`` resamples p_b (Efron's bootstrap bias correction; the identities
    between atoms are preserved since the correction is linear), and ``result.interval`` holds
    the normal interval around it at ``level``, 2 a(p_hat) - mean_b a(p_b) +- z sd_b a(p_b)
    (Efron and Tibshirani, *An Introduction to the Bootstrap*, 1993, ch. 10 and 13), clipped at
    0 (atoms are non-negative). Plug-in information is biased upwards by about (cells - 1) / (2 n ln 2) bits
    (Miller 1955), so with few samples per cell the statistical error dominates the solver's
    certified gap.

    Parameters
    ----------
    x1, x2, y : array_like of int, shape (n,)
    measure : {"BROJA", "MMI", "WB"}
    bias_correction : {None, "bootstrap"}
    n_bootstrap : int
    level : float
        Coverage of the bootstrap interval.
    seed : int or None
        Seed of the bootstrap resampling (recorded in ``info``).
    **kwargs
        Passed to :func:`interplay.pid` (method, tol, base, backend, ...).
    """
    nb, level = _check_bootstrap(bias_correction, n_bootstrap, level)
    p, symbols, codes = joint_from_samples(x1, x2, y)
    res = pid(p, measure=measure, **kwargs)
    res.info.update(n_samples=codes[0].size, alphabet=p.shape,
                    symbols=symbols, bias_correction=bias_correction)
    if bias_correction is None:
        return res
    return _bootstrap(res, [codes], p.shape, nb, seed, level, measure, kwargs)


def _matrix(z: Any, name: str) -> np.ndarray:
    arr = check_numeric_array(z, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, dim), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} has an empty axis: shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    check_finite(arr, name)
    return arr


def _kmeans(arr: np.ndarray, k: int, seed: int, pca: int | None, n_init: int) -> np.ndarray:
    """Liang et al.'s discretisation: rows L2-normalised, optional PCA, k-means."""
    cluster, decomposition, *_ = _sklearn()
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    arr = arr / np.where(norms > 0, norms, 1.0)
    if pca is not None and pca < arr.shape[1]:
        arr = decomposition.PCA(n_components=min(pca, arr.shape[0]),
                                random_state=seed).fit_transform(arr)
    return cluster.KMeans(n_clusters=k, n_init=n_init, random_state=seed).fit_predict(arr)


DISCRETIZE = ("supervised", "kmeans")


def pid_from_embeddings(z1: Any, z2: Any = None, y: Any = None, *,
                        discretize: str = "supervised",
                        n_clusters: int | tuple[int, int] | tuple[int, int, int] = 10,
                        seed: int = 0, pca: int | None = None, n_init: int = 1, folds: int = 5,
                        bias_correction: str | None = "bootstrap", n_bootstrap: int = 100,
                        level: float = 0.95, check: bool = True, loss_tol: float = 0.1,
                        measure: str = "BROJA", **kwargs: Any) -> PIDResult:
    r"""PID of continuous embeddings, discretised with the label in mind, bias-corrected and
    checked against a held-out classifier.

    The plug-in BROJA PID (Bertschinger et al., *Entropy* 16, 2014) of cluster labels T1(z1),
    T2(z2) and the labels y, as Liang et al. (*Quantifying and Modeling Multimodal
    Interactions*, NeurIPS 2023) estimate it from clustered embeddings. Its atoms are those of
    (z1, z2) when the clusters keep what each modality and both together say about y:

    .. math:: p(y|z_1) = p(y|T_1),\quad p(y|z_2) = p(y|T_2),\quad p(y|z_1,z_2) = p(y|T_1,T_2).

    ``discretize="supervised"`` (default) aims at that: each modality is PCA-whitened (``pca``
    components, default 64; no labels used), three one-hidden-layer MLPs (scikit-learn) learn
    p(y|z1), p(y|z2) and p(y|z1,z2) with ``folds``-fold cross-fitting, and each sample's
    *profile*, its held-out unimodal posterior and the joint classifier's posteriors with its z1
    paired with 32 fixed reference z2 (and vice versa), is clustered by k-means. Labels reach no
    classifier that predicts them, so with labels independent of the embeddings the atoms are
    bias only. ``discretize="kmeans"`` is Liang et al.'s: rows L2-normalised, optional PCA,
    k-means, blind to y (on sentence embeddings its clusters follow the topic, not the label).

    ``bias_correction="bootstrap"`` (default) returns 2 a(p_hat) - mean_b a(p_b) over
    ``n_bootstrap`` resamples of the samples and ``result.interval``, the normal
    interval at ``level`` around it (see :func:`pid_from_samples`); both are conditional on the
    discretisation (the classifiers and clusters are not refitted per resample).

    ``check=True`` (default) compares I(T1,T2;Y), I(T1;Y), I(T2;Y) with the information a
    held-out classifier finds, :math:`\hat I(f(Z);Y) \le I(Z;Y)` of its coarse-grained posterior
    f (Miller-Madow corrected), and warns when the discretisation keeps ``loss_tol`` (in the
    result's unit) less: the atoms then describe the clusters, not the embeddings. The figures
    are in ``info["check"]``, with ``label_entropy`` H(Y) and ``unresolved`` = H(Y) minus the
    held-out joint classifier's information: what no atom can hold unless a better classifier
    finds it. A classifier that cannot learn the relation hides the loss, so a silent check is
    evidence, not proof: on InterSHAP's 4-modality HD-XOR synergy label (a function of 4 bits,
    H(Y) = 1 bit, each bit readable from its modality) the classifier finds 0.24 bit, the
    clusters keep it, and the atoms (R 0.04, U1 0.00, U2 0.11, S 0.08 bit against the bits'
    own 0.08, 0.00, 0.38, 0.54) are of the right kind but a quarter of the size: ``unresolved``
    (0.76 bit) is the figure that shows it (docs/multimodal.md).

    Per-layer use: pass ``{layer: (z1, z2)}`` as ``z1`` (and ``y``); the result is a batch over
    layers (one row per layer in :meth:`PIDResult.table`).

    Parameters
    ----------
    z1, z2 : array_like, shape (n, d1), (n, d2); or z1 = {layer: (z1, z2)} with z2 None
    y : array_like, shape (n,) of int labels, or (n, dy) embeddings (clustered by k-means)
    discretize : {"supervised", "kmeans"}
    n_clusters : int or tuple
        Clusters for (X1, X2) or (X1, X2, Y); an int applies to all.
    seed : int
        Seed of the folds, classifiers, k-means, PCA and bootstrap (recorded in ``info``).
    pca : int, optional
        PCA dimension (supervised: default 64, whitened; kmeans: default none, after L2
        normalisation; Liang et al. use 2-5).
    n_init : int
        k-means restarts.
    folds : int
        Cross-fitting folds (every class needs at least this many samples).
    bias_correction : {"bootstrap", None}
    n_bootstrap : int
    level : float
        Coverage of ``result.interval``.
    check : bool
        Fit the held-out classifiers (for "kmeans" too) and warn on lost information.
    loss_tol : float
        Largest loss of information (result's unit) that passes the check silently.
    **kwargs
        Passed to :func:`interplay.pid` (method, tol, base, backend, ...).
    """
    if discretize not in DISCRETIZE:
        raise ValueError(f"discretize must be one of {DISCRETIZE}, got {discretize!r}")
    seed = check_int(seed, "seed", low=0)
    n_init = check_int(n_init, "n_init", low=1)
    folds = check_int(folds, "folds", low=2)
    nb, level = _check_bootstrap(bias_correction, n_bootstrap, level)
    loss_tol = check_real(loss_tol, "loss_tol")
    if not isinstance(check, bool):
        raise TypeError(f"check must be a bool, got {type(check).__name__}")
    if pca is not None:
        pca = check_int(pca, "pca", low=1)
    if isinstance(n_clusters, (tuple, list)):
        if len(n_clusters) not in (2, 3):
            raise ValueError(f"n_clusters must be an int or a tuple of 2 or 3 ints, got "
                             f"{n_clusters!r}")
        ks = [check_int(k, "n_clusters", low=1) for k in n_clusters]
        if len(ks) == 2:
            ks.append(ks[1])
    else:
        k = check_int(n_clusters, "n_clusters", low=1)
        ks = [k, k, k]
    if y is None:
        raise ValueError("y is required (integer labels or target embeddings)")
    if isinstance(z1, Mapping):
        if z2 is not None:
            raise ValueError("pass either z1 = {layer: (z1, z2)} or arrays z1 and z2, not both")
        if len(z1) == 0:
            raise ValueError("z1: the dict of layers is empty")
        layers = list(z1)
        pairs = []
        for layer in layers:
            pair = z1[layer]
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"z1[{layer!r}] must be a pair (z1, z2)")
            pairs.append(pair)
    else:
        if z2 is None:
            raise ValueError("z2 is required unless z1 is a dict {layer: (z1, z2)}")
        layers = None
        pairs = [(z1, z2)]
    yarr = np.asarray(y)
    n = yarr.shape[0] if yarr.ndim >= 1 else 0
    for a, b in pairs:
        na, nb_ = np.shape(a)[0] if np.ndim(a) else 0, np.shape(b)[0] if np.ndim(b) else 0
        if not (na == nb_ == n):
            raise ValueError(f"z1, z2 and y must have the same number of samples, got {na}, "
                             f"{nb_}, {n}")
    pairs = [(_matrix(a, "z1"), _matrix(b, "z2")) for a, b in pairs]
    for name, k in zip(("z1", "z2"), ks):
        if k > n:
            raise ValueError(f"n_clusters for {name} ({k}) exceeds its number of samples ({n})")
    if yarr.ndim == 2 and np.issubdtype(yarr.dtype, np.floating):
        if ks[2] > n:
            raise ValueError(f"n_clusters for y ({ks[2]}) exceeds its number of samples ({n})")
        ylab = _kmeans(_matrix(yarr, "y"), ks[2], seed, pca, n_init)
    else:
        ylab = _labels(yarr, "y")
    yv, yc = _encode(ylab)
    learn = (discretize == "supervised" or check) and yv.size > 1
    if learn and np.bincount(yc).min() < folds:
        raise ValueError(f"y: every class needs at least folds={folds} samples for "
                         f"cross-fitting, the smallest has {np.bincount(yc).min()}")
    base = kwargs.get("base", 2)
    codes, joints, heldout = [], [], []
    for a, b in pairs:
        post = None
        if learn:
            post = crossfit(_whiten(a, pca, seed), _whiten(b, pca, seed), yc, folds=folds,
                            seed=seed, profiles=discretize == "supervised")
            heldout.append({k: heldout_information(post[k], yc, base)
                            for k in ("joint", "x1", "x2")})
        if discretize == "kmeans":
            l1, l2 = _kmeans(a, ks[0], seed, pca, n_init), _kmeans(b, ks[1], seed, pca, n_init)
        elif post is None:  # a constant label: nothing to learn, every atom is 0
            l1 = l2 = np.zeros(n, dtype=np.intp)
        else:
            l1 = profile_clusters(post["x1"], post["profile1"], ks[0], seed, n_init)
            l2 = profile_clusters(post["x2"], post["profile2"], ks[1], seed, n_init)
        codes.append((l1, l2, yc))
        joints.append(_plug_in((l1, l2, yc), (ks[0], ks[1], yv.size), n))
    p = np.stack(joints) if layers is not None else joints[0]
    res = pid(p, measure=measure, **kwargs)
    res.info.update(discretize=discretize, n_clusters=tuple(ks), seed=seed, pca=pca,
                    n_init=n_init, folds=folds, n_samples=n, layers=layers, joint=p)
    if bias_correction == "bootstrap":
        res = _bootstrap(res, codes, p.shape[-3:], nb, seed, level, measure, kwargs)
    if heldout:
        py = np.bincount(yc) / n
        hy = float(-(py * np.log(py)).sum() / np.log(base))
        _check_loss(res, heldout, layers, loss_tol, hy)
    return res


def _check_loss(res: PIDResult, heldout: list[dict[str, float]], layers: list | None,
                loss_tol: float, label_entropy: float) -> None:
    """info["check"] and a warning when the clusters keep less than the held-out classifiers."""
    kept = {"joint": "mutual_information", "x1": "mi_1", "x2": "mi_2"}
    rows, bad = [], []
    for i, h in enumerate(heldout):
        disc = {k: float(np.ravel(getattr(res, v))[i]) for k, v in kept.items()}
        lost = max(h[k] - disc[k] for k in kept)
        rows.append({"heldout": h, "discretised": disc, "lost": lost, "ok": lost <= loss_tol,
                     "label_entropy": label_entropy,
                     "unresolved": max(label_entropy - h["joint"], 0.0)})
        if lost > loss_tol:
            where = f"layer {layers[i]!r}: " if layers is not None else ""
            bad.append(f"{where}the clusters keep I(T1,T2;Y) = {disc['joint']:.3g}, "
                       f"I(T1;Y) = {disc['x1']:.3g}, I(T2;Y) = {disc['x2']:.3g} of the "
                       f"{h['joint']:.3g}, {h['x1']:.3g}, {h['x2']:.3g} a held-out classifier "
                       f"finds")
    res.info["check"] = rows if layers is not None else rows[0]
    if bad:
        unit = "bits" if float(res.base) == 2.0 else f"log{res.base:g} units"
        warnings.warn("pid_from_embeddings: the discretisation loses the label's information ("
                      + "; ".join(bad) + f", {unit}); the atoms describe the clusters, not the "
                      "embeddings (discretize='supervised' keeps it)", RuntimeWarning, stacklevel=3)
