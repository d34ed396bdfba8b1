// OpenMP helpers that compile to serial code when OpenMP is absent.
#pragma once

#ifdef _OPENMP
#include <omp.h>
#endif

namespace interplay {

inline int max_threads() noexcept {
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
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
