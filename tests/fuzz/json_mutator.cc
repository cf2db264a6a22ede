// A structure-aware mutator for the JSON fuzz targets (config, json_file,
// bundle_manifest), linked into their libFuzzer builds only. Byte flips and
// the dictionary rarely build the shapes that broke JSON readers before: a
// document nested 60,000 levels deep (a stack overflow), a number beyond a
// double, a string of megabytes, a key written twice. One mutation in four
// inserts one of those at a place a value may start (after '{', '[', ':' or
// ','); the others are libFuzzer's own.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <random>
#include <string>
#include <vector>

extern "C" size_t LLVMFuzzerMutate(uint8_t* data, size_t size, size_t max_size);

namespace {

// Depths around the readers' limit (64) and far beyond it.
constexpr size_t kDepths[] = {63, 64, 65, 1000, 60000};

std::string Nested(size_t depth, bool objects) {
  std::string text;
  for (size_t i = 0; i < depth; ++i) text += objects ? "{\"a\":" : "[";
  text += "0";
  for (size_t i = 0; i < depth; ++i) text += objects ? "}" : "]";
  return text;
}

std::string HugeNumber(std::minstd_rand& random) {
  switch (random() % 4) {
    case 0:
      return "1e400";
    case 1:
      return "-1e99999";
    case 2:
      return std::string(1 + random() % 400, '9');  // beyond every integer type
    default:
      return "18446744073709551616";
  }
}

std::string LongString(std::minstd_rand& random) {
  const size_t length = random() % 2 == 0 ? 1 + random() % 300 : 65536 + random() % 65536;
  return "\"" + std::string(length, static_cast<char>('a' + random() % 26)) + "\"";
}

// Where a value may start, so the result is often still JSON and reaches
// the readers' checks past the parser.
size_t ValueStart(const std::string& text, std::minstd_rand& random) {
  std::vector<size_t> starts;
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '{' || text[i] == '[' || text[i] == ':' || text[i] == ',') starts.push_back(i + 1);
  }
  return starts.empty() ? 0 : starts[random() % starts.size()];
}

struct Insertion {
  size_t at;
  std::string text;
};

Insertion Shape(const std::string& text, std::minstd_rand& random) {
  const size_t at = ValueStart(text, random);
  switch (random() % 5) {
    case 0:
      return {at, Nested(kDepths[random() % std::size(kDepths)], /*objects=*/false)};
    case 1:
      return {at, Nested(kDepths[random() % std::size(kDepths)], /*objects=*/true)};
    case 2:
      return {at, HugeNumber(random)};
    case 3:
      return {at, LongString(random)};
    default: {
      // A key written twice: the document's first key again, first in its object.
      const size_t open = text.find('{');
      const size_t colon = open == std::string::npos ? std::string::npos : text.find(':', open);
      if (colon == std::string::npos) return {at, "{\"a\": 1, \"a\": 2}"};
      return {open + 1, text.substr(open + 1, colon - open) + " 0, "};
    }
  }
}

}  // namespace

extern "C" size_t LLVMFuzzerCustomMutator(uint8_t* data, size_t size, size_t max_size, unsigned int seed) {
  std::minstd_rand random(seed);
  if (random() % 4 != 0) return LLVMFuzzerMutate(data, size, max_size);
  std::string text(reinterpret_cast<const char*>(data), size);
  const Insertion insertion = Shape(text, random);
  text.insert(insertion.at, insertion.text);
  // A shape larger than libFuzzer allows (-max_len) is left to the corpus
  // seeds, which hold one of each at full size.
  if (text.size() > max_size) return LLVMFuzzerMutate(data, size, max_size);
  std::memcpy(data, text.data(), text.size());
  return text.size();
}
