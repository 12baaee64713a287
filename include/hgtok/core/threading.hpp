// Threading. hgtok parallelises with OpenMP (HGTOK_WITH_OPENMP) over
// independent work items (node types, destination nodes, targets) with a
// static partition; no reduction crosses threads, so results are bitwise
// identical for any thread count.
#pragma once

#include <cstdint>
#include <exception>
#ifdef HGTOK_WITH_OPENMP
#include <omp.h>
#endif

namespace hgtok {

/// The thread count hgtok starts with: what OpenMP had when hgtok first asked (OMP_NUM_THREADS, else the cores).
inline int default_num_threads() {
#ifdef HGTOK_WITH_OPENMP
  static const int n = omp_get_max_threads();
  return n;
#else
  return 1;
#endif
}

/// Sets the number of threads hgtok's parallel loops use; n <= 0 restores default_num_threads(). This is OpenMP's
/// thread count for the calling thread (omp_set_num_threads), so it is shared with Eigen's own parallel products
/// (Eigen::nbThreads) and with the caller's OpenMP loops on that thread; other std::threads keep theirs.
inline void set_num_threads(int n) {
#ifdef HGTOK_WITH_OPENMP
  omp_set_num_threads(n > 0 ? n : default_num_threads());
#else
  (void)n;
#endif
}

/// The number of threads hgtok's parallel loops use.
inline int num_threads() {
#ifdef HGTOK_WITH_OPENMP
  default_num_threads();  // taken before any change
  return omp_get_max_threads();
#else
  return 1;
#endif
}

/// Sets the thread count for a scope and restores the one before (n <= 0: the default).
class ThreadScope {
 public:
  explicit ThreadScope(int n) : saved_(num_threads()) { set_num_threads(n); }
  ~ThreadScope() { set_num_threads(saved_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int saved_;
};

namespace detail {

/// Whether the caller already runs inside one of hgtok's (OpenMP) parallel regions.
inline bool in_parallel() {
#ifdef HGTOK_WITH_OPENMP
  return omp_in_parallel() != 0;
#else
  return false;
#endif
}

/// Calls f(i) inside a parallel loop, where no exception may escape: the first one is kept in `error`.
template <class F>
void call_keeping_error(F& f, std::int64_t i, std::exception_ptr& error) {
  try {
    f(i);
  } catch (...) {
#ifdef HGTOK_WITH_OPENMP
#pragma omp critical(hgtok_parallel_for_error)
#endif
    if (!error) error = std::current_exception();
  }
}

/// Calls f(i) for i in [0, n), in parallel when worthwhile. Each i must write
/// only its own outputs. Exceptions thrown by f are rethrown (the first one).
template <class F>
void parallel_for(std::int64_t n, F&& f, std::int64_t min_parallel = 2) {
#ifdef HGTOK_WITH_OPENMP
  if (n >= min_parallel && omp_get_max_threads() > 1 && !omp_in_parallel()) {
    std::exception_ptr error;
#pragma omp parallel for schedule(static)
    for (std::int64_t i = 0; i < n; ++i) call_keeping_error(f, i, error);
    if (error) std::rethrow_exception(error);
    return;
  }
#else
  (void)min_parallel;
#endif
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

/// parallel_for for few tasks of uneven cost: each thread takes the next i when it is free. As with
/// parallel_for, f(i) must write only its own outputs, so results do not depend on which thread ran which i.
template <class F>
void parallel_for_dynamic(std::int64_t n, F&& f) {
#ifdef HGTOK_WITH_OPENMP
  if (n >= 2 && omp_get_max_threads() > 1 && !omp_in_parallel()) {
    std::exception_ptr error;
#pragma omp parallel for schedule(dynamic, 1)
    for (std::int64_t i = 0; i < n; ++i) call_keeping_error(f, i, error);
    if (error) std::rethrow_exception(error);
    return;
  }
#endif
  for (std::int64_t i = 0; i < n; ++i) f(i);
}

/// Calls f() once on each of hgtok's threads (inside one parallel region; just once on the caller without
/// OpenMP, with one thread, or when already in a parallel region): for workers that share a queue and
/// synchronise among themselves. The first exception f throws is rethrown after every thread has returned.
template <class F>
void run_workers(F&& f) {
#ifdef HGTOK_WITH_OPENMP
  if (omp_get_max_threads() > 1 && !omp_in_parallel()) {
    std::exception_ptr error;
    auto call = [&](std::int64_t) { f(); };
#pragma omp parallel
    call_keeping_error(call, 0, error);
    if (error) std::rethrow_exception(error);
    return;
  }
#endif
  f();
}

}  // namespace detail
}  // namespace hgtok
