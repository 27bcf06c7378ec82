"""Three (or more) hosts on this machine, for the Ansible role's test.

Each host is a private, real systemd (PID 1 of its own PID, mount and network namespace,
as tests/common/sandbox.rs boots them) running sshd on a private address. The
controller is a network namespace of its own, joined to each host by a veth pair
(controller 10.77.N.1/24, host 10.77.N.2/24): nothing is added to this machine's own
network. Private tmpfs mounts cover every place a host writes: its boot (/tmp, /var/tmp,
/var/log/journal, /etc/systemd), what the role installs (/usr/local, /var/lib, /var/cache,
/etc/ecosystemd) and the apps' code (/srv).
"""

import ctypes
import os
import signal
import subprocess
import time

PRIVATE_MOUNTS = [
    "/tmp", "/var/tmp", "/var/log/journal", "/etc/systemd", "/etc/ecosystemd",
    "/var/lib", "/var/cache", "/usr/local", "/srv",
]

PR_SET_PDEATHSIG = 1


class FleetError(Exception):
    """A failure that ends the run (after cleanup) with a message."""


def _die_with_parent():
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


def run(argv, timeout=60, check=True, **kwargs):
    """Runs argv (text output captured); raises FleetError on failure when `check`."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    except subprocess.TimeoutExpired as error:
        raise FleetError(f"timed out after {timeout}s: {' '.join(map(str, argv))[:300]}") from error
    if check and proc.returncode != 0:
        raise FleetError(f"{' '.join(map(str, argv))[:300]} failed ({proc.returncode}): "
                         f"{proc.stderr.strip()[-2000:]}")
    return proc


class Host:
    """One host: a private systemd in its own namespaces; always call kill()."""

    def __init__(self, name, index, work):
        self.name = name
        self.index = index
        self.address = f"10.77.{index}.2"
        self.work = work
        self.unshare = None
        self.pid = None

    def boot(self, timeout=60):
        for folder in PRIVATE_MOUNTS:
            os.makedirs(folder, exist_ok=True)
        mounts = " ".join(f"mount -t tmpfs -o mode=0755 tmpfs {d} || exit 1;" for d in PRIVATE_MOUNTS)
        script = f"{mounts} exec /lib/systemd/systemd --system --unit=multi-user.target --log-target=kmsg"
        log = open(os.path.join(self.work, f"{self.name}.boot.log"), "wb")
        self.unshare = subprocess.Popen(
            ["unshare", "--pid", "--fork", "--kill-child=SIGKILL", "--mount", "--mount-proc",
             "--net", "--propagation", "private", "sh", "-c", script],
            stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()
        deadline = time.monotonic() + timeout
        children = f"/proc/{self.unshare.pid}/task/{self.unshare.pid}/children"
        while self.pid is None:
            if self.unshare.poll() is not None:
                raise FleetError(f"{self.name}: unshare exited ({self.unshare.returncode})")
            if time.monotonic() > deadline:
                raise FleetError(f"{self.name}: systemd did not start within {timeout}s")
            try:
                with open(children) as f:
                    first = f.read().split()
                if first and os.readlink(f"/proc/{first[0]}/exe").endswith("/systemd"):
                    self.pid = int(first[0])
            except OSError:
                pass
            time.sleep(0.05)
        state = ""
        while time.monotonic() < deadline:
            state = self.sh(["systemctl", "is-system-running"], check=False).stdout.strip()
            if state in ("running", "degraded"):
                return
            time.sleep(0.2)
        raise FleetError(f"{self.name}: not running within {timeout}s (last state {state!r})")

    def sh(self, argv, check=True, timeout=60):
        """Runs argv inside the host (its mount, PID and network namespaces)."""
        return run(["nsenter", "-t", str(self.pid), "-m", "-p", "-n", "--", *argv],
                   check=check, timeout=timeout)

    def path(self, inside):
        """A path inside the host, as seen from outside."""
        return f"/proc/{self.pid}/root/{inside.lstrip('/')}"

    def start_sshd(self, host_key, authorized_keys):
        config = os.path.join(self.work, f"{self.name}.sshd_config")
        with open(config, "w") as f:
            f.write(
                # Quoted: a checkout's path may hold a space.
                f'ListenAddress {self.address}\nHostKey "{host_key}"\n'
                f'AuthorizedKeysFile "{authorized_keys}"\nPermitRootLogin prohibit-password\n'
                "PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
                "StrictModes no\nPidFile /run/sshd-fleet.pid\n"
                "Subsystem sftp /usr/lib/openssh/sftp-server\n"
            )
        self.sh(["mkdir", "-p", "-m", "0755", "/run/sshd"])
        self.sh(["systemd-run", "--unit=test-sshd", "--", "/usr/sbin/sshd", "-D", "-e", "-f", config])

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
        self.pid = self.unshare = None


class Network:
    """The controller's network namespace and a veth pair to each host."""

    def __init__(self):
        self.namespace = f"efleet{os.getpid()}"
        self.created = False

    def create(self):
        run(["ip", "netns", "add", self.namespace])
        self.created = True
        run(["ip", "-n", self.namespace, "link", "set", "lo", "up"])

    def join(self, host):
        outside, inside = f"fl{host.index}c", f"fl{host.index}h"
        ns = ["ip", "-n", self.namespace]
        run([*ns, "link", "add", outside, "type", "veth", "peer", "name", inside])
        run([*ns, "link", "set", inside, "netns", str(host.pid)])
        run([*ns, "addr", "add", f"10.77.{host.index}.1/24", "dev", outside])
        run([*ns, "link", "set", outside, "up"])
        host.sh(["ip", "link", "set", "lo", "up"])
        host.sh(["ip", "addr", "add", f"{host.address}/24", "dev", inside])
        host.sh(["ip", "link", "set", inside, "up"])

    def command(self, argv):
        """argv run inside the controller's namespace."""
        return ["ip", "netns", "exec", self.namespace, *argv]

    def delete(self):
        if self.created:
            run(["ip", "netns", "del", self.namespace], check=False)
            self.created = False
