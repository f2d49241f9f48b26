// Status and Result<T>: how every library boundary in gramlite reports an error it can describe.
//
// The runtime core builds with exceptions disabled, so errors travel as values. A message names
// what is wrong (file, node, tensor) in words a user can act on; the CLI prints it as one line.
#pragma once

#include <optional>
#include <sstream>
#include <string>
#include <utility>

namespace gramlite {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,  // the caller passed something malformed (bad flag, bad shape)
  kNotFound,         // a file, tensor or key that should exist does not
  kCorruptData,      // a file's bytes do not describe a valid object
  kUnsupported,      // valid, but this build or version cannot handle it
  kIoError,          // the operating system refused a read or write
  kInternal,         // a bug in gramlite
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // Adds context in front of the message: "loading 'a.gramlite': <message>".
  Status with_context(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// Concatenates anything that streams into a std::ostream.
template <typename... Args>
std::string str_cat(const Args&... args) {
  std::ostringstream out;
  (out << ... << args);
  return out.str();
}

template <typename... Args>
Status invalid_argument(const Args&... args) {
  return Status(StatusCode::kInvalidArgument, str_cat(args...));
}
template <typename... Args>
Status not_found(const Args&... args) {
  return Status(StatusCode::kNotFound, str_cat(args...));
}
template <typename... Args>
Status corrupt_data(const Args&... args) {
  return Status(StatusCode::kCorruptData, str_cat(args...));
}
template <typename... Args>
Status unsupported(const Args&... args) {
  return Status(StatusCode::kUnsupported, str_cat(args...));
}
template <typename... Args>
Status io_error(const Args&... args) {
  return Status(StatusCode::kIoError, str_cat(args...));
}
template <typename... Args>
Status internal_error(const Args&... args) {
  return Status(StatusCode::kInternal, str_cat(args...));
}

// Either a value or the Status that explains why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design, like StatusOr
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    if (status_.ok()) status_ = internal_error("Result constructed from an OK status without a value");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() & { return *value_; }
  const T& operator*() const& { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace gramlite

#define GRAMLITE_CONCAT_INNER(a, b) a##b
#define GRAMLITE_CONCAT(a, b) GRAMLITE_CONCAT_INNER(a, b)

#define GRAMLITE_RETURN_IF_ERROR(expr)                  \
  do {                                                  \
    ::gramlite::Status gramlite_status_ = (expr);       \
    if (!gramlite_status_.ok()) return gramlite_status_; \
  } while (0)

#define GRAMLITE_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                   \
  if (!tmp.ok()) return tmp.status();                  \
  lhs = std::move(tmp).value()

// GRAMLITE_ASSIGN_OR_RETURN(auto graph, load_model(path));
#define GRAMLITE_ASSIGN_OR_RETURN(lhs, expr) \
  GRAMLITE_ASSIGN_OR_RETURN_IMPL(GRAMLITE_CONCAT(gramlite_result_, __LINE__), lhs, expr)
