"""What the benchmark reads from the outside: HTTP answers and /proc."""

import os
import selectors
import socket
import time

from sandbox import BenchError

CLK_TCK = os.sysconf("SC_CLK_TCK")
HOST = "127.0.0.1"


def http_ok(port, timeout=0.5):
    """True when an agent answers 200 on 127.0.0.1:port."""
    try:
        with socket.create_connection((HOST, port), timeout=timeout) as s:
            s.settimeout(timeout)
            s.sendall(b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n")
            head = s.recv(32)
    except OSError:
        return False
    return head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200"))


def accepts(port):
    """True when something accepts connections on 127.0.0.1:port."""
    try:
        with socket.create_connection((HOST, port), timeout=0.2):
            return True
    except OSError:
        return False


def wait_serving(ports, t0, timeout, patience=10.0, accepted=None):
    """Waits until every port answers HTTP 200; returns seconds since t0 (monotonic).
    With a dict `accepted`, also sets accepted["s"]: seconds since t0 until every port had
    accepted a connection (a socket that systemd holds accepts before the agent answers).

    All ports are polled at once with non-blocking sockets, so one agent that accepted
    but is slow to answer (CPUs busy with the others starting) never delays noticing the
    rest. Each port is retried every 20 ms, less often for big fleets (0.2 ms per agent),
    so that polling never takes much of the CPU the agents need to start.
    """
    retry = max(0.02, 0.0002 * len(ports))
    request = b"GET / HTTP/1.0\r\nHost: bench\r\n\r\n"
    sel = selectors.DefaultSelector()
    pending = set(ports)
    next_try = {p: 0.0 for p in ports}
    opened = {}  # port -> (socket, time opened)
    first_accept = {}  # port -> when a connection to it was first established
    deadline = t0 + timeout

    def close(port):
        s, _ = opened.pop(port)
        sel.unregister(s)
        s.close()
        next_try[port] = time.monotonic() + retry

    try:
        while pending:
            now = time.monotonic()
            if now > deadline:
                raise BenchError(f"{len(pending)} of {len(ports)} agents not answering after "
                                 f"{timeout}s (ports {sorted(pending)[:5]}...)")
            for port in pending:
                if port in opened:
                    if now - opened[port][1] > patience:
                        close(port)
                    continue
                if next_try[port] > now:
                    continue
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setblocking(False)
                s.connect_ex((HOST, port))
                opened[port] = (s, now)
                sel.register(s, selectors.EVENT_WRITE, port)
            for key, events in sel.select(timeout=retry):
                port, s = key.data, key.fileobj
                if events & selectors.EVENT_WRITE and key.events == selectors.EVENT_WRITE:
                    if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                        close(port)
                        continue
                    first_accept.setdefault(port, time.monotonic())
                    try:
                        s.send(request)
                    except OSError:
                        close(port)
                        continue
                    sel.modify(s, selectors.EVENT_READ, port)
                elif events & selectors.EVENT_READ:
                    try:
                        head = s.recv(32)
                    except OSError:
                        head = b""
                    close(port)
                    if head.startswith((b"HTTP/1.1 200", b"HTTP/1.0 200")):
                        pending.discard(port)
    finally:
        for s, _ in opened.values():
            s.close()
        sel.close()
    done = time.monotonic()
    if accepted is not None:
        accepted["s"] = max(first_accept.values(), default=done) - t0
    return done - t0


def wait_closed(ports, timeout):
    """Waits until no port accepts connections any more."""
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending:
        pending = [p for p in pending if accepts(p)]
        if not pending:
            return
        if time.monotonic() > deadline:
            raise BenchError(f"{len(pending)} ports still open after {timeout}s "
                             f"(ports {pending[:5]}...)")
        time.sleep(0.05)


def pids():
    for name in os.listdir("/proc"):
        if name.isdigit():
            yield int(name)


def pidns(pid):
    try:
        return os.readlink(f"/proc/{pid}/ns/pid")
    except OSError:
        return None


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().split(b"\0")
    except OSError:
        return []


def environ_value(pid, key):
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            for item in f.read().split(b"\0"):
                if item.startswith(key.encode() + b"="):
                    return item.split(b"=", 1)[1].decode(errors="replace")
    except OSError:
        pass
    return None


def is_node(pid):
    """True when the process runs a node binary (one cheap readlink before reading more)."""
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe")).startswith("node")
    except OSError:
        return False


def agents_by_port(script, ns=None):
    """Live processes running `script` (in PID namespace `ns`, if given): {port: pid}."""
    found = {}
    want = script.encode()
    for pid in pids():
        if not is_node(pid):
            continue
        # PM2 sets process.title, which rewrites argv as one space-separated string.
        if want not in b" ".join(cmdline(pid)):
            continue
        if ns is not None and pidns(pid) != ns:
            continue
        if state(pid) in ("Z", "X", None):
            continue
        port = environ_value(pid, "PORT")
        if port and port.isdigit():
            found[int(port)] = pid
    return found


def agents_everywhere(script):
    """Live processes running `script` in any PID namespace: {(namespace, port): pid}."""
    found = {}
    want = script.encode()
    for pid in pids():
        if not is_node(pid) or want not in b" ".join(cmdline(pid)) or state(pid) in ("Z", "X", None):
            continue
        port = environ_value(pid, "PORT")
        if port and port.isdigit():
            found[(pidns(pid), int(port))] = pid
    return found


def pids_with_exe(exe):
    real = os.path.realpath(exe)
    out = []
    for pid in pids():
        try:
            if os.readlink(f"/proc/{pid}/exe") == real:
                out.append(pid)
        except OSError:
            pass
    return out


def state(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def memory_kib(pid):
    """(RSS, PSS) in KiB from /proc/PID/smaps_rollup, or None if the process is gone."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            text = f.read()
    except OSError:
        return None
    values = {}
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("Rss", "Pss"):
            values[key] = int(rest.split()[0])
    if "Rss" not in values or "Pss" not in values:
        return None
    return values["Rss"], values["Pss"]


def status_kib(pid, keys=("VmRSS", "RssAnon")):
    """{key: KiB} from /proc/PID/status, or None if the process is gone or a zombie."""
    values = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key = line.split(":", 1)[0]
                if key in keys:
                    values[key] = int(line.split()[1])
    except OSError:
        return None
    return values if len(values) == len(keys) else None


def memory_cgroup(pid):
    """The folder of the memory cgroup of a process (v1 memory controller or v2)."""
    try:
        with open(f"/proc/{pid}/cgroup") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):
            return "/sys/fs/cgroup/memory" + path
    for line in lines:
        if line.startswith("0::"):
            return "/sys/fs/cgroup" + line[3:]
    return None


def cgroup_charge_kib(folder):
    """(current, peak) memory charged to a cgroup, in KiB; None where unreadable."""
    pairs = [("memory.usage_in_bytes", "memory.max_usage_in_bytes"),
             ("memory.current", "memory.peak")]
    for current, peak in pairs:
        try:
            with open(os.path.join(folder, current)) as f:
                cur = int(f.read()) // 1024
        except (OSError, ValueError):
            continue
        try:
            with open(os.path.join(folder, peak)) as f:
                top = int(f.read()) // 1024
        except (OSError, ValueError):
            top = cur
        return cur, top
    return None


def cpu_seconds(pid):
    """utime + stime of a process in seconds, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def sum_memory_mib(pid_list):
    """Summed (RSS, PSS) in MiB of the processes still alive."""
    rss = pss = 0
    for pid in pid_list:
        m = memory_kib(pid)
        if m:
            rss += m[0]
            pss += m[1]
    return rss / 1024, pss / 1024
