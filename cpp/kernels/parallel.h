#pragma once

// How the engine's parallel work reaches its threads.
//
// Every parallel kernel (GEMM rectangles, arena passes, row gathers) goes
// through parallel_pieces. Outside a training epoch that is an OpenMP
// region, whose threads sleep as soon as it ends (fastdnn sets
// OMP_WAIT_POLICY=PASSIVE): between a prediction call and the next the cores
// belong to whoever else runs. Inside an epoch the same threads are a worker
// team (lead_worker_team): they stay in one OpenMP region and wait for the
// next job by spinning first and sleeping only after a while. A minibatch of
// a 784-256-256-10 net runs some eight short parallel kernels; waking a
// sleeping thread for each of them left a second thread little faster than
// one (docs/architecture.md, "The worker team of an epoch").
//
// How long a waiter spins adapts: a wait that ends while spinning doubles the
// budget, one that has to sleep halves it. On a quiet machine the other
// threads answer within microseconds and the team spins; on a busy one (more
// runnable threads than cores) a spinning thread would hold a core that the
// thread it waits for needs, its waits time out, and the team soon sleeps
// almost at once, as a passive OpenMP region does.
//
// A job is cut into pieces, a few per thread, and each thread claims the next
// unclaimed piece until none is left, the leader too: a thread that starts
// late, or loses its core for a while (a virtual machine's host takes it back
// for milliseconds at a time), leaves its pieces to the others instead of
// holding every thread up. The leader waits only for pieces to finish, never
// for a thread to show up: one that arrives after its job is done finds
// nothing to claim.
//
// Which thread runs a piece never changes its result, and the kernels'
// results never depend on the cut (see gemm.h, arena_pass.h).

#include <algorithm>

namespace fastdnn {

// A non-owning reference to a callable: no allocation, so a minibatch
// allocates nothing however many kernels it runs. Valid while the callable is.
template <class Signature>
class FunctionRef;

template <class Result, class... Arguments>
class FunctionRef<Result(Arguments...)> {
 public:
  FunctionRef() = default;
  template <class Callable>
  explicit FunctionRef(const Callable& callable)
      : callable_(&callable), invoke_([](const void* target, Arguments... arguments) -> Result {
          return (*static_cast<const Callable*>(target))(arguments...);
        }) {}
  Result operator()(Arguments... arguments) const { return invoke_(callable_, arguments...); }

 private:
  const void* callable_ = nullptr;
  Result (*invoke_)(const void*, Arguments...) = nullptr;
};

// job(piece), for one piece of a job.
using PieceJob = FunctionRef<void(long)>;

// How many threads a job started here would get: the worker team's size on
// its leader, OpenMP's setting outside a team, 1 inside a job.
int available_threads();

// Runs job(piece) once for every piece in [0, pieces), on the worker team the
// calling thread leads, or else on a new OpenMP region; called from inside a
// job, or with one thread, in order on the calling thread.
void run_parallel(long pieces, PieceJob job);

template <class Job>
void parallel_pieces(long pieces, const Job& job) {
  run_parallel(pieces, PieceJob(job));
}

// Pieces per thread in a job split evenly: enough that a late thread's share
// is picked up by the others, few enough that each is still a long loop.
inline constexpr int kPiecesPerThread = 4;

// body(begin, end) over contiguous ranges that cover [0, n), shared between
// the threads, or body(0, n) on the calling thread when the work is too small
// to share.
template <class Body>
void parallel_ranges(long n, bool parallel, const Body& body) {
  const int threads = parallel ? available_threads() : 1;
  if (threads == 1) {
    if (n > 0) body(0L, n);
    return;
  }
  const long pieces = std::min<long>(n, static_cast<long>(threads) * kPiecesPerThread);
  parallel_pieces(pieces, [&](long piece) {
    const long begin = n * piece / pieces, end = n * (piece + 1) / pieces;
    if (begin < end) body(begin, end);
  });
}

// Runs body() on the calling thread while the OpenMP threads the calling
// thread would get wait as its worker team: body's parallel jobs run
// on them. Exceptions from body reach the caller once the team has stopped.
// With one thread, or inside an OpenMP region, body simply runs.
void lead_worker_team(FunctionRef<void()> body);

template <class Body>
void with_worker_team(const Body& body) {
  lead_worker_team(FunctionRef<void()>(body));
}

}  // namespace fastdnn
