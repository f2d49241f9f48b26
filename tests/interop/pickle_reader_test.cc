#include "interop/pickle_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "pickle_builder.h"
#include "test_support.h"

namespace gramlite::interop {
namespace {

using testing::PickleBuilder;

Result<ParsedPickle> parse(const std::string& bytes, const PickleLimits& limits = {}) {
  return parse_pickle(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size(), "'test'", limits);
}

TEST(PickleReader, ParsesScalarsContainersAndMemo) {
  PickleBuilder p;
  p.proto(2).empty_dict().put(0).mark();
  p.str("int").int4(-7);
  p.str("small").int1(200);
  p.str("float").binfloat(2.5);
  p.str("none").none();
  p.str("flag").boolean(true);
  p.str("list").empty_list().put(1).mark().int1(1).short_str("two").appends();
  p.str("tuple").int1(1).int1(2).tuple2();
  p.str("bytes").bytes(std::string("\x00\x01", 2));
  p.str("again").get(1);  // the same list object as "list"
  p.setitems().stop();
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_EQ(parsed->bytes_consumed, p.finish().size());
  const PickleDocument& doc = parsed->document;
  const PickleRef root = doc.root();
  ASSERT_EQ(doc.at(root).kind, PickleKind::kDict);
  EXPECT_EQ(doc.as_int(*doc.dict_get(root, "int")), -7);
  EXPECT_EQ(doc.as_int(*doc.dict_get(root, "small")), 200);
  EXPECT_EQ(doc.as_float(*doc.dict_get(root, "float")), 2.5);
  EXPECT_EQ(doc.at(*doc.dict_get(root, "none")).kind, PickleKind::kNone);
  EXPECT_EQ(doc.as_int(*doc.dict_get(root, "flag")), 1);
  const auto list = doc.dict_get(root, "list");
  ASSERT_TRUE(list);
  ASSERT_NE(doc.as_sequence(*list), nullptr);
  EXPECT_EQ(doc.as_sequence(*list)->size(), 2u);
  EXPECT_EQ(doc.as_string(doc.as_sequence(*list)->at(1)), "two");
  EXPECT_EQ(*doc.dict_get(root, "again"), *list);
  EXPECT_EQ(doc.at(*doc.dict_get(root, "tuple")).kind, PickleKind::kTuple);
  EXPECT_EQ(doc.at(*doc.dict_get(root, "bytes")).text, std::string("\x00\x01", 2));
  EXPECT_FALSE(doc.dict_get(root, "absent"));
  EXPECT_NE(doc.describe(root).find("'int': -7"), std::string::npos) << doc.describe(root);
}

TEST(PickleReader, OrderedDictBecomesADictWithBuildState) {
  PickleBuilder p;
  p.proto(2).global("collections", "OrderedDict").put(0).empty_tuple().reduce().put(1);
  p.mark().str("a").int1(1).str("b").int1(2).setitems();
  p.empty_dict().str("_metadata").empty_dict().setitem().build().stop();
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const PickleDocument& doc = parsed->document;
  ASSERT_EQ(doc.at(doc.root()).kind, PickleKind::kDict);
  EXPECT_EQ(doc.at(doc.root()).items.size(), 4u);
  EXPECT_NE(doc.at(doc.root()).state, kNoPickleRef);
}

TEST(PickleReader, Python2OrderedDictPairsBecomeADict) {
  PickleBuilder p;
  p.proto(2).global("collections", "OrderedDict").mark();
  p.mark().str("a").int1(1).op('l');
  p.mark().str("b").int1(2).op('l');
  p.op('l').tuple1().reduce().stop();
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const PickleDocument& doc = parsed->document;
  ASSERT_EQ(doc.at(doc.root()).kind, PickleKind::kDict);
  EXPECT_EQ(doc.as_int(*doc.dict_get(doc.root(), "b")), 2);
}

TEST(PickleReader, ReduceAndPersistentIdAreRecordedNotExecuted) {
  PickleBuilder p;
  p.proto(2).global("os", "system").str("rm -rf /").tuple1().reduce();
  p.str("key").tuple1().binpersid().tuple2().stop();
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const PickleDocument& doc = parsed->document;
  const auto* items = doc.as_sequence(doc.root());
  ASSERT_NE(items, nullptr);
  const PickleValue& call = doc.at(items->at(0));
  ASSERT_EQ(call.kind, PickleKind::kObject);
  EXPECT_EQ(doc.global_name(call.callable), "os.system");
  EXPECT_EQ(doc.at(items->at(1)).kind, PickleKind::kPersistentId);
}

TEST(PickleReader, DecodesLongIntegers) {
  PickleBuilder p;
  p.proto(2).mark();
  p.long1(std::string("\xff", 1));                 // -1
  p.long1(std::string("\x00\x80\x00", 3));         // 32768 (the zero byte keeps it positive)
  p.long1(std::string("\x00\x00\x00\x00\x00\x00\x00\x80\xff", 9));  // -2^63, one redundant sign byte
  p.long1(std::string("\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10));  // torch's legacy magic
  p.long1("");                                     // 0
  p.tuple().stop();
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  const PickleDocument& doc = parsed->document;
  const auto& items = *doc.as_sequence(doc.root());
  EXPECT_EQ(doc.as_int(items[0]), -1);
  EXPECT_EQ(doc.as_int(items[1]), 32768);
  EXPECT_EQ(doc.as_int(items[2]), INT64_MIN);
  EXPECT_EQ(doc.at(items[3]).kind, PickleKind::kBigInt);
  EXPECT_EQ(doc.at(items[3]).text.size(), 10u);
  EXPECT_EQ(doc.as_int(items[4]), 0);
}

TEST(PickleReader, UnknownOpcodeNamesByteAndOffset) {
  PickleBuilder p;
  p.proto(2).empty_dict().op(0xff).stop();
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kCorruptData);
  EXPECT_NE(parsed.status().message().find("unknown opcode 0xff at byte 3"), std::string::npos)
      << parsed.status().message();
  EXPECT_NE(parsed.status().message().find("'test'"), std::string::npos);
}

TEST(PickleReader, UnsupportedButValidOpcodesSaySo) {
  PickleBuilder p;
  p.op('V').raw("text\n").stop();  // protocol-0 UNICODE
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.status().code(), StatusCode::kUnsupported);
  EXPECT_NE(parsed.status().message().find("UNICODE"), std::string::npos);
}

TEST(PickleReader, MalformedStreamsFailCleanly) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {PickleBuilder().proto(2).stop().finish(), "underflow"},
      {PickleBuilder().proto(2).tuple3().stop().finish(), "underflow"},
      {PickleBuilder().proto(2).int1(1).get(9).stop().finish(), "never stored"},
      {PickleBuilder().proto(2).mark().int1(1).stop().finish(), "unclosed MARK"},
      {PickleBuilder().proto(2).empty_list().mark().int1(1).stop().finish(), "MARK"},
      {PickleBuilder().proto(2).int1(1).int1(2).setitem().stop().finish(), "underflow"},
      {PickleBuilder().proto(2).int1(1).str("k").int1(2).setitem().stop().finish(), "cannot set items on a int"},
      {PickleBuilder().proto(2).int1(1).int1(2).build().stop().finish(), "cannot BUILD"},
      {PickleBuilder().proto(2).global("m", "f").int1(1).reduce().stop().finish(), "must be a tuple"},
      {PickleBuilder().proto(9).none().stop().finish(), "protocol 9"},
      {PickleBuilder().proto(2).op('X').u32(1000).raw("abc").finish(), "truncated"},
      {PickleBuilder().proto(2).none().finish(), "before its STOP"},
      {std::string(), "before its STOP"},
  };
  for (const auto& [bytes, expected] : cases) {
    Result<ParsedPickle> parsed = parse(bytes);
    ASSERT_FALSE(parsed.ok()) << expected;
    EXPECT_NE(parsed.status().message().find(expected), std::string::npos)
        << "wanted '" << expected << "' in: " << parsed.status().message();
  }
}

TEST(PickleReader, LimitsBoundNestingValuesAndStack) {
  std::string deep_marks = PickleBuilder().proto(2).finish() + std::string(5000, '(');
  Result<ParsedPickle> marks = parse(deep_marks);
  ASSERT_FALSE(marks.ok());
  EXPECT_NE(marks.status().message().find("MARKs nested deeper"), std::string::npos) << marks.status().message();

  // A million nested 1-tuples parse iteratively (no recursion) and describe() stays bounded.
  PickleBuilder chain;
  chain.proto(2).none();
  for (int i = 0; i < 1000000; ++i) chain.tuple1();
  chain.stop();
  Result<ParsedPickle> nested = parse(chain.finish());
  ASSERT_TRUE(nested.ok()) << nested.status().message();
  EXPECT_LT(nested->document.describe(nested->document.root(), 1000, 200).size(), 300u);

  PickleLimits limits;
  limits.max_values = 100;
  PickleBuilder many;
  many.proto(2).empty_list().mark();
  for (int i = 0; i < 200; ++i) many.int1(1);
  many.appends().stop();
  Result<ParsedPickle> too_many = parse(many.finish(), limits);
  ASSERT_FALSE(too_many.ok());
  EXPECT_EQ(too_many.status().code(), StatusCode::kUnsupported);
}

TEST(PickleReader, SelfReferenceDoesNotHang) {
  PickleBuilder p;
  p.proto(2).empty_list().put(0).get(0).append().stop();  // l = []; l.append(l)
  Result<ParsedPickle> parsed = parse(p.finish());
  ASSERT_TRUE(parsed.ok()) << parsed.status().message();
  EXPECT_FALSE(parsed->document.describe(parsed->document.root()).empty());
}

TEST(PickleReader, EveryTruncationAndRandomCorruptionFailsCleanly) {
  PickleBuilder p;
  p.proto(2).global("collections", "OrderedDict").empty_tuple().reduce().put(0).mark();
  p.str("w").tensor("FloatStorage", "0", 4, 0, std::string("\x02\x02", 2), std::string("\x02\x01", 2));
  p.str("b").tensor("HalfStorage", "1", 2, 0, std::string("\x02", 1), std::string("\x01", 1));
  p.setitems().stop();
  const std::string bytes = p.finish();
  ASSERT_TRUE(parse(bytes).ok());
  for (size_t length = 0; length < bytes.size(); ++length) {
    EXPECT_FALSE(parse(bytes.substr(0, length)).ok()) << length;
  }
  std::mt19937 random(7);
  for (int trial = 0; trial < 5000; ++trial) {
    std::string corrupt = bytes;
    corrupt[random() % corrupt.size()] = static_cast<char>(random() & 0xFF);
    (void)parse(corrupt);  // any outcome but a crash
  }
}

// Streams written by CPython's own pickler at every protocol torch may use.
TEST(PickleReader, ReadsCPythonPicklesOfProtocols2To5) {
  testing::TempDir dir;
  ASSERT_TRUE(dir.ok());
  const std::string script =
      "import pickle, collections, sys\n"
      "d = collections.OrderedDict()\n"
      "d['ints'] = [0, 1, -1, 255, 256, 65535, 65536, -2**31, 2**31, 2**63 - 1, -2**63, 2**70]\n"
      "d['floats'] = (0.5, -1e300, float('inf'))\n"
      "d['text'] = 'gr\\u00e4m' * 100\n"
      "d['raw'] = b'\\x00\\x01' * 200\n"
      "d['nested'] = {'a': [None, True, False], 'b': {1, 2}}\n"
      "shared = [1, 2]\n"
      "d['shared'] = (shared, shared)\n"
      "for proto in (2, 3, 4, 5):\n"
      "    open(sys.argv[1] + '/p%d.pkl' % proto, 'wb').write(pickle.dumps(d, protocol=proto))\n";
  testing::write_text(dir.file("make.py"), script);
  if (testing::run_python(testing::shell_quote(dir.file("make.py")) + " " + testing::shell_quote(dir.path()),
                          dir.file("log.txt")) != 0) {
    GTEST_SKIP() << "python3 unavailable: " << testing::read_text(dir.file("log.txt"));
  }
  for (int proto = 2; proto <= 5; ++proto) {
    const std::string bytes = testing::read_text(dir.file("p" + std::to_string(proto) + ".pkl"));
    Result<ParsedPickle> parsed = parse(bytes);
    ASSERT_TRUE(parsed.ok()) << proto << ": " << parsed.status().message();
    const PickleDocument& doc = parsed->document;
    const PickleRef root = doc.root();
    ASSERT_EQ(doc.at(root).kind, PickleKind::kDict) << proto;
    const auto& ints = *doc.as_sequence(*doc.dict_get(root, "ints"));
    ASSERT_EQ(ints.size(), 12u);
    const std::vector<int64_t> expected = {0, 1, -1, 255, 256, 65535, 65536, -2147483648LL, 2147483648LL,
                                           INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(doc.as_int(ints[i]), expected[i]) << proto << " " << i;
    EXPECT_EQ(doc.at(ints[11]).kind, PickleKind::kBigInt);
    const auto& floats = *doc.as_sequence(*doc.dict_get(root, "floats"));
    EXPECT_EQ(doc.as_float(floats[0]), 0.5);
    EXPECT_EQ(doc.as_float(floats[1]), -1e300);
    std::string text;
    for (int i = 0; i < 100; ++i) text += "gr\xc3\xa4m";
    EXPECT_EQ(doc.as_string(*doc.dict_get(root, "text")), text) << proto;
    const PickleValue& raw = doc.at(*doc.dict_get(root, "raw"));
    if (proto >= 3) {
      EXPECT_EQ(raw.kind, PickleKind::kBytes);
      EXPECT_EQ(raw.text.size(), 400u);
    }
    const auto& shared = *doc.as_sequence(*doc.dict_get(root, "shared"));
    EXPECT_EQ(shared[0], shared[1]) << "memo must preserve identity";
  }
}

}  // namespace
}  // namespace gramlite::interop
