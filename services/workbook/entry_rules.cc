#include "services/workbook/entry_rules.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <map>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/resource_name.h"
#include "common/status.h"

namespace fs::workbook {
namespace {

using google::protobuf::util::TimeUtil;
namespace cv1 = ::fs::cases::v1;

std::string Strip(const std::string& full, absl::string_view prefix) {
  return std::string(absl::StripPrefix(full, prefix));
}

}  // namespace

absl::Status CheckPlainText(absl::string_view text, absl::string_view field) {
  if (absl::StrContains(text, kLessThanStandIn) || absl::StrContains(text, kGreaterThanStandIn)) {
    return InvalidField(field, "the private-use characters U+E000 and U+E001 are not allowed");
  }
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\n' && c != '\r' && c != '\t') || u == 0x7F) {
      return InvalidField(field, "control characters are not allowed");
    }
  }
  return absl::OkStatus();
}

namespace {

bool AllowsScores(v1::EntryKind kind) {
  return kind == v1::ENTRY_KIND_MI_SESSION || kind == v1::ENTRY_KIND_MODULE_SESSION;
}

absl::Status CheckScore(const std::optional<int>& value, absl::string_view field) {
  if (value && (*value < 0 || *value > 10)) return InvalidField(field, "0 to 10");
  return absl::OkStatus();
}

}  // namespace

bool ValidTimestamp(const google::protobuf::Timestamp& t) {
  return t.seconds() >= TimeUtil::kTimestampMinSeconds &&
         t.seconds() <= TimeUtil::kTimestampMaxSeconds && t.nanos() >= 0 && t.nanos() <= 999999999;
}

std::string KindName(v1::EntryKind kind) { return Strip(v1::EntryKind_Name(kind), "ENTRY_KIND_"); }
v1::EntryKind KindFromName(absl::string_view name) {
  v1::EntryKind kind = v1::ENTRY_KIND_UNSPECIFIED;
  v1::EntryKind_Parse(absl::StrCat("ENTRY_KIND_", name), &kind);
  return kind;
}
std::string StateName(v1::EntryState state) {
  return Strip(v1::EntryState_Name(state), "ENTRY_STATE_");
}
v1::EntryState StateFromName(absl::string_view name) {
  v1::EntryState state = v1::ENTRY_STATE_UNSPECIFIED;
  v1::EntryState_Parse(absl::StrCat("ENTRY_STATE_", name), &state);
  return state;
}
std::string VisibilityName(v1::Visibility visibility) {
  return Strip(v1::Visibility_Name(visibility), "VISIBILITY_");
}
v1::Visibility VisibilityFromName(absl::string_view name) {
  v1::Visibility visibility = v1::VISIBILITY_UNSPECIFIED;
  v1::Visibility_Parse(absl::StrCat("VISIBILITY_", name), &visibility);
  return visibility;
}

absl::StatusOr<std::vector<std::string>> ParseModuleTitles(absl::string_view spec) {
  std::vector<std::string> titles;
  if (absl::StripAsciiWhitespace(spec).empty()) {
    for (int i = 1; i <= 8; ++i) titles.push_back(absl::StrCat("Module ", i));
    return titles;
  }
  for (absl::string_view part : absl::StrSplit(spec, '|')) {
    std::string title(absl::StripAsciiWhitespace(part));
    if (title.empty() || title.size() > 100) {
      return absl::InvalidArgumentError(
          "module_titles: each module title is 1 to 100 characters, separated by '|'");
    }
    titles.push_back(std::move(title));
  }
  if (titles.size() > 20) return absl::InvalidArgumentError("module_titles: at most 20 modules");
  return titles;
}

absl::Status NormaliseEntry(v1::Entry& entry, const EntryContext& context) {
  if (entry.kind() == v1::ENTRY_KIND_UNSPECIFIED || !v1::EntryKind_IsValid(entry.kind())) {
    return InvalidField("entry.kind", "required (HOME_VISIT, MI_SESSION, MODULE_SESSION, ...)");
  }
  if (!v1::Visibility_IsValid(entry.visibility())) {
    return InvalidField("entry.visibility", "unknown value");
  }
  if (entry.visibility() == v1::VISIBILITY_UNSPECIFIED) {
    entry.set_visibility(v1::VISIBILITY_NORMAL);
  }
  if (auto s = CheckText(entry.title(), "entry.title", kMaxTitle, true); !s.ok()) return s;
  if (auto s = CheckText(entry.text(), "entry.text", kMaxText, true); !s.ok()) return s;
  if (auto s = CheckPlainText(entry.title(), "entry.title"); !s.ok()) return s;
  if (auto s = CheckPlainText(entry.text(), "entry.text"); !s.ok()) return s;
  if (!entry.has_occur_time()) return InvalidField("entry.occur_time", "required");
  if (!ValidTimestamp(entry.occur_time())) {
    return InvalidField("entry.occur_time", "not a valid time");
  }
  // Stored to the microsecond: keep no more, so that what is read back equals what was sent.
  entry.mutable_occur_time()->set_nanos(entry.occur_time().nanos() / 1000 * 1000);
  absl::Time occurred = absl::FromUnixSeconds(entry.occur_time().seconds());
  if (occurred > context.now + absl::Minutes(5)) {
    return InvalidField("entry.occur_time", "is in the future");
  }
  if (occurred < absl::FromCivil(absl::CivilDay(1990, 1, 1), absl::UTCTimeZone())) {
    return InvalidField("entry.occur_time", "before 1990");
  }

  // Sealed roles: named MDT roles; TEAM_MANAGER always among them.
  std::set<int> roles;
  for (int role : entry.sealed_for_roles()) {
    if (role == cv1::FAMILY_SAFEGUARDING_ROLE_UNSPECIFIED ||
        !cv1::FamilySafeguardingRole_IsValid(role)) {
      return InvalidField("entry.sealed_for_roles", "unknown role");
    }
    roles.insert(role);
  }
  if (entry.visibility() == v1::VISIBILITY_SEALED) {
    if (roles.empty()) {
      return InvalidField("entry.sealed_for_roles",
                          "a SEALED entry names the roles that may read it");
    }
    roles.insert(cv1::FAMILY_SAFEGUARDING_ROLE_TEAM_MANAGER);
  } else if (!roles.empty()) {
    return InvalidField("entry.sealed_for_roles", "only for SEALED entries");
  }
  entry.clear_sealed_for_roles();
  for (int role : roles) entry.add_sealed_for_roles(static_cast<cv1::FamilySafeguardingRole>(role));

  // Subjects: people on this case.
  std::map<std::string, std::string> people(context.people.begin(), context.people.end());
  std::set<std::string> subjects;
  for (const auto& subject : entry.subjects()) {
    auto ids = ParseResourceName(subject, "entry.subjects", {"cases", "people"});
    if (!ids.ok()) return ids.status();
    if ((*ids)[0] != context.case_id || !people.contains((*ids)[1])) {
      return InvalidField("entry.subjects", absl::StrCat(Quote(subject), " is not on this case"));
    }
    subjects.insert(subject);
  }
  entry.clear_subjects();
  for (const auto& subject : subjects) entry.add_subjects(subject);

  // Module.
  if (entry.module() < 0 || entry.module() > context.module_count) {
    return InvalidField("entry.module", absl::StrCat("1 to ", context.module_count, ", or 0"));
  }
  if (entry.kind() == v1::ENTRY_KIND_MODULE_SESSION && entry.module() == 0) {
    return InvalidField("entry.module", "a MODULE_SESSION names its module");
  }

  // Scaling scores: MI and module work, one per adult subject.
  if (!entry.scaling_scores().empty() && !AllowsScores(entry.kind())) {
    return InvalidField("entry.scaling_scores", "only on MI_SESSION and MODULE_SESSION entries");
  }
  std::set<std::string> scored;
  for (const auto& score : entry.scaling_scores()) {
    if (!subjects.contains(score.person())) {
      return InvalidField("entry.scaling_scores.person",
                          absl::StrCat(Quote(score.person()), " is not among the subjects"));
    }
    auto ids =
        ParseResourceName(score.person(), "entry.scaling_scores.person", {"cases", "people"});
    if (!ids.ok()) return ids.status();
    if (people[(*ids)[1]] != "ADULT") {
      return InvalidField("entry.scaling_scores.person", "scaling scores are for adults");
    }
    if (!scored.insert(score.person()).second) {
      return InvalidField("entry.scaling_scores.person", "one set of scores per person");
    }
    if (!score.has_importance() && !score.has_confidence() && !score.has_readiness()) {
      return InvalidField("entry.scaling_scores",
                          "give at least one of importance, confidence, readiness");
    }
    auto opt = [](bool has, int v) { return has ? std::optional<int>(v) : std::nullopt; };
    if (auto s = CheckScore(opt(score.has_importance(), score.importance()),
                            "entry.scaling_scores.importance");
        !s.ok())
      return s;
    if (auto s = CheckScore(opt(score.has_confidence(), score.confidence()),
                            "entry.scaling_scores.confidence");
        !s.ok())
      return s;
    if (auto s = CheckScore(opt(score.has_readiness(), score.readiness()),
                            "entry.scaling_scores.readiness");
        !s.ok())
      return s;
  }
  std::sort(
      entry.mutable_scaling_scores()->begin(), entry.mutable_scaling_scores()->end(),
      [](const v1::ScalingScore& a, const v1::ScalingScore& b) { return a.person() < b.person(); });
  return absl::OkStatus();
}

absl::Status ApplyEntryMask(const v1::Entry& update, const google::protobuf::FieldMask& mask,
                            v1::Entry& entry) {
  if (mask.paths_size() == 0) return InvalidField("update_mask", "required");
  for (const auto& path : mask.paths()) {
    if (path == "kind") {
      entry.set_kind(update.kind());
    } else if (path == "visibility") {
      entry.set_visibility(update.visibility());
    } else if (path == "sealed_for_roles") {
      *entry.mutable_sealed_for_roles() = update.sealed_for_roles();
    } else if (path == "occur_time") {
      *entry.mutable_occur_time() = update.occur_time();
    } else if (path == "subjects") {
      *entry.mutable_subjects() = update.subjects();
    } else if (path == "module") {
      entry.set_module(update.module());
    } else if (path == "scaling_scores") {
      *entry.mutable_scaling_scores() = update.scaling_scores();
    } else if (path == "title") {
      entry.set_title(update.title());
    } else if (path == "text") {
      entry.set_text(update.text());
    } else if (path == "significant") {
      entry.set_significant(update.significant());
    } else {
      return InvalidField("update_mask", absl::StrCat(Quote(path), " cannot be changed"));
    }
  }
  return absl::OkStatus();
}

absl::Status CheckReason(absl::string_view reason, absl::string_view field) {
  if (auto s = CheckPlainText(reason, field); !s.ok()) return s;
  size_t size = absl::StripAsciiWhitespace(reason).size();
  if (size < kMinReason || reason.size() > kMaxReason) {
    return InvalidField(
        field, absl::StrCat("give a reason of ", kMinReason, " to ", kMaxReason, " characters"));
  }
  return absl::OkStatus();
}

absl::Status CheckCanEditDraft(const v1::Entry& entry, absl::string_view actor) {
  if (entry.author() != actor) {
    return absl::PermissionDeniedError("only the author changes a draft");
  }
  if (entry.state() != v1::ENTRY_STATE_DRAFT) {
    return absl::FailedPreconditionError(
        absl::StrCat(entry.name(), " is final; correct it with CorrectEntry and a reason"));
  }
  return absl::OkStatus();
}

absl::Status CheckCanFinalise(const v1::Entry& entry, absl::string_view actor) {
  if (entry.author() != actor) {
    return absl::PermissionDeniedError("only the author finalises an entry");
  }
  if (entry.state() != v1::ENTRY_STATE_DRAFT) {
    return absl::FailedPreconditionError(absl::StrCat(entry.name(), " is already final"));
  }
  return absl::OkStatus();
}

absl::Status CheckCanSignOff(const v1::Entry& entry, absl::string_view actor, bool manages_team) {
  if (!manages_team) {
    return absl::PermissionDeniedError("only a manager of the case's team signs off entries");
  }
  if (entry.author() == actor) {
    return absl::PermissionDeniedError("an entry is signed off by a manager other than its author");
  }
  if (entry.state() == v1::ENTRY_STATE_DRAFT) {
    return absl::FailedPreconditionError(
        absl::StrCat(entry.name(), " is a draft; its author finalises it first"));
  }
  if (entry.state() == v1::ENTRY_STATE_SIGNED_OFF) {
    return absl::FailedPreconditionError(
        absl::StrCat(entry.name(), " revision ", entry.revision(), " is already signed off"));
  }
  return absl::OkStatus();
}

absl::Status CheckCanCorrect(const v1::Entry& entry, absl::string_view actor, bool manages_team) {
  if (entry.author() != actor && !manages_team) {
    return absl::PermissionDeniedError(
        "an entry is corrected by its author or a manager of the case's team");
  }
  if (entry.state() == v1::ENTRY_STATE_DRAFT) {
    return absl::FailedPreconditionError(
        absl::StrCat(entry.name(), " is a draft; change it with UpdateEntry"));
  }
  return absl::OkStatus();
}

v1::EntryRevision RevisionOf(const v1::Entry& entry, absl::string_view revised_by,
                             absl::string_view reason) {
  v1::EntryRevision revision;
  revision.set_revision(entry.revision());
  revision.set_revised_by(std::string(revised_by));
  revision.set_reason(std::string(reason));
  revision.set_kind(entry.kind());
  revision.set_visibility(entry.visibility());
  *revision.mutable_sealed_for_roles() = entry.sealed_for_roles();
  *revision.mutable_occur_time() = entry.occur_time();
  *revision.mutable_subjects() = entry.subjects();
  revision.set_module(entry.module());
  *revision.mutable_scaling_scores() = entry.scaling_scores();
  revision.set_title(entry.title());
  revision.set_text(entry.text());
  revision.set_significant(entry.significant());
  return revision;
}

std::vector<v1::ScoreTrend> ScoreTrends(const std::vector<v1::ScorePoint>& points) {
  struct Scale {
    const char* name;
    bool (v1::ScorePoint::*has)() const;
    int32_t (v1::ScorePoint::*get)() const;
  };
  const Scale scales[] = {
      {"importance", &v1::ScorePoint::has_importance, &v1::ScorePoint::importance},
      {"confidence", &v1::ScorePoint::has_confidence, &v1::ScorePoint::confidence},
      {"readiness", &v1::ScorePoint::has_readiness, &v1::ScorePoint::readiness},
  };
  std::vector<v1::ScoreTrend> trends;
  for (const auto& scale : scales) {
    v1::ScoreTrend trend;
    trend.set_scale(scale.name);
    for (const auto& point : points) {
      if (!(point.*scale.has)()) continue;
      int value = (point.*scale.get)();
      if (trend.answers() == 0) trend.set_first(value);
      trend.set_latest(value);
      trend.set_answers(trend.answers() + 1);
    }
    if (trend.answers() == 0) continue;
    trend.set_change(trend.latest() - trend.first());
    trends.push_back(trend);
  }
  return trends;
}

std::string HtmlEscape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

Snippet ParseHeadline(absl::string_view raw) {
  // Search parses '<' and '>' as U+E000 and U+E001 (see the migration): give them back.
  std::string headline =
      absl::StrReplaceAll(raw, {{kLessThanStandIn, "<"}, {kGreaterThanStandIn, ">"}});
  Snippet snippet;
  int start = -1;
  for (char c : headline) {
    if (c == '\x01') {
      if (start >= 0) continue;  // already inside a match
      start = static_cast<int>(snippet.text.size());
      snippet.html += "<mark>";
    } else if (c == '\x02') {
      if (start < 0) continue;  // closes nothing
      snippet.highlights.emplace_back(start, static_cast<int>(snippet.text.size()) - start);
      start = -1;
      snippet.html += "</mark>";
    } else {
      snippet.text += c;
      snippet.html += HtmlEscape(absl::string_view(&c, 1));
    }
  }
  if (start >= 0) {  // a cut-off match still closes, and is highlighted like the <mark>
    snippet.highlights.emplace_back(start, static_cast<int>(snippet.text.size()) - start);
    snippet.html += "</mark>";
  }
  return snippet;
}

}  // namespace fs::workbook
