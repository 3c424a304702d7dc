// A test fixture for the csv comparator's building blocks: tables written to a scratch folder,
// their columns read, and a compare context to scan them with.
#ifndef DELTASCOPE_TESTS_SUPPORT_CSV_FIXTURE_H_
#define DELTASCOPE_TESTS_SUPPORT_CSV_FIXTURE_H_

#include <gtest/gtest.h>

#include <string>

#include "daemon/engine/compare_context.h"
#include "daemon/engine/options.h"
#include "daemon/stdlib/csv_table.h"
#include "tests/support/tree.h"

namespace deltascope::testing {

class CsvFileTest : public ::testing::Test {
 protected:
  // Writes `content` at `name` and reads its columns (default dialect: ',' with a header).
  CsvTable Table(const std::string& name, const std::string& content) {
    tree_.Write(name, content);
    CsvTable t;
    t.path = tree_ / name;
    EXPECT_TRUE(ReadCsvColumns(t).ok());
    return t;
  }

  ScratchTree tree_;
  DiffOptions options_;
  CompareContext context_{options_, tree_.root()};
};

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_CSV_FIXTURE_H_
