#include "kernels/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>

namespace fastdnn {

namespace {

using Clock = std::chrono::steady_clock;

// Spin budgets of a waiting thread. 1 ms covers the serial stretches of a
// minibatch (the loss, zeroing the gradient) with room to spare; 2 µs is
// about what a futex sleep costs to enter, so spinning less gains nothing.
constexpr Clock::duration kLongestSpin = std::chrono::milliseconds(1);
constexpr Clock::duration kShortestSpin = std::chrono::microseconds(2);

inline void spin_pause() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Where a waiter sleeps once it has spun long enough. A notifier takes the
// mutex only when someone sleeps, so a spinning team never touches it.
struct Wakeup {
  std::mutex mutex;
  std::condition_variable condition;
  std::atomic<int> sleepers{0};

  // Called after the state that `ready` reads has been published.
  void notify() {
    // Sequentially consistent with the waiter's increment and its re-check:
    // either this sees the sleeper or the sleeper sees the new state.
    if (sleepers.load() == 0) return;
    const std::lock_guard<std::mutex> lock(mutex);
    condition.notify_all();
  }

  template <class Ready>
  void wait_until(const Ready& ready, Clock::duration& spin_budget) {
    if (ready()) return;
    const Clock::time_point start = Clock::now();
    for (unsigned spin = 1;; ++spin) {
      spin_pause();
      if (ready()) {
        spin_budget = std::min<Clock::duration>(2 * spin_budget, kLongestSpin);
        return;
      }
      // The clock costs ~20 ns; a pause 10–50.
      if (spin % 32 == 0 && Clock::now() - start > spin_budget) break;
    }
    spin_budget = std::max<Clock::duration>(spin_budget / 2, kShortestSpin);
    std::unique_lock<std::mutex> lock(mutex);
    sleepers.fetch_add(1);
    condition.wait(lock, ready);
    sleepers.fetch_sub(1);
  }
};

thread_local bool inside_job = false;

void run_share(ThreadJob job, int thread, int threads) {
  inside_job = true;
  job(thread, threads);
  inside_job = false;
}

class WorkerTeam {
 public:
  // On the leader, before the first job: the region's size, which OpenMP
  // may make smaller than asked.
  void set_threads(int threads) { threads_ = threads; }

  // On the leader (thread 0): posts job, does its own share, waits for the rest.
  void run(ThreadJob job) {
    job_ = job;
    unfinished_.store(threads_ - 1);
    generation_.fetch_add(1);
    job_posted_.notify();
    run_share(job, 0, threads_);
    job_finished_.wait_until([this] { return unfinished_.load() == 0; }, leader_spin_);
  }

  void close() {
    closing_ = true;
    generation_.fetch_add(1);
    job_posted_.notify();
  }

  // On every other thread, until close().
  void serve(int thread) {
    unsigned seen = 0;
    Clock::duration spin_budget = kLongestSpin;
    for (;;) {
      job_posted_.wait_until([&] { return generation_.load() != seen; }, spin_budget);
      seen = generation_.load();
      if (closing_) return;
      run_share(job_, thread, threads_);
      if (unfinished_.fetch_sub(1) == 1) job_finished_.notify();
    }
  }

 private:
  // Written before the generation bump that announces them and read after
  // it is seen: the atomic orders them.
  int threads_ = 1;
  ThreadJob job_;
  bool closing_ = false;
  std::atomic<unsigned> generation_{0};
  std::atomic<int> unfinished_{0};
  Wakeup job_posted_, job_finished_;
  Clock::duration leader_spin_ = kLongestSpin;
};

thread_local WorkerTeam* led_team = nullptr;

}  // namespace

void run_parallel(ThreadJob job) {
  if (inside_job) {
    job(0, 1);
    return;
  }
  if (led_team != nullptr) {
    led_team->run(job);
    return;
  }
#pragma omp parallel
  run_share(job, omp_get_thread_num(), omp_get_num_threads());
}

void lead_worker_team(FunctionRef<void()> body) {
  if (led_team != nullptr || inside_job || omp_in_parallel() || omp_get_max_threads() == 1) {
    body();
    return;
  }
  WorkerTeam team;
  std::exception_ptr failure;
#pragma omp parallel
  {
    const int thread = omp_get_thread_num();
    if (thread == 0) {
      team.set_threads(omp_get_num_threads());
      led_team = &team;
      try {
        body();
      } catch (...) {
        failure = std::current_exception();
      }
      led_team = nullptr;
      team.close();
    } else {
      team.serve(thread);
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace fastdnn
