// Test helpers for readers of untrusted paths: a FIFO with no writer, and a way to prove that a
// reader given one returns instead of blocking (without hanging the test when it does block).
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace gramlite::testing {

// Makes a FIFO at `path`; false if the system refuses.
inline bool make_fifo(const std::string& path) { return ::mkfifo(path.c_str(), 0600) == 0; }

// Runs `call()` on its own thread and waits up to `seconds`. If it is still running (blocked in
// open() or read() on the FIFO at `fifo`), opens and closes the FIFO's write end, which wakes a
// reader blocked there with end-of-file, waits for the call to finish and returns false.
template <typename Call>
bool returns_within(const std::string& fifo, Call call, double seconds = 10.0) {
  auto done = std::async(std::launch::async, call);
  if (done.wait_for(std::chrono::duration<double>(seconds)) == std::future_status::ready) {
    done.get();
    return true;
  }
  while (done.wait_for(std::chrono::milliseconds(50)) != std::future_status::ready) {
    const int writer = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);
    if (writer >= 0) ::close(writer);
  }
  done.get();
  return false;
}

}  // namespace gramlite::testing
