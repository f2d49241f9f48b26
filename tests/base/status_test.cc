#include "gramlite/base/status.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

namespace gramlite {
namespace {

TEST(Status, DefaultIsOk) {
  const Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), StatusCode::kOk);
  EXPECT_TRUE(s.message().empty());
  EXPECT_TRUE(Status::Ok().ok());
}

TEST(Status, HelpersSetTheirCodeAndConcatenate) {
  EXPECT_EQ(invalid_argument("a", 1).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(not_found("x").code(), StatusCode::kNotFound);
  EXPECT_EQ(corrupt_data("x").code(), StatusCode::kCorruptData);
  EXPECT_EQ(unsupported("x").code(), StatusCode::kUnsupported);
  EXPECT_EQ(io_error("x").code(), StatusCode::kIoError);
  EXPECT_EQ(internal_error("x").code(), StatusCode::kInternal);
  EXPECT_EQ(invalid_argument("tensor '", "w", "' has ", 3, " dims").message(), "tensor 'w' has 3 dims");
  EXPECT_EQ(str_cat(1.5, 'c', "s"), "1.5cs");
}

TEST(Status, EveryCodeHasAName) {
  for (StatusCode code : {StatusCode::kOk, StatusCode::kInvalidArgument, StatusCode::kNotFound, StatusCode::kCorruptData,
                          StatusCode::kUnsupported, StatusCode::kIoError, StatusCode::kInternal}) {
    ASSERT_NE(status_code_name(code), nullptr);
    EXPECT_STRNE(status_code_name(code), "");
  }
}

TEST(Status, WithContextPrefixesErrorsOnly) {
  const Status error = corrupt_data("bad magic");
  const Status wrapped = error.with_context("loading 'a.gramlite'");
  EXPECT_EQ(wrapped.code(), StatusCode::kCorruptData);
  EXPECT_EQ(wrapped.message(), "loading 'a.gramlite': bad magic");
  EXPECT_TRUE(Status::Ok().with_context("anything").ok());
  EXPECT_TRUE(Status::Ok().with_context("anything").message().empty());
}

TEST(Result, HoldsAValueOrAStatus) {
  Result<int> value(7);
  ASSERT_TRUE(value.ok());
  EXPECT_EQ(*value, 7);
  EXPECT_EQ(value.value(), 7);
  EXPECT_TRUE(value.status().ok());

  Result<int> error(not_found("no such file"));
  EXPECT_FALSE(error.ok());
  EXPECT_EQ(error.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(error.status().message(), "no such file");
}

TEST(Result, AnOkStatusWithoutAValueIsAnInternalError) {
  Result<int> broken{Status::Ok()};
  EXPECT_FALSE(broken.ok());
  EXPECT_EQ(broken.status().code(), StatusCode::kInternal);
}

TEST(Result, MovesMoveOnlyValues) {
  Result<std::unique_ptr<int>> r(std::make_unique<int>(3));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r->get(), 3);
  std::unique_ptr<int> taken = std::move(r).value();
  EXPECT_EQ(*taken, 3);
}

Status fails_when(bool fail) { return fail ? invalid_argument("failed") : Status::Ok(); }
Result<int> number(bool fail) {
  if (fail) return unsupported("no number");
  return 41;
}
Result<int> add_one(bool fail_status, bool fail_result) {
  GRAMLITE_RETURN_IF_ERROR(fails_when(fail_status));
  GRAMLITE_ASSIGN_OR_RETURN(const int n, number(fail_result));
  return n + 1;
}

TEST(Result, MacrosReturnTheFirstError) {
  EXPECT_EQ(*add_one(false, false), 42);
  EXPECT_EQ(add_one(true, false).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(add_one(false, true).status().code(), StatusCode::kUnsupported);
  EXPECT_EQ(add_one(true, true).status().message(), "failed");
}

}  // namespace
}  // namespace gramlite
