"""PID from data: plug-in joints of integer labels, and k-means discretised embeddings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from .._validation import check_int, check_numeric_array, check_finite, require_memory
from ._api import pid
from ._result import PIDResult


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


def pid_from_samples(x1: Any, x2: Any, y: Any, *, measure: str = "BROJA",
                     bias_correction: str | None = None, n_bootstrap: int = 100,
                     seed: int | None = 0, **kwargs: Any) -> PIDResult:
    r"""PID of the plug-in (empirical) joint of integer-labelled samples.

    p(x1, x2, y) = #{i : (x1_i, x2_i, y_i) = (x1, x2, y)} / n, over the observed symbols.
    With ``bias_correction="bootstrap"`` every atom a is replaced by 2 a(p_hat) - mean_b a(p_b)
    over ``n_bootstrap`` resamples p_b (Efron's bootstrap bias correction; the identities
    between atoms are preserved since the correction is linear). Plug-in information is
    biased upwards by about (cells - 1) / (2 n ln 2) bits (Miller 1955), so with few samples
    per cell the statistical error dominates the solver's certified gap.

    Parameters
    ----------
    x1, x2, y : array_like of int, shape (n,)
    measure : {"BROJA", "MMI", "WB"}
    bias_correction : {None, "bootstrap"}
    n_bootstrap : int
    seed : int or None
        Seed of the bootstrap resampling (recorded in ``info``).
    **kwargs
        Passed to :func:`interplay.pid` (method, tol, base, backend, ...).
    """
    p, symbols, (ca, cb, cc) = joint_from_samples(x1, x2, y)
    n = ca.size
    res = pid(p, measure=measure, **kwargs)
    res.info.update(n_samples=n, alphabet=p.shape,
                    symbols=symbols, bias_correction=bias_correction)
    if bias_correction is None:
        return res
    if bias_correction != "bootstrap":
        raise ValueError(f"bias_correction must be None or 'bootstrap', got {bias_correction!r}")
    nb = check_int(n_bootstrap, "n_bootstrap", low=2)
    rng = np.random.default_rng(seed)
    boot = np.zeros((nb,) + p.shape)
    for i in range(nb):
        idx = rng.integers(0, n, size=n)
        np.add.at(boot[i], (ca[idx], cb[idx], cc[idx]), 1.0 / n)
    rb = pid(boot, measure=measure, **kwargs)
    values = ("redundancy", "unique_1", "unique_2", "synergy", "mutual_information", "mi_1", "mi_2")
    out = PIDResult(
        **{v: 2 * getattr(res, v) - float(np.mean(getattr(rb, v))) for v in values},
        gap=res.gap + float(np.max(rb.gap)), iterations=res.iterations,
        converged=bool(res.converged and np.all(rb.converged)), measure=res.measure,
        base=res.base, info=dict(res.info))
    out.info.update(n_bootstrap=nb, seed=seed, plug_in=res)
    return out


def _cluster(z: Any, name: str, k: int, seed: int, pca: int | None, n_init: int) -> np.ndarray:
    arr = check_numeric_array(z, name)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2:
        raise ValueError(f"{name} must have shape (n_samples, dim), got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} has an empty axis: shape {arr.shape}")
    arr = np.asarray(arr, dtype=np.float64)
    check_finite(arr, name)
    if k > arr.shape[0]:
        raise ValueError(f"n_clusters for {name} ({k}) exceeds its number of samples "
                         f"({arr.shape[0]})")
    try:
        from sklearn.cluster import KMeans
        from sklearn.decomposition import PCA
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("pid_from_embeddings needs scikit-learn: "
                          "pip install 'interplay[embeddings]'") from exc
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    arr = arr / np.where(norms > 0, norms, 1.0)
    if pca is not None and pca < arr.shape[1]:
        arr = PCA(n_components=min(pca, arr.shape[0]), random_state=seed).fit_transform(arr)
    km = KMeans(n_clusters=k, n_init=n_init, random_state=seed)
    return km.fit_predict(arr)


def pid_from_embeddings(z1: Any, z2: Any = None, y: Any = None, *,
                        n_clusters: int | tuple[int, int] | tuple[int, int, int] = 10,
                        seed: int = 0, pca: int | None = None, n_init: int = 1,
                        measure: str = "BROJA", **kwargs: Any) -> PIDResult:
    r"""PID of continuous embeddings discretised by k-means (Liang et al., NeurIPS 2023).

    Each modality is L2-normalised per row, optionally reduced by PCA, and clustered by
    k-means (scikit-learn, ``random_state=seed``); the cluster labels form the plug-in joint
    with the target labels ``y`` (integer labels, or a 2-d array of embeddings that is then
    clustered too). Per-layer use: pass ``{layer: (z1, z2)}`` as ``z1`` (and ``y``); the
    result is a batch over layers (one row per layer in :meth:`PIDResult.table`).

    Parameters
    ----------
    z1, z2 : array_like, shape (n, d1), (n, d2); or z1 = {layer: (z1, z2)} with z2 None
    y : array_like, shape (n,) of int labels, or (n, dy) embeddings
    n_clusters : int or tuple
        Clusters for (X1, X2) or (X1, X2, Y); an int applies to all.
    seed : int
        k-means / PCA seed (recorded in ``info`` with the cluster counts).
    pca : int, optional
        PCA dimension after L2 normalisation (Liang et al. use 2-5).
    n_init : int
        k-means restarts.
    **kwargs
        Passed to :func:`interplay.pid`.
    """
    seed = check_int(seed, "seed", low=0)
    n_init = check_int(n_init, "n_init", low=1)
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
        na, nb = np.shape(a)[0] if np.ndim(a) else 0, np.shape(b)[0] if np.ndim(b) else 0
        if not (na == nb == n):
            raise ValueError(f"z1, z2 and y must have the same number of samples, got {na}, "
                             f"{nb}, {n}")
    if yarr.ndim == 2 and np.issubdtype(yarr.dtype, np.floating):
        ylab = _cluster(yarr, "y", ks[2], seed, pca, n_init)
    else:
        ylab = _labels(yarr, "y")
    yv, yc = _encode(ylab)
    joints = []
    for a, b in pairs:
        l1 = _cluster(a, "z1", ks[0], seed, pca, n_init)
        l2 = _cluster(b, "z2", ks[1], seed, pca, n_init)
        joints.append(_plug_in((l1, l2, yc), (ks[0], ks[1], yv.size), n))
    p = np.stack(joints) if layers is not None else joints[0]
    res = pid(p, measure=measure, **kwargs)
    res.info.update(n_clusters=tuple(ks), seed=seed, pca=pca, n_init=n_init, n_samples=n,
                    layers=layers, joint=p)
    return res
