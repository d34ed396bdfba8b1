// Error handling shared by all kernels.
//
// Two tiers (as in faiss): user errors are thrown as `interplay::value_error` before any hot
// loop and surface in Python as ValueError naming the argument; internal invariants use
// INTERPLAY_ASSERT, active in debug and sanitizer builds only.
#pragma once

#include <cassert>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>

namespace interplay {

// Maps to Python ValueError (registered in bindings/module.cpp).
class value_error : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// An exception thrown inside an OpenMP region must not escape it (that terminates the
// process). Each worker calls `run`; the first exception is stored and rethrown by `rethrow`
// after the parallel region has ended.
class ParallelErrors {
  public:
    template <class F>
    void run(F &&f) noexcept {
        if (failed_) return;  // benign race: at worst one more iteration runs
        try {
            f();
        } catch (...) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (!error_) error_ = std::current_exception();
            failed_ = true;
        }
    }
    bool failed() const noexcept { return failed_; }
    void rethrow() const {
        if (error_) std::rethrow_exception(error_);
    }

  private:
    std::mutex mutex_;
    std::exception_ptr error_;
    volatile bool failed_ = false;
};

}  // namespace interplay

#ifdef NDEBUG
#define INTERPLAY_ASSERT(cond) ((void)0)
#else
#define INTERPLAY_ASSERT(cond) assert(cond)
#endif
