// FormatUtc writes every record's and event's timestamp.
#include <gtest/gtest.h>

#include <chrono>

#include "base/environment.h"

namespace {

std::chrono::system_clock::time_point At(int64_t milliseconds) {
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(milliseconds));
}

TEST(FormatUtc, PadsEveryField) {
  EXPECT_EQ(lm::FormatUtc(At(0)), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(lm::FormatUtc(At(1767323045678)), "2026-01-02T03:04:05.678Z");
  EXPECT_EQ(lm::FormatUtc(At(1767323045008)), "2026-01-02T03:04:05.008Z");
  EXPECT_EQ(lm::FormatUtc(At(1798761599999)), "2026-12-31T23:59:59.999Z");
}

// The ends of what the clock (nanoseconds in 64 bits) can hold.
TEST(FormatUtc, FromTheClocksFirstToItsLastYear) {
  EXPECT_EQ(lm::FormatUtc(At(-2208988800000)), "1900-01-01T00:00:00.000Z");
  EXPECT_EQ(lm::FormatUtc(At(9223372036854)), "2262-04-11T23:47:16.854Z");
}

}  // namespace
