// Entries over real gRPC on a real PostgreSQL: the lifecycle draft -> final -> signed off,
// corrections as revisions with their old values, idempotent creates, and the refusals.
#include "services/workbook/workbook_integration_fixture.h"

namespace fs::workbook {
namespace {

using ::testing::ElementsAre;

TEST_F(WorkbookTest, AnEntryGoesFromDraftToFinalToSignedOff) {
  Family family = NewFamily();
  wv1::Entry entry = Note("Home visit", "Saw Zoë at home; the kitchen was clean and stocked.",
                          wv1::ENTRY_KIND_HOME_VISIT);
  entry.add_subjects(family.child);
  entry.set_significant(true);
  wv1::Entry draft;
  auto status = Create(kLead, family.c.name(), entry, &draft);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(draft.state(), wv1::ENTRY_STATE_DRAFT);
  EXPECT_EQ(draft.revision(), 0);
  EXPECT_EQ(draft.author(), kLead.practitioner);
  EXPECT_EQ(draft.visibility(), wv1::VISIBILITY_NORMAL);
  EXPECT_THAT(draft.subjects(), ElementsAre(family.child));
  EXPECT_TRUE(draft.has_record_time());

  // Only the author sees a draft.
  wv1::Entry seen;
  EXPECT_EQ(Get(kManager, draft.name(), &seen).error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(List(kManager, family.c.name()).total_size(), 0);
  EXPECT_EQ(List(kLead, family.c.name()).total_size(), 1);

  wv1::Entry final_entry;
  status = Finalise(kLead, draft, &final_entry);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(final_entry.state(), wv1::ENTRY_STATE_FINAL);
  EXPECT_EQ(final_entry.revision(), 1);
  EXPECT_TRUE(final_entry.has_finalise_time());
  EXPECT_NE(final_entry.etag(), draft.etag());

  // The author may not sign off their own entry; a manager does.
  wv1::Entry signed_off;
  EXPECT_EQ(SignOff(kLead, final_entry, &signed_off).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  status = SignOff(kManager, final_entry, &signed_off);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(signed_off.state(), wv1::ENTRY_STATE_SIGNED_OFF);
  EXPECT_EQ(signed_off.signed_off_by(), kManager.practitioner);
  EXPECT_EQ(SignOff(kManager, signed_off, &seen).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);

  ASSERT_TRUE(Get(kSupport, draft.name(), &seen).ok());
  ASSERT_EQ(seen.history_size(), 1);
  EXPECT_EQ(seen.history(0).revision(), 1);
  EXPECT_EQ(seen.history(0).text(), entry.text());
  EXPECT_EQ(seen.history(0).signed_off_by(), kManager.practitioner);
}

TEST_F(WorkbookTest, ACorrectionIsANewRevisionAndTheOldWordsStay) {
  Family family = NewFamily();
  wv1::Entry first =
      Record(kLead, family.c.name(), Note("Visit", "Mother said she had moved to 12 Acacia Road."));
  wv1::Entry signed_off;
  ASSERT_TRUE(SignOff(kManager, first, &signed_off).ok());

  wv1::CorrectEntryRequest correct;
  *correct.mutable_entry() = signed_off;
  correct.mutable_entry()->set_text("Mother said she had moved; address recorded separately.");
  correct.mutable_update_mask()->add_paths("text");
  correct.set_reason("Address removed from the note at the mother's request");
  wv1::Entry corrected;
  auto status = workbook_->CorrectEntry(ContextFor(kLead).get(), correct, &corrected);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(corrected.revision(), 2);
  EXPECT_EQ(corrected.state(), wv1::ENTRY_STATE_FINAL);  // needs a new sign-off
  EXPECT_EQ(corrected.signed_off_by(), "");
  EXPECT_EQ(corrected.text(), correct.entry().text());

  wv1::Entry read;
  ASSERT_TRUE(Get(kManager, corrected.name(), &read).ok());
  ASSERT_EQ(read.history_size(), 2);
  EXPECT_EQ(read.history(0).text(), "Mother said she had moved to 12 Acacia Road.");
  EXPECT_EQ(read.history(0).signed_off_by(), kManager.practitioner);
  EXPECT_EQ(read.history(0).reason(), "");
  EXPECT_EQ(read.history(1).text(), correct.entry().text());
  EXPECT_EQ(read.history(1).reason(), correct.reason());
  EXPECT_EQ(read.history(1).revised_by(), kLead.practitioner);

  // A stale etag is ABORTED; no reason is INVALID_ARGUMENT; nothing changed.
  EXPECT_EQ(workbook_->CorrectEntry(ContextFor(kLead).get(), correct, &read).error_code(),
            grpc::StatusCode::ABORTED);
  correct.set_reason("short");
  *correct.mutable_entry() = corrected;
  EXPECT_TRUE(
      InvalidNaming(workbook_->CorrectEntry(ContextFor(kLead).get(), correct, &read), "reason"));
  // Another worker on the case may not correct the lead's entry.
  correct.set_reason("I think this is wrong and should be changed");
  correct.mutable_entry()->set_text("something else");
  EXPECT_EQ(workbook_->CorrectEntry(ContextFor(kSupport).get(), correct, &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(WorkbookCount("entry_revisions"), 2);
}

TEST_F(WorkbookTest, AFinalEntryCannotBeEditedAsADraftNorChangedInTheDatabase) {
  Family family = NewFamily();
  wv1::Entry entry = Record(kLead, family.c.name(), Note("Decision", "Strategy meeting held."));
  wv1::UpdateEntryRequest update;
  *update.mutable_entry() = entry;
  update.mutable_entry()->set_text("Rewritten");
  update.mutable_update_mask()->add_paths("text");
  wv1::Entry out;
  EXPECT_EQ(workbook_->UpdateEntry(ContextFor(kLead).get(), update, &out).error_code(),
            grpc::StatusCode::FAILED_PRECONDITION);
  // Even the schema owner cannot change a final entry silently or delete anything.
  pqxx::connection conn(workbook_server_.database().owner_url());
  for (const char* sql :
       {"UPDATE workbook.entries SET body = 'x'", "DELETE FROM workbook.entries",
        "DELETE FROM workbook.entry_revisions", "UPDATE workbook.entry_revisions SET reason = 'x'",
        "TRUNCATE workbook.entry_revisions CASCADE"}) {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec(sql), pqxx::sql_error) << sql;
  }
  wv1::Entry read;
  ASSERT_TRUE(Get(kLead, entry.name(), &read).ok());
  EXPECT_EQ(read.text(), "Strategy meeting held.");
}

TEST_F(WorkbookTest, ADraftIsEditedByItsAuthorWithTheEtag) {
  Family family = NewFamily();
  wv1::Entry draft;
  ASSERT_TRUE(Create(kLead, family.c.name(), Note("Note", "First words"), &draft).ok());
  wv1::UpdateEntryRequest update;
  *update.mutable_entry() = draft;
  update.mutable_entry()->set_text("Second words");
  update.mutable_entry()->set_title("ignored: not in the mask");
  update.mutable_update_mask()->add_paths("text");
  wv1::Entry updated;
  auto status = workbook_->UpdateEntry(ContextFor(kLead).get(), update, &updated);
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(updated.text(), "Second words");
  EXPECT_EQ(updated.title(), "Note");
  // Stale etag.
  EXPECT_EQ(workbook_->UpdateEntry(ContextFor(kLead).get(), update, &updated).error_code(),
            grpc::StatusCode::ABORTED);
  // Bad masks.
  update.mutable_entry()->set_etag(updated.etag());
  update.mutable_update_mask()->set_paths(0, "author");
  EXPECT_TRUE(InvalidNaming(workbook_->UpdateEntry(ContextFor(kLead).get(), update, &updated),
                            "update_mask"));
}

TEST_F(WorkbookTest, CreateWithTheSameRequestIdReturnsTheFirstEntry) {
  Family family = NewFamily();
  wv1::Entry a, b;
  ASSERT_TRUE(Create(kLead, family.c.name(), Note("Note", "Once"), &a, "req-1").ok());
  ASSERT_TRUE(Create(kLead, family.c.name(), Note("Note", "Once"), &b, "req-1").ok());
  EXPECT_EQ(a.name(), b.name());
  EXPECT_EQ(WorkbookCount("entries"), 1);
}

TEST_F(WorkbookTest, BadEntriesAreRefusedNamingTheField) {
  Family family = NewFamily();
  struct Bad {
    std::string field;
    std::function<void(wv1::Entry&)> spoil;
  };
  std::vector<Bad> bad = {
      {"entry.kind", [](wv1::Entry& e) { e.set_kind(wv1::ENTRY_KIND_UNSPECIFIED); }},
      {"entry.title", [](wv1::Entry& e) { e.set_title(""); }},
      {"entry.title", [](wv1::Entry& e) { e.set_title(std::string(201, 'x')); }},
      {"entry.text", [](wv1::Entry& e) { e.set_text("  "); }},
      {"entry.text", [](wv1::Entry& e) { e.set_text("bell\x07"); }},
      {"entry.occur_time", [](wv1::Entry& e) { e.clear_occur_time(); }},
      {"entry.occur_time", [](wv1::Entry& e) { *e.mutable_occur_time() = HoursAgo(-48); }},
      {"entry.subjects", [](wv1::Entry& e) { e.add_subjects("cases/other/people/x"); }},
      {"entry.subjects", [](wv1::Entry& e) { e.add_subjects("not a name"); }},
      {"entry.module", [](wv1::Entry& e) { e.set_module(9); }},
      {"entry.module", [](wv1::Entry& e) { e.set_kind(wv1::ENTRY_KIND_MODULE_SESSION); }},
      {"entry.sealed_for_roles", [](wv1::Entry& e) { e.set_visibility(wv1::VISIBILITY_SEALED); }},
      {"entry.sealed_for_roles",
       [](wv1::Entry& e) {
         e.add_sealed_for_roles(cv1::FAMILY_SAFEGUARDING_ROLE_LEAD_SOCIAL_WORKER);
       }},
      {"entry.scaling_scores",
       [&](wv1::Entry& e) {  // scores on a case note
         e.add_subjects(family.mother);
         e.add_scaling_scores()->set_person(family.mother);
         e.mutable_scaling_scores(0)->set_importance(5);
       }},
      {"entry.scaling_scores.importance",
       [&](wv1::Entry& e) {
         e.set_kind(wv1::ENTRY_KIND_MI_SESSION);
         e.add_subjects(family.mother);
         e.add_scaling_scores()->set_person(family.mother);
         e.mutable_scaling_scores(0)->set_importance(11);
       }},
      {"entry.scaling_scores.person",
       [&](wv1::Entry& e) {  // not among the subjects
         e.set_kind(wv1::ENTRY_KIND_MI_SESSION);
         e.add_scaling_scores()->set_person(family.mother);
         e.mutable_scaling_scores(0)->set_readiness(3);
       }},
      {"entry.scaling_scores.person",
       [&](wv1::Entry& e) {  // a child
         e.set_kind(wv1::ENTRY_KIND_MI_SESSION);
         e.add_subjects(family.child);
         e.add_scaling_scores()->set_person(family.child);
         e.mutable_scaling_scores(0)->set_readiness(3);
       }},
  };
  for (const auto& b : bad) {
    wv1::Entry entry = Note("Note", "Text");
    b.spoil(entry);
    wv1::Entry out;
    EXPECT_TRUE(InvalidNaming(Create(kLead, family.c.name(), entry, &out), b.field))
        << entry.ShortDebugString();
  }
  wv1::Entry out;
  EXPECT_TRUE(InvalidNaming(Create(kLead, "cases", Note("a", "b"), &out), "parent"));
  EXPECT_EQ(Create(kLead, "cases/unknown", Note("a", "b"), &out).error_code(),
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(WorkbookCount("entries"), 0);
}

TEST_F(WorkbookTest, OnlyAllocatedPractitionersRecordAndBreakGlassOnlyReads) {
  Family family = NewFamily();
  wv1::Entry out;
  EXPECT_EQ(Create(kStranger, family.c.name(), Note("a", "b"), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  EXPECT_EQ(Create(kBreakGlass, family.c.name(), Note("a", "b"), &out).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  wv1::Entry entry = Record(kLead, family.c.name(), Note("Visit", "All well."));
  wv1::Entry read;
  EXPECT_EQ(Get(kStranger, entry.name(), &read).error_code(), grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_TRUE(Get(kBreakGlass, entry.name(), &read).ok());
  EXPECT_EQ(WorkbookCount("audit_log", "action = 'GetEntry' AND break_glass_reason <> ''"), 1);
  // A manager of the team records without an allocation.
  EXPECT_TRUE(Create(kManager, family.c.name(), Note("a", "b"), &out).ok());
  // Partners never get in.
  auto partner = ::fs::testing::ContextForPrincipal("partner/police/HERTS");
  wv1::GetEntryRequest get;
  get.set_name(entry.name());
  EXPECT_EQ(workbook_->GetEntry(partner.get(), get, &read).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(WorkbookTest, EntriesAreRefusedOnceTheClosureArrivesAsAnEvent) {
  Family family = NewFamily();
  wv1::Entry draft;
  ASSERT_TRUE(Create(kLead, family.c.name(), Note("Draft", "before closure"), &draft).ok());
  ASSERT_TRUE(Close(kLead, Fetch(family.c.name()), "RC1").ok());
  // Not yet delivered: the workbook still takes entries.
  wv1::Entry out;
  EXPECT_TRUE(Create(kLead, family.c.name(), Note("Late", "still open here"), &out).ok());
  Sync();
  auto status = Create(kLead, family.c.name(), Note("After", "closed"), &out);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  EXPECT_EQ(Finalise(kLead, draft, &out).error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  // The lead's allocation ended with the closure: the team manager still reads the record.
  EXPECT_EQ(List(kManager, family.c.name()).total_size(), 0);  // both are drafts of the lead
  ASSERT_TRUE(Reopen(kManager, Fetch(family.c.name()), kLead.practitioner).ok());
  Sync();
  EXPECT_TRUE(Finalise(kLead, draft, &out).ok());
}

TEST_F(WorkbookTest, FinalisingAndSigningOffPublishEvents) {
  Family family = NewFamily();
  wv1::Entry entry = Note("Module 2", "Worked on triggers.", wv1::ENTRY_KIND_MODULE_SESSION);
  entry.set_module(2);
  entry.add_subjects(family.father);
  wv1::Entry final_entry = Record(kPerpetratorWorker, family.c.name(), entry);
  wv1::Entry signed_off;
  ASSERT_TRUE(SignOff(kManager, final_entry, &signed_off).ok());
  pqxx::connection conn(workbook_server_.database().admin_url());
  pqxx::read_transaction tx(conn);
  std::vector<std::string> types;
  for (const auto& row : tx.exec("SELECT type FROM workbook.outbox WHERE case_key = " +
                                 tx.quote(family.c.name()) + " ORDER BY sequence")) {
    types.push_back(row[0].as<std::string>());
  }
  EXPECT_THAT(types,
              ElementsAre("fs.events.v1.EntryFinalised", "fs.events.v1.ModuleSessionRecorded",
                          "fs.events.v1.EntrySignedOff"));
}

TEST_F(WorkbookTest, AReasonWithANulIsRefusedNotCutShort) {
  Family family = NewFamily();
  wv1::Entry entry = Record(kLead, family.c.name(), Note("Visit", "All well."));
  wv1::CorrectEntryRequest correct;
  *correct.mutable_entry() = entry;
  correct.mutable_entry()->set_text("All well, checked again.");
  correct.mutable_update_mask()->add_paths("text");
  correct.set_reason(std::string("Fixed the date\0 and more", 24));
  wv1::Entry out;
  EXPECT_TRUE(
      InvalidNaming(workbook_->CorrectEntry(ContextFor(kLead).get(), correct, &out), "reason"));
  EXPECT_EQ(WorkbookCount("entry_revisions"), 1);
}

TEST_F(WorkbookTest, OccurTimeIsKeptToTheMicrosecondAndASubMicrosecondCorrectionChangesNothing) {
  Family family = NewFamily();
  wv1::Entry note = Note("Visit", "All well.");
  note.mutable_occur_time()->set_nanos(123456789);
  wv1::Entry entry = Record(kLead, family.c.name(), note);
  EXPECT_EQ(entry.occur_time().nanos(), 123456000);
  wv1::CorrectEntryRequest correct;
  *correct.mutable_entry() = entry;
  correct.mutable_entry()->mutable_occur_time()->set_nanos(123456999);
  correct.mutable_update_mask()->add_paths("occur_time");
  correct.set_reason("Time recorded more precisely");
  wv1::Entry out;
  EXPECT_TRUE(InvalidNaming(workbook_->CorrectEntry(ContextFor(kLead).get(), correct, &out),
                            "update_mask"));
}

TEST_F(WorkbookTest, ARetriedCreateReturnsTheFirstEntryEvenAfterTheCaseClosed) {
  Family family = NewFamily();
  wv1::Entry first, again;
  ASSERT_TRUE(Create(kLead, family.c.name(), Note("Note", "Once"), &first, "req-close").ok());
  ASSERT_TRUE(Close(kLead, Fetch(family.c.name()), "RC1").ok());
  Sync();
  // The lead's allocation ended with the closure: as a team manager re-sends nothing here, the
  // lead's own retry needs read access; the manager's read shows the record still there.
  auto status = Create(kManager, family.c.name(), Note("Note", "Once"), &again, "req-close");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION) << Describe(status);
  As lead_retry = kLead;
  lead_retry.break_glass_reason = "Retrying my own note after the case closed";
  status = Create(lead_retry, family.c.name(), Note("Note", "Once"), &again, "req-close");
  ASSERT_TRUE(status.ok()) << Describe(status);
  EXPECT_EQ(again.name(), first.name());
  EXPECT_EQ(WorkbookCount("entries"), 1);
}

TEST_F(WorkbookTest, TheSchemaRefusesUndoingASignOffOrARevisionWithoutItsRecord) {
  Family family = NewFamily();
  wv1::Entry entry = Record(kLead, family.c.name(), Note("Decision", "Strategy meeting held."));
  wv1::Entry signed_off;
  ASSERT_TRUE(SignOff(kManager, entry, &signed_off).ok());
  pqxx::connection conn(workbook_server_.database().owner_url());
  {
    pqxx::work tx(conn);
    EXPECT_THROW(tx.exec("UPDATE workbook.entries SET state = 'FINAL', signed_off_by = NULL"),
                 pqxx::sql_error);
  }
  {
    // A new revision written straight into the table, with no revision record: refused at
    // commit by the deferred check.
    pqxx::work tx(conn);
    tx.exec(
        "UPDATE workbook.entries SET body = 'Rewritten', revision = revision + 1, state = "
        "'FINAL', signed_off_by = NULL, sign_off_time = NULL");
    EXPECT_THROW(tx.commit(), pqxx::sql_error);
  }
  wv1::Entry read;
  ASSERT_TRUE(Get(kLead, entry.name(), &read).ok());
  EXPECT_EQ(read.text(), "Strategy meeting held.");
  EXPECT_EQ(read.state(), wv1::ENTRY_STATE_SIGNED_OFF);
}

}  // namespace
}  // namespace fs::workbook
