#include "common/audit.h"

#include <algorithm>
#include <cctype>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace fs {
namespace {

using ::testing::MatchesRegex;

// prev_hash of the first row, as the trigger writes it (repeat('0', 64)).
std::string GenesisHash() { return std::string(64, '0'); }

AuditRow SampleRow() {
  AuditRow row;
  row.id = 1;
  row.occurred_at_micros = 1700000000123456;
  row.principal = "spiffe://fs.local/practitioner/p-1";
  row.role = "social_worker";
  row.action = "GetCase";
  row.resource = "cases/123";
  row.break_glass_reason = "";
  row.outcome = "OK";
  row.prev_hash = GenesisHash();
  return row;
}

// A valid chain of `n` rows, ids 1..n, as the database trigger would write it.
std::vector<AuditRow> BuildChain(int n) {
  std::vector<AuditRow> rows;
  std::string prev = GenesisHash();
  for (int i = 1; i <= n; ++i) {
    AuditRow row;
    row.id = i;
    row.occurred_at_micros = 1700000000000000 + i * 1000;
    row.principal = absl::StrCat("spiffe://fs.local/practitioner/p-", i);
    row.role = i % 2 == 0 ? "team_manager" : "social_worker";
    row.action = "GetCase";
    row.resource = absl::StrCat("cases/", 100 + i);
    row.break_glass_reason = i == 3 ? "child at immediate risk" : "";
    row.outcome = i == 4 ? "PERMISSION_DENIED" : "OK";
    row.prev_hash = prev;
    row.row_hash = AuditRowHash(row);
    prev = row.row_hash;
    rows.push_back(std::move(row));
  }
  return rows;
}

TEST(AuditRowHashTest, IsDeterministic) {
  const AuditRow row = SampleRow();
  AuditRow copy = row;
  EXPECT_EQ(AuditRowHash(row), AuditRowHash(row));
  EXPECT_EQ(AuditRowHash(row), AuditRowHash(copy));
}

TEST(AuditRowHashTest, Is64LowercaseHexChars) {
  for (const AuditRow& row : BuildChain(5)) {
    const std::string hash = AuditRowHash(row);
    EXPECT_EQ(hash.size(), 64u);
    EXPECT_THAT(hash, MatchesRegex("[0-9a-f]{64}"));
  }
  AuditRow empty;
  EXPECT_THAT(AuditRowHash(empty), MatchesRegex("[0-9a-f]{64}"));
}

// Pins the canonical text, which must equal audit_canonical() in V001__audit_log.sql: each field
// as "<byte length>:<field>", in the order prev_hash, id, occurred_at_micros, principal, role,
// action, resource, break_glass_reason, outcome. The expected digests were computed with
//   printf '%s' '<canonical text>' | sha256sum
TEST(AuditRowHashTest, KnownAnswer) {
  // 64:0000000000000000000000000000000000000000000000000000000000000000
  // 1:1 16:1700000000123456 34:spiffe://fs.local/practitioner/p-1 13:social_worker 7:GetCase
  // 9:cases/123 0: 2:OK  (concatenated without the spaces)
  EXPECT_EQ(AuditRowHash(SampleRow()),
            "c2c14507fb8215597d927d442a79e5f30bbd0801a96b6e3b454201007a292fcd");
}

TEST(AuditRowHashTest, KnownAnswerCountsBytesNotCharacters) {
  AuditRow row;
  row.prev_hash = "c2c14507fb8215597d927d442a79e5f30bbd0801a96b6e3b454201007a292fcd";
  row.id = 42;
  row.occurred_at_micros = 1700000000999999;
  row.principal = "spiffe://fs.local/partner/nhs/RX1";
  row.role = "nhs_partner";
  row.action = "GetReferral";
  row.resource = "referrals/7";
  // 22 characters, 24 bytes: the em dash is three bytes in UTF-8 (octet_length in SQL).
  row.break_glass_reason = "child at risk \xe2\x80\x94 urgent";
  row.outcome = "PERMISSION_DENIED";
  // 64:<prev_hash> 2:42 16:1700000000999999 33:spiffe://fs.local/partner/nhs/RX1 11:nhs_partner
  // 11:GetReferral 11:referrals/7 24:child at risk — urgent 17:PERMISSION_DENIED
  EXPECT_EQ(AuditRowHash(row), "ed67dc88fd8ad4db8039750695e3dde8191c387cd8259e76a3e5358661e1fdda");
}

TEST(AuditRowHashTest, ChangingAnySingleFieldChangesTheHash) {
  const std::vector<std::pair<std::string, std::function<void(AuditRow&)>>> mutations = {
      {"prev_hash", [](AuditRow& r) { r.prev_hash[63] = '1'; }},
      {"id", [](AuditRow& r) { r.id = 2; }},
      {"occurred_at_micros", [](AuditRow& r) { r.occurred_at_micros += 1; }},
      {"principal", [](AuditRow& r) { r.principal = "spiffe://fs.local/practitioner/p-2"; }},
      {"role", [](AuditRow& r) { r.role = "team_manager"; }},
      {"action", [](AuditRow& r) { r.action = "UpdateCase"; }},
      {"resource", [](AuditRow& r) { r.resource = "cases/124"; }},
      {"break_glass_reason", [](AuditRow& r) { r.break_glass_reason = "emergency"; }},
      {"outcome", [](AuditRow& r) { r.outcome = "PERMISSION_DENIED"; }},
  };
  const AuditRow original = SampleRow();
  const std::string original_hash = AuditRowHash(original);
  std::vector<std::string> hashes = {original_hash};
  for (const auto& [field, mutate] : mutations) {
    SCOPED_TRACE(field);
    AuditRow changed = original;
    mutate(changed);
    const std::string hash = AuditRowHash(changed);
    EXPECT_NE(hash, original_hash);
    hashes.push_back(hash);
  }
  // And every single-field change gives a different hash from every other.
  for (size_t i = 0; i < hashes.size(); ++i) {
    for (size_t j = i + 1; j < hashes.size(); ++j) {
      EXPECT_NE(hashes[i], hashes[j]) << i << " vs " << j;
    }
  }
}

TEST(AuditRowHashTest, StoredRowHashIsNotAnInput) {
  AuditRow row = SampleRow();
  const std::string hash = AuditRowHash(row);
  row.row_hash = hash;
  EXPECT_EQ(AuditRowHash(row), hash);
  row.row_hash = "anything else";
  EXPECT_EQ(AuditRowHash(row), hash);
}

TEST(AuditRowHashTest, LengthPrefixingSeparatesAdjacentFields) {
  // Moving a character across the boundary between two adjacent fields keeps the plain
  // concatenation the same; the length prefixes must make the hashes differ.
  using SetPair = std::function<void(AuditRow&, std::string, std::string)>;
  const std::vector<std::pair<std::string, SetPair>> pairs = {
      {"principal|role",
       [](AuditRow& r, std::string a, std::string b) {
         r.principal = std::move(a);
         r.role = std::move(b);
       }},
      {"role|action",
       [](AuditRow& r, std::string a, std::string b) {
         r.role = std::move(a);
         r.action = std::move(b);
       }},
      {"action|resource",
       [](AuditRow& r, std::string a, std::string b) {
         r.action = std::move(a);
         r.resource = std::move(b);
       }},
      {"resource|break_glass_reason",
       [](AuditRow& r, std::string a, std::string b) {
         r.resource = std::move(a);
         r.break_glass_reason = std::move(b);
       }},
      {"break_glass_reason|outcome",
       [](AuditRow& r, std::string a, std::string b) {
         r.break_glass_reason = std::move(a);
         r.outcome = std::move(b);
       }},
  };
  for (const auto& [name, set] : pairs) {
    SCOPED_TRACE(name);
    AuditRow ab_c = SampleRow();
    set(ab_c, "ab", "c");
    AuditRow a_bc = SampleRow();
    set(a_bc, "a", "bc");
    AuditRow abc_empty = SampleRow();
    set(abc_empty, "abc", "");
    AuditRow empty_abc = SampleRow();
    set(empty_abc, "", "abc");
    EXPECT_NE(AuditRowHash(ab_c), AuditRowHash(a_bc));
    EXPECT_NE(AuditRowHash(abc_empty), AuditRowHash(empty_abc));
    EXPECT_NE(AuditRowHash(ab_c), AuditRowHash(abc_empty));
  }
}

TEST(AuditRowHashTest, SeparatorInsideAFieldIsUnambiguous) {
  // With a plain separator, principal "a:b" + role "c" and principal "a" + role "b:c" would both
  // read "a:b:c"; the length prefixes keep them apart.
  AuditRow left = SampleRow();
  left.principal = "a:b";
  left.role = "c";
  AuditRow right = SampleRow();
  right.principal = "a";
  right.role = "b:c";
  EXPECT_NE(AuditRowHash(left), AuditRowHash(right));

  // Nor can a field smuggle in a length prefix for its neighbour: principal "x" + role "y" is
  // "1:x1:y", which a principal "x1:y" + empty role must not reproduce.
  AuditRow split = SampleRow();
  split.principal = "x";
  split.role = "y";
  AuditRow forged = SampleRow();
  forged.principal = "x1:y";
  forged.role = "";
  EXPECT_NE(AuditRowHash(split), AuditRowHash(forged));
}

TEST(AuditRowHashTest, NumericFieldsAreLengthPrefixedToo) {
  // id 12 / micros 3 vs id 1 / micros 23 concatenate to the same digits.
  AuditRow a = SampleRow();
  a.id = 12;
  a.occurred_at_micros = 3;
  AuditRow b = SampleRow();
  b.id = 1;
  b.occurred_at_micros = 23;
  EXPECT_NE(AuditRowHash(a), AuditRowHash(b));
}

TEST(FirstBrokenAuditRowTest, EmptyChainIsIntact) { EXPECT_EQ(FirstBrokenAuditRow({}), 0); }

TEST(FirstBrokenAuditRowTest, ValidChainIsIntact) {
  const std::vector<AuditRow> rows = BuildChain(5);
  ASSERT_EQ(rows.size(), 5u);
  EXPECT_EQ(rows[0].prev_hash, GenesisHash());
  for (size_t i = 1; i < rows.size(); ++i) EXPECT_EQ(rows[i].prev_hash, rows[i - 1].row_hash);
  EXPECT_EQ(FirstBrokenAuditRow(rows), 0);
}

TEST(FirstBrokenAuditRowTest, SingleRowChainIsIntact) {
  EXPECT_EQ(FirstBrokenAuditRow(BuildChain(1)), 0);
}

TEST(FirstBrokenAuditRowTest, TamperedFieldInMiddleRowIsDetected) {
  const std::vector<std::pair<std::string, std::function<void(AuditRow&)>>> tamperings = {
      {"principal", [](AuditRow& r) { r.principal = "spiffe://fs.local/practitioner/other"; }},
      {"role", [](AuditRow& r) { r.role = "administrator"; }},
      {"action", [](AuditRow& r) { r.action = "DeleteCase"; }},
      {"resource", [](AuditRow& r) { r.resource = "cases/999"; }},
      {"break_glass_reason", [](AuditRow& r) { r.break_glass_reason = ""; }},
      {"outcome", [](AuditRow& r) { r.outcome = "NOT_FOUND"; }},
      {"occurred_at_micros", [](AuditRow& r) { r.occurred_at_micros -= 1; }},
      {"row_hash", [](AuditRow& r) { r.row_hash[0] = r.row_hash[0] == 'f' ? 'e' : 'f'; }},
  };
  for (const auto& [field, tamper] : tamperings) {
    SCOPED_TRACE(field);
    std::vector<AuditRow> rows = BuildChain(5);
    tamper(rows[2]);
    EXPECT_EQ(FirstBrokenAuditRow(rows), 3);
  }
}

TEST(FirstBrokenAuditRowTest, TamperedRowWithRecomputedHashBreaksTheNextRow) {
  std::vector<AuditRow> rows = BuildChain(5);
  rows[2].outcome = "OK_FORGED";
  rows[2].row_hash = AuditRowHash(rows[2]);
  EXPECT_EQ(FirstBrokenAuditRow(rows), 4);
}

TEST(FirstBrokenAuditRowTest, TamperedPrevHashIsDetected) {
  std::vector<AuditRow> rows = BuildChain(5);
  rows[2].prev_hash = GenesisHash();
  rows[2].row_hash = AuditRowHash(rows[2]);
  EXPECT_EQ(FirstBrokenAuditRow(rows), 3);
}

TEST(FirstBrokenAuditRowTest, UppercaseStoredHashDoesNotVerify) {
  std::vector<AuditRow> rows = BuildChain(1);
  for (char& c : rows[0].row_hash)
    c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  ASSERT_NE(rows[0].row_hash, AuditRowHash(rows[0]));
  EXPECT_EQ(FirstBrokenAuditRow(rows), 1);
}

TEST(FirstBrokenAuditRowTest, TamperedFirstRowIsDetected) {
  std::vector<AuditRow> rows = BuildChain(5);
  rows[0].resource = "cases/0";
  EXPECT_EQ(FirstBrokenAuditRow(rows), 1);
}

TEST(FirstBrokenAuditRowTest, TamperedLastRowIsDetected) {
  std::vector<AuditRow> rows = BuildChain(5);
  rows[4].principal = "spiffe://fs.local/service/api";
  EXPECT_EQ(FirstBrokenAuditRow(rows), 5);
}

TEST(FirstBrokenAuditRowTest, RemovedMiddleRowIsDetectedAtTheRowAfterTheGap) {
  std::vector<AuditRow> rows = BuildChain(5);
  rows.erase(rows.begin() + 2);  // id 3
  EXPECT_EQ(FirstBrokenAuditRow(rows), 4);
}

TEST(FirstBrokenAuditRowTest, RemovedRowWithRenumberedSuccessorIsDetected) {
  // Closing the id gap is not enough: the successor's prev_hash no longer matches.
  std::vector<AuditRow> rows = BuildChain(5);
  rows.erase(rows.begin() + 2);  // id 3
  rows[2].id = 3;
  rows[2].row_hash = AuditRowHash(rows[2]);
  EXPECT_EQ(FirstBrokenAuditRow(rows), 3);
}

TEST(FirstBrokenAuditRowTest, RemovedFirstRowIsDetected) {
  std::vector<AuditRow> rows = BuildChain(5);
  rows.erase(rows.begin());
  EXPECT_EQ(FirstBrokenAuditRow(rows), 2);
}

TEST(FirstBrokenAuditRowTest, ChainNotStartingAtGenesisIsDetected) {
  std::vector<AuditRow> rows = BuildChain(1);
  rows[0].prev_hash = std::string(64, 'a');
  rows[0].row_hash = AuditRowHash(rows[0]);
  EXPECT_EQ(FirstBrokenAuditRow(rows), 1);
}

TEST(FirstBrokenAuditRowTest, ReorderedRowsAreDetected) {
  std::vector<AuditRow> rows = BuildChain(5);
  std::swap(rows[1], rows[2]);  // ids 1, 3, 2, 4, 5
  EXPECT_EQ(FirstBrokenAuditRow(rows), 3);

  std::vector<AuditRow> reversed = BuildChain(5);
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(FirstBrokenAuditRow(reversed), 5);
}

TEST(FirstBrokenAuditRowTest, SwappedContentsWithOriginalIdsAreDetected) {
  // Keep ids in order but swap the other fields of rows 2 and 3.
  std::vector<AuditRow> rows = BuildChain(5);
  std::swap(rows[1].principal, rows[2].principal);
  std::swap(rows[1].resource, rows[2].resource);
  EXPECT_EQ(FirstBrokenAuditRow(rows), 2);
}

TEST(FirstBrokenAuditRowTest, DuplicatedRowIsDetected) {
  std::vector<AuditRow> rows = BuildChain(5);
  const AuditRow copy = rows[2];
  rows.insert(rows.begin() + 3, copy);  // ids 1, 2, 3, 3, 4, 5
  EXPECT_EQ(FirstBrokenAuditRow(rows), 3);
}

TEST(FirstBrokenAuditRowTest, PrefixOfAValidChainVerifies) {
  // Truncating the tail is not detectable from the rows alone; every prefix is a valid chain.
  std::vector<AuditRow> rows = BuildChain(5);
  rows.pop_back();
  rows.pop_back();
  EXPECT_EQ(FirstBrokenAuditRow(rows), 0);
}

}  // namespace
}  // namespace fs
