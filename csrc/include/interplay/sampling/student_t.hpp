// The 0.975 quantile of Student's t distribution with nu (real, > 0) degrees of freedom: the
// factor of a two-sided 95% interval from a standard error estimated with nu degrees of freedom.
//
// Below nu = 300, Newton's method on h(u) = log Q(e^u) - log 0.025, where Q(t) = I_x(nu/2, 1/2) / 2
// with x = nu / (nu + t^2) is the upper tail (Abramowitz and Stegun 1964, 26.7.1) and I_x the
// regularised incomplete beta function, from its continued fraction (A&S 26.5.8, evaluated by the
// modified Lentz method). With Q = x^a (1 - x)^(1/2) cf / (a B(a, 1/2)) / 2, a = nu / 2, and the
// density f(t) = x^(a + 1/2) / (sqrt(nu) B(a, 1/2)), the Newton step is h(u) cf / nu
// (t f(t) / Q(t) = nu / cf), starting from the Cornish-Fisher expansion in 1/nu (A&S 26.7.5,
// five terms; below nu = 4 its first two, under the root, from where Newton's iterates rise to
// it: Q is convex in t > 0). From nu = 300 the expansion alone, within 5e-16 of the quantile.
// scipy.special.stdtrit (Boost) agrees within 7e-15 (tests/test_student_t.py); this is here so
// that the estimators' standard errors need no scipy.special import (~30 ms on an idle machine,
// 0.3 s on a busy one).
#pragma once

#include <cmath>
#include <limits>

namespace interplay::sampling {

namespace detail {

// lgamma(a + 1/2) - lgamma(a); from a = 16 by its asymptotic series (two large lgammas would
// cancel there), within 2e-16 relative.
inline double half_shift(double a) noexcept {
    if (a < 16.0) return std::lgamma(a + 0.5) - std::lgamma(a);
    const double r = 1.0 / (a * a);
    return 0.5 * std::log(a) -
           (1.0 / 8 - (1.0 / 192 - (1.0 / 640 - (17.0 / 14336 - 31.0 / 18432 * r) * r) * r) * r) / a;
}

// The continued fraction cf of I_x(a, b) = x^a (1 - x)^b / (a B(a, b)) * cf, for
// x < (a + 1) / (a + b + 2) (Numerical Recipes' betacf).
inline double beta_cf(double a, double b, double x) noexcept {
    constexpr double tiny = 1e-300;
    auto guard = [](double v) { return std::fabs(v) < tiny ? tiny : v; };
    const double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0;
    double d = 1.0 / guard(1.0 - qab * x / qap);
    double h = d;
    for (int m = 1; m < 10000; ++m) {
        const double m2 = 2.0 * m;
        double aa = m * (b - m) * x / ((qam + m2) * (a + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        h *= d * c;
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2));
        d = 1.0 / guard(1.0 + aa * d);
        c = guard(1.0 + aa / c);
        const double delta = d * c;
        h *= delta;
        if (std::fabs(delta - 1.0) < 2e-16) break;
    }
    return h;
}

}  // namespace detail

inline double t975(double nu) noexcept {
    constexpr double z = 1.959963984540054;  // the standard normal 0.975 quantile
    if (!(nu > 0.0)) return std::numeric_limits<double>::quiet_NaN();
    if (std::isinf(nu)) return z;
    const double z2 = z * z;
    const double g1 = (z2 + 1.0) * z / 4;
    const double g2 = ((5.0 * z2 + 16.0) * z2 + 3.0) * z / 96;
    const double r = 1.0 / nu;
    const double g3 = (((3.0 * z2 + 19.0) * z2 + 17.0) * z2 - 15.0) * z / 384;
    const double g4 = ((((79.0 * z2 + 776.0) * z2 + 1482.0) * z2 - 1920.0) * z2 - 945.0) * z / 92160;
    const double g5 =
        (((((27.0 * z2 + 339.0) * z2 + 930.0) * z2 - 1782.0) * z2 - 765.0) * z2 + 17955.0) * z / 368640;
    const double series = z + r * (g1 + r * (g2 + r * (g3 + r * (g4 + r * g5))));
    if (nu >= 300.0) return series;
    const double a = 0.5 * nu;
    const double log_beta = 0.57236494292470008707 - detail::half_shift(a);  // log B(a, 1/2)
    const double log_q = std::log(0.025);
    // the series from nu = 4 (within 1e-3 there), else its first terms (below the root)
    double u = std::log(nu >= 4.0 ? series : z + r * (g1 + r * g2));
    for (int it = 0; it < 100; ++it) {
        const double t = std::exp(u);
        const double w = t * t / nu;
        const double log_x = -std::log1p(w);       // x = nu / (nu + t^2)
        const double log_1mx = std::log(w) + log_x;  // 1 - x = t^2 / (nu + t^2)
        const double cf = detail::beta_cf(a, 0.5, std::exp(log_x));
        const double log_tail = a * log_x + 0.5 * log_1mx - log_beta + std::log(cf) - std::log(nu);
        const double step = (log_tail - log_q) * cf / nu;
        u += step;
        if (std::fabs(step) < 1e-9) break;  // quadratic convergence: the next step is ~1e-18
    }
    return std::exp(u);
}

}  // namespace interplay::sampling
