#include "services/supervision/supervision_service.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/case_access.h"
#include "common/dates.h"
#include "common/events.h"
#include "common/idempotency.h"
#include "common/pagination.h"
#include "common/resource_name.h"
#include "common/status.h"
#include "common/timestamps.h"
#include "services/supervision/icalendar.h"
#include "services/supervision/scheduler.h"
#include "services/supervision/supervision_events.h"
#include "services/supervision/supervision_store.h"

namespace fs::supervision {
namespace {

using google::protobuf::util::TimeUtil;

constexpr absl::Duration kSlot = absl::Minutes(15);
constexpr int kMaxHorizonDays = 62;

absl::StatusOr<absl::Time> RequiredTime(const google::protobuf::Timestamp& t, bool present,
                                        absl::string_view field) {
  if (!present) return InvalidField(field, "required");
  if (!ValidTimestamp(t)) return InvalidField(field, "not a valid time");
  return FromTimestamp(t);
}

bool InTeam(const Caller& caller, const std::string& team) {
  return std::find(caller.teams.begin(), caller.teams.end(), team) != caller.teams.end();
}

// Whether `practitioner` works in one of `teams` as far as supervision knows: allocated to one of
// their open cases. (Being named a chair or deputy is not enough: a manager could name anyone.)
bool WorksInTeams(pqxx::work& tx, const std::string& practitioner,
                  const std::vector<std::string>& teams) {
  for (const auto& c : SupervisionStore::OpenCases(tx, teams)) {
    if (c.allocations.contains(practitioner)) return true;
  }
  return false;
}

// Availability is the practitioner's own, or their team manager's to keep for them (not any
// team manager's: the calendar feed shows case references and times).
absl::StatusOr<std::string> PractitionerFor(pqxx::work& tx, const Caller& caller,
                                            const std::string& name, absl::string_view field,
                                            std::initializer_list<absl::string_view> shape) {
  auto ids = ParseResourceName(name, field, shape);
  if (!ids.ok()) return ids.status();
  const std::string& practitioner = (*ids)[0];
  if (auto s = CheckIdentifier(practitioner, field); !s.ok()) return s;
  if (practitioner != caller.principal.id && (caller.role != PractitionerRole::kTeamManager ||
                                              !WorksInTeams(tx, practitioner, caller.teams))) {
    return absl::PermissionDeniedError(
        "a practitioner's availability is kept by themselves or their team manager");
  }
  return ids->size() > 1 ? (*ids)[1] : practitioner;
}

std::string PractitionerId(const std::string& name) {
  auto ids = ParseResourceName(name, "name", {"practitioners"});
  if (ids.ok()) return (*ids)[0];
  auto slash = name.find('/', std::string("practitioners/").size());
  return name.substr(std::string("practitioners/").size(),
                     slash == std::string::npos ? std::string::npos
                                                : slash - std::string("practitioners/").size());
}

v1::CaseStatus StatusOf(pqxx::work& tx, const CaseRow& c, const Policy& policy, absl::Time now) {
  v1::CaseStatus status;
  status.set_name(absl::StrCat("cases/", c.id, "/supervisionStatus"));
  status.set_team(c.team);
  if (c.times.last_held) *status.mutable_last_held_time() = ToTimestamp(*c.times.last_held);
  if (auto due = DueTime(policy, c.times, EnglandZone())) {
    *status.mutable_due_time() = ToTimestamp(*due);
    status.set_overdue(c.open && *due < now);
  }
  status.set_planned_session(SupervisionStore::PlannedSession(tx, c.id, now));
  std::set<std::string> attendees;
  for (const auto& [who, role] : c.allocations) attendees.insert(who);
  for (const auto& who : attendees) status.add_attendees(who);
  return status;
}

absl::Status CheckWorkingHours(const v1::WorkingHours& hours) {
  std::set<int> days;
  for (const auto& day : hours.days()) {
    if (day.weekday() < 1 || day.weekday() > 7) {
      return InvalidField("working_hours.days.weekday", "1 (Monday) to 7 (Sunday)");
    }
    if (!days.insert(day.weekday()).second) {
      return InvalidField("working_hours.days.weekday", "each weekday at most once");
    }
    int last_end = -1;
    for (const auto& range : day.ranges()) {
      if (range.start_minute() < 0 || range.end_minute() > 24 * 60 ||
          range.start_minute() >= range.end_minute() || range.start_minute() % 15 != 0 ||
          range.end_minute() % 15 != 0) {
        return InvalidField("working_hours.days.ranges",
                            "start before end, within the day, on quarter hours");
      }
      if (range.start_minute() < last_end) {
        return InvalidField("working_hours.days.ranges", "in order, not overlapping");
      }
      last_end = range.end_minute();
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Session> LoadSession(pqxx::work& tx, const std::string& name, bool lock) {
  auto ids = ParseResourceName(name, "name", {"sessions"});
  if (!ids.ok()) return ids.status();
  auto session = SupervisionStore::FindSession(tx, (*ids)[0], lock);
  if (!session) return absl::NotFoundError(absl::StrCat("session ", Quote(name), " not found"));
  return *session;
}

// The case of "cases/{case}/supervisionStatus", or NOT_FOUND.
absl::StatusOr<CaseRow> FindCaseOfStatus(pqxx::work& tx, const std::string& name,
                                         bool lock = false) {
  // The singleton has no id after it: parse as if it had one.
  auto ids = ParseResourceName(name + "/x", "name", {"cases", "supervisionStatus"});
  if (!ids.ok() || !absl::EndsWith(name, "/supervisionStatus")) {
    return InvalidField("name", "cases/{case}/supervisionStatus");
  }
  if (lock && !SupervisionStore::CaseExists(tx, (*ids)[0])) {
    return absl::NotFoundError(
        absl::StrCat("case ", Quote(absl::StrCat("cases/", (*ids)[0])), " not found"));
  }
  auto c = SupervisionStore::FindCase(tx, (*ids)[0]);
  if (!c) {
    return absl::NotFoundError(
        absl::StrCat("case ", Quote(absl::StrCat("cases/", (*ids)[0])), " not found"));
  }
  return *c;
}

// The first slot at or after `t` (a partly taken slot is taken).
int CeilSlot(const SlotGrid& grid, absl::Time t) {
  int slot = grid.SlotAt(t);
  if (slot < grid.size() && grid.TimeOf(slot) < t) ++slot;
  return slot;
}

// Planning reads every practitioner's sessions (a practitioner may work for two teams) and
// replaces proposals: one plan at a time, and no confirm, cancel or record while it runs.
void LockPlanning(pqxx::work& tx, bool exclusive) {
  constexpr long long kPlanningLock = 0x6673475453;  // "fsGTS"
  tx.exec(absl::StrCat(
      exclusive ? "SELECT pg_advisory_xact_lock(" : "SELECT pg_advisory_xact_lock_shared(",
      kPlanningLock, ")"));
}

bool Attends(const v1::Session& session, const std::string& who) {
  if (session.chair() == who) return true;
  for (const auto& c : session.cases()) {
    if (std::find(c.attendees().begin(), c.attendees().end(), who) != c.attendees().end()) {
      return true;
    }
  }
  return false;
}

// Reading a session: its team, its chair and its attendees.
absl::Status CheckCanRead(const Caller& caller, const v1::Session& session) {
  if (InTeam(caller, session.team()) || Attends(session, caller.principal.id)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError("sessions are seen by their team and their attendees");
}

// A held session's record of a case (rating, summary, actions) is for the practitioners
// allocated to that case, the session's chair and the team's managers: the others in the
// session (or in the team) see the times and who attends, not what was said of the family.
void WithholdRecords(pqxx::work& tx, const Caller& caller, v1::Session* session) {
  if (session->chair() == caller.principal.id || ManagesTeam(caller, session->team())) return;
  for (auto& c : *session->mutable_cases()) {
    if (!c.has_record()) continue;
    auto row = SupervisionStore::FindCase(tx, LastSegment(c.case_()));
    if (!row || !row->allocations.contains(caller.principal.id)) c.clear_record();
  }
}

// Changing a session: its chair or a manager of its team.
absl::Status CheckCanChange(const Caller& caller, const v1::Session& session) {
  if (session.chair() == caller.principal.id || ManagesTeam(caller, session.team())) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError("a session is changed by its chair or the team manager");
}

// A session about to be confirmed, cancelled or recorded: never while a plan runs (the planning
// lock, shared), its row locked, and the caller its chair or a manager of its team.
absl::StatusOr<v1::Session> SessionToChange(pqxx::work& tx, const Caller& caller,
                                            const std::string& name) {
  LockPlanning(tx, /*exclusive=*/false);
  auto session = LoadSession(tx, name, true);
  if (!session.ok()) return session.status();
  if (auto s = CheckCanChange(caller, *session); !s.ok()) return s;
  return session;
}

std::string StateName(v1::SessionState state) {
  return v1::SessionState_Name(state).substr(std::string("SESSION_STATE_").size());
}

}  // namespace

// ---- Case statuses ----

grpc::Status SupervisionServiceImpl::ListCaseStatuses(grpc::ServerContext* context,
                                                      const v1::ListCaseStatusesRequest* request,
                                                      v1::ListCaseStatusesResponse* response) {
  return runner_.Run(
      context, "ListCaseStatuses", request->team().empty() ? "teams" : request->team(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        std::vector<std::string> teams = caller.teams;
        if (!request->team().empty()) {
          if (auto s = CheckIdentifier(request->team(), "team"); !s.ok()) return s;
          if (!InTeam(caller, request->team())) {
            return absl::PermissionDeniedError("you may list the cases of your own teams only");
          }
          teams = {request->team()};
        }
        auto page = ParsePage(request->page_size(), request->page_token());
        if (!page.ok()) return page.status();
        absl::Time now = clock_();
        std::vector<v1::CaseStatus> statuses;
        for (const auto& c : SupervisionStore::OpenCases(tx, teams)) {
          v1::CaseStatus status = StatusOf(tx, c, policy_, now);
          if (request->overdue_only() && !status.overdue()) continue;
          statuses.push_back(std::move(status));
        }
        // Overdue first, then by due time (cases with nobody allocated last), then by name.
        std::sort(statuses.begin(), statuses.end(),
                  [](const v1::CaseStatus& a, const v1::CaseStatus& b) {
                    auto key = [](const v1::CaseStatus& s) {
                      return std::make_tuple(!s.overdue(), !s.has_due_time(),
                                             s.due_time().seconds(), s.name());
                    };
                    return key(a) < key(b);
                  });
        int overdue = 0;
        for (const auto& s : statuses) overdue += s.overdue();
        response->set_total_size(static_cast<int>(statuses.size()));
        response->set_overdue_count(overdue);
        int64_t from = page->after;
        for (int64_t i = from;
             i < static_cast<int64_t>(statuses.size()) && response->statuses_size() < page->size;
             ++i) {
          *response->add_statuses() = statuses[i];
        }
        if (from + response->statuses_size() < static_cast<int64_t>(statuses.size())) {
          response->set_next_page_token(PageToken(from + response->statuses_size()));
        }
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::GetCaseStatus(grpc::ServerContext* context,
                                                   const v1::GetCaseStatusRequest* request,
                                                   v1::CaseStatus* response) {
  return runner_.Run(
      context, "GetCaseStatus", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto c = FindCaseOfStatus(tx, request->name());
        if (!c.ok()) return c.status();
        if (!InTeam(caller, c->team) && !c->allocations.contains(caller.principal.id)) {
          return absl::PermissionDeniedError(
              "a case's supervision is seen by its team and its practitioners");
        }
        *response = StatusOf(tx, *c, policy_, clock_());
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::RecordEarlierSupervision(
    grpc::ServerContext* context, const v1::RecordEarlierSupervisionRequest* request,
    v1::CaseStatus* response) {
  return runner_.Run(
      context, "RecordEarlierSupervision", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto c = FindCaseOfStatus(tx, request->name(), /*lock=*/true);
        if (!c.ok()) return c.status();
        if (!ManagesTeam(caller, c->team)) {
          return absl::PermissionDeniedError(
              "only the case's team manager records a GCS held before this service");
        }
        if (SupervisionStore::HasHeldRecord(tx, c->id)) {
          return absl::FailedPreconditionError(
              "this service has recorded a GCS for the case: earlier dates no "
              "longer apply");
        }
        absl::Time now = clock_();
        auto day =
            ParsePastDate(request->held_date(), "held_date", absl::ToCivilDay(now, EnglandZone()));
        if (!day.ok()) return day.status();
        // Noon, London: the day is what counts.
        absl::Time held = absl::FromCivil(absl::CivilHour(*day) + 12, EnglandZone());
        if (c->times.last_held && *c->times.last_held > held) {
          return absl::FailedPreconditionError(
              absl::StrCat("a later GCS is already known for this case (",
                           absl::FormatTime("%Y-%m-%d", *c->times.last_held, EnglandZone()), ")"));
        }
        SupervisionStore::RecordHeld(tx, c->id, held, "");
        auto updated = SupervisionStore::FindCase(tx, c->id);
        *response = StatusOf(tx, *updated, policy_, now);
        return absl::OkStatus();
      });
}

// ---- Chairs ----

grpc::Status SupervisionServiceImpl::GetTeamChairs(grpc::ServerContext* context,
                                                   const v1::GetTeamChairsRequest* request,
                                                   v1::TeamChairs* response) {
  return runner_.Run(
      context, "GetTeamChairs", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto ids = ParseResourceName(request->name() + "/x", "name", {"teams", "chairs"});
        if (!ids.ok() || !absl::EndsWith(request->name(), "/chairs")) {
          return InvalidField("name", "teams/{team}/chairs");
        }
        if (!InTeam(caller, (*ids)[0])) {
          return absl::PermissionDeniedError("not a member of this team");
        }
        auto chairs = SupervisionStore::FindChairs(tx, (*ids)[0]);
        if (!chairs) {
          return absl::NotFoundError(absl::StrCat("no chairs set for team ", Quote((*ids)[0])));
        }
        *response = *chairs;
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::UpdateTeamChairs(grpc::ServerContext* context,
                                                      const v1::UpdateTeamChairsRequest* request,
                                                      v1::TeamChairs* response) {
  const auto& given = request->chairs();
  return runner_.Run(
      context, "UpdateTeamChairs", given.name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto ids = ParseResourceName(given.name() + "/x", "chairs.name", {"teams", "chairs"});
        if (!ids.ok() || !absl::EndsWith(given.name(), "/chairs")) {
          return InvalidField("chairs.name", "teams/{team}/chairs");
        }
        const std::string& team = (*ids)[0];
        if (auto s = CheckIdentifier(team, "chairs.name"); !s.ok()) return s;
        if (!ManagesTeam(caller, team)) {
          return absl::PermissionDeniedError("only the team's manager names its chairs");
        }
        if (auto s = CheckIdentifier(given.chair(), "chairs.chair"); !s.ok()) return s;
        std::set<std::string> seen = {given.chair()};
        if (given.deputies_size() > 10) return InvalidField("chairs.deputies", "at most 10");
        for (const auto& d : given.deputies()) {
          if (auto s = CheckIdentifier(d, "chairs.deputies"); !s.ok()) return s;
          if (!seen.insert(d).second) {
            return InvalidField("chairs.deputies", "each person once, and not the chair");
          }
        }
        auto current = SupervisionStore::FindChairs(tx, team);
        if (current) {
          if (auto s = CheckEtag(given.etag(), current->etag(), "chairs.etag"); !s.ok()) return s;
        }
        if (!SupervisionStore::UpsertChairs(tx, team, given, current ? current->etag() : "")) {
          return absl::AbortedError("the chairs were changed meanwhile: read them again");
        }
        *response = *SupervisionStore::FindChairs(tx, team);
        return absl::OkStatus();
      });
}

// ---- Availability ----

grpc::Status SupervisionServiceImpl::GetWorkingHours(grpc::ServerContext* context,
                                                     const v1::GetWorkingHoursRequest* request,
                                                     v1::WorkingHours* response) {
  return runner_.Run(context, "GetWorkingHours", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       if (!absl::EndsWith(request->name(), "/workingHours")) {
                         return InvalidField("name", "practitioners/{practitioner}/workingHours");
                       }
                       // The singleton has no id after it: parse as if it had one.
                       auto who = PractitionerFor(tx, caller, request->name() + "/x", "name",
                                                  {"practitioners", "workingHours"});
                       if (!who.ok()) return who.status();
                       std::string practitioner = PractitionerId(request->name());
                       if (auto hours = SupervisionStore::FindWorkingHours(tx, practitioner)) {
                         *response = *hours;
                         return absl::OkStatus();
                       }
                       response->set_name(request->name());
                       for (int d = 1; d <= 5; ++d) {
                         auto* day = response->add_days();
                         day->set_weekday(d);
                         auto* range = day->add_ranges();
                         range->set_start_minute(9 * 60);
                         range->set_end_minute(17 * 60);
                       }
                       return absl::OkStatus();
                     });
}

grpc::Status SupervisionServiceImpl::UpdateWorkingHours(
    grpc::ServerContext* context, const v1::UpdateWorkingHoursRequest* request,
    v1::WorkingHours* response) {
  const auto& given = request->working_hours();
  return runner_.Run(
      context, "UpdateWorkingHours", given.name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        if (!absl::EndsWith(given.name(), "/workingHours")) {
          return InvalidField("working_hours.name", "practitioners/{practitioner}/workingHours");
        }
        auto who = PractitionerFor(tx, caller, given.name() + "/x", "working_hours.name",
                                   {"practitioners", "workingHours"});
        if (!who.ok()) return who.status();
        std::string practitioner = PractitionerId(given.name());
        if (auto s = CheckWorkingHours(given); !s.ok()) return s;
        auto current = SupervisionStore::FindWorkingHours(tx, practitioner);
        if (current) {
          if (auto s = CheckEtag(given.etag(), current->etag(), "working_hours.etag"); !s.ok()) {
            return s;
          }
        }
        if (!SupervisionStore::UpsertWorkingHours(tx, practitioner, given,
                                                  current ? current->etag() : "")) {
          return absl::AbortedError("the working hours were changed meanwhile: read them again");
        }
        *response = *SupervisionStore::FindWorkingHours(tx, practitioner);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::CreateLeave(grpc::ServerContext* context,
                                                 const v1::CreateLeaveRequest* request,
                                                 v1::Leave* response) {
  return runner_.Run(
      context, "CreateLeave", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto who = PractitionerFor(tx, caller, request->parent(), "parent", {"practitioners"});
        if (!who.ok()) return who.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        if (auto first = EarlierCreate(tx, caller, "CreateLeave", request->request_id())) {
          auto leave = SupervisionStore::FindLeave(tx, *who, *first);
          if (!leave) return RequestIdReused();
          *response = *leave;
          return absl::OkStatus();
        }
        auto first = ParseDate(request->leave().first_day(), "leave.first_day");
        if (!first.ok()) return first.status();
        auto last = ParseDate(request->leave().last_day(), "leave.last_day");
        if (!last.ok()) return last.status();
        if (*last < *first) return InvalidField("leave.last_day", "before first_day");
        if (*last - *first > 366) return InvalidField("leave.last_day", "at most a year of leave");
        if (auto s = CheckText(request->leave().note(), "leave.note", 200, false); !s.ok()) {
          return s;
        }
        std::string id = SupervisionStore::InsertLeave(tx, *who, request->leave());
        *response = *SupervisionStore::FindLeave(tx, *who, id);
        RememberCreate(tx, caller, "CreateLeave", request->request_id(), response->name());
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::DeleteLeave(grpc::ServerContext* context,
                                                 const v1::DeleteLeaveRequest* request,
                                                 v1::Leave* response) {
  return runner_.Run(
      context, "DeleteLeave", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto id = PractitionerFor(tx, caller, request->name(), "name", {"practitioners", "leave"});
        if (!id.ok()) return id.status();
        std::string practitioner = PractitionerId(request->name());
        auto leave = SupervisionStore::FindLeave(tx, practitioner, *id);
        if (!leave) {
          return absl::NotFoundError(absl::StrCat("leave ", Quote(request->name()), " not found"));
        }
        SupervisionStore::DeleteLeave(tx, *id);
        *response = *leave;
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::ListLeave(grpc::ServerContext* context,
                                               const v1::ListLeaveRequest* request,
                                               v1::ListLeaveResponse* response) {
  return runner_.Run(context, "ListLeave", request->parent(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       auto who = PractitionerFor(tx, caller, request->parent(), "parent",
                                                  {"practitioners"});
                       if (!who.ok()) return who.status();
                       for (auto& leave : SupervisionStore::ListLeave(tx, *who)) {
                         *response->add_leave() = std::move(leave);
                       }
                       return absl::OkStatus();
                     });
}

grpc::Status SupervisionServiceImpl::CreateBusyBlock(grpc::ServerContext* context,
                                                     const v1::CreateBusyBlockRequest* request,
                                                     v1::BusyBlock* response) {
  return runner_.Run(
      context, "CreateBusyBlock", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent& event) {
        auto who = PractitionerFor(tx, caller, request->parent(), "parent", {"practitioners"});
        if (!who.ok()) return who.status();
        if (auto s = CheckRequestId(request->request_id()); !s.ok()) return s;
        if (auto first = EarlierCreate(tx, caller, "CreateBusyBlock", request->request_id())) {
          auto block = SupervisionStore::FindBusy(tx, *who, *first);
          if (!block) return RequestIdReused();
          *response = *block;
          return absl::OkStatus();
        }
        const auto& given = request->busy_block();
        auto start =
            RequiredTime(given.start_time(), given.has_start_time(), "busy_block.start_time");
        if (!start.ok()) return start.status();
        auto end = RequiredTime(given.end_time(), given.has_end_time(), "busy_block.end_time");
        if (!end.ok()) return end.status();
        if (*end <= *start) return InvalidField("busy_block.end_time", "after start_time");
        if (*end - *start > absl::Hours(24 * 31)) {
          return InvalidField("busy_block.end_time", "at most 31 days; use leave for longer");
        }
        std::string id = SupervisionStore::InsertBusy(tx, *who, *start, *end, "api");
        *response = *SupervisionStore::FindBusy(tx, *who, id);
        RememberCreate(tx, caller, "CreateBusyBlock", request->request_id(), response->name());
        event.resource = response->name();
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::DeleteBusyBlock(grpc::ServerContext* context,
                                                     const v1::DeleteBusyBlockRequest* request,
                                                     v1::BusyBlock* response) {
  return runner_.Run(context, "DeleteBusyBlock", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       auto id = PractitionerFor(tx, caller, request->name(), "name",
                                                 {"practitioners", "busyBlocks"});
                       if (!id.ok()) return id.status();
                       std::string practitioner = PractitionerId(request->name());
                       auto block = SupervisionStore::FindBusy(tx, practitioner, *id);
                       if (!block) {
                         return absl::NotFoundError(
                             absl::StrCat("busy block ", Quote(request->name()), " not found"));
                       }
                       SupervisionStore::DeleteBusy(tx, *id);
                       *response = *block;
                       return absl::OkStatus();
                     });
}

grpc::Status SupervisionServiceImpl::ListBusyBlocks(grpc::ServerContext* context,
                                                    const v1::ListBusyBlocksRequest* request,
                                                    v1::ListBusyBlocksResponse* response) {
  return runner_.Run(
      context, "ListBusyBlocks", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto who = PractitionerFor(tx, caller, request->parent(), "parent", {"practitioners"});
        if (!who.ok()) return who.status();
        absl::Time start = absl::InfinitePast();
        absl::Time end = absl::InfiniteFuture();
        if (request->has_start_time()) {
          auto t = RequiredTime(request->start_time(), true, "start_time");
          if (!t.ok()) return t.status();
          start = *t;
        }
        if (request->has_end_time()) {
          auto t = RequiredTime(request->end_time(), true, "end_time");
          if (!t.ok()) return t.status();
          end = *t;
        }
        start = std::max(start, absl::FromUnixSeconds(TimeUtil::kTimestampMinSeconds));
        end = std::min(end, absl::FromUnixSeconds(TimeUtil::kTimestampMaxSeconds));
        for (auto& block : SupervisionStore::ListBusy(tx, *who, start, end)) {
          *response->add_busy_blocks() = std::move(block);
        }
        return absl::OkStatus();
      });
}

// ---- Planning ----

grpc::Status SupervisionServiceImpl::PlanSessions(grpc::ServerContext* context,
                                                  const v1::PlanSessionsRequest* request,
                                                  v1::PlanSessionsResponse* response) {
  return runner_.Run(
      context, "PlanSessions", absl::StrCat("teams/", request->team()), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        LockPlanning(tx, /*exclusive=*/true);
        const std::string& team = request->team();
        if (auto s = CheckIdentifier(team, "team"); !s.ok()) return s;
        if (!ManagesTeam(caller, team)) {
          return absl::PermissionDeniedError("only the team's manager plans its sessions");
        }
        auto start = RequiredTime(request->start_time(), request->has_start_time(), "start_time");
        if (!start.ok()) return start.status();
        auto end = RequiredTime(request->end_time(), request->has_end_time(), "end_time");
        if (!end.ok()) return end.status();
        if (*end <= *start) return InvalidField("end_time", "after start_time");
        if (*end - *start > absl::Hours(24 * kMaxHorizonDays)) {
          return InvalidField("end_time",
                              absl::StrCat("at most ", kMaxHorizonDays, " days after start_time"));
        }
        // Nothing is planned in the past: start at the next quarter hour.
        absl::Time now = clock_();
        absl::Time from = std::max(*start, now);
        from = absl::FromUnixSeconds((absl::ToUnixSeconds(from) + 899) / 900 * 900);
        if (from >= *end) return InvalidField("end_time", "the horizon is already over");

        auto chairs_row = SupervisionStore::FindChairs(tx, team);
        std::vector<std::string> chairs;
        if (chairs_row) {
          chairs.push_back(chairs_row->chair());
          chairs.insert(chairs.end(), chairs_row->deputies().begin(), chairs_row->deputies().end());
        }
        SlotGrid grid(from, *end, kSlot, EnglandZone());
        const int d = policy_.case_minutes / 15;

        // This team's sessions in the horizon. Proposals are replaced: their cases are planned
        // again whatever their due date. Confirmed sessions wholly inside the horizon are kept
        // unless they became impossible; confirmed or held sessions reaching outside it are left
        // alone, their time taken.
        int64_t last = 0;
        auto existing =
            SupervisionStore::ListSessions(tx, team, "", from, *end, "", 0, 100000, &last);
        std::map<std::string, std::string> confirmed_session_of;  // case -> session id
        std::set<std::string> replan;                             // cases planned again
        std::set<std::string> settled;                            // cases in sessions left alone
        std::vector<std::tuple<std::string, absl::Time, absl::Time>> taken;  // who, from, to
        std::vector<PlannedSession> confirmed;
        for (const auto& s : existing) {
          absl::Time s_start = FromTimestamp(s.start_time());
          absl::Time s_end = FromTimestamp(s.end_time());
          if (s.state() == v1::SESSION_STATE_PROPOSED) {
            for (const auto& c : s.cases()) replan.insert(LastSegment(c.case_()));
            continue;
          }
          if (s.state() == v1::SESSION_STATE_CANCELLED) continue;
          if (s.state() == v1::SESSION_STATE_CONFIRMED && s_start >= from && s_end <= *end) {
            PlannedSession planned;
            planned.id = LastSegment(s.name());
            planned.chair = s.chair();
            planned.start_slot = grid.SlotAt(s_start);
            planned.end_slot = grid.SlotAt(s_end);
            planned.confirmed = true;
            for (const auto& c : s.cases()) {
              std::string case_id = LastSegment(c.case_());
              planned.cases.push_back({case_id, grid.SlotAt(FromTimestamp(c.start_time()))});
              confirmed_session_of[case_id] = planned.id;
              replan.insert(case_id);
            }
            confirmed.push_back(std::move(planned));
            continue;
          }
          taken.emplace_back(s.chair(), s_start, s_end);
          for (const auto& c : s.cases()) {
            settled.insert(LastSegment(c.case_()));
            for (const auto& who : c.attendees()) {
              taken.emplace_back(who, FromTimestamp(c.start_time()), FromTimestamp(c.end_time()));
            }
          }
        }

        // The team's open cases due by the end of the horizon, and those planned in it before.
        Problem problem;
        problem.grid = &grid;
        problem.case_slots = d;
        problem.max_cases = policy_.max_cases;
        problem.confirmed = confirmed;
        std::set<std::string> people(chairs.begin(), chairs.end());
        for (const auto& c : SupervisionStore::OpenCases(tx, {team})) {
          if (settled.contains(c.id)) continue;
          auto due = DueTime(policy_, c.times, EnglandZone());
          if (!due) continue;  // nobody allocated: nothing to supervise
          if (*due > *end && !replan.contains(c.id)) continue;
          // One live session a case: one planned outside this horizon stays as it is.
          if (!replan.contains(c.id) && !SupervisionStore::PlannedSession(tx, c.id, now).empty()) {
            continue;
          }
          CaseToPlace place;
          place.id = c.id;
          place.due = *due;
          place.earliest = *due - absl::Hours(24 * policy_.planning_window_days);
          std::set<std::string> attendees;
          for (const auto& [who, role] : c.allocations) attendees.insert(who);
          place.attendees.assign(attendees.begin(), attendees.end());
          place.chairs = chairs;
          people.insert(attendees.begin(), attendees.end());
          problem.cases.push_back(std::move(place));
        }
        std::vector<std::string> everyone(people.begin(), people.end());
        auto availability = SupervisionStore::LoadAvailability(tx, everyone, from, *end);
        for (const auto& who : everyone) {
          FreeTime free = BuildFreeTime(grid, availability[who], holidays_);
          // Sessions of other teams they chair or attend are taken time.
          int64_t unused = 0;
          for (const auto& s :
               SupervisionStore::ListSessions(tx, "", who, from, *end, "", 0, 100000, &unused)) {
            if (s.team() == team || s.state() == v1::SESSION_STATE_CANCELLED) continue;
            if (s.chair() == who) {
              free.Set(grid.SlotAt(FromTimestamp(s.start_time())),
                       grid.SlotAt(FromTimestamp(s.end_time())), false);
            }
            for (const auto& c : s.cases()) {
              if (std::find(c.attendees().begin(), c.attendees().end(), who) !=
                  c.attendees().end()) {
                free.Set(grid.SlotAt(FromTimestamp(c.start_time())),
                         grid.SlotAt(FromTimestamp(c.end_time())), false);
              }
            }
          }
          for (const auto& [person, busy_from, busy_to] : taken) {
            if (person == who) free.Set(grid.SlotAt(busy_from), CeilSlot(grid, busy_to), false);
          }
          problem.free[who] = std::move(free);
        }

        Plan plan = Schedule(problem);

        // Persist: proposals replaced. A confirmed session the plan gave up is cancelled whole
        // (its attendees' calendars get the cancellation); one it kept loses the cases that
        // moved, closed or are no longer due.
        SupervisionStore::DeleteProposed(tx, team, from, *end);
        std::map<std::string, std::set<std::string>> kept;  // session id -> its cases
        for (const auto& p : plan.sessions) {
          if (!p.confirmed) continue;
          for (const auto& placement : p.cases) kept[p.id].insert(placement.case_id);
        }
        for (const auto& s : confirmed) {
          auto it = kept.find(s.id);
          if (it == kept.end()) {
            SupervisionStore::SetState(tx, s.id, "CANCELLED", "no case left after re-planning",
                                       true);
            continue;
          }
          for (const auto& placement : s.cases) {
            if (!it->second.contains(placement.case_id)) {
              SupervisionStore::RemoveCase(tx, s.id, placement.case_id);
            }
          }
        }
        std::map<std::string, const CaseToPlace*> by_id;
        for (const auto& c : problem.cases) by_id[c.id] = &c;
        for (const auto& p : plan.sessions) {
          if (p.confirmed) continue;
          v1::Session session;
          session.set_team(team);
          session.set_chair(p.chair);
          *session.mutable_start_time() = ToTimestamp(grid.TimeOf(p.start_slot));
          *session.mutable_end_time() = ToTimestamp(grid.TimeOf(p.end_slot));
          session.set_state(v1::SESSION_STATE_PROPOSED);
          for (const auto& placement : p.cases) {
            auto* c = session.add_cases();
            c->set_case_(absl::StrCat("cases/", placement.case_id));
            *c->mutable_start_time() = ToTimestamp(grid.TimeOf(placement.slot));
            *c->mutable_end_time() = ToTimestamp(grid.TimeOf(placement.slot + d));
            for (const auto& who : by_id.at(placement.case_id)->attendees) c->add_attendees(who);
          }
          SupervisionStore::InsertSession(tx, session);
        }
        for (auto& s :
             SupervisionStore::ListSessions(tx, team, "", from, *end, "", 0, 100000, &last)) {
          if (s.state() == v1::SESSION_STATE_PROPOSED || s.state() == v1::SESSION_STATE_CONFIRMED) {
            *response->add_sessions() = std::move(s);
          }
        }
        std::sort(response->mutable_sessions()->begin(), response->mutable_sessions()->end(),
                  [](const v1::Session& a, const v1::Session& b) {
                    return std::make_pair(a.start_time().seconds(), a.chair()) <
                           std::make_pair(b.start_time().seconds(), b.chair());
                  });
        for (const auto& u : plan.unplaced) {
          auto* unplaced = response->add_unplaced();
          unplaced->set_case_(absl::StrCat("cases/", u.case_id));
          unplaced->set_reason(u.reason);
        }
        for (const auto& m : plan.moved) response->add_moved(absl::StrCat("cases/", m));
        for (const auto& l : plan.late_reasons) {
          auto* late = response->add_late_cases();
          late->set_case_(absl::StrCat("cases/", l.case_id));
          late->set_reason(l.reason);
        }
        response->set_on_time(plan.on_time);
        response->set_late(plan.late);
        response->set_total_lateness_minutes(plan.total_lateness_minutes);
        return absl::OkStatus();
      });
}

// ---- Sessions ----

grpc::Status SupervisionServiceImpl::ListSessions(grpc::ServerContext* context,
                                                  const v1::ListSessionsRequest* request,
                                                  v1::ListSessionsResponse* response) {
  return runner_.Run(context, "ListSessions", "sessions", response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       if (!request->team().empty()) {
                         if (auto s = CheckIdentifier(request->team(), "team"); !s.ok()) return s;
                         if (!InTeam(caller, request->team())) {
                           return absl::PermissionDeniedError("not a member of this team");
                         }
                       }
                       std::string practitioner = request->practitioner();
                       if (request->team().empty() && practitioner.empty())
                         practitioner = caller.principal.id;
                       if (!practitioner.empty()) {
                         if (auto s = CheckIdentifier(practitioner, "practitioner"); !s.ok())
                           return s;
                         if (practitioner != caller.principal.id && request->team().empty()) {
                           return absl::PermissionDeniedError(
                               "list another practitioner's sessions within your team (set team)");
                         }
                       }
                       if (!v1::SessionState_IsValid(request->state()))
                         return InvalidField("state", "unknown");
                       std::string state = request->state() == v1::SESSION_STATE_UNSPECIFIED
                                               ? ""
                                               : StateName(request->state());
                       absl::Time start = absl::FromUnixSeconds(TimeUtil::kTimestampMinSeconds);
                       absl::Time end = absl::FromUnixSeconds(TimeUtil::kTimestampMaxSeconds);
                       if (request->has_start_time()) {
                         auto t = RequiredTime(request->start_time(), true, "start_time");
                         if (!t.ok()) return t.status();
                         start = *t;
                       }
                       if (request->has_end_time()) {
                         auto t = RequiredTime(request->end_time(), true, "end_time");
                         if (!t.ok()) return t.status();
                         end = *t;
                       }
                       auto page = ParsePage(request->page_size(), request->page_token());
                       if (!page.ok()) return page.status();
                       int64_t last = 0;
                       auto sessions = SupervisionStore::ListSessions(
                           tx, request->team(), practitioner, start, end, state, page->after,
                           page->size + 1, &last);
                       bool more = static_cast<int>(sessions.size()) > page->size;
                       if (more) sessions.pop_back();
                       int64_t key = page->after;
                       for (auto& s : sessions) {
                         WithholdRecords(tx, caller, &s);
                         *response->add_sessions() = std::move(s);
                       }
                       if (more) {
                         // The key of the last session returned.
                         SupervisionStore::ListSessions(tx, request->team(), practitioner, start,
                                                        end, state, page->after, page->size, &key);
                         response->set_next_page_token(PageToken(key));
                       }
                       return absl::OkStatus();
                     });
}

grpc::Status SupervisionServiceImpl::GetSession(grpc::ServerContext* context,
                                                const v1::GetSessionRequest* request,
                                                v1::Session* response) {
  return runner_.Run(context, "GetSession", request->name(), response,
                     [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
                       auto session = LoadSession(tx, request->name(), false);
                       if (!session.ok()) return session.status();
                       if (auto s = CheckCanRead(caller, *session); !s.ok()) return s;
                       WithholdRecords(tx, caller, &*session);
                       *response = *session;
                       return absl::OkStatus();
                     });
}

grpc::Status SupervisionServiceImpl::ConfirmSession(grpc::ServerContext* context,
                                                    const v1::ConfirmSessionRequest* request,
                                                    v1::Session* response) {
  return runner_.Run(
      context, "ConfirmSession", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto session = SessionToChange(tx, caller, request->name());
        if (!session.ok()) return session.status();
        if (session->state() != v1::SESSION_STATE_PROPOSED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "only a proposed session is confirmed; this one is ", StateName(session->state())));
        }
        if (auto s = CheckEtag(request->etag(), session->etag(), "etag"); !s.ok()) return s;
        std::string id = LastSegment(session->name());
        SupervisionStore::SetState(tx, id, "CONFIRMED", "", false);
        *response = *SupervisionStore::FindSession(tx, id, false);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::CancelSession(grpc::ServerContext* context,
                                                   const v1::CancelSessionRequest* request,
                                                   v1::Session* response) {
  return runner_.Run(
      context, "CancelSession", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        if (auto s = CheckText(request->reason(), "reason", 500, true); !s.ok()) return s;
        auto session = SessionToChange(tx, caller, request->name());
        if (!session.ok()) return session.status();
        if (session->state() != v1::SESSION_STATE_PROPOSED &&
            session->state() != v1::SESSION_STATE_CONFIRMED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "a ", absl::AsciiStrToLower(StateName(session->state())), " session stays as it is"));
        }
        if (auto s = CheckEtag(request->etag(), session->etag(), "etag"); !s.ok()) return s;
        std::string id = LastSegment(session->name());
        SupervisionStore::SetState(tx, id, "CANCELLED", request->reason(), true);
        *response = *SupervisionStore::FindSession(tx, id, false);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::RecordSession(grpc::ServerContext* context,
                                                   const v1::RecordSessionRequest* request,
                                                   v1::Session* response) {
  return runner_.Run(
      context, "RecordSession", request->name(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto session = SessionToChange(tx, caller, request->name());
        if (!session.ok()) return session.status();
        if (session->state() != v1::SESSION_STATE_CONFIRMED) {
          return absl::FailedPreconditionError(absl::StrCat(
              "only a confirmed session is recorded; this one is ", StateName(session->state())));
        }
        if (auto s = CheckEtag(request->etag(), session->etag(), "etag"); !s.ok()) return s;
        absl::Time start = FromTimestamp(session->start_time());
        if (clock_() < start) {
          return absl::FailedPreconditionError("a session is recorded once it has begun");
        }
        std::set<std::string> attended;
        for (const auto& who : request->attended()) {
          if (auto s = CheckIdentifier(who, "attended"); !s.ok()) return s;
          attended.insert(who);
        }
        std::map<std::string, v1::CaseRecord> records;
        for (const auto& entry : request->records()) {
          auto ids = ParseResourceName(entry.case_(), "records.case", {"cases"});
          if (!ids.ok()) return ids.status();
          if (!records.emplace((*ids)[0], entry.record()).second) {
            return InvalidField("records.case", "each case once");
          }
        }
        absl::CivilDay held_day = absl::ToCivilDay(start, EnglandZone());
        for (const auto& c : session->cases()) {
          std::string case_id = LastSegment(c.case_());
          auto it = records.find(case_id);
          if (it == records.end()) {
            return InvalidField("records", absl::StrCat("no record for ", c.case_()));
          }
          v1::CaseRecord& record = it->second;
          if (std::find(policy_.risk_scale.begin(), policy_.risk_scale.end(),
                        record.risk_rating()) == policy_.risk_scale.end()) {
            return InvalidField("records.record.risk_rating",
                                absl::StrCat("one of ", absl::StrJoin(policy_.risk_scale, ", ")));
          }
          if (auto s = CheckText(record.summary(), "records.record.summary", 10000, true);
              !s.ok()) {
            return s;
          }
          if (record.actions_size() > 50) {
            return InvalidField("records.record.actions", "at most 50");
          }
          for (const auto& action : record.actions()) {
            if (auto s = CheckText(action.description(), "records.record.actions.description", 1000,
                                   true);
                !s.ok()) {
              return s;
            }
            if (auto s = CheckIdentifier(action.owner(), "records.record.actions.owner"); !s.ok()) {
              return s;
            }
            if (auto d = ParseDate(action.due_date(), "records.record.actions.due_date"); !d.ok()) {
              return d.status();
            }
          }
          if (record.next_due_date().empty()) {
            record.set_next_due_date(FormatDate(held_day + policy_.interval_days));
          } else {
            auto next = ParseDate(record.next_due_date(), "records.record.next_due_date");
            if (!next.ok()) return next.status();
            if (*next <= held_day || *next > held_day + policy_.interval_days) {
              return InvalidField("records.record.next_due_date",
                                  absl::StrCat("after the session and at most ",
                                               policy_.interval_days, " days later"));
            }
          }
          auto row = SupervisionStore::FindCase(tx, case_id);
          if (!row) return absl::NotFoundError(absl::StrCat(c.case_(), " not found"));
          if (auto s = CheckQuorum(policy_, session->chair(), attended, row->allocations);
              !s.ok()) {
            return absl::FailedPreconditionError(absl::StrCat(c.case_(), ": ", s.message()));
          }
        }
        if (records.size() != static_cast<size_t>(session->cases_size())) {
          return InvalidField("records.case", "a record for a case not in this session");
        }
        std::string id = LastSegment(session->name());
        SupervisionStore::RecordSession(tx, id, {attended.begin(), attended.end()}, records);
        for (const auto& c : session->cases()) {
          std::string case_id = LastSegment(c.case_());
          const v1::CaseRecord& record = records.at(case_id);
          auto row = SupervisionStore::FindCase(tx, case_id);
          auto due = DueTime(policy_, row->times, EnglandZone());
          absl::Time held = FromTimestamp(c.start_time());
          SupervisionStore::RecordHeld(tx, case_id, held, record.next_due_date());
          ev::EventEnvelope envelope;
          auto* e = envelope.mutable_gcs_held();
          e->set_session(session->name());
          *e->mutable_held_time() = c.start_time();
          e->set_chair(session->chair());
          e->set_risk_rating(record.risk_rating());
          e->set_next_due_date(record.next_due_date());
          e->set_on_time(!due || held <= *due);
          for (const auto& who : attended) e->add_attended(who);
          e->set_actions(record.actions_size());
          AppendEvent(tx, kProducer, c.case_(), envelope);
        }
        *response = *SupervisionStore::FindSession(tx, id, false);
        return absl::OkStatus();
      });
}

// ---- Calendars ----

grpc::Status SupervisionServiceImpl::ImportFreeBusy(grpc::ServerContext* context,
                                                    const v1::ImportFreeBusyRequest* request,
                                                    v1::ImportFreeBusyResponse* response) {
  return runner_.Run(
      context, "ImportFreeBusy", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto who = PractitionerFor(tx, caller, request->parent(), "parent", {"practitioners"});
        if (!who.ok()) return who.status();
        // libical reads up to a NUL: what follows would be lost without a word.
        if (request->icalendar().find('\0') != std::string::npos) {
          return InvalidField("icalendar", "must not contain NUL characters");
        }
        auto busy = ParseBusyTime(request->icalendar(), clock_());
        if (!busy.ok()) return InvalidField("icalendar", busy.status().message());
        // The calendar's range replaces what an earlier import said of it.
        SupervisionStore::DeleteImportedBusy(tx, *who, busy->range_start, busy->range_end);
        for (const auto& [from, to] : busy->periods) {
          SupervisionStore::InsertBusy(tx, *who, from, to, "ical");
        }
        response->set_imported(static_cast<int>(busy->periods.size()));
        *response->mutable_start_time() = ToTimestamp(busy->range_start);
        *response->mutable_end_time() = ToTimestamp(busy->range_end);
        return absl::OkStatus();
      });
}

grpc::Status SupervisionServiceImpl::GetCalendarFeed(grpc::ServerContext* context,
                                                     const v1::GetCalendarFeedRequest* request,
                                                     v1::CalendarFeed* response) {
  return runner_.Run(
      context, "GetCalendarFeed", request->parent(), response,
      [&](const Caller& caller, pqxx::work& tx, AuditEvent&) {
        auto who = PractitionerFor(tx, caller, request->parent(), "parent", {"practitioners"});
        if (!who.ok()) return who.status();
        absl::Time now = clock_();
        int64_t last = 0;
        std::vector<FeedEvent> events;
        // Confirmed, held and cancelled sessions (proposals are not in anyone's calendar yet),
        // from three months back to a year ahead.
        for (const auto& s :
             SupervisionStore::ListSessions(tx, "", *who, now - absl::Hours(24 * 92),
                                            now + absl::Hours(24 * 366), "", 0, 5000, &last)) {
          if (s.state() == v1::SESSION_STATE_PROPOSED) continue;
          // A team manager reading someone's feed sees their own teams' sessions only.
          if (*who != caller.principal.id && !InTeam(caller, s.team())) continue;
          FeedEvent event;
          event.session_id = LastSegment(s.name());
          event.start = FromTimestamp(s.start_time());
          event.end = FromTimestamp(s.end_time());
          event.summary = absl::StrCat("Group Case Supervision (", s.team(), ")");
          event.chair_name = s.chair();
          for (const auto& c : s.cases()) {
            event.cases.push_back(
                {c.case_(), FromTimestamp(c.start_time()), FromTimestamp(c.end_time())});
          }
          event.sequence = s.sequence();
          event.cancelled = s.state() == v1::SESSION_STATE_CANCELLED;
          events.push_back(std::move(event));
        }
        FeedInfo info;
        info.calendar_name = absl::StrCat("Group Case Supervision: ", *who);
        info.domain = calendar_domain_;
        info.stamp = now;
        info.zone = EnglandZone();
        response->set_content_type("text/calendar; charset=utf-8");
        response->set_content(RenderFeed(info, events));
        return absl::OkStatus();
      });
}

}  // namespace fs::supervision
