#include "services/case_records/name_match.h"

#include <optional>
#include <string>

#include "absl/time/civil_time.h"
#include "gtest/gtest.h"

namespace fs::cases {
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

}  // namespace
}  // namespace fs::cases
