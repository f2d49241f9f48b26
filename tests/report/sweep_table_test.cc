// The sweep's statistics and plot (report/sweep_table.h, report/svg_plot.h).
#include <gtest/gtest.h>

#include <cmath>

#include "gramlite/report/svg_plot.h"
#include "gramlite/report/sweep_table.h"

namespace gramlite::report {
namespace {

TEST(SweepTableTest, MeanAndSampleSdIgnoreMissingRuns) {
  const MeanSd r = mean_sd({0.5, 0.7, NAN, 0.9});
  EXPECT_EQ(r.count, 3u);
  EXPECT_DOUBLE_EQ(r.mean, 0.7);
  EXPECT_NEAR(r.sd, 0.2, 1e-12);  // sqrt((0.04 + 0 + 0.04) / 2)
  EXPECT_EQ(mean_sd({0.4}).sd, 0.0);
  EXPECT_TRUE(std::isnan(mean_sd({}).mean));
  EXPECT_TRUE(std::isnan(mean_sd({NAN}).sd));
}

TEST(SweepTableTest, SummarizesPerSettingInTheGivenOrder) {
  const auto rows = summarize_by_setting({1.0, 0.0, 0.5}, {{0.0, 0.6}, {1.0, 0.9}, {0.0, 0.8}, {1.0, NAN}});
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].setting, 1.0);
  EXPECT_EQ(rows[0].runs, 2u);
  EXPECT_DOUBLE_EQ(rows[0].value.mean, 0.9);
  EXPECT_DOUBLE_EQ(rows[1].value.mean, 0.7);
  EXPECT_EQ(rows[2].runs, 0u);
  EXPECT_TRUE(std::isnan(rows[2].value.mean));
}

TEST(SvgPlotTest, DrawsEachFinitePointWithItsErrorBarAndEscapesText) {
  PlotSeries s{"a<b", "#123456", {0.0, 0.5, 1.0}, {0.5, NAN, 0.75}, {0.1, 0.0, NAN}};
  const std::string svg = render_error_bar_plot("t & u", "x", "y", {s}, 0.0, 1.0);
  EXPECT_EQ(svg.rfind("<svg", 0), 0u);
  size_t circles = 0;
  for (size_t at = svg.find("<circle"); at != std::string::npos; at = svg.find("<circle", at + 1)) ++circles;
  EXPECT_EQ(circles, 2u);
  EXPECT_NE(svg.find("t &amp; u"), std::string::npos);
  EXPECT_NE(svg.find("a&lt;b"), std::string::npos);
  EXPECT_EQ(svg.find("nan"), std::string::npos);
}

}  // namespace
}  // namespace gramlite::report
