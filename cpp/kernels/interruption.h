#pragma once

// Stopping a long engine call early when its caller asks (Ctrl-C in Python).
//
// An epoch of small minibatches, a prediction over many rows or a full-batch
// gradient can hold the calling thread for seconds. The engine knows nothing
// of who asks to stop: a caller installs a poll for the calling thread, for
// the length of one call (InterruptionScope), and the engine's long loops
// call check_interruption() between their units of work, a minibatch or a
// chunk of rows, never inside one. When the poll says stop, Interrupted is
// thrown at that point, so the call leaves everything it owns consistent: a
// training epoch stops with its last minibatch finished and the next not
// begun (no half-taken optimizer step), a prediction abandons its output.
//
// Only the calling thread polls, never a parallel job: a poll may wait for a
// lock (Python's GIL) and the worker team (kernels/parallel.h) must never wait
// on it. The poll runs at most once per kInterruptionPollInterval of wall
// time, and even the clock is read only every so many checks, as many as
// take a small part of the interval: on a virtual machine a read of the
// clock is not negligible against a minibatch of one row of a small net. A
// thread without a poll pays one thread-local load per check.

#include <chrono>
#include <exception>

#include "kernels/parallel.h"

namespace fastdnn {

// What check_interruption throws when the poll says stop.
class Interrupted : public std::exception {
 public:
  const char* what() const noexcept override { return "the engine call was interrupted"; }
};

// True when the call running now should stop.
using InterruptionPoll = FunctionRef<bool()>;

// Long enough that polling costs nothing that shows, short enough that a
// person pressing Ctrl-C sees the call stop at once.
inline constexpr std::chrono::milliseconds kInterruptionPollInterval{20};

// The calling thread's poll and when to run it next.
struct InterruptionState {
  const InterruptionPoll* poll = nullptr;
  long checks_per_clock_read = 1;
  long checks_to_clock_read = 1;
  std::chrono::steady_clock::time_point last_clock_read{};  // {}: none yet
  std::chrono::steady_clock::time_point next_poll{};
};

// Installs `poll` (null: none) as the calling thread's for the scope's life;
// the first poll comes an interval after the first check, so a call of one
// unit of work never reads the clock. Scopes nest: the outer poll comes back
// when the inner ends.
class InterruptionScope {
 public:
  explicit InterruptionScope(const InterruptionPoll* poll);
  ~InterruptionScope();
  InterruptionScope(const InterruptionScope&) = delete;
  InterruptionScope& operator=(const InterruptionScope&) = delete;

 private:
  InterruptionState previous_;
};

// Throws Interrupted when the calling thread's poll, due, says stop. Call it
// between units of work, where stopping leaves the call's state consistent.
void check_interruption();

}  // namespace fastdnn
