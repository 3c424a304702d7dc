// An archive whose bytes changed while its members did not was repacked: what the container
// says besides the members (their order, times and modes, its compression) tells how.
#ifndef DELTASCOPE_DAEMON_STDLIB_ARCHIVE_REPACK_H_
#define DELTASCOPE_DAEMON_STDLIB_ARCHIVE_REPACK_H_

#include <string>
#include <vector>

#include "daemon/stdlib/archive_extract.h"
#include "deltascope/changeset/v1/changeset.pb.h"

namespace deltascope {

// What differs between the containers of two archives, among "member order", "timestamps",
// "permissions", "folder entries" (members stored on one side only: folders, since the
// contents are equal), "format" (zip, tar) and "compression"; empty when none of these does (then
// the bytes differ in the compression level or in metadata libarchive does not expose).
std::vector<std::string> RepackDifferences(const Extraction& before, const Extraction& after);

// The clerical node for an archive repacked with identical contents: "Repacked with identical
// contents (member order, compression deflate → stored)", tag format-change, details
// repack_differences and, when they differ, format_before/_after, compression_before/_after.
changeset::v1::DiffNode RepackedNode(const Extraction& before, const Extraction& after,
                                     const std::string& item_type, const std::string& comparator);

// A folder paired with an archive (`unpacked`: the archive is the old side) whose contents may
// be equal: "Zip archive unpacked into a folder" / "Folder packed into a zip archive", tag
// format-change; `same` adds "(identical contents)".
changeset::v1::DiffNode UnpackedNode(bool unpacked, bool same, const std::string& label,
                                     const std::string& item_type, const std::string& comparator);

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_STDLIB_ARCHIVE_REPACK_H_
