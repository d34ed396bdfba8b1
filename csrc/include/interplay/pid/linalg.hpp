// Small dense linear algebra for the PID Newton systems: Cholesky of a symmetric positive
// definite matrix (row-major, lower triangle), blocked so that the O(N^3) trailing updates run
// on contiguous rows, optionally with OpenMP inside (single large problems) or without it (one
// problem per thread in a batch). LAPACK's dpotrf is used when the caller provides it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "interplay/common/errors.hpp"
#include "interplay/common/parallel.hpp"

// Hot dense kernels are compiled twice (AVX2+FMA and baseline x86-64) and picked at load
// time, so that a portable build still uses the wide units. FP contraction stays off
// (ISO C++ mode), so both clones round identically per operation.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && !defined(INTERPLAY_NO_CLONES)
#define INTERPLAY_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define INTERPLAY_CLONES
#endif

namespace interplay::pid {

// Optional BLAS/LAPACK routines (Fortran calling convention, 32-bit integers), e.g. the ones
// SciPy exports through scipy.linalg.cython_blas / cython_lapack. Null pointers mean: use the
// portable kernels below.
struct Blas {
    using potrf_t = void (*)(char *, int *, double *, int *, int *);
    potrf_t potrf = nullptr;
};

// Unblocked Cholesky of the kb x kb diagonal block starting at (k0, k0) of the N x N row-major
// matrix A (lower triangle used). A pivot that is not positive (rounding on a nearly singular
// matrix) is replaced by `floor`; returns the number of replaced pivots.
INTERPLAY_CLONES inline int chol_diag_block(double *A, std::size_t N, std::size_t k0, std::size_t kb,
                           double floor) {
    int fixed = 0;
    for (std::size_t j = k0; j < k0 + kb; ++j) {
        double *rj = A + j * N;
        double d = rj[j];
        for (std::size_t k = k0; k < j; ++k) d -= rj[k] * rj[k];
        if (!(d > floor)) {
            d = floor;
            ++fixed;
        }
        const double ljj = std::sqrt(d);
        rj[j] = ljj;
        const double inv = 1.0 / ljj;
        for (std::size_t i = j + 1; i < k0 + kb; ++i) {
            double *ri = A + i * N;
            double v = ri[j];
            for (std::size_t k = k0; k < j; ++k) v -= ri[k] * rj[k];
            ri[j] = v * inv;
        }
    }
    return fixed;
}

// In-place Cholesky A = L L^T (lower triangle of A overwritten by L). Blocked right-looking.
// `parallel`: use OpenMP for the panel solve and the trailing update. `poll`: check for Ctrl-C
// per block; false inside an OpenMP region, where a throw outside ParallelErrors::run would
// terminate the process (the region polls through ParallelErrors instead).
INTERPLAY_CLONES inline int cholesky(double *A, std::size_t N, double floor, bool parallel,
                                     bool poll = true) {
    const std::size_t nb = 48;
    int fixed = 0;
    for (std::size_t k0 = 0; k0 < N; k0 += nb) {
        if (poll) poll_interrupt();
        const std::size_t kb = std::min(nb, N - k0);
        fixed += chol_diag_block(A, N, k0, kb, floor);
        const std::size_t r0 = k0 + kb;
        if (r0 >= N) break;
        const long long nrows = static_cast<long long>(N - r0);
        // panel: rows i >= r0, columns k0..k0+kb: L21 = A21 L11^{-T}
#pragma omp parallel for schedule(static) num_threads(max_threads()) if (parallel && N >= 2048)
        for (long long ii = 0; ii < nrows; ++ii) {
            double *ri = A + (r0 + static_cast<std::size_t>(ii)) * N;
            for (std::size_t j = k0; j < k0 + kb; ++j) {
                const double *rj = A + j * N;
                double v = ri[j];
                for (std::size_t k = k0; k < j; ++k) v -= ri[k] * rj[k];
                ri[j] = v / rj[j];
            }
        }
        // trailing update: A22 -= L21 L21^T (lower triangle), four rows at a time
#pragma omp parallel for schedule(dynamic, 4) num_threads(max_threads()) if (parallel && N >= 2048)
        for (long long ib = 0; ib < (nrows + 3) / 4; ++ib) {
            const std::size_t i0 = r0 + 4 * static_cast<std::size_t>(ib);
            const std::size_t ni = std::min<std::size_t>(4, N - i0);
            const double *p[4];
            for (std::size_t r = 0; r < 4; ++r) p[r] = A + (i0 + std::min(r, ni - 1)) * N + k0;
            const std::size_t jend = i0 + ni;
            for (std::size_t j = r0; j < jend; ++j) {
                const double *pj = A + j * N + k0;
                double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
#pragma omp simd reduction(+ : s0, s1, s2, s3)
                for (std::size_t k = 0; k < kb; ++k) {
                    const double v = pj[k];
                    s0 += p[0][k] * v;
                    s1 += p[1][k] * v;
                    s2 += p[2][k] * v;
                    s3 += p[3][k] * v;
                }
                const double s[4] = {s0, s1, s2, s3};
                for (std::size_t r = 0; r < ni; ++r) {
                    if (j <= i0 + r) A[(i0 + r) * N + j] -= s[r];
                }
            }
        }
    }
    return fixed;
}

// Cholesky with LAPACK when available and the matrix is large enough; falls back to the
// portable kernel (with pivot floor) if LAPACK reports a non-positive pivot.
inline int cholesky_auto(double *A, std::size_t N, double floor, bool parallel, const Blas *blas,
                         std::vector<double> &backup) {
    if (blas && blas->potrf && N >= 64) {
        backup.assign(A, A + N * N);
        char uplo = 'U';
        int n = static_cast<int>(N), ld = n, info = 0;
        blas->potrf(&uplo, &n, A, &ld, &info);
        if (info == 0) return 0;
        std::copy(backup.begin(), backup.end(), A);
    }
    return cholesky(A, N, floor, parallel);
}

// Solve L L^T x = b in place (L lower, row-major N x N).
inline void chol_solve(const double *L, std::size_t N, double *x) {
    for (std::size_t i = 0; i < N; ++i) {
        const double *ri = L + i * N;
        double v = x[i];
        for (std::size_t k = 0; k < i; ++k) v -= ri[k] * x[k];
        x[i] = v / ri[i];
    }
    for (std::size_t ii = N; ii-- > 0;) {
        x[ii] /= L[ii * N + ii];
        const double v = x[ii];
        const double *ri = L + ii * N;
        for (std::size_t k = 0; k < ii; ++k) x[k] -= ri[k] * v;
    }
}

// Explicit inverse of a small SPD matrix from its Cholesky factor (n x n, row-major, full
// symmetric result in Inv). `work` needs n doubles.
inline void chol_inverse(const double *L, std::size_t n, double *Inv, double *work) {
    for (std::size_t c = 0; c < n; ++c) {
        std::fill(work, work + n, 0.0);
        work[c] = 1.0;
        chol_solve(L, n, work);
        for (std::size_t r = 0; r < n; ++r) Inv[r * n + c] = work[r];
    }
    for (std::size_t r = 0; r < n; ++r)
        for (std::size_t c = r + 1; c < n; ++c) {
            const double v = 0.5 * (Inv[r * n + c] + Inv[c * n + r]);
            Inv[r * n + c] = v;
            Inv[c * n + r] = v;
        }
}

}  // namespace interplay::pid
