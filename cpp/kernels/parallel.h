#pragma once

// How the engine's parallel work reaches its threads.
//
// Every parallel kernel (GEMM rectangles, arena passes, row gathers) goes
// through parallel_threads. Outside a training epoch that is an OpenMP
// region, whose threads sleep as soon as it ends (fastdnn sets
// OMP_WAIT_POLICY=PASSIVE): between a prediction call and the next the cores
// belong to whoever else runs. Inside an epoch the same threads are a worker
// team (lead_worker_team): they stay in one OpenMP region and wait for the
// next job by spinning first and sleeping only after a while. A minibatch of
// a 784-256-256-10 net runs some eight parallel kernels in about a
// millisecond; waking a sleeping thread for each of them took 65 µs on a
// virtual machine, which left a second thread 1.1× the speed of one.
//
// How long a waiter spins adapts: a wait that ends while spinning doubles the
// budget, one that has to sleep halves it. On a quiet machine the other
// threads answer within microseconds and the team spins; on a busy one (more
// runnable threads than cores) a spinning thread would hold a core that the
// thread it waits for needs, its waits time out, and the team soon sleeps
// almost at once, as a passive OpenMP region does.
//
// Work splitting never depends on how a job reaches the threads, and the
// kernels' results never depend on the split (see gemm.h, arena_pass.h).

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

// job(thread, threads).
using ThreadJob = FunctionRef<void(int, int)>;

// Runs job(thread, threads) once on each thread, thread in [0, threads): on
// the worker team the calling thread leads, or else on a new OpenMP region;
// called from inside a job, on the calling thread alone (0 of 1).
void run_parallel(ThreadJob job);

template <class Job>
void parallel_threads(const Job& job) {
  run_parallel(ThreadJob(job));
}

// body(begin, end) over [0, n), one contiguous range per thread, or
// body(0, n) on the calling thread when the work is too small to share.
template <class Body>
void parallel_ranges(long n, bool parallel, const Body& body) {
  if (!parallel) {
    if (n > 0) body(0L, n);
    return;
  }
  parallel_threads([&](int thread, int threads) {
    const long begin = n * thread / threads, end = n * (thread + 1) / threads;
    if (begin < end) body(begin, end);
  });
}

// Runs body() on the calling thread while the OpenMP threads the calling
// thread would get wait as its worker team: body's parallel_threads calls run
// on them. Exceptions from body reach the caller once the team has stopped.
// With one thread, or inside an OpenMP region, body simply runs.
void lead_worker_team(FunctionRef<void()> body);

template <class Body>
void with_worker_team(const Body& body) {
  lead_worker_team(FunctionRef<void()>(body));
}

}  // namespace fastdnn
