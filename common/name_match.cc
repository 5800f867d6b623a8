#include "common/name_match.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>
#include <fstream>
#include <sstream>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "common/dates.h"

namespace fs {
namespace {

// Base letters of U+00C0..U+00FF; '\0' drops the character, '*' marks a two-letter folding.
using std::string_view_literals::operator""sv;
constexpr std::string_view kLatin1 =
    "AAAAAA*CEEEEIIIIDNOOOOO\0OUUUUY**aaaaaa*ceeeeiiiidnooooo\0ouuuuy*y"sv;
static_assert(kLatin1.size() == 64);

std::string_view FoldTwoLetters(uint32_t cp) {
  switch (cp) {
    case 0xC6:
      return "ae";
    case 0xE6:
      return "ae";
    case 0xDE:
      return "th";
    case 0xFE:
      return "th";
    case 0xDF:
      return "ss";
    case 0x132:
      return "ij";
    case 0x133:
      return "ij";
    case 0x152:
      return "oe";
    case 0x153:
      return "oe";
    default:
      return "";
  }
}

// Base letter of U+0100..U+017F by range.
char LatinExtendedA(uint32_t cp) {
  struct Range {
    uint32_t last;
    char base;
  };
  static constexpr Range kRanges[] = {
      {0x105, 'a'}, {0x10D, 'c'}, {0x111, 'd'}, {0x11B, 'e'}, {0x123, 'g'},
      {0x127, 'h'}, {0x131, 'i'}, {0x135, 'j'}, {0x138, 'k'}, {0x142, 'l'},
      {0x14B, 'n'}, {0x151, 'o'}, {0x159, 'r'}, {0x161, 's'}, {0x167, 't'},
      {0x173, 'u'}, {0x175, 'w'}, {0x178, 'y'}, {0x17E, 'z'}, {0x17F, 's'},
  };
  for (const auto& range : kRanges) {
    if (cp <= range.last) return range.base;
  }
  return '\0';
}

}  // namespace

std::string NormalizeName(absl::string_view name) {
  std::string out;
  for (size_t i = 0; i < name.size();) {
    auto byte = static_cast<unsigned char>(name[i]);
    uint32_t cp = byte;
    size_t len = 1;
    if (byte >= 0xC0 && byte < 0xE0 && i + 1 < name.size() &&
        (static_cast<unsigned char>(name[i + 1]) & 0xC0) == 0x80) {
      cp = ((byte & 0x1F) << 6) | (static_cast<unsigned char>(name[i + 1]) & 0x3F);
      len = 2;
      if (cp > 0x17F) {
        // Other two-byte scripts (Greek, Cyrillic, Hebrew, Arabic...) compare exactly.
        out.append(name.data() + i, len);
        i += len;
        continue;
      }
    } else if (byte >= 0x80) {
      // Three- and four-byte sequences are kept as they are (other scripts compare exactly),
      // except the typographic apostrophe U+2019, which is dropped like "'". A malformed byte
      // is kept alone.
      len = byte >= 0xF0 ? 4 : byte >= 0xE0 ? 3 : 1;
      absl::string_view sequence = name.substr(i, len);
      if (sequence != "\xE2\x80\x99") out.append(sequence.data(), sequence.size());
      i += len;
      continue;
    }
    i += len;
    if (cp < 0x80) {
      char c = static_cast<char>(cp);
      if (absl::ascii_isalnum(static_cast<unsigned char>(c))) {
        out.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
      }
      continue;  // hyphens, apostrophes, dots, spaces
    }
    if (auto two = FoldTwoLetters(cp); !two.empty()) {
      out.append(two);
    } else if (cp >= 0xC0 && cp <= 0xFF) {
      char base = kLatin1[cp - 0xC0];
      if (base != '\0') out.push_back(absl::ascii_tolower(static_cast<unsigned char>(base)));
    } else if (cp >= 0x100 && cp <= 0x17F) {
      if (char base = LatinExtendedA(cp); base != '\0') out.push_back(base);
    }
  }
  return out;
}

std::optional<absl::CivilDay> SwapDayAndMonth(absl::CivilDay day) {
  if (day.day() > 12 || day.day() == day.month()) return std::nullopt;
  return absl::CivilDay(day.year(), day.day(), day.month());
}

std::optional<std::string> MatchReason(absl::string_view given_a, absl::string_view family_a,
                                       absl::CivilDay born_a, absl::string_view given_b,
                                       absl::string_view family_b, absl::CivilDay born_b) {
  std::string ga = NormalizeName(given_a), fa = NormalizeName(family_a);
  std::string gb = NormalizeName(given_b), fb = NormalizeName(family_b);
  bool names = (ga == gb && fa == fb) || (ga == fb && fa == gb);
  if (!names || fa.empty()) return std::nullopt;
  if (born_a == born_b) return std::string("name_and_birth_date");
  if (SwapDayAndMonth(born_a) == born_b) return std::string("name_and_swapped_birth_date");
  return std::nullopt;
}

std::string NameMatchKey(absl::string_view secret, absl::string_view given,
                         absl::string_view family, absl::CivilDay born) {
  std::string g = NormalizeName(given), f = NormalizeName(family);
  if (secret.empty() || g.empty() || f.empty()) return "";
  std::string message = absl::StrCat(f, "\x1f", g, "\x1f", FormatDate(born));
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), digest, &length);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), length));
}

std::vector<std::string> NameMatchCandidates(absl::string_view secret, absl::string_view given,
                                             absl::string_view family, absl::CivilDay born) {
  std::vector<std::string> keys;
  auto add = [&](absl::string_view g, absl::string_view f, absl::CivilDay day) {
    std::string key = NameMatchKey(secret, g, f, day);
    if (key.empty()) return;
    for (const auto& k : keys) {
      if (k == key) return;
    }
    keys.push_back(std::move(key));
  };
  std::optional<absl::CivilDay> swapped = SwapDayAndMonth(born);
  add(given, family, born);
  add(family, given, born);
  if (swapped) {
    add(given, family, *swapped);
    add(family, given, *swapped);
  }
  return keys;
}

absl::StatusOr<std::string> ReadMatchSecret(const std::string& path) {
  if (path.empty()) return std::string();
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read the match secret ", path));
  std::stringstream contents;
  contents << in.rdbuf();
  std::string secret(absl::StripAsciiWhitespace(contents.str()));
  if (secret.size() < 32) {
    return absl::InvalidArgumentError(
        absl::StrCat("the match secret in ", path, " is shorter than 32 bytes"));
  }
  return secret;
}

}  // namespace fs
