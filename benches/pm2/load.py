"""A bounded loopback HTTP load: N clients making GET requests (one connection each,
`Connection: close`) to 127.0.0.1:PORT for a fixed time, with a hard cap on requests,
counting answers (per instance: the third word of the agent's reply), refused
connections and failed requests (reset, timeout, closed without an answer, bad reply)."""

import errno
import socket
import threading
import time

HOST = "127.0.0.1"
REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n"


def parse_reply(data):
    """("ok", instance) for a 200 reply, else ("failed", why)."""
    if not data:
        return "failed", "closed without an answer"
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep:
        return "failed", "truncated reply"
    if not head.startswith(b"HTTP/1.1 200"):
        return "failed", "status " + head.split(b"\r\n", 1)[0].decode(errors="replace")
    words = body.split()
    return "ok", words[2].decode(errors="replace") if len(words) > 2 else "?"


def one_request(port, timeout=10.0):
    """("ok", instance), ("refused", None) or ("failed", why)."""
    try:
        s = socket.create_connection((HOST, port), timeout=timeout)
    except ConnectionRefusedError:
        return "refused", None
    except OSError as e:
        return "failed", f"connect: {errno.errorcode.get(e.errno, e)}"
    with s:
        try:
            s.sendall(REQUEST)
            chunks = []
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                chunks.append(chunk)
        except OSError as e:
            return "failed", f"read: {errno.errorcode.get(e.errno, e)}"
    return parse_reply(b"".join(chunks))


def empty_stats():
    return {"ok": 0, "refused": 0, "failed": 0, "by_instance": {}, "failures": {}}


def add(stats, kind, detail):
    stats[kind] += 1
    if kind == "ok":
        stats["by_instance"][detail] = stats["by_instance"].get(detail, 0) + 1
    elif kind == "failed":
        stats["failures"][detail] = stats["failures"].get(detail, 0) + 1


def run(port, clients, duration_s, cap, action=None, action_at_s=0.0):
    """Runs the load; with `action` (a function returning (exit status, seconds)), calls it
    `action_at_s` into the load. Returns the counts, with "action": (status, seconds)."""
    stats = empty_stats()
    lock = threading.Lock()
    made = [0]
    deadline = time.monotonic() + duration_s

    def client():
        mine = empty_stats()
        while time.monotonic() < deadline:
            with lock:
                if made[0] >= cap:
                    break
                made[0] += 1
            add(mine, *one_request(port))
        with lock:
            for key in ("ok", "refused", "failed"):
                stats[key] += mine[key]
            for key in ("by_instance", "failures"):
                for k, v in mine[key].items():
                    stats[key][k] = stats[key].get(k, 0) + v

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    if action:
        time.sleep(action_at_s)
        stats["action"] = action()
    for t in threads:
        t.join(timeout=duration_s + 30)
    return stats


def spread(by_instance):
    """Each instance's share of the answers, in %, largest first."""
    total = sum(by_instance.values())
    if not total:
        return []
    return sorted((100 * n / total for n in by_instance.values()), reverse=True)
