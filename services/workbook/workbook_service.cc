#include "services/workbook/workbook_service.h"

#include <google/protobuf/util/time_util.h>
#include <openssl/sha.h>

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "common/case_access.h"
#include "common/idempotency.h"
#include "common/pagination.h"
#include "common/resource_name.h"
#include "common/status.h"
#include "services/workbook/chronology.h"
#include "services/workbook/entry_rules.h"
#include "services/workbook/workbook_events.h"
#include "services/workbook/workbook_store.h"

namespace fs::workbook {
namespace {

using google::protobuf::util::TimeUtil;

// Exports are for a conference, not a data dump: beyond this, narrow the dates.
constexpr int kMaxExportItems = 5000;
// Position-based page tokens (ranked and time-ordered lists) go this deep at most.
constexpr int kMaxOffset = 10000;
constexpr size_t kMaxAssessmentText = 100000;
constexpr size_t kMaxPageBytes = 3 * 1024 * 1024;
// An export beyond this is split by dates (clients' default receive limit is 4 MB).
constexpr size_t kMaxExportBytes = 3 * 1024 * 1024;

// The caller's standing on one case.
struct CaseAccess {
  CaseRow row;
  AccessBasis basis = AccessBasis::kAllocated;
  Viewer viewer;
  bool manages = false;  // manages the case's team
};

Viewer ViewerOf(const Caller& caller) {
  Viewer viewer;
  viewer.id = caller.principal.id;
  if (caller.role == PractitionerRole::kTeamManager) viewer.managed_teams = caller.teams;
  viewer.perpetrator_worker = caller.role == PractitionerRole::kDaPerpetratorWorker;
  return viewer;
}

// Loads a case the caller may access for `intent`, flagging break-glass in the audit event;
// writes also need the case open. NOT_FOUND when the workbook has never heard of the case.
absl::StatusOr<CaseAccess> OpenCase(pqxx::work& tx, const Caller& caller,
                                    const std::string& case_id, CaseIntent intent,
                                    AuditEvent& event) {
  auto row = WorkbookStore::FindCase(tx, case_id, intent == CaseIntent::kWrite);
  if (!row) return absl::NotFoundError(absl::StrCat("case 'cases/", case_id, "' not found"));
  if (intent == CaseIntent::kWrite && row->state == "CLOSED" && caller.is_practitioner() &&
      (ManagesTeam(caller, row->team) ||
       WorkbookStore::WasEverAllocated(tx, case_id, caller.principal.id))) {
    // Closure ended every allocation: say why, to those who worked on it.
    return absl::FailedPreconditionError(
        absl::StrCat("cases/", case_id, " is closed; nothing more is recorded until it reopens"));
  }
  CaseRelationship relationship{WorkbookStore::IsAllocated(tx, case_id, caller.principal.id),
                                row->team};
  auto basis = DecideCaseAccess(caller, relationship, intent);
  if (!basis.ok()) return basis.status();
  if (*basis == AccessBasis::kBreakGlass) event.break_glass_reason = caller.break_glass_reason;
  if (intent == CaseIntent::kWrite && row->state == "CLOSED") {
    return absl::FailedPreconditionError(
        absl::StrCat("cases/", case_id, " is closed; nothing more is recorded until it reopens"));
  }
  return CaseAccess{*row, *basis, ViewerOf(caller), ManagesTeam(caller, row->team)};
}

absl::StatusOr<int64_t> OptionalMicros(const google::protobuf::Timestamp& t, bool present,
                                       absl::string_view field) {
  if (!present) return 0;
  if (!ValidTimestamp(t)) return InvalidField(field, "not a valid time");
  int64_t micros = TimeUtil::TimestampToMicroseconds(t);
  return micros == 0 ? 1 : micros;  // 0 means "no bound"
}

absl::StatusOr<int> Offset(absl::string_view token) {
  auto page = ParsePage(0, token);
  if (!page.ok()) return page.status();
  if (page->after > kMaxOffset) {
    return InvalidField("page_token", "too deep; narrow the request instead");
  }
  return static_cast<int>(page->after);
}

absl::StatusOr<int> PageSize(int size) {
  auto page = ParsePage(size, "");
  if (!page.ok()) return page.status();
  return page->size;
}

// Moves a page of `found` (from position `offset`) into `out` and returns the next page token
// ("" at the end). A page stays under gRPC's default 4 MB client limit: long items make shorter
// pages.
template <typename T>
std::string FillPage(Counted<T>& found, int offset, google::protobuf::RepeatedPtrField<T>* out) {
  size_t bytes = 0;
  for (auto& item : found.items) {
    bytes += item.ByteSizeLong();
    if (bytes > kMaxPageBytes && !out->empty()) break;
    *out->Add() = std::move(item);
  }
  return offset + out->size() < found.total ? PageToken(offset + out->size()) : "";
}

// An entry the caller may see: NOT_FOUND for one that does not exist or is hidden from them
// (a hidden entry's existence is not disclosed either).
absl::StatusOr<v1::Entry> LoadEntry(pqxx::work& tx, const CaseAccess& access,
                                    const std::string& entry_id, bool lock) {
  auto entry = WorkbookStore::FindEntry(tx, access.row.id, entry_id, lock);
  if (!entry || !WorkbookStore::EntryVisible(tx, entry_id, access.viewer)) {
    return absl::NotFoundError(
        absl::StrCat("entry 'cases/", access.row.id, "/entries/", Quote(entry_id), "' not found"));
  }
  return *entry;
}

std::string CaseName(const std::string& id) { return absl::StrCat("cases/", id); }

// A DA perpetrator worker may not restrict an entry from DA perpetrator workers: it would be
// hidden from its own author at once.
absl::Status CheckOwnVisibility(pqxx::work& tx, const Caller& caller, const std::string& case_id,
                                const v1::Entry& entry) {
  if (entry.visibility() != v1::VISIBILITY_RESTRICTED_FROM_PERPETRATOR ||
      entry.author() != caller.principal.id) {
    return absl::OkStatus();
  }
  auto roles = WorkbookStore::AllocatedRoles(tx, case_id, caller.principal.id);
  if (caller.role == PractitionerRole::kDaPerpetratorWorker ||
      std::find(roles.begin(), roles.end(), "DA_PERPETRATOR_WORKER") != roles.end()) {
    return InvalidField("entry.visibility",
                        "RESTRICTED_FROM_PERPETRATOR would hide your own entry from you; use "
                        "SEALED with the roles that may read it");
  }
  return absl::OkStatus();
}

EntryContext ContextFor(pqxx::work& tx, const std::string& case_id, int module_count) {
  EntryContext context;
  context.case_id = case_id;
  context.people = WorkbookStore::People(tx, case_id);
  context.module_count = module_count;
  context.now = absl::Now();
  return context;
}

absl::StatusOr<ChronologyFilter> ParseChronologyFilter(
    pqxx::work& tx, const std::string& parent, const google::protobuf::Timestamp& after,
    bool has_after, const google::protobuf::Timestamp& before, bool has_before,
    const google::protobuf::RepeatedField<int>& kinds,
    const google::protobuf::RepeatedField<int>& entry_kinds, std::string* case_id) {
  ChronologyFilter filter;
  auto family = ParseResourceName(parent, "parent", {"cases"});
  if (family.ok()) {
    *case_id = (*family)[0];
  } else {
    auto person = ParseResourceName(parent, "parent", {"cases", "people"});
    if (!person.ok()) {
      return InvalidField("parent", "a case (cases/{case}) or a person (cases/{case}/people/{p})");
    }
    *case_id = (*person)[0];
    filter.person = (*person)[1];
  }
  auto a = OptionalMicros(after, has_after, "occur_after");
  if (!a.ok()) return a.status();
  auto b = OptionalMicros(before, has_before, "occur_before");
  if (!b.ok()) return b.status();
  if (*a && *b && *a >= *b) return InvalidField("occur_before", "must be after occur_after");
  filter.after_micros = *a;
  filter.before_micros = *b;
  for (int kind : kinds) {
    if (kind == v1::CHRONOLOGY_ITEM_KIND_UNSPECIFIED || !v1::ChronologyItemKind_IsValid(kind)) {
      return InvalidField("kinds", "unknown kind");
    }
    filter.kinds.push_back(ChronologyKindName(static_cast<v1::ChronologyItemKind>(kind)));
  }
  for (int kind : entry_kinds) {
    if (kind == v1::ENTRY_KIND_UNSPECIFIED || !v1::EntryKind_IsValid(kind)) {
      return InvalidField("entry_kinds", "unknown kind");
    }
    filter.entry_kinds.push_back(KindName(static_cast<v1::EntryKind>(kind)));
  }
  (void)tx;
  return filter;
}

// The person of a per-person chronology must be on the case.
absl::Status CheckPersonOnCase(pqxx::work& tx, const std::string& case_id,
                               const std::string& person_id) {
  if (person_id.empty()) return absl::OkStatus();
  for (const auto& [id, kind] : WorkbookStore::People(tx, case_id)) {
    if (id == person_id) return absl::OkStatus();
  }
  return absl::NotFoundError(
      absl::StrCat("person 'cases/", case_id, "/people/", Quote(person_id), "' not found"));
}

std::string FilterWords(const ChronologyFilter& filter) {
  std::vector<std::string> words;
  auto day = [](int64_t micros) {
    return absl::FormatTime("%Y-%m-%d %H:%M", absl::FromUnixMicros(micros), absl::UTCTimeZone());
  };
  if (filter.after_micros) words.push_back(absl::StrCat("from ", day(filter.after_micros), " UTC"));
  if (filter.before_micros)
    words.push_back(absl::StrCat("before ", day(filter.before_micros), " UTC"));
  if (!filter.kinds.empty())
    words.push_back(absl::StrCat("kinds ", absl::StrJoin(filter.kinds, ", ")));
  if (!filter.entry_kinds.empty()) {
    words.push_back(absl::StrCat("entry kinds ", absl::StrJoin(filter.entry_kinds, ", ")));
  }
  return absl::StrJoin(words, "; ");
}

// Fills the compiled evidence of a draft assessment from the entries as they are now.
void Compile(pqxx::work& tx, const std::string& case_id, const std::vector<std::string>& titles,
             v1::ParentingAssessment& assessment) {
  assessment.clear_modules();
  assessment.clear_scores();
  assessment.clear_trends();
  for (auto& work : WorkbookStore::ModuleWorkOf(tx, case_id, assessment.person())) {
    if (work.module() >= 1 && work.module() <= static_cast<int>(titles.size())) {
      work.set_title(titles[work.module() - 1]);
    }
    *assessment.add_modules() = std::move(work);
  }
  std::vector<v1::ScorePoint> points = WorkbookStore::ScoresOf(tx, case_id, assessment.person());
  for (const auto& point : points) *assessment.add_scores() = point;
  for (const auto& trend : ScoreTrends(points)) *assessment.add_trends() = trend;
}

// A stable digest of compiled evidence (the same on every replica): part of a draft's etag, so
// that a sign-off is refused when the evidence changed since the manager read it.
std::string EvidenceDigest(const v1::ParentingAssessment& assessment) {
  v1::ParentingAssessment evidence;
  *evidence.mutable_modules() = assessment.modules();
  *evidence.mutable_scores() = assessment.scores();
  std::string bytes = evidence.SerializeAsString();
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return absl::BytesToHexString(absl::string_view(reinterpret_cast<const char*>(digest), 8));
}

// Frozen evidence keeps its counts, but an entry the reader may not see (restricted or sealed by
// a correction since the sign-off) is neither named nor quoted.
void RedactEvidence(pqxx::work& tx, const Viewer& viewer, v1::ParentingAssessment& assessment) {
  for (auto& work : *assessment.mutable_modules()) {
    std::vector<std::string> shown;
    for (const auto& entry : work.entries()) {
      if (WorkbookStore::EntryVisible(tx, LastSegment(entry), viewer)) shown.push_back(entry);
    }
    work.clear_entries();
    for (auto& entry : shown) work.add_entries(std::move(entry));
  }
  for (auto& point : *assessment.mutable_scores()) {
    if (WorkbookStore::EntryVisible(tx, LastSegment(point.entry()), viewer)) continue;
    point.clear_entry();
    point.clear_importance();
    point.clear_confidence();
    point.clear_readiness();
    point.set_withheld(true);
  }
}

// The assessment as the reader sees it: evidence compiled live for a draft (its etag then
// covers the evidence), as frozen for a signed-off revision; earlier signed-off revisions as
// history.
void Complete(pqxx::work& tx, const std::string& case_id, const std::vector<std::string>& titles,
              const Viewer& viewer, v1::ParentingAssessment& assessment, bool with_history) {
  auto history = WorkbookStore::AssessmentHistory(tx, LastSegment(assessment.name()));
  if (assessment.state() == v1::ASSESSMENT_STATE_SIGNED_OFF && !history.empty() &&
      history.back().revision() == assessment.revision()) {
    const auto& frozen = history.back();
    *assessment.mutable_modules() = frozen.modules();
    *assessment.mutable_scores() = frozen.scores();
    *assessment.mutable_trends() = frozen.trends();
    history.pop_back();
    RedactEvidence(tx, viewer, assessment);
  } else {
    Compile(tx, case_id, titles, assessment);
    assessment.set_etag(absl::StrCat(assessment.etag(), "-", EvidenceDigest(assessment)));
  }
  if (with_history) {
    for (auto& earlier : history) {
      RedactEvidence(tx, viewer, earlier);
      *assessment.add_history() = std::move(earlier);
    }
  }
}

absl::Status CheckAssessmentText(absl::string_view text, absl::string_view field) {
  if (auto s = CheckText(text, field, kMaxAssessmentText, false); !s.ok()) return s;
  return CheckPlainText(text, field);
}

absl::StatusOr<std::pair<std::string, std::string>> AssessmentIds(const std::string& name) {
  auto ids = ParseResourceName(name, "name", {"cases", "parentingAssessments"});
  if (!ids.ok()) return ids.status();
  return std::make_pair((*ids)[0], (*ids)[1]);
}

absl::StatusOr<v1::ParentingAssessment> LoadAssessment(pqxx::work& tx, const CaseAccess& access,
                                                       const std::string& id, bool lock) {
  auto found = WorkbookStore::FindAssessment(tx, access.row.id, id, lock);
  if (!found) {
    return absl::NotFoundError(absl::StrCat("parenting assessment 'cases/", access.row.id,
                                            "/parentingAssessments/", Quote(id), "' not found"));
  }
  return *found;
}

}  // namespace

// ---- Entries ----

grpc::Status WorkbookServiceImpl::CreateEntry(grpc::ServerContext* context,
                                              const v1::CreateEntryRequest* request,
                                              v1::Entry* response) {
  return runner_.Run(
      context, "CreateEntry", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        // A retry returns the first result even if the case has closed since.
        auto first = EarlierCreate(tx, caller, "CreateEntry", request->request_id());
        auto access =
            OpenCase(tx, caller, (*ids)[0], first ? CaseIntent::kRead : CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        std::string id;
        if (first) {
          id = *first;
        } else {
          v1::Entry entry = request->entry();
          if (auto s = NormaliseEntry(
                  entry, ContextFor(tx, access->row.id, static_cast<int>(module_titles_.size())));
              !s.ok()) {
            return s;
          }
          entry.set_author(caller.principal.id);
          if (auto s = CheckOwnVisibility(tx, caller, access->row.id, entry); !s.ok()) return s;
          id = WorkbookStore::InsertEntry(tx, access->row.id, entry, caller.principal.id);
          RememberCreate(tx, caller, "CreateEntry", request->request_id(),
                         absl::StrCat(CaseName(access->row.id), "/entries/", id));
        }
        auto created = WorkbookStore::FindEntry(tx, access->row.id, id, false);
        if (!created) return RequestIdReused();
        *response = *created;
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::GetEntry(grpc::ServerContext* context,
                                           const v1::GetEntryRequest* request,
                                           v1::Entry* response) {
  return runner_.Run(
      context, "GetEntry", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->name(), "name", {"cases", "entries"});
        if (!ids.ok()) return ids.status();
        auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
        if (!access.ok()) return access.status();
        auto entry = LoadEntry(tx, *access, (*ids)[1], false);
        if (!entry.ok()) return entry.status();
        *response = *entry;
        for (auto& revision : WorkbookStore::History(tx, (*ids)[1], access->viewer)) {
          *response->add_history() = std::move(revision);
        }
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::ListEntries(grpc::ServerContext* context,
                                              const v1::ListEntriesRequest* request,
                                              v1::ListEntriesResponse* response) {
  return runner_.Run(
      context, "ListEntries", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
        if (!ids.ok()) return ids.status();
        auto size = PageSize(request->page_size());
        if (!size.ok()) return size.status();
        auto offset = Offset(request->page_token());
        if (!offset.ok()) return offset.status();
        EntryFilter filter;
        for (int kind : request->kinds()) {
          if (kind == v1::ENTRY_KIND_UNSPECIFIED || !v1::EntryKind_IsValid(kind)) {
            return InvalidField("kinds", "unknown kind");
          }
          filter.kinds.push_back(KindName(static_cast<v1::EntryKind>(kind)));
        }
        if (request->state() != v1::ENTRY_STATE_UNSPECIFIED) {
          if (!v1::EntryState_IsValid(request->state())) return InvalidField("state", "unknown");
          filter.state = StateName(request->state());
        }
        if (request->module() < 0) return InvalidField("module", "must not be negative");
        filter.module = request->module();
        if (!request->subject().empty()) {
          auto person = ParseResourceName(request->subject(), "subject", {"cases", "people"});
          if (!person.ok()) return person.status();
          filter.subject = (*person)[1];
        }
        auto after =
            OptionalMicros(request->occur_after(), request->has_occur_after(), "occur_after");
        if (!after.ok()) return after.status();
        auto before =
            OptionalMicros(request->occur_before(), request->has_occur_before(), "occur_before");
        if (!before.ok()) return before.status();
        filter.after_micros = *after;
        filter.before_micros = *before;
        filter.author = request->author();
        auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
        if (!access.ok()) return access.status();
        auto listed =
            WorkbookStore::ListEntries(tx, access->row.id, access->viewer, filter, *offset, *size);
        response->set_next_page_token(FillPage(listed, *offset, response->mutable_entries()));
        response->set_total_size(listed.total);
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::UpdateEntry(grpc::ServerContext* context,
                                              const v1::UpdateEntryRequest* request,
                                              v1::Entry* response) {
  return runner_.Run(
      context, "UpdateEntry", request->entry().name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->entry().name(), "entry.name", {"cases", "entries"});
        if (!ids.ok()) return ids.status();
        auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        auto entry = LoadEntry(tx, *access, (*ids)[1], true);
        if (!entry.ok()) return entry.status();
        if (auto s = CheckCanEditDraft(*entry, caller.principal.id); !s.ok()) return s;
        if (auto s = CheckEtag(request->entry().etag(), entry->etag(), "entry.etag"); !s.ok()) {
          return s;
        }
        v1::Entry changed = *entry;
        if (auto s = ApplyEntryMask(request->entry(), request->update_mask(), changed); !s.ok()) {
          return s;
        }
        if (auto s = NormaliseEntry(
                changed, ContextFor(tx, access->row.id, static_cast<int>(module_titles_.size())));
            !s.ok()) {
          return s;
        }
        if (auto s = CheckOwnVisibility(tx, caller, access->row.id, changed); !s.ok()) return s;
        WorkbookStore::UpdateDraft(tx, changed);
        *response = *WorkbookStore::FindEntry(tx, access->row.id, (*ids)[1], false);
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::FinaliseEntry(grpc::ServerContext* context,
                                                const v1::FinaliseEntryRequest* request,
                                                v1::Entry* response) {
  return runner_.Run(context, "FinaliseEntry", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       auto ids = ParseResourceName(request->name(), "name", {"cases", "entries"});
                       if (!ids.ok()) return ids.status();
                       auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
                       if (!access.ok()) return access.status();
                       auto entry = LoadEntry(tx, *access, (*ids)[1], true);
                       if (!entry.ok()) return entry.status();
                       if (auto s = CheckCanFinalise(*entry, caller.principal.id); !s.ok())
                         return s;
                       if (auto s = CheckEtag(request->etag(), entry->etag(), "etag"); !s.ok())
                         return s;
                       // People may have left the case since the draft began: check the content
                       // again.
                       v1::Entry final_entry = *entry;
                       if (auto s = NormaliseEntry(
                               final_entry, ContextFor(tx, access->row.id,
                                                       static_cast<int>(module_titles_.size())));
                           !s.ok()) {
                         return s;
                       }
                       final_entry.set_revision(1);
                       WorkbookStore::WriteRevision(tx, final_entry, caller.principal.id, "");
                       *response = *WorkbookStore::FindEntry(tx, access->row.id, (*ids)[1], false);
                       PublishEntryFinalised(tx, *response);
                       return absl::OkStatus();
                     });
}

grpc::Status WorkbookServiceImpl::SignOffEntry(grpc::ServerContext* context,
                                               const v1::SignOffEntryRequest* request,
                                               v1::Entry* response) {
  return runner_.Run(
      context, "SignOffEntry", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->name(), "name", {"cases", "entries"});
        if (!ids.ok()) return ids.status();
        auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        auto entry = LoadEntry(tx, *access, (*ids)[1], true);
        if (!entry.ok()) return entry.status();
        if (auto s = CheckCanSignOff(*entry, caller.principal.id, access->manages); !s.ok()) {
          return s;
        }
        if (auto s = CheckEtag(request->etag(), entry->etag(), "etag"); !s.ok()) return s;
        WorkbookStore::SignOff(tx, (*ids)[1], entry->revision(), caller.principal.id);
        *response = *WorkbookStore::FindEntry(tx, access->row.id, (*ids)[1], false);
        PublishEntrySignedOff(tx, *response);
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::CorrectEntry(grpc::ServerContext* context,
                                               const v1::CorrectEntryRequest* request,
                                               v1::Entry* response) {
  return runner_.Run(
      context, "CorrectEntry", request->entry().name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->entry().name(), "entry.name", {"cases", "entries"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckReason(request->reason(), "reason"); !s.ok()) return s;
        auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        auto entry = LoadEntry(tx, *access, (*ids)[1], true);
        if (!entry.ok()) return entry.status();
        if (auto s = CheckCanCorrect(*entry, caller.principal.id, access->manages); !s.ok()) {
          return s;
        }
        if (auto s = CheckEtag(request->entry().etag(), entry->etag(), "entry.etag"); !s.ok()) {
          return s;
        }
        v1::Entry corrected = *entry;
        if (auto s = ApplyEntryMask(request->entry(), request->update_mask(), corrected); !s.ok()) {
          return s;
        }
        if (auto s = NormaliseEntry(
                corrected, ContextFor(tx, access->row.id, static_cast<int>(module_titles_.size())));
            !s.ok()) {
          return s;
        }
        if (auto s = CheckOwnVisibility(tx, caller, access->row.id, corrected); !s.ok()) return s;
        if (RevisionOf(corrected, "", "").SerializeAsString() ==
            RevisionOf(*entry, "", "").SerializeAsString()) {
          return InvalidField("update_mask", "the correction changes nothing");
        }
        corrected.set_revision(entry->revision() + 1);
        WorkbookStore::WriteRevision(tx, corrected, caller.principal.id, request->reason());
        *response = *WorkbookStore::FindEntry(tx, access->row.id, (*ids)[1], false);
        PublishEntryFinalised(tx, *response);
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::SearchEntries(grpc::ServerContext* context,
                                                const v1::SearchEntriesRequest* request,
                                                v1::SearchEntriesResponse* response) {
  std::string resource = request->parent().empty() ? "entries" : request->parent();
  return runner_.Run(
      context, "SearchEntries", resource, response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        if (auto s = CheckText(request->query(), "query", 500, true); !s.ok()) return s;
        auto size = PageSize(request->page_size());
        if (!size.ok()) return size.status();
        auto offset = Offset(request->page_token());
        if (!offset.ok()) return offset.status();
        std::string case_id;
        Viewer viewer = ViewerOf(caller);
        if (!request->parent().empty()) {
          auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
          if (!ids.ok()) return ids.status();
          auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
          if (!access.ok()) return access.status();
          case_id = access->row.id;
        }
        auto found = WorkbookStore::Search(tx, case_id, viewer, request->query(), *offset, *size);
        for (auto& hit : found.items) {
          auto* result = response->add_results();
          hit.entry.clear_text();
          *result->mutable_entry() = std::move(hit.entry);
          Snippet snippet = ParseHeadline(hit.headline);
          result->set_snippet(snippet.text);
          result->set_snippet_html(snippet.html);
          for (const auto& [start, length] : snippet.highlights) {
            auto* h = result->add_highlights();
            h->set_start(start);
            h->set_length(length);
          }
          result->set_rank(hit.rank);
        }
        response->set_total_size(found.total);
        if (*offset + response->results_size() < found.total) {
          response->set_next_page_token(PageToken(*offset + response->results_size()));
        }
        return absl::OkStatus();
      });
}

// ---- Chronology ----

grpc::Status WorkbookServiceImpl::GetChronology(grpc::ServerContext* context,
                                                const v1::GetChronologyRequest* request,
                                                v1::Chronology* response) {
  return runner_.Run(
      context, "GetChronology", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        std::string case_id;
        auto filter = ParseChronologyFilter(tx, request->parent(), request->occur_after(),
                                            request->has_occur_after(), request->occur_before(),
                                            request->has_occur_before(), request->kinds(),
                                            request->entry_kinds(), &case_id);
        if (!filter.ok()) return filter.status();
        auto size = PageSize(request->page_size());
        if (!size.ok()) return size.status();
        auto offset = Offset(request->page_token());
        if (!offset.ok()) return offset.status();
        auto access = OpenCase(tx, caller, case_id, CaseIntent::kRead, event);
        if (!access.ok()) return access.status();
        if (auto s = CheckPersonOnCase(tx, case_id, filter->person); !s.ok()) return s;
        auto items =
            WorkbookStore::Chronology(tx, case_id, access->viewer, *filter, *offset, *size);
        response->set_next_page_token(FillPage(items, *offset, response->mutable_items()));
        response->set_total_size(items.total);
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::ExportChronology(grpc::ServerContext* context,
                                                   const v1::ExportChronologyRequest* request,
                                                   v1::ExportChronologyResponse* response) {
  return runner_.Run(
      context, "ExportChronology", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        if (request->format() != v1::EXPORT_FORMAT_UNSPECIFIED &&
            request->format() != v1::EXPORT_FORMAT_HTML) {
          return InvalidField("format", "HTML is the format offered");
        }
        std::string case_id;
        auto filter = ParseChronologyFilter(tx, request->parent(), request->occur_after(),
                                            request->has_occur_after(), request->occur_before(),
                                            request->has_occur_before(), request->kinds(),
                                            request->entry_kinds(), &case_id);
        if (!filter.ok()) return filter.status();
        auto access = OpenCase(tx, caller, case_id, CaseIntent::kRead, event);
        if (!access.ok()) return access.status();
        if (auto s = CheckPersonOnCase(tx, case_id, filter->person); !s.ok()) return s;
        auto items =
            WorkbookStore::Chronology(tx, case_id, access->viewer, *filter, 0, kMaxExportItems + 1);
        if (items.total > kMaxExportItems) {
          return absl::FailedPreconditionError(
              absl::StrCat("the chronology has ", items.total, " items; export at most ",
                           kMaxExportItems, " at a time by narrowing the dates"));
        }
        ChronologyDocument document;
        document.subject = request->parent();
        document.generated_by = caller.principal.id;
        document.generated_at = absl::Now();
        document.filters = FilterWords(*filter);
        document.items = std::move(items.items);
        std::string html = RenderChronologyHtml(document);
        if (html.size() > kMaxExportBytes) {
          return absl::FailedPreconditionError(absl::StrCat(
              "the printable chronology would be ", html.size() / 1024, " KB; export at most ",
              kMaxExportBytes / 1024, " KB at a time by narrowing the dates"));
        }
        response->set_content(std::move(html));
        response->set_content_type("text/html; charset=utf-8");
        std::string who =
            filter->person.empty() ? case_id : absl::StrCat(case_id, "-", filter->person);
        response->set_filename(absl::StrCat(
            "chronology-", who, "-",
            absl::FormatTime("%Y%m%d", document.generated_at, absl::UTCTimeZone()), ".html"));
        response->set_item_count(static_cast<int>(document.items.size()));
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::ListModules(grpc::ServerContext* context,
                                              const v1::ListModulesRequest*,
                                              v1::ListModulesResponse* response) {
  return runner_.Run(context, "ListModules", "modules", response,
                     [&](const Caller&, pqxx::work&, AuditEvent&) {
                       for (size_t i = 0; i < module_titles_.size(); ++i) {
                         auto* module = response->add_modules();
                         module->set_number(static_cast<int>(i + 1));
                         module->set_title(module_titles_[i]);
                       }
                       return absl::OkStatus();
                     });
}

// ---- Parenting assessments ----

grpc::Status WorkbookServiceImpl::CreateParentingAssessment(
    grpc::ServerContext* context, const v1::CreateParentingAssessmentRequest* request,
    v1::ParentingAssessment* response) {
  return runner_.Run(
      context, "CreateParentingAssessment", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
        if (!ids.ok()) return ids.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        const auto& given = request->parenting_assessment();
        if (auto s = CheckAssessmentText(given.analysis(), "parenting_assessment.analysis");
            !s.ok()) {
          return s;
        }
        if (auto s = CheckAssessmentText(given.conclusion(), "parenting_assessment.conclusion");
            !s.ok()) {
          return s;
        }
        auto first = EarlierCreate(tx, caller, "CreateParentingAssessment", request->request_id());
        auto access =
            OpenCase(tx, caller, (*ids)[0], first ? CaseIntent::kRead : CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        std::string id;
        if (first) {
          id = *first;
        } else {
          auto person =
              ParseResourceName(given.person(), "parenting_assessment.person", {"cases", "people"});
          if (!person.ok()) return person.status();
          bool adult = false;
          for (const auto& [pid, kind] : WorkbookStore::People(tx, access->row.id)) {
            if (pid == (*person)[1] && kind == "ADULT") adult = true;
          }
          if ((*person)[0] != access->row.id || !adult) {
            return InvalidField("parenting_assessment.person",
                                "must be an adult (a parent) on this case");
          }
          if (WorkbookStore::HasDraftAssessment(tx, access->row.id, (*person)[1])) {
            return absl::AlreadyExistsError(
                "this parent already has a parenting assessment in draft; continue that one");
          }
          id = WorkbookStore::InsertAssessment(tx, access->row.id, (*person)[1],
                                               caller.principal.id, given);
          RememberCreate(tx, caller, "CreateParentingAssessment", request->request_id(),
                         absl::StrCat(CaseName(access->row.id), "/parentingAssessments/", id));
        }
        auto created = WorkbookStore::FindAssessment(tx, access->row.id, id, false);
        if (!created) return RequestIdReused();
        *response = *created;
        Complete(tx, access->row.id, module_titles_, access->viewer, *response, true);
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::GetParentingAssessment(
    grpc::ServerContext* context, const v1::GetParentingAssessmentRequest* request,
    v1::ParentingAssessment* response) {
  return runner_.Run(context, "GetParentingAssessment", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
                       auto ids = AssessmentIds(request->name());
                       if (!ids.ok()) return ids.status();
                       auto access = OpenCase(tx, caller, ids->first, CaseIntent::kRead, event);
                       if (!access.ok()) return access.status();
                       auto found = LoadAssessment(tx, *access, ids->second, false);
                       if (!found.ok()) return found.status();
                       *response = *found;
                       Complete(tx, ids->first, module_titles_, access->viewer, *response, true);
                       return absl::OkStatus();
                     });
}

grpc::Status WorkbookServiceImpl::ListParentingAssessments(
    grpc::ServerContext* context, const v1::ListParentingAssessmentsRequest* request,
    v1::ListParentingAssessmentsResponse* response) {
  return runner_.Run(
      context, "ListParentingAssessments", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = ParseResourceName(request->parent(), "parent", {"cases"});
        if (!ids.ok()) return ids.status();
        auto page = ParsePage(request->page_size(), request->page_token());
        if (!page.ok()) return page.status();
        auto access = OpenCase(tx, caller, (*ids)[0], CaseIntent::kRead, event);
        if (!access.ok()) return access.status();
        auto listed =
            WorkbookStore::ListAssessments(tx, access->row.id, page->after, page->size + 1);
        bool more = static_cast<int>(listed.size()) > page->size;
        if (more) listed.pop_back();
        for (auto& [assessment, key] : listed) {
          Complete(tx, access->row.id, module_titles_, access->viewer, assessment, false);
          *response->add_parenting_assessments() = std::move(assessment);
        }
        if (more) response->set_next_page_token(PageToken(listed.back().second));
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::UpdateParentingAssessment(
    grpc::ServerContext* context, const v1::UpdateParentingAssessmentRequest* request,
    v1::ParentingAssessment* response) {
  const auto& given = request->parenting_assessment();
  return runner_.Run(
      context, "UpdateParentingAssessment", given.name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = AssessmentIds(given.name());
        if (!ids.ok()) return ids.status();
        auto access = OpenCase(tx, caller, ids->first, CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        auto found = LoadAssessment(tx, *access, ids->second, true);
        if (!found.ok()) return found.status();
        if (found->assessor() != caller.principal.id) {
          return absl::PermissionDeniedError("only the assessor writes the assessment");
        }
        if (found->state() != v1::ASSESSMENT_STATE_DRAFT) {
          return absl::FailedPreconditionError(
              "the assessment is signed off; revise it with a reason first");
        }
        Complete(tx, ids->first, module_titles_, access->viewer, *found, false);
        if (auto s = CheckEtag(given.etag(), found->etag(), "parenting_assessment.etag"); !s.ok()) {
          return s;
        }
        if (request->update_mask().paths_size() == 0) {
          return InvalidField("update_mask", "required");
        }
        v1::ParentingAssessment changed = *found;
        for (const auto& path : request->update_mask().paths()) {
          if (path == "analysis") {
            changed.set_analysis(given.analysis());
          } else if (path == "conclusion") {
            changed.set_conclusion(given.conclusion());
          } else {
            return InvalidField("update_mask", absl::StrCat(Quote(path),
                                                            " cannot be changed (analysis, "
                                                            "conclusion)"));
          }
        }
        if (auto s = CheckAssessmentText(changed.analysis(), "parenting_assessment.analysis");
            !s.ok()) {
          return s;
        }
        if (auto s = CheckAssessmentText(changed.conclusion(), "parenting_assessment.conclusion");
            !s.ok()) {
          return s;
        }
        WorkbookStore::UpdateAssessmentText(tx, changed);
        *response = *WorkbookStore::FindAssessment(tx, ids->first, ids->second, false);
        Complete(tx, ids->first, module_titles_, access->viewer, *response, true);
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::SignOffParentingAssessment(
    grpc::ServerContext* context, const v1::SignOffParentingAssessmentRequest* request,
    v1::ParentingAssessment* response) {
  return runner_.Run(
      context, "SignOffParentingAssessment", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = AssessmentIds(request->name());
        if (!ids.ok()) return ids.status();
        auto access = OpenCase(tx, caller, ids->first, CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        auto found = LoadAssessment(tx, *access, ids->second, true);
        if (!found.ok()) return found.status();
        if (!access->manages) {
          return absl::PermissionDeniedError(
              "only a manager of the case's team signs off a parenting assessment");
        }
        if (found->assessor() == caller.principal.id) {
          return absl::PermissionDeniedError(
              "a parenting assessment is signed off by a manager other than its assessor");
        }
        if (found->state() != v1::ASSESSMENT_STATE_DRAFT) {
          return absl::FailedPreconditionError("the assessment is already signed off");
        }
        Complete(tx, ids->first, module_titles_, access->viewer, *found, false);
        if (auto s = CheckEtag(request->etag(), found->etag(), "etag"); !s.ok()) return s;
        if (found->analysis().empty() || found->conclusion().empty()) {
          return absl::FailedPreconditionError(
              "the assessor writes the analysis and the conclusion before sign-off");
        }
        v1::ParentingAssessment compiled = *found;
        Compile(tx, ids->first, module_titles_, compiled);
        WorkbookStore::SignOffAssessment(tx, compiled, caller.principal.id);
        *response = *WorkbookStore::FindAssessment(tx, ids->first, ids->second, false);
        Complete(tx, ids->first, module_titles_, access->viewer, *response, true);
        PublishAssessmentSignedOff(tx, *response);
        return absl::OkStatus();
      });
}

grpc::Status WorkbookServiceImpl::ReviseParentingAssessment(
    grpc::ServerContext* context, const v1::ReviseParentingAssessmentRequest* request,
    v1::ParentingAssessment* response) {
  return runner_.Run(
      context, "ReviseParentingAssessment", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto ids = AssessmentIds(request->name());
        if (!ids.ok()) return ids.status();
        if (auto s = CheckReason(request->reason(), "reason"); !s.ok()) return s;
        auto access = OpenCase(tx, caller, ids->first, CaseIntent::kWrite, event);
        if (!access.ok()) return access.status();
        auto found = LoadAssessment(tx, *access, ids->second, true);
        if (!found.ok()) return found.status();
        if (found->assessor() != caller.principal.id && !access->manages) {
          return absl::PermissionDeniedError(
              "an assessment is revised by its assessor or a manager of the case's team");
        }
        if (found->state() != v1::ASSESSMENT_STATE_SIGNED_OFF) {
          return absl::FailedPreconditionError(
              "the assessment is a draft; change it with UpdateParentingAssessment");
        }
        Complete(tx, ids->first, module_titles_, access->viewer, *found, false);
        if (auto s = CheckEtag(request->etag(), found->etag(), "etag"); !s.ok()) return s;
        if (WorkbookStore::HasDraftAssessment(tx, ids->first, LastSegment(found->person()))) {
          return absl::AlreadyExistsError(
              "this parent already has a parenting assessment in draft; continue that one");
        }
        WorkbookStore::ReviseAssessment(tx, ids->second, request->reason());
        *response = *WorkbookStore::FindAssessment(tx, ids->first, ids->second, false);
        Complete(tx, ids->first, module_titles_, access->viewer, *response, true);
        return absl::OkStatus();
      });
}

}  // namespace fs::workbook
