// The deltascope C++ plugin SDK: write one Comparator subclass and a one-line main.
//
//   class JsonComparator : public deltascope::plugin::Comparator {
//    public:
//     Descriptor Describe() const override { return {.name = "json", .extensions = {".json"}}; }
//     Result Compare(const Pair& pair, Context& ctx) override;
//   };
//   int main(int argc, char** argv) {
//     return deltascope::plugin::Serve<JsonComparator>(argc, argv, {.name = "json", .version =
//     "1"});
//   }
//
// Serve() implements the whole protocol (docs/plugin-protocol.md): the environment handshake,
// version negotiation, the gRPC Comparator and health services on the host's Unix socket, both
// content delivery modes (paths, or streamed chunks spooled to a private temp file), Shutdown,
// and `--describe` (prints the descriptor as JSON). Compare() is called concurrently from several
// threads; an exception it throws becomes an INTERNAL error carrying what().
#ifndef DELTASCOPE_PLUGIN_SDK_H_
#define DELTASCOPE_PLUGIN_SDK_H_

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "deltascope/plugin/node.h"

namespace deltascope::plugin {

// Which pairs the host may offer.
enum class Scope { kFiles, kContainers, kAny };

struct Descriptor {
  std::string name = {};                      // unique across the host: "json"
  std::vector<std::string> extensions = {};   // lower-case with the dot: ".json", ".tar.gz"
  std::vector<std::string> media_types = {};  // sniffed types, exact match: "application/json"
  Scope scope = Scope::kFiles;
  bool handles_identical = false;  // also offered byte-identical pairs
};

// One side of a pair.
struct Side {
  std::string logical_path = {};    // "data/x.json"; inside archives "a.zip/x.json"
  std::filesystem::path path = {};  // a readable local file with the content
  uint64_t size = 0;
  std::string media_type = {};    // sniffed by the host, e.g. "application/json"
  std::string content_hash = {};  // XXH3-128 hex, may be empty
  std::string kind = {};          // "file" or "directory"
};

// The pair to compare; a side is absent when the item was added or removed.
struct Pair {
  std::string path;  // logical path of the pair ("" for a snapshot root)
  std::optional<Side> left;
  std::optional<Side> right;
  bool identical = false;  // host found both sides byte-identical (handles_identical only)

  bool added() const { return !left && right; }
  bool removed() const { return left && !right; }
  // The side that exists (right preferred).
  const Side& any() const { return right ? *right : *left; }
};

// Per-call facts and services.
class Context {
 public:
  Context(std::map<std::string, std::string> options, uint32_t max_examples,
          std::filesystem::path output_dir, std::function<bool()> cancelled)
      : options_(std::move(options)),
        max_examples_(max_examples),
        output_dir_(std::move(output_dir)),
        cancelled_(std::move(cancelled)) {}

  // True once the host gave up on this call (deadline passed, host gone): stop early.
  bool cancelled() const { return cancelled_ && cancelled_(); }
  // At most this many examples in details (the host's value, or 8 when it sent none).
  uint32_t max_examples() const { return max_examples_; }
  // The user's options for this comparator.
  const std::map<std::string, std::string>& options() const { return options_; }
  std::string option(const std::string& key, const std::string& fallback = {}) const;
  // Where EXPAND child files may be written; empty when not available (streamed calls).
  const std::filesystem::path& output_dir() const { return output_dir_; }

 private:
  std::map<std::string, std::string> options_;
  uint32_t max_examples_;
  std::filesystem::path output_dir_;
  std::function<bool()> cancelled_;
};

// A child of an EXPAND result: files the plugin wrote under Context::output_dir().
struct ChildPair {
  std::string name = {};        // below the pair's logical path
  std::string left_path = {};   // relative to output_dir; empty when absent
  std::string right_path = {};  // relative to output_dir; empty when absent
};

// What Compare() says about a pair.
struct Result {
  enum class Outcome { kIdentical, kLeaf, kExpand, kSkip, kError };
  Outcome outcome = Outcome::kSkip;
  DiffNode node;
  std::vector<ChildPair> children;
  absl::Status error;  // kError only

  // Nothing changed.
  static Result Identical() { return {Outcome::kIdentical, {}, {}, {}}; }
  // Not mine after all: the host tries its next comparator (e.g. unparsable content).
  static Result Skip() { return {Outcome::kSkip, {}, {}, {}}; }
  // `node` (and any children nodes it carries) describes the change completely.
  static Result Leaf(DiffNode node) { return {Outcome::kLeaf, std::move(node), {}, {}}; }
  // `node` is a container; the host compares `children` itself.
  static Result Expand(DiffNode node, std::vector<ChildPair> children) {
    return {Outcome::kExpand, std::move(node), std::move(children), {}};
  }
  // Could not compare: the call fails with this status (INVALID_ARGUMENT for unreadable input,
  // INTERNAL for bugs); the host falls back to its next comparator and records a diagnostic.
  static Result Error(absl::Status status) { return {Outcome::kError, {}, {}, std::move(status)}; }
};

class Comparator {
 public:
  virtual ~Comparator() = default;
  virtual Descriptor Describe() const = 0;
  // Called concurrently: keep per-call state on the stack.
  virtual Result Compare(const Pair& pair, Context& ctx) = 0;
};

struct PluginInfo {
  std::string name = {};     // the manifest's name: "ini-cpp"
  std::string version = {};  // the plugin's own version: "0.1.0"
  // Serve ComparePipe, many calls on one stream (docs/plugin-protocol.md); the host then sends
  // calls concurrently, so Compare must be safe to run on several threads at once (as for
  // concurrent Compare calls). False: Compare and CompareStream only.
  bool compare_pipe = true;
};

// Runs the plugin until the host calls Shutdown (returns 0) or start-up fails (returns 1).
// Listen mode, for attached plugins (a manifest `endpoint`): with `--listen ADDRESS` or
// $DELTASCOPE_PLUGIN_LISTEN ("unix:///abs/path" or "host:port") it serves there without a host
// or handshake until SIGTERM/SIGINT (returns 0), or returns 2 for a bad address.
int Serve(std::vector<std::unique_ptr<Comparator>> comparators, int argc, char** argv,
          const PluginInfo& info);

// Serve() with default-constructed comparators of the given types.
template <typename... Comparators>
int Serve(int argc, char** argv, const PluginInfo& info) {
  std::vector<std::unique_ptr<Comparator>> comparators;
  (comparators.push_back(std::make_unique<Comparators>()), ...);
  return Serve(std::move(comparators), argc, argv, info);
}

}  // namespace deltascope::plugin

#endif  // DELTASCOPE_PLUGIN_SDK_H_
