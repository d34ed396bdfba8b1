// Error handling shared by all kernels.
//
// Two tiers (as in faiss): user errors are thrown as `interplay::value_error` before any hot
// loop and surface in Python as ValueError naming the argument; internal invariants use
// INTERPLAY_ASSERT, active in debug and sanitizer builds only.
#pragma once

#include <atomic>
#include <cassert>
#include <chrono>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>

#include "interplay/common/parallel.hpp"

namespace interplay {

// Maps to Python ValueError (registered in bindings/module.cpp).
class value_error : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// Ctrl-C. The core has no Python in it: the bindings install `interrupt_check()`, a function
// that re-acquires the GIL, runs Python's pending signal handlers (PyErr_CheckSignals) and
// returns non-zero when one raised. Long loops call `poll_interrupt()` (or
// ParallelErrors::poll inside a region) every few microseconds of work; only the calling thread
// (OpenMP thread 0) asks, at most every kInterruptPeriod, and a raise becomes `interrupted`,
// which the bindings turn back into the handler's exception (KeyboardInterrupt).
class interrupted : public std::exception {
  public:
    const char *what() const noexcept override { return "interrupted"; }
};

inline std::atomic<int (*)()> &interrupt_check() noexcept {
    static std::atomic<int (*)()> f{nullptr};
    return f;
}

constexpr std::chrono::milliseconds kInterruptPeriod{20};

inline void poll_interrupt() {
    if (thread_id() != 0) return;
    const auto check = interrupt_check().load(std::memory_order_relaxed);
    if (!check) return;
    thread_local auto last = std::chrono::steady_clock::now();
    const auto now = std::chrono::steady_clock::now();
    if (now - last < kInterruptPeriod) return;
    last = now;
    if (check()) throw interrupted();
}

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
    // In a long iteration: stop when another thread has failed (the exception is not kept,
    // the first one is), and poll for Ctrl-C.
    void poll() const {
        if (failed_) throw stopped();
        poll_interrupt();
    }
    void rethrow() const {
        if (error_) std::rethrow_exception(error_);
    }

  private:
    struct stopped {};
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
