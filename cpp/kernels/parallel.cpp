#include "kernels/parallel.h"

#include <omp.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <mutex>
#include <stdexcept>

#include "kernels/floating_point_mode.h"

namespace fastdnn {

namespace {

using Clock = std::chrono::steady_clock;

// Spin budgets of a waiting thread. The longest covers the serial stretches
// of a minibatch (the loss, zeroing the gradient) with room to spare; the
// shortest is about what a futex sleep costs to enter, so spinning less
// gains nothing.
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
      // Reading the clock costs about as much as a pause: every 32nd.
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

// Marks the calling thread as running a job while in scope: parallel calls
// made from inside a job run in order on the thread itself.
class InsideJob {
 public:
  InsideJob() { inside_job = true; }
  ~InsideJob() { inside_job = false; }
  InsideJob(const InsideJob&) = delete;
  InsideJob& operator=(const InsideJob&) = delete;
};

// A job's claim state in one atomic word: its generation (which job), its
// piece count and the next piece to hand out. A claim is one fetch_add, and
// the word it returns names the job the claimed piece belongs to, so a thread
// that wakes late can never take a piece of one job as a piece of the next.
class ClaimState {
 public:
  static constexpr long kMaxPieces = (1L << 15) - 1;

  static uint64_t posted(uint32_t generation, long pieces) {
    return static_cast<uint64_t>(generation) << 32 | static_cast<uint64_t>(pieces) << 16;
  }
  static uint32_t generation(uint64_t state) { return static_cast<uint32_t>(state >> 32); }
  static long pieces(uint64_t state) { return static_cast<long>((state >> 16) & 0xFFFF); }
  static long next(uint64_t state) { return static_cast<long>(state & 0xFFFF); }
};

class WorkerTeam {
 public:
  // On the leader, before the first job: the region's size, which OpenMP
  // may make smaller than asked.
  void set_threads(int threads) { threads_ = threads; }
  int threads() const { return threads_; }

  // On the leader: posts the job, claims pieces like every other thread, and
  // waits until the last piece has finished.
  void run(long pieces, PieceJob job) {
    job_ = job;
    finished_.store(0);
    state_.store(ClaimState::posted(++generation_, pieces));
    job_posted_.notify();
    claim_pieces();
    job_finished_.wait_until([&] { return finished_.load() == pieces; }, leader_spin_);
  }

  void close() {
    closing_.store(true);
    state_.store(ClaimState::posted(++generation_, 0));
    job_posted_.notify();
  }

  // On every other thread, until close().
  void serve() {
    uint32_t seen = 0;
    Clock::duration spin_budget = kLongestSpin;
    for (;;) {
      // closing_ too: a claim may already have met the closing generation.
      job_posted_.wait_until(
          [&] { return closing_.load() || ClaimState::generation(state_.load()) != seen; },
          spin_budget);
      if (closing_.load()) return;
      seen = claim_pieces();
    }
  }

 private:
  // Runs pieces while the current job has some left; returns that job's
  // generation. The job's fields stay put while one of its pieces is
  // unfinished: the leader posts the next job only after the last one.
  uint32_t claim_pieces() {
    const InsideJob inside;
    for (;;) {
      const uint64_t claim = state_.fetch_add(1);
      const long pieces = ClaimState::pieces(claim), piece = ClaimState::next(claim);
      if (piece >= pieces) return ClaimState::generation(claim);
      job_(piece);
      if (finished_.fetch_add(1) + 1 == pieces) job_finished_.notify();
    }
  }

  // Written before the state that announces them and read after a claim on
  // it: the atomic orders them.
  int threads_ = 1;
  PieceJob job_;
  uint32_t generation_ = 0;  // the leader's own count
  std::atomic<bool> closing_{false};
  std::atomic<uint64_t> state_{0};
  std::atomic<long> finished_{0};
  Wakeup job_posted_, job_finished_;
  Clock::duration leader_spin_ = kLongestSpin;
};

thread_local WorkerTeam* led_team = nullptr;

void run_in_order(long pieces, PieceJob job) {
  for (long piece = 0; piece < pieces; ++piece) job(piece);
}

}  // namespace

int available_threads() {
  if (inside_job) return 1;
  if (led_team != nullptr) return led_team->threads();
  return omp_in_parallel() ? 1 : omp_get_max_threads();
}

void run_parallel(long pieces, PieceJob job) {
  if (pieces > ClaimState::kMaxPieces) throw std::logic_error("too many pieces in one job");
  if (pieces <= 1 || available_threads() == 1) return run_in_order(pieces, job);
  if (led_team != nullptr) return led_team->run(pieces, job);
  std::atomic<long> next{0};
  const unsigned mode = floating_point_mode();
#pragma omp parallel
  {
    const InsideJob inside;
    const FloatingPointModeScope caller_mode(mode);
    for (long piece = next.fetch_add(1); piece < pieces; piece = next.fetch_add(1)) job(piece);
  }
}

void lead_worker_team(FunctionRef<void()> body) {
  // A team already led here, or one thread: the body's jobs run as they would anyway.
  if (led_team != nullptr || available_threads() == 1) {
    body();
    return;
  }
  WorkerTeam team;
  std::exception_ptr failure;
  const unsigned mode = floating_point_mode();
#pragma omp parallel
  {
    const FloatingPointModeScope leader_mode(mode);
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
      team.serve();
    }
  }
  if (failure) std::rethrow_exception(failure);
}

}  // namespace fastdnn
