// What case_records events mean in a timeline, and the printable chronology.
#include "services/workbook/chronology.h"

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include <string>

namespace fs::workbook {
namespace {

using ::google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Time Utc(int y, int m, int d, int hh = 0, int mm = 0) {
  return absl::FromCivil(absl::CivilSecond(y, m, d, hh, mm, 0), absl::UTCTimeZone());
}

// An envelope that happened at 2026-06-15 10:30 UTC.
ev::EventEnvelope Envelope() {
  ev::EventEnvelope e;
  e.set_event_id("ev-1");
  e.set_case_("cases/c1");
  *e.mutable_occurred_time() =
      TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(Utc(2026, 6, 15, 10, 30)));
  return e;
}

TEST(HistoryItemForTest, CaseOpenedIsTheReferralDateAtMidnightInEngland) {
  ev::EventEnvelope e = Envelope();
  auto* opened = e.mutable_case_opened();
  opened->set_team("team-a");
  opened->set_referral_date("2026-01-10");  // GMT: midnight is 00:00 UTC
  opened->set_referral_source("6");
  opened->set_primary_need_code("N1");
  opened->set_lead_social_worker("sw-lead");
  auto item = HistoryItemFor(e);
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->kind, v1::CHRONOLOGY_ITEM_KIND_CASE_OPENED);
  EXPECT_TRUE(item->date_only);
  EXPECT_EQ(item->occur_time, Utc(2026, 1, 10));
  EXPECT_EQ(item->person_id, "");
  EXPECT_THAT(item->summary, HasSubstr("source 6"));
  EXPECT_THAT(item->summary, HasSubstr("primary need N1"));
  EXPECT_THAT(item->summary, HasSubstr("team team-a"));
  EXPECT_THAT(item->summary, HasSubstr("sw-lead"));

  opened->set_primary_need_code("");
  item = HistoryItemFor(e);
  ASSERT_TRUE(item.has_value());
  EXPECT_THAT(item->summary, Not(HasSubstr("primary need")));
}

TEST(HistoryItemForTest, DatesInSummerTimeStartAnHourEarlierInUtc) {
  ev::EventEnvelope e = Envelope();
  e.mutable_child_protection_plan_started()->set_person("cases/c1/people/p-7");
  e.mutable_child_protection_plan_started()->set_start_date("2026-07-01");  // BST
  e.mutable_child_protection_plan_started()->set_initial_category_of_abuse("NEG");
  e.mutable_child_protection_plan_started()->set_number_of_previous_plans(2);
  auto item = HistoryItemFor(e);
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->kind, v1::CHRONOLOGY_ITEM_KIND_CHILD_PROTECTION_PLAN_STARTED);
  EXPECT_TRUE(item->date_only);
  EXPECT_EQ(item->occur_time, Utc(2026, 6, 30, 23, 0));
  EXPECT_EQ(item->person_id, "p-7");
  EXPECT_THAT(item->summary, HasSubstr("category NEG"));
  EXPECT_THAT(item->summary, HasSubstr("previous plans 2"));

  // Across the change: the last Sunday of March 2026 is the 29th; of October the 25th.
  e.mutable_child_protection_plan_started()->set_start_date("2026-03-29");
  EXPECT_EQ(HistoryItemFor(e)->occur_time, Utc(2026, 3, 29, 0, 0));  // 01:00 GMT -> BST
  e.mutable_child_protection_plan_started()->set_start_date("2026-03-30");
  EXPECT_EQ(HistoryItemFor(e)->occur_time, Utc(2026, 3, 29, 23, 0));
  e.mutable_child_protection_plan_started()->set_start_date("2026-10-25");
  EXPECT_EQ(HistoryItemFor(e)->occur_time, Utc(2026, 10, 24, 23, 0));  // still BST at 00:00
  e.mutable_child_protection_plan_started()->set_start_date("2026-10-26");
  EXPECT_EQ(HistoryItemFor(e)->occur_time, Utc(2026, 10, 26, 0, 0));
}

TEST(HistoryItemForTest, AnUnparsableDateFallsBackToTheEventTime) {
  ev::EventEnvelope e = Envelope();
  e.mutable_case_closed()->set_closure_date("soon");
  e.mutable_case_closed()->set_reason_for_closure("RC1");
  auto item = HistoryItemFor(e);
  ASSERT_TRUE(item.has_value());
  EXPECT_EQ(item->kind, v1::CHRONOLOGY_ITEM_KIND_CASE_CLOSED);
  EXPECT_FALSE(item->date_only);
  EXPECT_EQ(item->occur_time, Utc(2026, 6, 15, 10, 30));
  EXPECT_THAT(item->summary, HasSubstr("reason RC1"));
}

TEST(HistoryItemForTest, EveryCaseEventKind) {
  struct Case {
    std::function<void(ev::EventEnvelope&)> fill;
    v1::ChronologyItemKind kind;
    bool date_only;
    absl::Time when;
    std::string person;
    std::string summary_part;
  };
  const absl::Time event_time = Utc(2026, 6, 15, 10, 30);
  std::vector<Case> cases = {
      {[](ev::EventEnvelope& e) {
         e.mutable_case_state_changed()->set_from_state("REFERRAL");
         e.mutable_case_state_changed()->set_to_state("CHILD_IN_NEED");
       },
       v1::CHRONOLOGY_ITEM_KIND_CASE_STATE_CHANGED, false, event_time, "",
       "from referral to child in need"},
      {[](ev::EventEnvelope& e) {
         e.mutable_case_closed()->set_closure_date("2026-11-01");
         e.mutable_case_closed()->set_reason_for_closure("RC2");
       },
       v1::CHRONOLOGY_ITEM_KIND_CASE_CLOSED, true, Utc(2026, 11, 1), "", "reason RC2"},
      {[](ev::EventEnvelope& e) {
         e.mutable_case_reopened()->set_referral_date("2026-08-20");
         e.mutable_case_reopened()->set_referral_source("3E");
         e.mutable_case_reopened()->set_re_referral_count(1);
       },
       v1::CHRONOLOGY_ITEM_KIND_CASE_REOPENED, true, Utc(2026, 8, 19, 23), "",
       "re-referral number 1"},
      {[](ev::EventEnvelope& e) {
         auto* held = e.mutable_gcs_held();
         held->set_chair("tm-a");
         held->set_on_time(false);
         held->set_actions(1);
         held->set_next_due_date("2026-07-13");
         held->mutable_held_time()->set_seconds(absl::ToUnixSeconds(Utc(2026, 6, 15, 9)));
       },
       v1::CHRONOLOGY_ITEM_KIND_GCS_HELD, false, Utc(2026, 6, 15, 9), "",
       "held (late), chaired by tm-a; 1 action; next due 2026-07-13."},
      {[](ev::EventEnvelope& e) {
         e.mutable_case_team_changed()->set_from_team("team-a");
         e.mutable_case_team_changed()->set_to_team("team-b");
       },
       v1::CHRONOLOGY_ITEM_KIND_CASE_TEAM_CHANGED, false, event_time, "",
       "from team team-a to team team-b"},
      {[](ev::EventEnvelope& e) {
         e.mutable_allocation_started()->set_practitioner("dav-1");
         e.mutable_allocation_started()->set_role("DA_VICTIM_WORKER");
       },
       v1::CHRONOLOGY_ITEM_KIND_ALLOCATION_STARTED, false, event_time, "",
       "dav-1 allocated as da victim worker."},
      {[](ev::EventEnvelope& e) {
         e.mutable_allocation_ended()->set_practitioner("dav-1");
         e.mutable_allocation_ended()->set_role("DA_VICTIM_WORKER");
         e.mutable_allocation_ended()->set_reason("work complete");
       },
       v1::CHRONOLOGY_ITEM_KIND_ALLOCATION_ENDED, false, event_time, "",
       "dav-1 (da victim worker) no longer allocated: work complete."},
      {[](ev::EventEnvelope& e) {
         e.mutable_allocation_ended()->set_practitioner("dav-1");
         e.mutable_allocation_ended()->set_role("DA_VICTIM_WORKER");
       },
       v1::CHRONOLOGY_ITEM_KIND_ALLOCATION_ENDED, false, event_time, "",
       "dav-1 (da victim worker) no longer allocated."},
      {[](ev::EventEnvelope& e) {
         auto* p = e.mutable_child_protection_plan_ended();
         p->set_person("cases/c1/people/kid");
         p->set_start_date("2026-01-05");
         p->set_end_date("2026-12-01");
         p->set_latest_category_of_abuse("EMO");
       },
       v1::CHRONOLOGY_ITEM_KIND_CHILD_PROTECTION_PLAN_ENDED, true, Utc(2026, 12, 1), "kid",
       "started 2026-01-05; latest category EMO"},
      {[](ev::EventEnvelope& e) {
         auto* p = e.mutable_looked_after_episode_started();
         p->set_person("cases/c1/people/kid");
         p->set_start_date("2026-05-02");
         p->set_legal_status("C2");
       },
       v1::CHRONOLOGY_ITEM_KIND_LOOKED_AFTER_EPISODE_STARTED, true, Utc(2026, 5, 1, 23), "kid",
       "legal status C2"},
      {[](ev::EventEnvelope& e) {
         auto* p = e.mutable_looked_after_episode_ended();
         p->set_person("cases/c1/people/kid");
         p->set_end_date("2026-02-02");
         p->set_reason_ended("E11");
       },
       v1::CHRONOLOGY_ITEM_KIND_LOOKED_AFTER_EPISODE_ENDED, true, Utc(2026, 2, 2), "kid",
       "reason E11"},
  };
  for (const auto& c : cases) {
    ev::EventEnvelope e = Envelope();
    c.fill(e);
    auto item = HistoryItemFor(e);
    ASSERT_TRUE(item.has_value()) << e.ShortDebugString();
    EXPECT_EQ(item->kind, c.kind) << e.ShortDebugString();
    EXPECT_EQ(item->date_only, c.date_only) << e.ShortDebugString();
    EXPECT_EQ(item->occur_time, c.when) << e.ShortDebugString();
    EXPECT_EQ(item->person_id, c.person) << e.ShortDebugString();
    EXPECT_THAT(item->summary, HasSubstr(c.summary_part)) << e.ShortDebugString();
  }
}

TEST(HistoryItemForTest, PeopleEventsAreNotPartOfAChronology) {
  ev::EventEnvelope added = Envelope();
  added.mutable_person_added()->mutable_person()->set_person("cases/c1/people/p");
  EXPECT_FALSE(HistoryItemFor(added).has_value());
  ev::EventEnvelope updated = Envelope();
  updated.mutable_person_updated()->mutable_person()->set_person("cases/c1/people/p");
  EXPECT_FALSE(HistoryItemFor(updated).has_value());
  EXPECT_FALSE(HistoryItemFor(Envelope()).has_value());  // no payload
}

TEST(ChronologyKindNameTest, RoundTrip) {
  EXPECT_EQ(ChronologyKindName(v1::CHRONOLOGY_ITEM_KIND_CHILD_PROTECTION_PLAN_STARTED),
            "CHILD_PROTECTION_PLAN_STARTED");
  for (int k = 1; k <= 12; ++k) {
    auto kind = static_cast<v1::ChronologyItemKind>(k);
    EXPECT_EQ(ChronologyKindFromName(ChronologyKindName(kind)), kind);
  }
  EXPECT_EQ(ChronologyKindFromName("BOGUS"), v1::CHRONOLOGY_ITEM_KIND_UNSPECIFIED);
}

// ---- The printed chronology ----

v1::ChronologyItem Item(absl::Time when, bool date_only, v1::ChronologyItemKind kind,
                        const std::string& title, const std::string& text) {
  v1::ChronologyItem item;
  *item.mutable_occur_time() = TimeUtil::SecondsToTimestamp(absl::ToUnixSeconds(when));
  item.set_date_only(date_only);
  item.set_kind(kind);
  item.set_title(title);
  item.set_text(text);
  return item;
}

ChronologyDocument Document() {
  ChronologyDocument d;
  d.subject = "cases/c1";
  d.generated_by = "sw-lead";
  d.generated_at = Utc(2026, 7, 1, 9, 0);
  return d;
}

TEST(RenderChronologyHtmlTest, EscapesEverythingTheCallerSupplied) {
  ChronologyDocument d = Document();
  d.subject = "cases/<c1>";
  d.generated_by = "sw-\"lead\"";
  d.filters = "kinds <ENTRY>";
  v1::ChronologyItem entry = Item(Utc(2026, 6, 1, 12), false, v1::CHRONOLOGY_ITEM_KIND_ENTRY,
                                  "Visit & <b>review</b>", "<script>alert('x')</script>");
  entry.set_entry_kind(v1::ENTRY_KIND_HOME_VISIT);
  entry.set_recorded_by("<sw>");
  entry.add_people("cases/c1/people/p<1>");
  d.items.push_back(entry);
  std::string html = RenderChronologyHtml(d);
  EXPECT_THAT(html, Not(HasSubstr("<script>")));
  EXPECT_THAT(html, Not(HasSubstr("<b>")));
  EXPECT_THAT(html, Not(HasSubstr("<c1>")));
  EXPECT_THAT(html, Not(HasSubstr("<sw>")));
  EXPECT_THAT(html, Not(HasSubstr("<ENTRY>")));
  EXPECT_THAT(html, Not(HasSubstr("p<1>")));
  EXPECT_THAT(html, HasSubstr("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
  EXPECT_THAT(html, HasSubstr("<strong>Visit &amp; &lt;b&gt;review&lt;/b&gt;</strong>"));
  EXPECT_THAT(html, HasSubstr("<title>Chronology cases/&lt;c1&gt;</title>"));
  EXPECT_THAT(html, HasSubstr("sw-&quot;lead&quot;"));
  EXPECT_THAT(html, HasSubstr("Filters: kinds &lt;ENTRY&gt;."));
  EXPECT_THAT(html, HasSubstr("person p&lt;1&gt;"));
  EXPECT_THAT(html, HasSubstr("home visit"));
}

TEST(RenderChronologyHtmlTest, TimesAreShownInEnglandAndDateOnlyItemsHaveNoTime) {
  ChronologyDocument d = Document();
  // Midnight in England on 1 July is 23:00 UTC on 30 June.
  d.items.push_back(Item(Utc(2026, 6, 30, 23), true,
                         v1::CHRONOLOGY_ITEM_KIND_CHILD_PROTECTION_PLAN_STARTED, "",
                         "Child protection plan started."));
  d.items.push_back(Item(Utc(2026, 7, 2, 12, 30), false,
                         v1::CHRONOLOGY_ITEM_KIND_ALLOCATION_STARTED, "", "dav-1 allocated."));
  d.items.push_back(
      Item(Utc(2026, 12, 2, 12, 30), false, v1::CHRONOLOGY_ITEM_KIND_CASE_CLOSED, "", "closed"));
  std::string html = RenderChronologyHtml(d);
  EXPECT_THAT(html, HasSubstr("<td>01 Jul 2026</td>"));
  EXPECT_THAT(html, Not(HasSubstr("30 Jun 2026")));
  EXPECT_THAT(html, HasSubstr("<td>02 Jul 2026 13:30</td>"));  // BST
  EXPECT_THAT(html, HasSubstr("<td>02 Dec 2026 12:30</td>"));  // GMT
  EXPECT_THAT(html, HasSubstr("child protection plan started"));
  EXPECT_THAT(html, HasSubstr("<td>family</td>"));
  EXPECT_THAT(html, HasSubstr("Produced 01 Jul 2026 10:00 by sw-lead. 3 items."));
  // Items in the order given.
  EXPECT_LT(html.find("Child protection plan started."), html.find("dav-1 allocated."));
  EXPECT_LT(html.find("dav-1 allocated."), html.find(">closed<"));
}

TEST(RenderChronologyHtmlTest, AnEmptyChronologyIsAValidSelfContainedPage) {
  std::string html = RenderChronologyHtml(Document());
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_THAT(html, HasSubstr("0 items."));
  EXPECT_THAT(html, Not(HasSubstr("Filters:")));
  EXPECT_THAT(html, HasSubstr("OFFICIAL-SENSITIVE"));
  EXPECT_THAT(html, Not(HasSubstr("<script")));
  EXPECT_THAT(html, Not(HasSubstr("http")));  // no external resources
  EXPECT_THAT(html, HasSubstr("</html>"));
  ChronologyDocument one = Document();
  one.items.push_back(Item(Utc(2026, 1, 1), true, v1::CHRONOLOGY_ITEM_KIND_CASE_OPENED, "", "x"));
  EXPECT_THAT(RenderChronologyHtml(one), HasSubstr(" 1 item."));
}

}  // namespace
}  // namespace fs::workbook
