#include "kernels/interruption.h"

namespace fastdnn {

namespace {

struct InterruptionState {
  const InterruptionPoll* poll = nullptr;
  std::chrono::steady_clock::time_point next_poll;
};

thread_local InterruptionState interruption_state;

}  // namespace

InterruptionScope::InterruptionScope(const InterruptionPoll* poll)
    : previous_poll_(interruption_state.poll), previous_next_poll_(interruption_state.next_poll) {
  interruption_state.poll = poll;
  if (poll != nullptr) {
    interruption_state.next_poll = std::chrono::steady_clock::now() + kInterruptionPollInterval;
  }
}

InterruptionScope::~InterruptionScope() {
  interruption_state.poll = previous_poll_;
  interruption_state.next_poll = previous_next_poll_;
}

void check_interruption() {
  InterruptionState& state = interruption_state;
  if (state.poll == nullptr) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < state.next_poll) return;
  state.next_poll = now + kInterruptionPollInterval;
  if ((*state.poll)()) throw Interrupted();
}

}  // namespace fastdnn
