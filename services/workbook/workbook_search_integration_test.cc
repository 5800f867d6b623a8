// Full-text search over real gRPC on a real PostgreSQL: ranking on a known corpus, English
// stemming, websearch syntax, highlighted snippets, pagination, caseload-wide search and the
// refusals.
#include <set>

#include "services/workbook/workbook_integration_fixture.h"

namespace fs::workbook {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::UnorderedElementsAre;

class WorkbookSearchTest : public WorkbookTest {
 protected:
  grpc::Status Search(const As& who, const std::string& parent, const std::string& query,
                      wv1::SearchEntriesResponse* out, int page_size = 50,
                      const std::string& page_token = "") {
    wv1::SearchEntriesRequest request;
    request.set_parent(parent);
    request.set_query(query);
    request.set_page_size(page_size);
    request.set_page_token(page_token);
    return workbook_->SearchEntries(ContextFor(who).get(), request, out);
  }

  // The results' names, best first (expects success).
  std::vector<std::string> Found(const As& who, const std::string& parent,
                                 const std::string& query) {
    wv1::SearchEntriesResponse response;
    auto status = Search(who, parent, query, &response);
    EXPECT_TRUE(status.ok()) << Describe(status);
    std::vector<std::string> names;
    for (const auto& result : response.results()) names.push_back(result.entry().name());
    EXPECT_EQ(response.total_size(), static_cast<int>(names.size())) << query;
    return names;
  }

  std::string Put(const std::string& parent, const std::string& title, const std::string& text,
                  int hours_ago = 1, const As& who = kLead) {
    return Record(who, parent, Note(title, text, wv1::ENTRY_KIND_CASE_NOTE, hours_ago)).name();
  }
};

TEST_F(WorkbookSearchTest, ATitleMatchOutranksABodyMatch) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  // The body-only match is the more recent: only rank can put the title match first.
  std::string in_title = Put(c, "Tantrum at nursery", "Staff called; collected early.", 5);
  std::string in_body = Put(c, "Phone call", "Nursery staff described a tantrum at lunch.", 1);
  Put(c, "Unrelated", "Nothing of note today.", 2);
  EXPECT_THAT(Found(kLead, c, "tantrum"), ElementsAre(in_title, in_body));

  wv1::SearchEntriesResponse response;
  ASSERT_TRUE(Search(kLead, c, "tantrum", &response).ok());
  ASSERT_EQ(response.results_size(), 2);
  EXPECT_GT(response.results(0).rank(), response.results(1).rank());
  EXPECT_GT(response.results(1).rank(), 0.0f);
}

TEST_F(WorkbookSearchTest, MoreMatchesRankHigher) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  std::string once = Put(c, "Evening", "Talked about bedtime with the family.", 1);
  std::string thrice = Put(c, "Evening routine",
                           "Bedtime was late. We agreed a bedtime chart. Bedtime story read.", 6);
  std::string twice = Put(c, "Evening again", "Bedtime again; bedtime was calmer.", 3);
  EXPECT_THAT(Found(kLead, c, "bedtime"), ElementsAre(thrice, twice, once));
}

TEST_F(WorkbookSearchTest, EnglishStemmingFindsOtherFormsOfAWord) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  std::string visited = Put(c, "Contact", "The grandmother visited on Tuesday.");
  std::string children = Put(c, "School", "Both children attended school all week.");
  Put(c, "Other", "A quiet week with no contact from anyone.");
  EXPECT_THAT(Found(kLead, c, "visiting"), ElementsAre(visited));
  EXPECT_THAT(Found(kLead, c, "visits"), ElementsAre(visited));
  EXPECT_THAT(Found(kLead, c, "attending"), ElementsAre(children));
  // Case does not matter.
  EXPECT_THAT(Found(kLead, c, "GRANDMOTHER"), ElementsAre(visited));
}

TEST_F(WorkbookSearchTest, WebsearchSyntaxPhrasesOrAndExclusions) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  std::string phrase = Put(c, "Morning", "The school run was late again.");
  std::string words = Put(c, "Afternoon", "Had to run back to school for the coat.");
  std::string garden = Put(c, "Garden", "Played in the garden with the dog.");
  std::string fence = Put(c, "Garden fence", "The garden fence is broken; a hazard.");
  std::string shed = Put(c, "Shed", "Tools left out in the shed.");

  EXPECT_THAT(Found(kLead, c, "school run"), UnorderedElementsAre(phrase, words));
  EXPECT_THAT(Found(kLead, c, "\"school run\""), ElementsAre(phrase));
  EXPECT_THAT(Found(kLead, c, "garden -fence"), ElementsAre(garden));
  EXPECT_THAT(Found(kLead, c, "garden"), UnorderedElementsAre(garden, fence));
  EXPECT_THAT(Found(kLead, c, "shed or dog"), UnorderedElementsAre(shed, garden));
  // Stop words only, and stray operators: no error, nothing found.
  EXPECT_THAT(Found(kLead, c, "the and of"), ElementsAre());
  EXPECT_THAT(Found(kLead, c, "& | ! ( ) : *"), ElementsAre());
  EXPECT_THAT(Found(kLead, c, "\"unclosed phrase"), ElementsAre());
}

TEST_F(WorkbookSearchTest, SnippetsHighlightTheMatchesAndEscapeTheText) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  std::string name = Put(c, "Nursery review",
                         "Dad said the nursery ratio is 1 < 4 & the nursery staff disagreed.");
  wv1::SearchEntriesResponse response;
  ASSERT_TRUE(Search(kLead, c, "nursery", &response).ok());
  ASSERT_EQ(response.results_size(), 1);
  const auto& result = response.results(0);
  EXPECT_EQ(result.entry().name(), name);
  EXPECT_EQ(result.entry().title(), "Nursery review");
  EXPECT_TRUE(result.entry().text().empty());
  EXPECT_TRUE(result.entry().history().empty());

  // Plain snippet: the user's text as written; the highlights cover exactly the matches.
  EXPECT_THAT(result.snippet(), HasSubstr("ratio is 1 < 4 & the nursery"));
  ASSERT_GE(result.highlights_size(), 2);
  std::set<int> starts;
  for (const auto& h : result.highlights()) {
    ASSERT_GE(h.start(), 0);
    ASSERT_LE(static_cast<size_t>(h.start() + h.length()), result.snippet().size());
    std::string word = result.snippet().substr(h.start(), h.length());
    EXPECT_TRUE(word == "nursery" || word == "Nursery") << word;
    starts.insert(h.start());
  }
  EXPECT_EQ(starts.size(), static_cast<size_t>(result.highlights_size()));  // distinct

  // HTML snippet: escaped, with the matches in <mark>, and no other markup.
  const std::string& html = result.snippet_html();
  EXPECT_THAT(html, HasSubstr("ratio is 1 &lt; 4 &amp; the <mark>nursery</mark>"));
  EXPECT_THAT(html, Not(HasSubstr("< 4")));
  EXPECT_THAT(html, HasSubstr("<mark>nursery</mark>"));
  size_t marks = 0;
  for (size_t at = html.find("<mark>"); at != std::string::npos; at = html.find("<mark>", at + 1)) {
    ++marks;
  }
  EXPECT_EQ(marks, static_cast<size_t>(result.highlights_size()));
  std::string stripped = html;
  for (const char* tag : {"<mark>", "</mark>"}) {
    for (size_t at; (at = stripped.find(tag)) != std::string::npos;) {
      stripped.erase(at, std::string(tag).size());
    }
  }
  EXPECT_EQ(stripped.find('<'), std::string::npos) << html;
}

// PostgreSQL's parser takes "<not safe>" for an HTML tag and drops it; in a safeguarding note
// that reverses the meaning. The words stay searchable and the snippet shows them as written.
TEST_F(WorkbookSearchTest, WordsInAngleBracketsAreSearchableAndKeptInSnippets) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  std::string name = Put(c, "Nursery", "Dad said the nursery is <not safe> for Zoe");
  EXPECT_EQ(Found(kLead, c, "safe"), (std::vector<std::string>{name}));
  wv1::SearchEntriesResponse response;
  ASSERT_TRUE(Search(kLead, c, "nursery", &response).ok());
  ASSERT_EQ(response.results_size(), 1);
  EXPECT_THAT(response.results(0).snippet(), HasSubstr("nursery is <not safe"));
  EXPECT_THAT(response.results(0).snippet_html(), HasSubstr("is &lt;not safe"));
  // The stand-in characters themselves are refused in entries.
  wv1::Entry out;
  EXPECT_TRUE(
      InvalidNaming(Create(kLead, c, Note("Note", "odd \xEE\x80\x80 char"), &out), "entry.text"));
}

TEST_F(WorkbookSearchTest, AStemmedMatchIsHighlightedAsWritten) {
  Family family = NewFamily();
  std::string name = Put(family.c.name(), "Contact", "Grandmother visited; she visits weekly.");
  wv1::SearchEntriesResponse response;
  ASSERT_TRUE(Search(kLead, family.c.name(), "visiting", &response).ok());
  ASSERT_EQ(response.results_size(), 1);
  std::vector<std::string> highlighted;
  for (const auto& h : response.results(0).highlights()) {
    highlighted.push_back(response.results(0).snippet().substr(h.start(), h.length()));
  }
  EXPECT_THAT(highlighted, ElementsAre("visited", "visits"));
}

TEST_F(WorkbookSearchTest, PagesCoverEveryHitOnceWithTheTotalOnEachPage) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  std::set<std::string> all;
  for (int i = 1; i <= 5; ++i) {
    all.insert(Put(c, absl::StrCat("Visit ", i), "Collected a pebble from the beach.", i));
  }
  Put(c, "Other", "No beach today.", 7);  // does not match "pebble"

  std::vector<std::string> seen;
  std::vector<int> page_sizes;
  std::string token;
  float previous_rank = 1e9f;
  for (int page = 0; page < 5; ++page) {
    wv1::SearchEntriesResponse response;
    auto status = Search(kLead, c, "pebble", &response, 2, token);
    ASSERT_TRUE(status.ok()) << Describe(status);
    EXPECT_EQ(response.total_size(), 5);
    page_sizes.push_back(response.results_size());
    for (const auto& result : response.results()) {
      seen.push_back(result.entry().name());
      EXPECT_LE(result.rank(), previous_rank);
      previous_rank = result.rank();
    }
    token = response.next_page_token();
    if (token.empty()) break;
  }
  EXPECT_THAT(page_sizes, ElementsAre(2, 2, 1));
  EXPECT_TRUE(token.empty());
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()), all);  // no duplicates, none lost
}

TEST_F(WorkbookSearchTest, TheCaseloadIsEveryCaseTheCallerIsAllocatedToOrManages) {
  Family one = NewFamily();
  Family two = NewFamily();
  // A family of team-b, led by its own social worker.
  cv1::CreateCaseRequest request = CaseRequest();
  request.mutable_case_()->set_team("team-b");
  request.mutable_case_()->set_lead_social_worker(kStranger.practitioner);
  cv1::Case other;
  auto status = cases_->CreateCase(ContextFor(kStranger).get(), request, &other);
  ASSERT_TRUE(status.ok()) << Describe(status);
  Sync();

  std::string a = Put(one.c.name(), "Walk", "Walked along the canal towpath.");
  std::string b = Put(two.c.name(), "Walk", "Fed ducks on the canal.");
  std::string elsewhere = Put(other.name(), "Walk", "The canal lock was open.", 1, kStranger);

  EXPECT_THAT(Found(kLead, "", "canal"), UnorderedElementsAre(a, b));
  EXPECT_THAT(Found(kManager, "", "canal"), UnorderedElementsAre(a, b));
  EXPECT_THAT(Found(kStranger, "", "canal"), ElementsAre(elsewhere));
  EXPECT_THAT(Found(kOtherManager, "", "canal"), ElementsAre(elsewhere));
  // The support worker is allocated to both team-a families.
  EXPECT_THAT(Found(kSupport, "", "canal"), UnorderedElementsAre(a, b));
  // Within a case: only that case.
  EXPECT_THAT(Found(kLead, two.c.name(), "canal"), ElementsAre(b));
  // Someone else's case needs a relationship or a reason.
  wv1::SearchEntriesResponse response;
  EXPECT_EQ(Search(kLead, other.name(), "canal", &response).error_code(),
            grpc::StatusCode::PERMISSION_DENIED);
  // Ending the support worker's allocation on family two takes it out of their caseload.
  for (const auto& allocation : Allocations(two.c.name(), false)) {
    if (allocation.practitioner() == kSupport.practitioner) {
      ASSERT_TRUE(EndAllocation(kLead, allocation.name()).ok());
    }
  }
  Sync();
  EXPECT_THAT(Found(kSupport, "", "canal"), ElementsAre(a));
}

TEST_F(WorkbookSearchTest, BadRequestsAreRefusedNamingTheField) {
  Family family = NewFamily();
  const std::string& c = family.c.name();
  wv1::SearchEntriesResponse response;
  EXPECT_TRUE(InvalidNaming(Search(kLead, c, "", &response), "query"));
  EXPECT_TRUE(InvalidNaming(Search(kLead, c, "   ", &response), "query"));
  EXPECT_TRUE(InvalidNaming(Search(kLead, "", "", &response), "query"));
  EXPECT_TRUE(InvalidNaming(Search(kLead, c, std::string(501, 'a'), &response), "query"));
  EXPECT_TRUE(
      InvalidNaming(Search(kLead, c, "pebble", &response, 10, "not-a-token"), "page_token"));
  EXPECT_EQ(Search(kLead, c, "pebble", &response, 10, "!!!").error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(Search(kLead, c, "pebble", &response, -1).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_TRUE(InvalidNaming(Search(kLead, "cases", "pebble", &response), "parent"));
  EXPECT_TRUE(InvalidNaming(Search(kLead, c + "/entries/x", "pebble", &response), "parent"));
  EXPECT_EQ(Search(kLead, "cases/unknown", "pebble", &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

}  // namespace
}  // namespace fs::workbook
