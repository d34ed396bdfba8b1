// OpenMP helpers that compile to serial code when OpenMP is absent, and the engine's thread cap.
#pragma once

#include <atomic>

#ifdef _OPENMP
#include <omp.h>
#endif

namespace interplay {

// The engine's own cap on threads per parallel region (interplay.set_num_threads); 0 means
// OpenMP's default (OMP_NUM_THREADS or the cores). Not omp_set_num_threads: torch shares the
// process's libgomp, so that call would change torch's thread count too, and it only sets the
// calling thread's value, while kernels are also called from Python worker threads.
inline std::atomic<int> &thread_cap() noexcept {
    static std::atomic<int> cap{0};
    return cap;
}

inline int max_threads() noexcept {
#ifdef _OPENMP
    const int cap = thread_cap().load(std::memory_order_relaxed);
    return cap > 0 ? cap : omp_get_max_threads();
#else
    return 1;
#endif
}

// Elementary operations (an addition, a copied double) each thread of a region must get before
// a thread is added: about 2 ms of single-threaded work. Smaller teams lose more than they gain
// on a busy machine, where a descheduled thread holds the whole region at its barrier for a time
// slice (measured in bench/bench_busy.py: issue 12).
constexpr double kThreadGrain = double(1 << 22);

// Threads for a region of `work` elementary operations: one per kThreadGrain, at most
// max_threads(); regions use `num_threads(team(work)) if (team(work) > 1)`. Regions hand out
// independent pieces with schedule(dynamic): on a busy machine a descheduled thread then holds
// up only the piece it is in, not a static share of the region; and nothing waits for a peer
// inside a region (no `ordered`: reductions keep one accumulator per fixed chunk, added in
// chunk order after the region).
inline int team(double work) noexcept {
    const int m = max_threads();
    const double t = work / kThreadGrain;
    return t >= double(m) ? m : (t < 2.0 ? 1 : static_cast<int>(t));
}

inline int thread_id() noexcept {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

inline bool openmp_enabled() noexcept {
#ifdef _OPENMP
    return true;
#else
    return false;
#endif
}

}  // namespace interplay
