#include "gramlite/data/image.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <png.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "../base/special_files.h"
#include "data/quiet_decoders.h"

namespace gramlite::data {
namespace {

namespace fs = std::filesystem;

class ImageTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("gramlite_image_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

TEST_F(ImageTest, ReadsGreyRgbaAnd16BitAsRgb) {
  cv::Mat bgr(4, 6, CV_8UC3, cv::Scalar(10, 20, 30));  // B=10 G=20 R=30
  ASSERT_TRUE(cv::imwrite(path("bgr.png"), bgr));
  auto rgb = read_rgb_image(path("bgr.png"));
  ASSERT_TRUE(rgb.ok()) << rgb.status().message();
  EXPECT_EQ(rgb->width, 6);
  EXPECT_EQ(rgb->height, 4);
  EXPECT_EQ(rgb->pixels[0], 30);
  EXPECT_EQ(rgb->pixels[2], 10);

  cv::Mat grey(3, 3, CV_8UC1, cv::Scalar(77));
  ASSERT_TRUE(cv::imwrite(path("grey.png"), grey));
  rgb = read_rgb_image(path("grey.png"));
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb->pixels[0], 77);
  EXPECT_EQ(rgb->pixels[1], 77);

  cv::Mat bgra(2, 2, CV_8UC4, cv::Scalar(0, 0, 0, 0));  // fully transparent -> white
  ASSERT_TRUE(cv::imwrite(path("bgra.png"), bgra));
  rgb = read_rgb_image(path("bgra.png"));
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb->pixels[0], 255);

  cv::Mat deep(2, 2, CV_16UC3, cv::Scalar(65535, 0, 257 * 100));
  ASSERT_TRUE(cv::imwrite(path("deep.tiff"), deep));
  rgb = read_rgb_image(path("deep.tiff"));
  ASSERT_TRUE(rgb.ok());
  EXPECT_EQ(rgb->pixels[0], 100);
  EXPECT_EQ(rgb->pixels[2], 255);
}

TEST_F(ImageTest, CorruptAndMissingFilesGiveErrorsNamingTheFile) {
  auto missing = read_rgb_image(path("nope.png"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("nope.png"), std::string::npos);
  std::ofstream(path("bad.jpg")) << "this is not a jpeg";
  auto bad = read_rgb_image(path("bad.jpg"));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("cannot decode image"), std::string::npos);
  // A PNG cut in half.
  cv::Mat noise(64, 64, CV_8UC3);
  cv::randu(noise, 0, 255);
  std::vector<uchar> bytes;
  cv::imencode(".png", noise, bytes);
  std::ofstream(path("cut.png"), std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()),
                                                        static_cast<std::streamsize>(bytes.size() / 2));
  EXPECT_FALSE(read_rgb_image(path("cut.png")).ok());
}

TEST_F(ImageTest, TensorIsPlanarAndNormalised) {
  RgbImage image;
  image.width = image.height = 2;
  image.pixels = {255, 0, 0, 255, 0, 0, 255, 0, 0, 255, 0, 0};  // red
  ir::Preprocessing p;
  p.mean = {0.5f, 0.5f, 0.5f};
  p.std = {0.5f, 0.5f, 0.5f};
  std::vector<float> out(3 * 4 * 4);
  ASSERT_TRUE(image_to_tensor(image, p, 4, 4, out.data()).ok());
  EXPECT_FLOAT_EQ(out[0], 1.0f);        // R plane
  EXPECT_FLOAT_EQ(out[16], -1.0f);      // G plane
  p.bgr = true;
  ASSERT_TRUE(image_to_tensor(image, p, 4, 4, out.data()).ok());
  EXPECT_FLOAT_EQ(out[0], -1.0f);  // first plane is now blue
  EXPECT_FLOAT_EQ(out[32], 1.0f);
  p.resize = ir::ResizeMode::kShorterSideCrop;
  EXPECT_TRUE(image_to_tensor(image, p, 3, 3, out.data()).ok());
}

// ---------------------------------------------------------------------------------------------
// Hostile inputs: special files, images that declare a huge size, decoders that print.

void put_be32(std::string& out, uint32_t v) {
  for (int i = 3; i >= 0; --i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_le32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}
void put_le16(std::string& out, uint16_t v) {
  out += static_cast<char>(v & 0xFF);
  out += static_cast<char>(v >> 8);
}

uint32_t crc32(const std::string& bytes) {
  uint32_t crc = 0xFFFFFFFFu;
  for (const char c : bytes) {
    crc ^= static_cast<uint8_t>(c);
    for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xEDB88320u & (0u - (crc & 1u)));
  }
  return crc ^ 0xFFFFFFFFu;
}

// A PNG signature and IHDR declaring width x height RGB, then an empty IDAT and IEND: what a
// decoder sees before it allocates.
std::string png_declaring(uint32_t width, uint32_t height) {
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr = "IHDR";
  put_be32(ihdr, width);
  put_be32(ihdr, height);
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);
  put_be32(png, 13);
  png += ihdr;
  put_be32(png, crc32(ihdr));
  for (const char* type : {"IDAT", "IEND"}) {
    put_be32(png, 0);
    png += type;
    put_be32(png, crc32(type));
  }
  return png;
}

std::string jpeg_declaring(uint16_t width, uint16_t height) {
  std::string jpeg("\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00", 20);
  jpeg += std::string("\xFF\xC0\x00\x11\x08", 5);
  jpeg += static_cast<char>(height >> 8);
  jpeg += static_cast<char>(height & 0xFF);
  jpeg += static_cast<char>(width >> 8);
  jpeg += static_cast<char>(width & 0xFF);
  jpeg += std::string("\x03\x01\x11\x00\x02\x11\x00\x03\x11\x00", 10);
  jpeg += std::string("\xFF\xD9", 2);
  return jpeg;
}

std::string bmp_declaring(int32_t width, int32_t height) {
  std::string bmp = "BM";
  put_le32(bmp, 54);
  put_le32(bmp, 0);
  put_le32(bmp, 54);
  put_le32(bmp, 40);
  put_le32(bmp, static_cast<uint32_t>(width));
  put_le32(bmp, static_cast<uint32_t>(height));
  put_le16(bmp, 1);
  put_le16(bmp, 24);
  for (int i = 0; i < 6; ++i) put_le32(bmp, 0);
  return bmp;
}

// Little-endian TIFF, one IFD: grey 8-bit, one strip of 4 bytes.
std::string tiff_declaring(uint32_t width, uint32_t height) {
  std::string tiff("II*\0", 4);
  put_le32(tiff, 8);
  const uint16_t count = 8;
  put_le16(tiff, count);
  const auto entry = [&](uint16_t tag, uint16_t type, uint32_t value) {
    put_le16(tiff, tag);
    put_le16(tiff, type);
    put_le32(tiff, 1);
    put_le32(tiff, value);
  };
  const uint32_t data_offset = 8 + 2 + count * 12 + 4;
  entry(256, 4, width);
  entry(257, 4, height);
  entry(258, 3, 8);
  entry(259, 3, 1);
  entry(262, 3, 1);
  entry(273, 4, data_offset);
  entry(278, 4, height);
  entry(279, 4, 4);
  put_le32(tiff, 0);
  tiff += std::string(4, '\x80');
  return tiff;
}

long max_rss_kib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

TEST_F(ImageTest, SpecialFilesAreRefusedWithoutBlocking) {
  const std::string fifo = path("image.png");
  ASSERT_TRUE(gramlite::testing::make_fifo(fifo));
  Result<RgbImage> image = internal_error("not run");
  ASSERT_TRUE(gramlite::testing::returns_within(fifo, [&] { image = read_rgb_image(fifo); }));
  EXPECT_EQ(image.status().code(), StatusCode::kNotFound) << image.status().message();
  EXPECT_NE(image.status().message().find("'" + fifo + "' is not a regular file (a FIFO)"), std::string::npos)
      << image.status().message();
  auto folder = read_rgb_image(dir_.string());
  EXPECT_NE(folder.status().message().find("(a directory)"), std::string::npos) << folder.status().message();
  auto zero = read_rgb_image("/dev/zero");
  EXPECT_NE(zero.status().message().find("(a character device)"), std::string::npos) << zero.status().message();
  EXPECT_EQ(read_rgb_image(path("nope.png")).status().code(), StatusCode::kNotFound);
}

// A few bytes declaring 30000 x 30000 pixels used to make the decoder allocate gigabytes. The
// declared size is read from the header and refused before decoding: fast, no memory, and the
// error names the file, the declared size and the limit.
TEST_F(ImageTest, DeclaredSizeAboveTheLimitIsRefusedBeforeDecoding) {
  struct Case {
    std::string name;
    std::string bytes;
  };
  const std::vector<Case> cases = {{"huge.png", png_declaring(30000, 30000)},
                                   {"huge.jpg", jpeg_declaring(30000, 30000)},
                                   {"huge.bmp", bmp_declaring(30000, -30000)},
                                   {"huge.tiff", tiff_declaring(30000, 30000)}};
  const long rss_before = max_rss_kib();
  for (const Case& c : cases) {
    std::ofstream(path(c.name), std::ios::binary) << c.bytes;
    const auto start = std::chrono::steady_clock::now();
    auto image = read_rgb_image(path(c.name));
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    ASSERT_FALSE(image.ok()) << c.name;
    EXPECT_EQ(image.status().code(), StatusCode::kUnsupported) << image.status().message();
    const std::string& m = image.status().message();
    EXPECT_NE(m.find(path(c.name)), std::string::npos) << m;
    EXPECT_NE(m.find("30000x30000"), std::string::npos) << m;
    EXPECT_NE(m.find("100,000,000"), std::string::npos) << m;  // kDefaultMaxImagePixels
    EXPECT_LT(seconds, 2.0) << c.name;
  }
  EXPECT_LT(max_rss_kib() - rss_before, 100 * 1024) << "KiB of peak memory grew while refusing";
}

TEST_F(ImageTest, MaxPixelsIsTheCallersBound) {
  static_assert(kDefaultMaxImagePixels == int64_t{10000} * 10000);
  cv::Mat bgr(40, 50, CV_8UC3, cv::Scalar(1, 2, 3));
  ASSERT_TRUE(cv::imwrite(path("small.png"), bgr));
  auto refused = read_rgb_image(path("small.png"), 1999);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("50x40"), std::string::npos) << refused.status().message();
  EXPECT_NE(refused.status().message().find("1,999"), std::string::npos) << refused.status().message();
  EXPECT_TRUE(read_rgb_image(path("small.png"), 2000).ok());
  // A header that is fine but whose decoder fails (no pixel data) is corrupt data, not a size problem.
  std::ofstream(path("empty.png"), std::ios::binary) << png_declaring(8, 8);
  EXPECT_EQ(read_rgb_image(path("empty.png")).status().code(), StatusCode::kCorruptData);
}

// Runs `call` with stderr (fd 2) sent to a file; returns what was written there.
template <typename Call>
std::string captured_stderr(const std::string& file, Call call) {
  std::fflush(stderr);
  const int saved = ::dup(2);
  const int sink = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  ::dup2(sink, 2);
  call();
  std::fflush(stderr);
  ::dup2(saved, 2);
  ::close(saved);
  ::close(sink);
  std::ifstream in(file);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

// Decoders print their own lines (libpng "libpng error: ...", libjpeg "Corrupt JPEG data", OpenCV
// warnings); gramlite's error is the one line. Nothing else reaches stderr, and every message is one line.
TEST_F(ImageTest, BrokenImagesPrintNothingAndFailInOneLine) {
  cv::Mat noise(64, 64, CV_8UC3);
  cv::randu(noise, 0, 255);
  std::vector<std::string> files;
  for (const char* ext : {".png", ".jpg", ".tiff", ".bmp", ".webp"}) {
    std::vector<uchar> encoded;
    ASSERT_TRUE(cv::imencode(ext, noise, encoded));
    const std::string bytes(encoded.begin(), encoded.end());
    const std::string stem = path(std::string("broken") + (ext + 1));
    std::ofstream(stem + "_cut" + ext, std::ios::binary) << bytes.substr(0, bytes.size() * 2 / 3);
    std::string flipped = bytes;
    for (size_t i = bytes.size() / 3; i < bytes.size(); i += 97) flipped[i] = static_cast<char>(flipped[i] ^ 0x5A);
    std::ofstream(stem + "_flipped" + ext, std::ios::binary) << flipped;
    files.push_back(stem + "_cut" + ext);
    files.push_back(stem + "_flipped" + ext);
  }
  std::string messages;
  const std::string printed = captured_stderr(path("stderr.txt"), [&] {
    for (const std::string& file : files) {
      auto image = read_rgb_image(file);
      if (image.ok()) continue;
      messages += image.status().message() + "\n";
      EXPECT_EQ(image.status().message().find('\n'), std::string::npos) << image.status().message();
    }
  });
  EXPECT_EQ(printed, "") << "decoders printed on their own; gramlite's errors were:\n" << messages;
}

// A palette PNG with a tRNS chunk (OpenCV cannot write one): 4x2, palette entries with alpha.
std::string palette_png_with_transparency() {
  std::string out;
  png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
  png_infop info = png_create_info_struct(png);
  png_set_write_fn(
      png, &out,
      [](png_structp p, png_bytep data, png_size_t n) {
        static_cast<std::string*>(png_get_io_ptr(p))->append(reinterpret_cast<const char*>(data), n);
      },
      nullptr);
  png_set_IHDR(png, info, 4, 2, 8, PNG_COLOR_TYPE_PALETTE, PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT,
               PNG_FILTER_TYPE_DEFAULT);
  png_color palette[3] = {{255, 0, 0}, {0, 255, 0}, {0, 0, 255}};
  png_set_PLTE(png, info, palette, 3);
  png_byte alpha[2] = {0, 128};
  png_set_tRNS(png, info, alpha, 2, nullptr);
  png_write_info(png, info);
  png_byte rows[2][4] = {{0, 1, 2, 0}, {2, 1, 0, 1}};
  for (auto& row : rows) png_write_row(png, row);
  png_write_end(png, nullptr);
  png_destroy_write_struct(&png, &info);
  return out;
}

// The libpng / libjpeg decoders must give exactly what cv::imdecode(IMREAD_UNCHANGED) gave, so
// routing their messages changed no pixel: every PNG colour type and depth OpenCV writes (and a
// palette with transparency, and an interlaced file), grey and colour JPEGs.
TEST_F(ImageTest, QuietDecodersMatchOpenCv) {
  cv::RNG rng(5);
  std::vector<std::pair<std::string, std::vector<uchar>>> files;
  for (int type : {CV_8UC1, CV_8UC3, CV_8UC4, CV_16UC1, CV_16UC3, CV_16UC4}) {
    cv::Mat image(7, 9, type);
    rng.fill(image, cv::RNG::UNIFORM, 0, CV_MAT_DEPTH(type) == CV_16U ? 65536 : 256);
    std::vector<uchar> png;
    ASSERT_TRUE(cv::imencode(".png", image, png));
    files.emplace_back("png type " + std::to_string(type), png);
    if (CV_MAT_DEPTH(type) == CV_8U && CV_MAT_CN(type) != 4) {
      std::vector<uchar> jpeg;
      ASSERT_TRUE(cv::imencode(".jpg", image, jpeg, {cv::IMWRITE_JPEG_QUALITY, 80}));
      files.emplace_back("jpeg type " + std::to_string(type), jpeg);
      std::vector<uchar> progressive;
      ASSERT_TRUE(cv::imencode(".jpg", image, progressive, {cv::IMWRITE_JPEG_PROGRESSIVE, 1}));
      files.emplace_back("progressive jpeg type " + std::to_string(type), progressive);
    }
  }
  cv::Mat bits(5, 13, CV_8UC1);
  rng.fill(bits, cv::RNG::UNIFORM, 0, 2);
  bits *= 255;
  std::vector<uchar> bilevel;
  ASSERT_TRUE(cv::imencode(".png", bits, bilevel, {cv::IMWRITE_PNG_BILEVEL, 1}));
  files.emplace_back("1-bit png", bilevel);
  const std::string palette = palette_png_with_transparency();
  files.emplace_back("palette png with tRNS", std::vector<uchar>(palette.begin(), palette.end()));

  for (const auto& [name, bytes] : files) {
    const cv::Mat expected = cv::imdecode(bytes, cv::IMREAD_UNCHANGED);
    ASSERT_FALSE(expected.empty()) << name;
    Result<cv::Mat> got = looks_like_png(bytes.data(), bytes.size()) ? decode_png_quietly(bytes.data(), bytes.size())
                                                                      : decode_jpeg_quietly(bytes.data(), bytes.size());
    ASSERT_TRUE(got.ok()) << name << ": " << got.status().message();
    ASSERT_EQ(got->type(), expected.type()) << name;
    ASSERT_EQ(got->size(), expected.size()) << name;
    EXPECT_EQ(cv::norm(*got, expected, cv::NORM_INF), 0.0) << name;
  }
}

}  // namespace
}  // namespace gramlite::data
