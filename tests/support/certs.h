// Real TLS material for daemon tests, made by openssl in a scratch folder.
#ifndef DELTASCOPE_TESTS_SUPPORT_CERTS_H_
#define DELTASCOPE_TESTS_SUPPORT_CERTS_H_

#include <gtest/gtest.h>

#include <string>

#include "absl/strings/str_cat.h"
#include "tests/support/process.h"
#include "tests/support/tree.h"

namespace deltascope::testing {

// ca.pem/ca.key, and server.pem/.key and client.pem/.key signed by it for localhost and
// 127.0.0.1; with `other_ca`, also other-ca.pem, a CA that signed neither.
inline void MakeCertificates(const ScratchTree& t, bool other_ca = false) {
  const std::string script = absl::StrCat(
      "set -e; cd ", t.root().string(),
      "\nopenssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca"
      " -keyout ca.key -out ca.pem 2>/dev/null",
      other_ca ? "\nopenssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca"
                 " -keyout other-ca.key -out other-ca.pem 2>/dev/null"
               : "",
      "\nfor who in server client; do"
      "\n  openssl req -newkey rsa:2048 -nodes -subj /CN=$who -keyout $who.key -out $who.csr"
      " 2>/dev/null"
      "\n  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\\n' > $who.ext"
      "\n  openssl x509 -req -in $who.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2"
      " -extfile $who.ext -out $who.pem 2>/dev/null"
      "\ndone\n");
  ProcessResult r = RunProcess({"/bin/sh", "-c", script});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

}  // namespace deltascope::testing

#endif  // DELTASCOPE_TESTS_SUPPORT_CERTS_H_
