#include "daemon/stdlib/csv_scan.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "daemon/util/fd.h"

namespace deltascope {
namespace {

// Read past a chunk's end for the record that straddles it (grown when one is longer).
constexpr size_t kSlackBytes = 64u << 10;
constexpr uint64_t kNone = UINT64_MAX;
constexpr std::string_view kBom = "\xEF\xBB\xBF";

absl::StatusOr<size_t> PreadFully(int fd, char* buf, size_t size, uint64_t offset) {
  size_t done = 0;
  while (done < size) {
    const ssize_t n = pread(fd, buf + done, size - done, static_cast<off_t>(offset + done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return absl::ErrnoToStatus(errno, "reading a csv file");
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

// One chunk of the file: the records that start in [begin, end), as one worker parsed them.
struct Chunk {
  size_t index = SIZE_MAX;
  uint64_t begin = 0, end = 0;
  std::string buf;  // the file's bytes from buf_offset
  uint64_t buf_offset = 0;
  bool buf_at_end = false;       // buf reaches the end of the file
  uint64_t first = kNone;        // file offset of the first record parsed
  uint64_t stop = kNone;         // the first record start at or past `end` (or the file's end)
  std::vector<uint32_t> starts;  // each record's offset in buf
  std::vector<CsvRowValue> values;
  uint32_t first_decoded = UINT32_MAX;  // the first record with a Windows-1252 field
  absl::Status status;
  bool ready = false;
};

class ChunkParser {
 public:
  ChunkParser(int fd, uint64_t file_size, char delimiter, const CsvScanTuning& tuning,
              CsvRowMapper map, CsvRowFinisher finish)
      : fd_(fd),
        file_size_(file_size),
        delimiter_(delimiter),
        fields_(tuning.fields),
        plain_(tuning.plain),
        map_(map),
        finish_(finish) {}

  // Parses `chunk` from the record start `exact`, or (kNone) from a guess: the first line break
  // at or past chunk.begin - 1.
  void Parse(Chunk& chunk, uint64_t exact) {
    chunk.starts.clear();
    chunk.values.clear();
    chunk.first = chunk.stop = kNone;
    chunk.first_decoded = UINT32_MAX;
    chunk.status = Run(chunk, exact);
    if (chunk.status.ok()) finish_(chunk.values.data(), chunk.values.size());
  }

 private:
  absl::Status Load(Chunk& chunk, uint64_t from) {
    chunk.buf_offset = from;
    const uint64_t wanted = std::max(chunk.end, from) - from + kSlackBytes;
    const uint64_t left = file_size_ > from ? file_size_ - from : 0;
    chunk.buf.resize(static_cast<size_t>(std::min(wanted, left + 1)));
    absl::StatusOr<size_t> n = PreadFully(fd_, chunk.buf.data(), chunk.buf.size(), from);
    if (!n.ok()) return n.status();
    chunk.buf_at_end = *n < chunk.buf.size();
    chunk.buf.resize(*n);
    return absl::OkStatus();
  }

  absl::Status Grow(Chunk& chunk) {
    const size_t old = chunk.buf.size();
    const size_t more = std::max(old, kSlackBytes);
    chunk.buf.resize(old + more);
    absl::StatusOr<size_t> n =
        PreadFully(fd_, chunk.buf.data() + old, more, chunk.buf_offset + old);
    if (!n.ok()) return n.status();
    chunk.buf_at_end = *n < more;
    chunk.buf.resize(old + *n);
    if (chunk.buf.size() > UINT32_MAX) {
      return absl::FailedPreconditionError("record longer than 64 MB");
    }
    return absl::OkStatus();
  }

  absl::Status Run(Chunk& chunk, uint64_t exact) {
    size_t pos = 0;
    if (exact != kNone) {
      if (absl::Status s = Load(chunk, exact); !s.ok()) return s;
      if (exact == 0 && std::string_view(chunk.buf).starts_with(kBom)) pos = kBom.size();
    } else {
      if (absl::Status s = Load(chunk, chunk.begin - 1); !s.ok()) return s;
      const size_t limit = std::min<size_t>(chunk.buf.size(), chunk.end - chunk.buf_offset);
      const size_t lf = std::string_view(chunk.buf).substr(0, limit).find_first_of("\r\n");
      if (lf == std::string_view::npos) return absl::OkStatus();  // no record starts here
      pos = lf + 1;
    }
    while (true) {
      pos = SkipCsvBlankLines(chunk.buf, pos);
      if (pos == chunk.buf.size() && !chunk.buf_at_end) {
        if (absl::Status s = Grow(chunk); !s.ok()) return s;
        continue;
      }
      const uint64_t at = chunk.buf_offset + pos;
      if (chunk.first == kNone) chunk.first = at;
      if (at >= chunk.end || pos == chunk.buf.size()) {
        chunk.stop = at;
        return absl::OkStatus();
      }
      const size_t start = SkipCsvBlankLines(chunk.buf, pos);
      if (plain_ != nullptr) {
        std::string_view text;
        size_t fields = 0;
        size_t end = pos;
        if (ScanPlainCsvRecord(chunk.buf, end, chunk.buf_at_end, delimiter_, text, fields) &&
            fields >= plain_->min_fields) {
          pos = end;
          chunk.starts.push_back(static_cast<uint32_t>(start));
          chunk.values.push_back(plain_->map(text));
          continue;
        }
      }
      if (!fields_ && SkipPlainCsvRecord(chunk.buf, pos, chunk.buf_at_end)) {
        chunk.starts.push_back(static_cast<uint32_t>(start));
        chunk.values.push_back(map_({}, scratch_));
        continue;
      }
      switch (ParseCsvRecord(chunk.buf, pos, chunk.buf_at_end, delimiter_, record_)) {
        case CsvParse::kNeedMore:
          if (absl::Status s = Grow(chunk); !s.ok()) return s;
          continue;
        case CsvParse::kTooLong:
          return absl::FailedPreconditionError("record longer than 64 MB");
        case CsvParse::kEnd:
          pos = chunk.buf.size();
          continue;
        case CsvParse::kRecord:
          break;
      }
      if (record_.windows1252 && chunk.first_decoded == UINT32_MAX) {
        chunk.first_decoded = static_cast<uint32_t>(chunk.starts.size());
      }
      chunk.starts.push_back(static_cast<uint32_t>(start));
      chunk.values.push_back(map_(record_.fields, scratch_));
    }
  }

  int fd_;
  uint64_t file_size_;
  char delimiter_;
  bool fields_;
  const CsvPlainRowMapper* plain_;
  CsvRowMapper map_;
  CsvRowFinisher finish_;
  CsvRecord record_;
  std::string scratch_;
};

// Chunks parsed ahead by worker threads, handed over in order.
class ChunkPipeline {
 public:
  ChunkPipeline(size_t chunks, size_t threads, absl::FunctionRef<void(Chunk&, size_t)> fill)
      : slots_(threads * 2), chunks_(chunks) {
    for (size_t t = 0; t < threads; ++t) {
      workers_.emplace_back([this, fill] { Work(fill); });
    }
  }
  ~ChunkPipeline() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
  }

  // Chunk `j`, once parsed; chunks are taken in order, each released before the next is taken.
  Chunk& Take(size_t j) {
    std::unique_lock lock(mu_);
    Chunk& slot = slots_[j % slots_.size()];
    cv_.wait(lock, [&] { return slot.ready && slot.index == j; });
    return slot;
  }
  void Release(size_t j) {
    {
      std::lock_guard lock(mu_);
      slots_[j % slots_.size()].ready = false;
      released_ = j + 1;
    }
    cv_.notify_all();
  }

 private:
  void Work(absl::FunctionRef<void(Chunk&, size_t)> fill) {
    while (true) {
      size_t j;
      {
        std::unique_lock lock(mu_);
        cv_.wait(lock, [&] {
          return stopping_ || next_ >= chunks_ || next_ < released_ + slots_.size();
        });
        if (stopping_ || next_ >= chunks_) return;
        j = next_++;
      }
      Chunk& slot = slots_[j % slots_.size()];
      fill(slot, j);
      {
        std::lock_guard lock(mu_);
        slot.index = j;
        slot.ready = true;
      }
      cv_.notify_all();
    }
  }

  std::vector<Chunk> slots_;
  const size_t chunks_;
  std::mutex mu_;
  std::condition_variable cv_;
  size_t next_ = 0, released_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace

const std::vector<std::string>& CsvRowRef::fields() const {
  if (given_ != nullptr) return *given_;
  if (!done_) {
    CsvRecord record;
    size_t pos = pos_;
    ParseCsvRecord(buffer_, pos, /*at_end=*/true, delimiter_, record);
    parsed_.assign(record.fields.begin(), record.fields.end());
    done_ = true;
  }
  return parsed_;
}

int CsvScanThreads(const CompareContext& context) {
  const int jobs = context.options().jobs;
  return jobs > 0 ? jobs : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

CsvRowValue NoRowValue(const std::vector<std::string_view>&, std::string&) { return {}; }

void NoFinish(CsvRowValue*, size_t) {}

absl::StatusOr<CsvScanInfo> ScanCsvRowsParallel(const CsvTable& table,
                                                const CompareContext& context, CsvRowMapper map,
                                                CsvRowVisitor visit, CsvScanTuning tuning) {
  return ScanCsvRowsParallel(table, context, map, NoFinish, visit, tuning);
}

absl::StatusOr<CsvScanInfo> ScanCsvRowsParallel(const CsvTable& table,
                                                const CompareContext& context, CsvRowMapper map,
                                                CsvRowFinisher finish, CsvRowVisitor visit,
                                                CsvScanTuning tuning) {
  if (table.dialect.comments) {  // comment lines: CsvReader's sequential pass
    std::vector<std::string_view> views;
    std::string scratch;
    return ScanCsvRows(table, context, [&](uint32_t row, const std::vector<std::string>& fields) {
      views.assign(fields.begin(), fields.end());
      CsvRowValue value = map(views, scratch);
      finish(&value, 1);
      return visit(row, value, CsvRowRef(&fields));
    });
  }
  absl::StatusOr<UniqueFd> fd = OpenForReading(table.path);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (fstat(fd->get(), &st) != 0) return absl::ErrnoToStatus(errno, "stat of a csv file");
  const auto size = static_cast<uint64_t>(std::max<off_t>(st.st_size, 0));
  const size_t chunk_bytes = std::max<size_t>(tuning.chunk_bytes, 1);
  const size_t chunks = std::max<size_t>(1, (size + chunk_bytes - 1) / chunk_bytes);
  auto chunk_range = [&](Chunk& c, size_t j) {
    c.begin = j * chunk_bytes;
    c.end = j + 1 == chunks ? std::max<uint64_t>(size, c.begin) + 1 : (j + 1) * chunk_bytes;
  };
  ChunkParser main_parser(fd->get(), size, table.dialect.delimiter, tuning, map, finish);

  CsvScanInfo info;
  bool header = table.dialect.header && !table.dialect.comment_header;
  uint64_t cursor = 0;  // the true start of the next record
  // Consumes chunk j (parsing it again from `cursor` when its guessed start was wrong); false
  // when the visitor stopped the pass.
  auto consume = [&](Chunk& c, size_t j) -> absl::StatusOr<bool> {
    if (j > 0 && cursor >= c.end) return true;  // a record from earlier chunks covers it all
    if (j > 0 && c.first != cursor) main_parser.Parse(c, cursor);
    if (!c.status.ok()) return c.status;
    cursor = c.stop;
    for (size_t i = 0; i < c.starts.size(); ++i) {
      if (i >= c.first_decoded) info.windows1252 = true;
      if (header) {
        header = false;
        continue;
      }
      absl::StatusOr<uint32_t> row = CountCsvRow(info, context);
      if (!row.ok()) return row.status();
      if (!visit(*row, c.values[i], CsvRowRef(c.buf, c.starts[i], table.dialect.delimiter))) {
        return false;
      }
    }
    return true;
  };

  const size_t threads = std::min<size_t>(
      chunks, static_cast<size_t>(tuning.threads > 0 ? tuning.threads : CsvScanThreads(context)));
  if (threads <= 1) {  // one thread: every chunk parsed from its true start, in order
    Chunk c;
    for (size_t j = 0; j < chunks; ++j) {
      chunk_range(c, j);
      if (j > 0 && cursor >= c.end) continue;
      main_parser.Parse(c, cursor);
      absl::StatusOr<bool> more = consume(c, j);
      if (!more.ok()) return more.status();
      if (!*more) break;
    }
    return info;
  }
  // Named: the pipeline's threads call it until the pipeline is gone.
  auto fill = [&](Chunk& c, size_t j) {
    ChunkParser worker(fd->get(), size, table.dialect.delimiter, tuning, map, finish);
    chunk_range(c, j);
    worker.Parse(c, j == 0 ? 0 : kNone);
  };
  ChunkPipeline pipeline(chunks, threads, fill);
  for (size_t j = 0; j < chunks; ++j) {
    Chunk& c = pipeline.Take(j);
    absl::StatusOr<bool> more = consume(c, j);
    pipeline.Release(j);
    if (!more.ok()) return more.status();
    if (!*more) break;
  }
  return info;
}

}  // namespace deltascope
