#pragma once

#include <pqxx/pqxx>
#include <vector>

#include "absl/status/status.h"
#include "fs/events/v1/events.pb.h"
#include "fs/workbook/v1/workbook.pb.h"

// Events in and out of the workbook. In: case_records' events keep the projection (cases,
// allocations, people, case history) that access and chronologies are decided on. Out: what
// supervision and outcomes consume, appended to the outbox in the transaction of the change.
namespace fs::workbook {

namespace v1 = ::fs::workbook::v1;
namespace ev = ::fs::events::v1;

inline constexpr char kProducer[] = "workbook";

// The EventSink handler: applies one case_records event inside the inbox transaction.
// FAILED_PRECONDITION for an event of a case the workbook has not seen opened (the event is
// rejected and its case parked at the producer).
absl::Status ApplyCaseEvent(pqxx::work& tx, const ev::EventEnvelope& event);

// Appends the workbook's events for a change to `entry`: EntryFinalised (and
// ModuleSessionRecorded for a module session) for each revision, or EntrySignedOff.
void PublishEntryFinalised(pqxx::work& tx, const v1::Entry& entry);
void PublishEntrySignedOff(pqxx::work& tx, const v1::Entry& entry);
void PublishAssessmentSignedOff(pqxx::work& tx, const v1::ParentingAssessment& assessment);

}  // namespace fs::workbook
