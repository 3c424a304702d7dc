// deltascope-echo-plugin: a comparator plugin ("echo", claims .echo files) that says whatever it
// is given, for the tests that what a plugin says reaches the user escaped
// (tests/e2e/untrusted_text_test.cc). The text is the compared file's content (the right side's,
// else the left's), or the hex-decoded $ECHO_TEXT_HEX when set; $ECHO_MODE says where it goes:
//   summary  (default) the node's summary and its "text" detail; also printed as one line on
//            stdout and one on stderr
//   error    the comparator's error message
//   crash    written to stderr, then the plugin dies of SIGSEGV
#include <sys/prctl.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "deltascope/plugin/sdk.h"

namespace {

namespace sdk = deltascope::plugin;

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::string TextFor(const sdk::Pair& pair) {
  if (const std::string hex = Env("ECHO_TEXT_HEX"); !hex.empty()) {
    std::string text;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      text.push_back(static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16)));
    }
    return text;
  }
  std::ifstream in(pair.any().path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

void PrintLine(std::FILE* stream, const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stream);
  std::fputc('\n', stream);
  std::fflush(stream);
}

class EchoComparator : public sdk::Comparator {
 public:
  sdk::Descriptor Describe() const override { return {.name = "echo", .extensions = {".echo"}}; }

  sdk::Result Compare(const sdk::Pair& pair, sdk::Context&) override {
    const std::string text = TextFor(pair);
    const std::string mode = Env("ECHO_MODE");
    if (mode == "error") return sdk::Result::Error(absl::InvalidArgumentError(text));
    if (mode == "crash") {
      PrintLine(stderr, text);
      std::raise(SIGSEGV);
    }
    PrintLine(stdout, text);
    PrintLine(stderr, text);
    sdk::DiffNode node = sdk::MakeNode(pair.added()     ? "add"
                                       : pair.removed() ? "remove"
                                                        : "modify",
                                       "echo", text);
    sdk::AddTag(node, "content-changed");
    sdk::SetDetail(node, "text", text);
    return sdk::Result::Leaf(std::move(node));
  }
};

}  // namespace

int main(int argc, char** argv) {
  // No core dump: writing one can outlast the host's call deadline (a crash turns into a timeout).
  ::prctl(PR_SET_DUMPABLE, 0);
  return sdk::Serve<EchoComparator>(argc, argv, {.name = "echo", .version = "1.0"});
}
