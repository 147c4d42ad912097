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
// time, so however small the units of work its cost stays out of sight; a
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

// Installs `poll` (null: none) as the calling thread's for the scope's life;
// the first poll comes one interval after the scope begins, so a short call
// never polls. Scopes nest: the outer poll comes back when the inner ends.
class InterruptionScope {
 public:
  explicit InterruptionScope(const InterruptionPoll* poll);
  ~InterruptionScope();
  InterruptionScope(const InterruptionScope&) = delete;
  InterruptionScope& operator=(const InterruptionScope&) = delete;

 private:
  const InterruptionPoll* previous_poll_;
  std::chrono::steady_clock::time_point previous_next_poll_;
};

// Throws Interrupted when the calling thread's poll, due, says stop. Call it
// between units of work, where stopping leaves the call's state consistent.
void check_interruption();

}  // namespace fastdnn
