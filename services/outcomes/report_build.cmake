# CSV, JSON and HTML renderings of the outcome figures (report.h): pure C++, testable alone.
# Included from services/outcomes/CMakeLists.txt.
add_library(outcomes_report STATIC ${CMAKE_CURRENT_LIST_DIR}/report.cc)
target_link_libraries(outcomes_report PUBLIC fs_proto fs_common)
target_compile_options(outcomes_report PRIVATE ${FS_WARNINGS})

add_executable(outcomes_report_test ${CMAKE_CURRENT_LIST_DIR}/report_test.cc)
target_link_libraries(outcomes_report_test PRIVATE outcomes_report GTest::gtest_main GTest::gmock)
target_compile_options(outcomes_report_test PRIVATE ${FS_WARNINGS})
gtest_discover_tests(outcomes_report_test)
