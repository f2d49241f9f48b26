// The oneDNN convolutions' slicing of the output among threads (runtime/onednn/convolution.h):
// slices tile the output exactly, and each slice's input rows plus its padding give exactly its
// output rows, for every stride, dilation, kernel and padding (the sweep in
// xnnpack_vs_reference_test.cc then checks the numbers on 2 threads).
#include <gtest/gtest.h>

#include "runtime/onednn/convolution.h"

namespace gramlite::runtime::onednn {
namespace {

TEST(OnednnSlices, TileTheOutputAndReadOnlyTheirWindows) {
  int checked = 0;
  for (int64_t height : {1, 2, 7, 9, 56}) {
    for (int32_t kernel : {1, 3, 5}) {
      for (int32_t stride : {1, 2}) {
        for (int32_t dilation : {1, 2}) {
          for (int32_t top : {0, 1, 2}) {
            for (int32_t bottom : {0, 1, 3}) {
              ir::Conv2dAttrs a;
              a.kernel_h = a.kernel_w = kernel;
              a.stride_h = a.stride_w = stride;
              a.dilation_h = a.dilation_w = dilation;
              a.padding = {top, 0, bottom, 0};
              const int64_t window = (kernel - 1) * dilation + 1;
              if (height + top + bottom < window) continue;
              const int64_t rows = (height + top + bottom - window) / stride + 1;
              for (int64_t batch : {1, 3}) {
                for (int parts : {1, 2, 3, 4}) {
                  SCOPED_TRACE(::testing::Message() << "h " << height << " k " << kernel << " s " << stride << " d "
                                                    << dilation << " pad " << top << "/" << bottom << " batch "
                                                    << batch << " parts " << parts);
                  const auto slices = slice_convolution({batch, 4, height, 5}, {batch, 6, rows, 5}, a, parts);
                  ASSERT_FALSE(slices.empty());
                  EXPECT_LE(slices.size(), static_cast<size_t>(parts));
                  int64_t covered = 0;  // image-rows
                  for (const ConvSlice& s : slices) {
                    ASSERT_LT(s.image_begin, s.image_end);
                    ASSERT_LT(s.row_begin, s.row_end);
                    ASSERT_GE(s.input_row_begin, 0);
                    ASSERT_GT(s.input_rows, 0);
                    ASSERT_LE(s.input_row_begin + s.input_rows, height);
                    ASSERT_LE(s.pad_top, top);
                    ASSERT_LE(s.pad_bottom, bottom);
                    EXPECT_EQ((s.input_rows + s.pad_top + s.pad_bottom - window) / stride + 1, s.row_end - s.row_begin);
                    // The slice's first window starts where the whole convolution's window for its first row does.
                    EXPECT_EQ(s.input_row_begin - s.pad_top, s.row_begin * stride - top);
                    covered += (s.image_end - s.image_begin) * (s.row_end - s.row_begin);
                  }
                  EXPECT_EQ(covered, batch * rows);
                  for (size_t i = 1; i < slices.size(); ++i) {
                    const ConvSlice& p = slices[i - 1];
                    const ConvSlice& s = slices[i];
                    const bool next_rows = s.image_begin == p.image_begin && s.row_begin == p.row_end;
                    const bool next_images = s.image_begin == p.image_end && s.row_begin == 0;
                    EXPECT_TRUE(next_rows || next_images) << "slice " << i;
                  }
                  ++checked;
                }
              }
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 1000);
}

}  // namespace
}  // namespace gramlite::runtime::onednn
