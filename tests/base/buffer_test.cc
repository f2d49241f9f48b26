#include "gramlite/base/buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

namespace gramlite {
namespace {

TEST(Buffer, AllocateIsZeroedAndAligned) {
  for (size_t size : {size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{1000}}) {
    Buffer b = Buffer::allocate(size);
    ASSERT_EQ(b.size(), size);
    EXPECT_EQ(reinterpret_cast<uintptr_t>(b.data()) % kBufferAlignment, 0u);
    for (size_t i = 0; i < size; ++i) ASSERT_EQ(b.data()[i], 0) << i;
  }
}

TEST(Buffer, EmptyAndFailedAllocations) {
  EXPECT_TRUE(Buffer().empty());
  EXPECT_EQ(Buffer().data(), nullptr);
  EXPECT_TRUE(Buffer::allocate(0).empty());
  // More than any machine has: allocation fails and yields an empty buffer, not a crash.
  EXPECT_TRUE(Buffer::allocate(std::numeric_limits<size_t>::max() / 2).empty());
}

TEST(Buffer, CopyOfCopiesTheBytes) {
  std::vector<uint8_t> source = {1, 2, 3, 4, 5};
  Buffer b = Buffer::copy_of(source.data(), source.size());
  source[0] = 9;
  ASSERT_EQ(b.size(), 5u);
  EXPECT_EQ(b.data()[0], 1);
  EXPECT_EQ(std::memcmp(b.data() + 1, source.data() + 1, 4), 0);
  EXPECT_NE(b.data(), source.data());
}

TEST(Buffer, CopiesShareBytesAndKeepThemAlive) {
  Buffer copy;
  {
    Buffer original = Buffer::allocate(16);
    original.mutable_as<float>()[0] = 2.5f;
    copy = original;
    EXPECT_EQ(copy.data(), original.data());
  }
  EXPECT_EQ(copy.as<float>()[0], 2.5f);  // the original is gone, the bytes are not
}

TEST(Buffer, ViewKeepsItsOwnerAlive) {
  std::weak_ptr<std::vector<uint8_t>> watch;
  Buffer view;
  {
    auto owner = std::make_shared<std::vector<uint8_t>>(std::vector<uint8_t>{7, 8, 9});
    watch = owner;
    view = Buffer::view(owner, owner->data() + 1, 2);
  }
  ASSERT_FALSE(watch.expired());
  EXPECT_EQ(view.size(), 2u);
  EXPECT_EQ(view.data()[0], 8);
  view = Buffer();
  EXPECT_TRUE(watch.expired());
}

}  // namespace
}  // namespace gramlite
