#include "common/name_match.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace fs {
namespace {

// ---------------------------------------------------------------------------------------------
// NormalizeName.

TEST(NormalizeNameTest, FoldsAccentsAndDropsPunctuation) {
  EXPECT_EQ(NormalizeName("Zoë O'Brien-Smith"), "zoeobriensmith");
}

TEST(NormalizeNameTest, LowerCasesAndFoldsCapitalAccents) {
  EXPECT_EQ(NormalizeName("ÉLODIE"), "elodie");
}

TEST(NormalizeNameTest, FoldsLatinExtendedA) {
  EXPECT_EQ(NormalizeName("Łukasz"), "lukasz");
  EXPECT_EQ(NormalizeName("Dvořák"), "dvorak");
}

TEST(NormalizeNameTest, FoldsSlashedO) { EXPECT_EQ(NormalizeName("Ørsted"), "orsted"); }

TEST(NormalizeNameTest, FoldsSharpSToTwoLetters) { EXPECT_EQ(NormalizeName("Straße"), "strasse"); }

TEST(NormalizeNameTest, DropsSpaces) { EXPECT_EQ(NormalizeName("Mary Jane"), "maryjane"); }

TEST(NormalizeNameTest, DropsTypographicApostrophe) {
  // U+2019 RIGHT SINGLE QUOTATION MARK, as word processors and phones type it.
  EXPECT_EQ(NormalizeName("O\u2019Neil"), "oneil");
  EXPECT_EQ(NormalizeName("O\u2019Neil"), NormalizeName("O'Neil"));
}

TEST(NormalizeNameTest, EmptyStaysEmpty) { EXPECT_EQ(NormalizeName(""), ""); }

TEST(NormalizeNameTest, KeepsCyrillicName) {
  // Cyrillic letters are two-byte UTF-8 sequences; they must not vanish.
  std::string normalized = NormalizeName("Алексей");
  EXPECT_FALSE(normalized.empty());
  EXPECT_EQ(normalized, "Алексей");
  EXPECT_EQ(normalized, NormalizeName("Алексей"));
}

TEST(NormalizeNameTest, DifferentCyrillicNamesStayDifferent) {
  EXPECT_NE(NormalizeName("Алексей"), NormalizeName("Мария"));
}

TEST(NormalizeNameTest, KeepsGreekName) {
  // Greek, like Cyrillic, is a two-byte UTF-8 script.
  EXPECT_FALSE(NormalizeName("Νίκος").empty());
  EXPECT_NE(NormalizeName("Νίκος"), NormalizeName("Γιώργος"));
}

TEST(NormalizeNameTest, KeepsCjkName) {
  // Three-byte sequences are kept as they are.
  EXPECT_EQ(NormalizeName("王芳"), "王芳");
  EXPECT_NE(NormalizeName("王芳"), NormalizeName("李娜"));
}

// ---------------------------------------------------------------------------------------------
// SwapDayAndMonth.

TEST(SwapDayAndMonthTest, SwapsDayAndMonth) {
  EXPECT_EQ(SwapDayAndMonth(absl::CivilDay(2020, 3, 7)), absl::CivilDay(2020, 7, 3));
  EXPECT_EQ(SwapDayAndMonth(absl::CivilDay(2020, 1, 12)), absl::CivilDay(2020, 12, 1));
}

TEST(SwapDayAndMonthTest, DayAfterTwelfthHasNoSwap) {
  EXPECT_EQ(SwapDayAndMonth(absl::CivilDay(2020, 3, 13)), std::nullopt);
  EXPECT_EQ(SwapDayAndMonth(absl::CivilDay(2020, 12, 31)), std::nullopt);
}

TEST(SwapDayAndMonthTest, DayEqualToMonthHasNoSwap) {
  EXPECT_EQ(SwapDayAndMonth(absl::CivilDay(2020, 5, 5)), std::nullopt);
}

// ---------------------------------------------------------------------------------------------
// MatchReason.

const absl::CivilDay kBorn(2015, 4, 9);

TEST(MatchReasonTest, ExactNameAndBirthDate) {
  EXPECT_EQ(MatchReason("Zoe", "Smith", kBorn, "Zoe", "Smith", kBorn), "name_and_birth_date");
}

TEST(MatchReasonTest, CaseAccentAndHyphenDifferencesStillMatch) {
  EXPECT_EQ(MatchReason("Zoë", "O'Brien-Smith", kBorn, "ZOE", "obrien smith", kBorn),
            "name_and_birth_date");
}

TEST(MatchReasonTest, SwappedDayAndMonthMatchesInBothDirections) {
  const absl::CivilDay swapped(2015, 9, 4);
  EXPECT_EQ(MatchReason("Zoe", "Smith", kBorn, "Zoe", "Smith", swapped),
            "name_and_swapped_birth_date");
  EXPECT_EQ(MatchReason("Zoe", "Smith", swapped, "Zoe", "Smith", kBorn),
            "name_and_swapped_birth_date");
}

TEST(MatchReasonTest, GivenAndFamilyNamesReversedStillMatch) {
  EXPECT_EQ(MatchReason("Zoe", "Smith", kBorn, "Smith", "Zoe", kBorn), "name_and_birth_date");
}

TEST(MatchReasonTest, DifferentFamilyNameDoesNotMatch) {
  EXPECT_EQ(MatchReason("Zoe", "Smith", kBorn, "Zoe", "Smyth", kBorn), std::nullopt);
}

TEST(MatchReasonTest, DifferentGivenNameDoesNotMatch) {
  EXPECT_EQ(MatchReason("Zoe", "Smith", kBorn, "Zara", "Smith", kBorn), std::nullopt);
}

TEST(MatchReasonTest, DifferentBirthDateDoesNotMatch) {
  EXPECT_EQ(MatchReason("Zoe", "Smith", kBorn, "Zoe", "Smith", absl::CivilDay(2015, 4, 10)),
            std::nullopt);
  EXPECT_EQ(MatchReason("Zoe", "Smith", kBorn, "Zoe", "Smith", absl::CivilDay(2016, 4, 9)),
            std::nullopt);
}

TEST(MatchReasonTest, EmptyFamilyNamesDoNotMatch) {
  EXPECT_EQ(MatchReason("Zoe", "", kBorn, "Zoe", "", kBorn), std::nullopt);
  EXPECT_EQ(MatchReason("Zoe", "-", kBorn, "Zoe", " ", kBorn), std::nullopt);
}

TEST(MatchReasonTest, SameCyrillicNameMatches) {
  EXPECT_EQ(MatchReason("Алексей", "Иванов", kBorn, "Алексей", "Иванов", kBorn),
            "name_and_birth_date");
}

TEST(MatchReasonTest, TwinsWithDifferentCyrillicGivenNamesDoNotMatch) {
  EXPECT_EQ(MatchReason("Алексей", "Smith", kBorn, "Мария", "Smith", kBorn), std::nullopt);
}

constexpr char kSecret[] = "0123456789abcdef0123456789abcdef";

TEST(NameMatchKeyTest, KnownAnswer) {
  // HMAC-SHA256(secret, "obriensmith" 0x1f "zoe" 0x1f "2015-03-07"), computed with Python's hmac.
  EXPECT_EQ(NameMatchKey(kSecret, "Zoë", "O'Brien-Smith", absl::CivilDay(2015, 3, 7)),
            "83fbe89bd77f7de6080dde6d7467432cb948574859ff0a98a02546203a8ba3a1");
}

TEST(NameMatchKeyTest, EmptyWithoutSecretOrName) {
  EXPECT_EQ(NameMatchKey("", "Zoe", "Smith", absl::CivilDay(2015, 3, 7)), "");
  EXPECT_EQ(NameMatchKey(kSecret, "", "Smith", absl::CivilDay(2015, 3, 7)), "");
  EXPECT_EQ(NameMatchKey(kSecret, "Zoe", "--", absl::CivilDay(2015, 3, 7)), "");
  EXPECT_TRUE(NameMatchCandidates(kSecret, "Zoe", "", absl::CivilDay(2015, 3, 7)).empty());
}

TEST(NameMatchKeyTest, DifferentSecretsGiveDifferentKeys) {
  EXPECT_NE(NameMatchKey(kSecret, "Zoe", "Smith", absl::CivilDay(2015, 3, 7)),
            NameMatchKey("another secret of thirty-two bytes", "Zoe", "Smith",
                         absl::CivilDay(2015, 3, 7)));
}

TEST(NameMatchKeyTest, CandidatesCoverSwappedNamesAndDates) {
  std::string recorded = NameMatchKey(kSecret, "Zoe", "Smith", absl::CivilDay(2015, 3, 7));
  auto has = [&](const std::vector<std::string>& keys) {
    return std::find(keys.begin(), keys.end(), recorded) != keys.end();
  };
  auto exact = NameMatchCandidates(kSecret, "ZOE", "smith", absl::CivilDay(2015, 3, 7));
  ASSERT_FALSE(exact.empty());
  EXPECT_EQ(exact.front(), recorded);
  EXPECT_EQ(exact.size(), 4u);
  EXPECT_TRUE(has(NameMatchCandidates(kSecret, "Smith", "Zoe", absl::CivilDay(2015, 3, 7))));
  EXPECT_TRUE(has(NameMatchCandidates(kSecret, "Zoe", "Smith", absl::CivilDay(2015, 7, 3))));
  EXPECT_FALSE(has(NameMatchCandidates(kSecret, "Zoe", "Smith", absl::CivilDay(2015, 3, 8))));
  EXPECT_FALSE(has(NameMatchCandidates(kSecret, "Zoe", "Smyth", absl::CivilDay(2015, 3, 7))));
  // A day above 12 has no swapped reading; the same day and month has no other.
  EXPECT_EQ(NameMatchCandidates(kSecret, "Zoe", "Smith", absl::CivilDay(2015, 3, 17)).size(), 2u);
  EXPECT_EQ(NameMatchCandidates(kSecret, "Ann", "Ann", absl::CivilDay(2015, 5, 5)).size(), 1u);
}

}  // namespace
}  // namespace fs
