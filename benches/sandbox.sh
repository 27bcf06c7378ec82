# Sourced by the shell benchmarks: boots a private systemd (PID 1 of its own PID and mount
# namespace, with private tmpfs over the folders its boot or an install would change) and
# runs commands inside it. The caller sets `work` (a scratch folder) and clears
# `sandbox_pid` and `unshare_pid`, and kills the sandbox in its own EXIT trap.

boot() {
  setsid unshare --pid --fork --kill-child=SIGKILL --mount --mount-proc --propagation private sh -c '
    for d in /tmp /var/tmp /var/log/journal /etc/systemd /etc/ecosystemd; do
      mkdir -p "$d" && mount -t tmpfs -o mode=0755 tmpfs "$d" || exit 1
    done
    exec /lib/systemd/systemd --system --unit=multi-user.target --log-target=journal-or-kmsg' \
    </dev/null >"$work/sandbox.log" 2>&1 &
  unshare_pid=$!
  for _ in $(seq 500); do
    sandbox_pid=$(cat "/proc/$unshare_pid/task/$unshare_pid/children" 2>/dev/null | awk '{print $1}')
    [ -n "$sandbox_pid" ] && break
    sleep 0.02
  done
  [ -n "$sandbox_pid" ] || { echo "sandbox did not start" >&2; exit 1; }
  for _ in $(seq 600); do
    state=$(inside systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) return ;; esac
    sleep 0.1
  done
  echo "sandbox not running: $state" >&2
  exit 1
}

inside() { nsenter -t "$sandbox_pid" -m -p -- "$@"; }

shutdown_sandbox() {
  kill -9 "$sandbox_pid" 2>/dev/null || true
  wait "$unshare_pid" 2>/dev/null || true
  sandbox_pid=""
  unshare_pid=""
}
