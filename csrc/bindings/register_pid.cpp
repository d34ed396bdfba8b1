// interplay._core.pid: the certified BROJA solver (csrc/include/interplay/pid/broja.hpp).
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <limits>
#include <string>

#include "arrays.hpp"
#include "interplay/common/errors.hpp"
#include "interplay/common/parallel.hpp"
#include "interplay/pid/broja.hpp"

namespace py = pybind11;
using interplay::bind::carray;

namespace {

// LAPACK from SciPy (scipy.linalg.cython_lapack exports function pointers in PyCapsules):
// dpotrf factors the dense Schur complement of large problems. Looked up once, with the
// GIL held; absent SciPy, the portable kernels are used.
const interplay::pid::Blas *scipy_blas() {
    static interplay::pid::Blas blas;
    static bool tried = false;
    if (!tried) {
        tried = true;
        auto get = [](const char *mod, const char *name) -> void * {
            try {
                py::object caps = py::module_::import(mod).attr("__pyx_capi__");
                py::object cap = caps[py::str(name)];
                void *ptr = PyCapsule_GetPointer(cap.ptr(), PyCapsule_GetName(cap.ptr()));
                if (!ptr) PyErr_Clear();
                return ptr;
            } catch (py::error_already_set &) {
                return nullptr;
            }
        };
        blas.potrf = reinterpret_cast<interplay::pid::Blas::potrf_t>(
            get("scipy.linalg.cython_lapack", "dpotrf"));
    }
    return blas.potrf ? &blas : nullptr;
}

py::dict broja(carray<double> p, double tol, int max_iter, int method, bool want_q,
               bool use_blas, int ipfp_sweeps) {
    interplay::bind::require_ndim(p, 4, 4, "p");
    const py::ssize_t B = p.shape(0), n1 = p.shape(1), n2 = p.shape(2), ny = p.shape(3);
    if (n1 < 1 || n2 < 1 || ny < 1) throw interplay::value_error("p: every axis must be non-empty");
    if (!(tol > 0) || !std::isfinite(tol)) throw interplay::value_error("tol must be positive");
    if (method < 0 || method > 2) throw interplay::value_error("method must be 0 (auto), 1 (ipm) or 2 (ipfp)");
    py::array_t<double> hy(B), i1(B), i2(B), i12(B), upper(B), lower(B);
    py::array_t<std::int64_t> iters(B);
    py::array_t<bool> conv(B);
    py::array_t<double> q, lam, mu;
    if (want_q) {
        q = py::array_t<double>({B, n1, n2, ny});
        lam = py::array_t<double>({B, n1, ny});
        mu = py::array_t<double>({B, n2, ny});
    }
    const double *pp = p.data();
    double *ph = hy.mutable_data(), *p1 = i1.mutable_data(), *p2 = i2.mutable_data(),
           *p12 = i12.mutable_data(), *pu = upper.mutable_data(), *pl = lower.mutable_data();
    std::int64_t *pit = iters.mutable_data();
    bool *pc = conv.mutable_data();
    double *pq = want_q ? q.mutable_data() : nullptr;
    double *plam = want_q ? lam.mutable_data() : nullptr;
    double *pmu = want_q ? mu.mutable_data() : nullptr;
    interplay::pid::Options opt;
    opt.tol = tol;
    opt.max_iter = max_iter;
    opt.method = method;
    opt.parallel = (B == 1);
    opt.blas = use_blas ? scipy_blas() : nullptr;
    if (ipfp_sweeps < 0) throw interplay::value_error("ipfp_sweeps must be >= 0");
    opt.ipfp_sweeps = ipfp_sweeps;  // auto only: IPFP warm-up, then a warm-started IPM
    opt.warm = ipfp_sweeps > 0;
    const std::size_t cell = static_cast<std::size_t>(n1) * n2 * ny;
    interplay::ParallelErrors errors;
    {
        py::gil_scoped_release release;
        // about 1000 operations per cell and problem (tens of IPM iterations)
        const int team_size = static_cast<int>(std::min<py::ssize_t>(
            interplay::team(double(B) * double(cell) * 1000.0), B));
#pragma omp parallel for schedule(dynamic, 1) num_threads(team_size) if (team_size > 1)
        for (py::ssize_t b = 0; b < B; ++b) {
            errors.run([&] {
                const auto r = interplay::pid::solve(
                    pp + b * cell, static_cast<int>(n1), static_cast<int>(n2), static_cast<int>(ny),
                    opt, pq ? pq + b * cell : nullptr,
                    plam ? plam + b * static_cast<std::size_t>(n1) * ny : nullptr,
                    pmu ? pmu + b * static_cast<std::size_t>(n2) * ny : nullptr);
                ph[b] = r.hy;
                p1[b] = r.i1;
                p2[b] = r.i2;
                p12[b] = r.i12;
                pu[b] = r.upper;
                pl[b] = r.lower;
                pit[b] = r.iterations;
                pc[b] = r.converged;
            });
        }
    }
    errors.rethrow();
    py::dict out;
    out["hy"] = hy;
    out["i1"] = i1;
    out["i2"] = i2;
    out["i12"] = i12;
    out["upper"] = upper;
    out["lower"] = lower;
    out["iterations"] = iters;
    out["converged"] = conv;
    if (want_q) {
        out["q"] = q;
        out["lam"] = lam;
        out["mu"] = mu;
    }
    return out;
}

}  // namespace

void register_pid(py::module_ &m) {
    m.doc() = "Partial information decomposition: certified BROJA solver";
    m.def("broja", &broja, py::arg("p"), py::arg("tol"), py::arg("max_iter"), py::arg("method"),
          py::arg("want_q"), py::arg("use_blas") = true, py::arg("ipfp_sweeps") = 0,
          "Certified bracket of min_{Q in Delta_P} I_Q(X1,X2;Y) (nats) for a batch of normalised "
          "joints p of shape (B, n1, n2, ny). method: 0 auto, 1 interior point, 2 IPFP. "
          "Returns a dict of arrays: hy, i1, i2, i12, upper, lower, iterations, converged "
          "(+ q, lam, mu if want_q). use_blas: SciPy's LAPACK dpotrf for large Schur complements.");
}
