"""A private, real systemd for the benchmark.

It is booted as PID 1 of its own PID and mount namespace, with private tmpfs mounts over
every place its boot would otherwise change on the host (its systemd-tmpfiles empties
/tmp: the private /tmp is not optional). It shares the host's network, so its agents
answer on 127.0.0.1 like the PM2 ones. `kill()` kills it with SIGKILL, which takes down
everything it started; a parent-death signal does the same if this script dies.
"""

import ctypes
import os
import signal
import subprocess
import time

# Folders given a private tmpfs inside; /var/lib/unit-watchdog keeps the watchdog's
# state file off the host. Their (empty) mount points stay on the host, as with the
# project's test harness: removing them could race with another sandbox being booted.
PRIVATE_MOUNTS = [
    "/tmp",
    "/var/tmp",
    "/var/log/journal",
    "/etc/systemd",
    "/etc/ecosystemd",
    "/var/lib/unit-watchdog",
]

PR_SET_PDEATHSIG = 1


class BenchError(Exception):
    """A failure that ends the run (after cleanup) with a message."""


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


class Sandbox:
    """A running private systemd; always call kill()."""

    def __init__(self, log_path, private_network=False):
        self.log_path = log_path
        self.unshare = None
        self.pid = None
        # A network namespace of its own with loopback up: its ports are its own.
        self.private_network = private_network

    def boot(self, timeout=60):
        mounts = " ".join(
            f"mkdir -p {d} && mount -t tmpfs -o mode=0755 tmpfs {d} || exit 1;"
            for d in PRIVATE_MOUNTS
        )
        loopback = "ip link set lo up || exit 1;" if self.private_network else ""
        script = (
            f"{mounts} {loopback} exec /lib/systemd/systemd --system "
            "--unit=multi-user.target --log-target=kmsg"
        )
        network = ["--net"] if self.private_network else []
        with open(self.log_path, "wb") as log:
            self.unshare = subprocess.Popen(
                ["unshare", "--pid", "--fork", "--kill-child=SIGKILL", "--mount", *network,
                 "--mount-proc", "--propagation", "private", "sh", "-c", script],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                start_new_session=True, preexec_fn=_die_with_parent,
            )
        deadline = time.monotonic() + timeout
        children = f"/proc/{self.unshare.pid}/task/{self.unshare.pid}/children"
        while self.pid is None:
            if self.unshare.poll() is not None:
                raise BenchError(f"sandbox: unshare exited: {self._log_tail()}")
            if time.monotonic() > deadline:
                raise BenchError("sandbox: systemd did not start in time")
            try:
                with open(children) as f:
                    first = f.read().split()
                if first and os.readlink(f"/proc/{first[0]}/exe").endswith("/systemd"):
                    self.pid = int(first[0])
            except OSError:
                pass
            time.sleep(0.02)
        state = ""
        while time.monotonic() < deadline:
            state = self.run(["systemctl", "is-system-running"], check=False).stdout.strip()
            if state in ("running", "degraded"):
                return
            time.sleep(0.1)
        raise BenchError(f"sandbox: not running in {timeout}s (last state {state!r})")

    def _log_tail(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()[-2000:]
        except OSError:
            return ""

    def command(self, args):
        """The argv that runs `args` inside the sandbox's namespaces."""
        network = ["-n"] if self.private_network else []
        return ["nsenter", "-t", str(self.pid), "-m", "-p", *network, "--", *args]

    def run(self, args, check=True, timeout=120, input_text=None):
        """Runs `args` inside; returns the CompletedProcess (text)."""
        proc = subprocess.run(
            self.command(args), input=input_text, capture_output=True, text=True,
            timeout=timeout,
        )
        if check and proc.returncode != 0:
            raise BenchError(f"sandbox: {' '.join(args)[:200]} failed "
                             f"({proc.returncode}): {proc.stderr.strip()[:2000]}")
        return proc

    def systemctl(self, *args, check=True, timeout=120):
        return self.run(["systemctl", *args], check=check, timeout=timeout)

    def path(self, inside):
        """A path inside the sandbox, reachable from outside."""
        return f"/proc/{self.pid}/root/{inside.lstrip('/')}"

    def pidns(self):
        return os.readlink(f"/proc/{self.pid}/ns/pid")

    def kill(self):
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        if self.unshare is not None:
            try:
                self.unshare.kill()
            except ProcessLookupError:
                pass
            try:
                self.unshare.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        self.pid = None
        self.unshare = None
