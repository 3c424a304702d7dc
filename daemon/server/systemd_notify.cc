#include "daemon/server/systemd_notify.h"

#include <systemd/sd-daemon.h>
#include <time.h>

#include <cstring>
#include <string>

#include "absl/strings/str_cat.h"
#include "daemon/server/log.h"

namespace deltascope {
namespace {

void Notify(const char* state) {
  // 0: no $NOTIFY_SOCKET; <0: it is set but unusable, which systemd will notice too (a
  // Type=notify unit that never says READY=1 times out), so say why.
  const int r = sd_notify(0, state);
  if (r < 0) {
    LogWarning("cannot notify systemd", {{"state", state}, {"error", std::strerror(-r)}});
  }
}

}  // namespace

void NotifyReady() { Notify("READY=1\nSTATUS=serving"); }
void NotifyStopping() { Notify("STOPPING=1\nSTATUS=draining"); }
void NotifyReloading() {
  // Newer systemd wants the reload's start time with it (CLOCK_MONOTONIC, microseconds).
  timespec now{};
  ::clock_gettime(CLOCK_MONOTONIC, &now);
  const std::string state =
      absl::StrCat("RELOADING=1\nSTATUS=reloading\nMONOTONIC_USEC=",
                   static_cast<long long>(now.tv_sec) * 1000000 + now.tv_nsec / 1000);
  Notify(state.c_str());
}

}  // namespace deltascope
