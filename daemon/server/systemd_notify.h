// systemd's readiness protocol (Type=notify), through libsystemd's sd_notify: a no-op when
// $NOTIFY_SOCKET is not set (not started by systemd), so it is always safe to call.
#ifndef DELTASCOPE_DAEMON_SERVER_SYSTEMD_NOTIFY_H_
#define DELTASCOPE_DAEMON_SERVER_SYSTEMD_NOTIFY_H_

namespace deltascope {

// READY=1: every listener is bound and the service answers.
void NotifyReady();
// STOPPING=1: draining has begun (systemd shows "deactivating" from now on).
void NotifyStopping();
// RELOADING=1 before a reload, READY=1 after it.
void NotifyReloading();

}  // namespace deltascope

#endif  // DELTASCOPE_DAEMON_SERVER_SYSTEMD_NOTIFY_H_
