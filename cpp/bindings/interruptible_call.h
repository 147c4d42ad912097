#pragma once

// Engine calls made with the GIL released that Ctrl-C stops.
//
// Python runs signal handlers on the main thread only, between bytecodes: a
// call that holds the main thread for seconds outside Python would leave a
// KeyboardInterrupt waiting until it returned. On the main thread the engine
// is given a poll (kernels/interruption.h) that takes the GIL and runs the
// pending handlers; when one raises, the engine stops at its next consistent
// point and the call raises that exception. Other threads get no poll (no
// handler could run there) and pay nothing.

#include <pybind11/gil_safe_call_once.h>
#include <pybind11/pybind11.h>

#include <utility>

#include "kernels/interruption.h"

namespace interruptible_call_detail {

inline bool on_main_thread() {
  namespace py = pybind11;
  PYBIND11_CONSTINIT static py::gil_safe_call_once_and_store<unsigned long> main_thread;
  const unsigned long main_ident = main_thread
                                       .call_once_and_store_result([] {
                                         return py::module_::import("threading")
                                             .attr("main_thread")()
                                             .attr("ident")
                                             .cast<unsigned long>();
                                       })
                                       .get_stored();
  return PyThread_get_thread_ident() == main_ident;
}

// Runs Python's pending signal handlers; true when one raised, its exception
// then pending on this thread.
inline bool python_signal_raised() {
  pybind11::gil_scoped_acquire acquire;
  return PyErr_CheckSignals() != 0;
}

}  // namespace interruptible_call_detail

// call() with the GIL released; on the main thread, a Python signal handler
// that raises (Ctrl-C) stops it and its exception is raised here. Called with
// the GIL held.
template <class Call>
decltype(auto) interruptible_call(Call&& call) {
  const auto poll_python = [] { return interruptible_call_detail::python_signal_raised(); };
  const fastdnn::InterruptionPoll poll(poll_python);
  const fastdnn::InterruptionScope scope(interruptible_call_detail::on_main_thread() ? &poll
                                                                                     : nullptr);
  try {
    pybind11::gil_scoped_release release;
    return std::forward<Call>(call)();
  } catch (const fastdnn::Interrupted&) {
    // The GIL is back: the handler's exception is this thread's pending error.
    throw pybind11::error_already_set();
  }
}

// A call of at most this many multiply-adds keeps the GIL: it is over within
// microseconds, and handing the GIL to a waiting thread and taking it back
// costs more than that. Client threads serving single rows each went slower
// than one thread alone while every call released it (docs/serving.md).
constexpr double kGilReleaseWork = 1 << 19;

// call() as interruptible_call does it, or, for work (multiply-adds) too
// small to share the GIL over, with the GIL held. Called with the GIL held.
template <class Call>
decltype(auto) engine_call(double work, Call&& call) {
  if (work <= kGilReleaseWork) return std::forward<Call>(call)();
  return interruptible_call(std::forward<Call>(call));
}
