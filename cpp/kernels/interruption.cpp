#include "kernels/interruption.h"

namespace fastdnn {

namespace {

thread_local InterruptionState interruption_state;

}  // namespace

InterruptionScope::InterruptionScope(const InterruptionPoll* poll) : previous_(interruption_state) {
  interruption_state = InterruptionState{};
  interruption_state.poll = poll;
}

InterruptionScope::~InterruptionScope() {
  interruption_state = previous_;
}

void check_interruption() {
  using Clock = std::chrono::steady_clock;
  InterruptionState& state = interruption_state;
  if (state.poll == nullptr || --state.checks_to_clock_read > 0) return;
  const Clock::time_point now = Clock::now();
  if (state.last_clock_read == Clock::time_point{}) {
    state.next_poll = now + kInterruptionPollInterval;
  } else {
    // Units of work of one call take about as long as each other: read the
    // clock once every 1/16 to 1/4 of an interval, whatever they take.
    const auto since_last_read = now - state.last_clock_read;
    if (since_last_read < kInterruptionPollInterval / 16) {
      state.checks_per_clock_read *= 2;
    } else if (since_last_read > kInterruptionPollInterval / 4 && state.checks_per_clock_read > 1) {
      state.checks_per_clock_read /= 2;
    }
  }
  state.last_clock_read = now;
  state.checks_to_clock_read = state.checks_per_clock_read;
  if (now < state.next_poll) return;
  state.next_poll = now + kInterruptionPollInterval;
  if ((*state.poll)()) throw Interrupted();
}

}  // namespace fastdnn
