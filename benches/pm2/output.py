"""The results as the "PM2 side by side" section of BENCHMARKS.md, and the SVG plot.

Every figure printed here comes from the results of the run; nothing is typed in.
"""

import math
import os
import platform
import re
import statistics
import subprocess

SECTION = "## PM2 side by side"
PLOT = "benches/pm2/report-latency.svg"
RESULTS = "benches/pm2/results.json"
NOTES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "notes.md")
LABELS = {"node": "node, started directly", "pm2": "PM2 (defaults)",
          "pm2-nopmx": "PM2 (`pmx: false`)", "systemd": "systemd + ecosystemd"}


# --- facts about the machine ---------------------------------------------------------

def _out(argv, cwd=None):
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30,
                              cwd=cwd).stdout.strip()
    except OSError:
        return ""


def _read(path):
    with open(path) as f:
        return f.read()


def machine_facts(repo, node, pm2_version):
    meminfo = _read("/proc/meminfo")
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    fs = _out(["stat", "-fc", "%T", "/sys/fs/cgroup"])
    if fs == "cgroup2fs":
        cgroup = "v2 (unified)"
    elif os.path.isdir("/sys/fs/cgroup/unified"):
        cgroup = "hybrid (v1 controllers, memory on v1)"
    else:
        cgroup = "v1"
    model = ""
    for line in _read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    rev = _out(["git", "rev-parse", "--short=12", "HEAD"], cwd=repo)
    if _out(["git", "status", "--porcelain", "--untracked-files=no"], cwd=repo):
        rev += " (with uncommitted changes)"
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "ram_gib": mem_kib / 1048576,
        "kernel": platform.release(),
        "cgroup": cgroup,
        "node": _out([node, "--version"]),
        "pm2": pm2_version,
        "systemd": _out(["/lib/systemd/systemd", "--version"]).splitlines()[0:1],
        "rev": rev,
    }


# --- numbers -------------------------------------------------------------------------

def _nums(samples):
    return isinstance(samples, list) and len(samples) > 0


def med(samples):
    return statistics.median(samples)


def cell(samples, scale=1.0, digits=2, unit=""):
    """`median (min–max)` or the reason it was not measured."""
    if isinstance(samples, str):
        return samples
    if not _nums(samples):
        return "not measured"
    values = [s * scale for s in samples]
    fmt = f"{{:.{digits}f}}"
    if len(values) == 1:
        return fmt.format(values[0]) + unit
    return (f"{fmt.format(med(values))}{unit} "
            f"({fmt.format(min(values))}–{fmt.format(max(values))})")


def ratio(pm2, ours, higher_is_better=False):
    """How many times better ecosystemd is than PM2 (PM2 ÷ ours for costs)."""
    if not (_nums(pm2) and _nums(ours)):
        return "–"
    a, b = med(pm2), med(ours)
    if higher_is_better:
        a, b = b, a
    if b == 0:
        return "∞" if a > 0 else "–"
    return f"{a / b:.1f}×"


# --- the section ---------------------------------------------------------------------

def render(r):
    """(markdown section, SVG text)."""
    lines = [SECTION, ""]
    m = r.get("machine", {})
    cfg = r["config"]
    lines += [
        "The same small Node HTTP agents (`benches/pm2/agent.js`) under PM2 and under "
        "systemd with ecosystemd, on the same machine, in one run of "
        "`benches/pm2/run.py`" + (" **--quick (a harness check, not a result)**"
                                  if cfg["quick"] else "") + ".",
        "",
        "### Machine and versions",
        "",
        f"- Run: {r.get('started')}, {r.get('duration_s', 0) / 60:.1f} min; load average "
        f"(1/5/15 min) {' '.join(r.get('loadavg_start', []))} at the start, "
        f"{' '.join(r.get('loadavg_end', []))} at the end (the machine is shared: "
        "compilers run beside the benchmark, so times carry noise).",
        f"- CPU: {m.get('cpus')} × {m.get('cpu_model')}; RAM {m.get('ram_gib', 0):.1f} GiB; "
        f"kernel {m.get('kernel')}; cgroup {m.get('cgroup')}.",
        f"- node {m.get('node')}, PM2 {m.get('pm2')}, "
        f"{' '.join(m.get('systemd', [])) or 'systemd ?'}, ecosystemd {m.get('rev')}.",
        f"- systemd side: {r.get('systemd_how', 'not run')}; "
        + ("every ecosystemd binary measured was built from this revision."
           if not r.get("missing") else
           "not built yet: " + ", ".join(sorted(set(r["missing"].values()))) + "."),
        "",
    ]
    lines += _method(r)
    lines += _main_table(r)
    lines += _report_table(r)
    lines += _limit_tables(r)
    lines += _restart_table(r)
    lines += _goals(r)
    if r.get("notes"):
        lines += ["### Run notes", ""] + [f"- {n}" for n in r["notes"]] + [""]
    if os.path.exists(NOTES):
        lines += [_read(NOTES).strip(), ""]
    return "\n".join(lines).rstrip() + "\n", plot(r)


def _method(r):
    cfg = r["config"]
    lim = r.get("limit_settings", {})
    crash = r.get("crash_settings", {})
    return [
        "### Method",
        "",
        f"- Each figure is `median (min–max)` over {cfg['reps']} repetitions unless "
        f"said otherwise; reports over {cfg['report_reps']}. Agents listen on 127.0.0.1 "
        "only. systemd runs as PID 1 of a private PID and mount namespace (the project's "
        "test sandbox), sharing the host's kernel, network and disk. PM2 runs from its "
        "own folder with its own `PM2_HOME` and a minimal environment (`PATH`, `HOME`, "
        "`PM2_HOME`, `LANG`), which PM2 copies into every app and into `pm2 jlist`.",
        "- Start-up: from the command that starts the fleet (`pm2 start ecosystem.config.js` "
        "with the daemon already up; on the systemd side `systemctl start` of the installed "
        "group's target, the everyday start at boot or after a stop) until every agent has "
        "answered an HTTP GET, and until every port has accepted a TCP connection (a socket "
        "systemd holds accepts before the agent answers); the ports are polled from the "
        "moment the command begins. The first-deploy rows time `gen-units FILE | gen-units "
        "install --now` into the same sandbox instead (render, write, `daemon-reload`, "
        "start), which `pm2 start` has no counterpart of. The baseline starts the same "
        "`node agent.js` processes directly. "
        + (f"The agents' folder belongs to an ordinary user (`{r['systemd_user']}`), as a "
           "project belongs to the user who ran `pm2 start`, so the units run as that user "
           "under the default profile (`standard`)." if r.get("systemd_user") else ""),
        "- Memory: `Rss` and `Pss` from `/proc/PID/smaps_rollup`, in MiB, sampled "
        f"{cfg['memory_samples']} times a second apart with the fleet up and idle, each "
        "fleet alone on the machine (PSS shares pages between the processes that map them, "
        "so fleets are never measured side by side). PID 1 is systemd's own share; it runs "
        "anyway, so its growth from an empty sandbox to N loaded units is the fair "
        "comparison.",
        "- Report latency: wall-clock time of `pm2 jlist`, of the usual monitor script "
        "(`monitor.js`: `execFileSync('pm2', ['jlist'])`, totals, top 10 by memory, over "
        "120 MB, not online) and of `unit-watchdog report --format json`, each timed where "
        "it runs by the same harness (`timing.py`: one `subprocess.run` per run), the report "
        "inside the sandbox, as root (so on systemd's private socket), reading its restarts "
        "in the window from the journal (`--restarts-from journal`, as cron runs it without "
        "`unit-watchdog run`; the watchdog's history is the cheaper source). Each side is "
        "timed once the machine has settled after its fleet's start (its CPUs idle 80 % of "
        "a second, at most 2 minutes of waiting), so neither is timed during a start-up.",
        "- Recovery: `kill -9` of an agent's process until the agent answers HTTP again, "
        "with the same restart delay on both sides (PM2 `restart_delay: 100`, "
        "`RestartSec=100ms`), on different agents.",
        f"- Idle CPU: utime + stime of each supervisor (and of its agents) over "
        f"{cfg['idle_window_s']} s, the three fleets of {cfg['fleet_sizes'][0]} up at once "
        f"and idle; median (min–max) over {cfg['idle_slices']} equal slices of that window, "
        "in % of one core (one clock tick, the kernel's unit of CPU time, is "
        f"{100 / (os.sysconf('SC_CLK_TCK') * cfg['idle_window_s'] / cfg['idle_slices']):.2f} % "
        "of a slice: 0.00 means not one tick).",
        f"- Memory limit: {cfg['grow_agents']} agents grow by {lim.get('rate')} MiB/s, "
        f"starting {cfg['grow_stagger_s']} s apart (so they meet PM2's "
        f"{lim.get('pm2_interval_s')} s memory check at different phases"
        + (", shortened through `PM2_WORKER_INTERVAL` for --quick" if cfg["quick"] else "")
        + "), with "
        f"`max_memory_restart: {lim.get('limit')}` (`MemoryMax=` on the systemd side); "
        "RSS is sampled every 20–30 ms until the supervisor replaces the process.",
        f"- Crash loop: {cfg['crash_agents']} agents exit {crash.get('exit_after_ms')} ms "
        f"after start, with `max_restarts: {crash.get('max_restarts')}` and "
        f"`restart_delay: {crash.get('restart_delay_ms')}` (and the units rendered from "
        "the same; `unit-watchdog run` is not running here, so the units' own start limit "
        "is measured), observed until both supervisors stop them or the observation window "
        "ends.",
        f"- Restarts under load: {cfg.get('load_clients', 8)} clients make HTTP GETs on "
        f"127.0.0.1 (a new connection each) for {cfg.get('load_s', 20)} s, with the "
        f"restart {cfg.get('restart_at_s', 5)} s in; refused = connection refused, failed = "
        "reset, timeout or no answer. The cluster app runs "
        f"{cfg.get('cluster_instances', 4)} instances on one port (`exec_mode: cluster`): "
        "`pm2 reload cluster` against `unit-watchdog reload GROUP cluster`; the fork-mode "
        "app: `pm2 restart fork` against `systemctl restart GROUP-fork.service`; "
        f"{cfg.get('restart_reps', 3)} restarts of each kind. The spread: answers per "
        "instance under the same load, with nothing restarting.",
        "",
    ]


def _mem(r, n, variant, who, kind):
    samples = r["memory"].get(str(n), {}).get(variant, {}).get(who)
    if not samples:
        return None
    return [s[0 if kind == "rss" else 1] for s in samples]


def _main_table(r):
    lines = ["### Results", "",
             "Ratio columns: PM2's figure ÷ ecosystemd's (above 1: ecosystemd is faster "
             "or smaller).", "",
             "| measure | " + " | ".join(LABELS[v] for v in LABELS) +
             " | PM2 defaults ÷ ecosystemd | PM2 pmx:false ÷ ecosystemd |",
             "|---|---|---|---|---|---|---|"]

    def row(name, values, digits=2):
        cells = [cell(values.get(v, "–"), digits=digits) for v in LABELS]
        lines.append(f"| {name} | " + " | ".join(cells) + " | "
                     + ratio(values.get("pm2"), values.get("systemd")) + " | "
                     + ratio(values.get("pm2-nopmx"), values.get("systemd")) + " |")

    for n, per in sorted(r["startup"].items(), key=lambda kv: int(kv[0])):
        row(f"start-up: {n} agents answering HTTP (s)", per)
        row("… until every port accepts a connection (s)",
            r.get("startup_accept", {}).get(n, {}))
        row("… of which the start command (s)", r.get("startup_command", {}).get(n, {}))
        only = {"node": "–", "pm2": "–", "pm2-nopmx": "–"}
        plain = r.get("startup_plain", {}).get(n)
        if plain:
            row("the same units with `hardening: none`: every agent answering (s)",
                {**only, "systemd": plain["serving"]})
        deploy = r.get("startup_deploy", {}).get(n)
        if deploy:
            row("first deploy (render, `install --now`): every agent answering (s)",
                {**only, "systemd": deploy["serving"]})
            row("… until every port accepts a connection (s)",
                {**only, "systemd": deploy["accept"]})
    missing = r.get("missing", {})
    for n in sorted(r["memory"], key=int):
        for kind in ("rss", "pss"):
            k = kind.upper()
            sup = {v: _mem(r, n, v, "daemon", kind) for v in ("pm2", "pm2-nopmx")}
            dog = _mem(r, n, "systemd", "watchdog", kind)
            sup["systemd"] = dog or ("not measured: " + missing["run"] if "run" in missing
                                     else "not measured")
            sup["node"] = "–"
            row(f"supervisor {k}, {n} agents (MiB): PM2 daemon / `unit-watchdog run`", sup, 1)
            pid1 = _mem(r, n, "systemd", "pid1", kind)
            empty = r["memory"].get(n, {}).get("pid1-empty")
            if pid1:
                row(f"systemd PID 1 {k}, {n} units loaded (MiB)",
                    {"systemd": pid1, "node": "–", "pm2": "–", "pm2-nopmx": "–"}, 1)
            if pid1 and empty:
                base = empty[0][0 if kind == "rss" else 1]
                row(f"systemd PID 1 {k} growth from empty to {n} units (MiB)",
                    {"systemd": [p - base for p in pid1], "node": "–", "pm2": "–",
                     "pm2-nopmx": "–"}, 1)
            agents = {v: _mem(r, n, v, "agents", kind) for v in LABELS}
            row(f"all {n} agents, summed {k} (MiB)", agents, 0)
    rec = r.get("recovery", {})
    if rec:
        row("recovery after `kill -9` until HTTP answers (s)",
            {"node": "no supervisor", **{k: v for k, v in rec.items() if k in LABELS}}, 3)
        row("… of which until the new process exists (s)",
            {"node": "–", **{k: v for k, v in r.get("respawn", {}).items()
                              if k in LABELS}}, 3)
        if "systemd-plain" in rec:
            row("recovery, the same units without hardening (`hardening: none`) (s)",
                {"node": "–", "pm2": rec.get("pm2"), "pm2-nopmx": rec.get("pm2-nopmx"),
                 "systemd": rec["systemd-plain"]}, 3)
            row("… of which until the new process exists (s)",
                {"node": "–", "pm2": r["respawn"].get("pm2"),
                 "pm2-nopmx": r["respawn"].get("pm2-nopmx"),
                 "systemd": r["respawn"].get("systemd-plain")}, 3)
    idle = r.get("idle", {})
    if idle:
        sl = idle["slices"]
        sup = {"node": "–", "pm2": sl.get("pm2"), "pm2-nopmx": sl.get("pm2-nopmx"),
               "systemd": sl.get("watchdog") or ("not measured: " + idle.get(
                   "watchdog_missing", ""))}
        row(f"idle CPU of the supervisor, {idle['n']} agents (% of a core): PM2 daemon / "
            "`unit-watchdog run`", sup, 2)
        row("idle CPU of systemd PID 1 (% of a core)",
            {"node": "–", "pm2": "–", "pm2-nopmx": "–", "systemd": sl.get("systemd")}, 2)
        row(f"idle CPU of all {idle['n']} agents (% of a core)",
            {"node": "–", "pm2": sl.get("pm2 agents"), "pm2-nopmx": sl.get("pm2-nopmx agents"),
             "systemd": sl.get("systemd agents")}, 2)
    lines.append("")
    return lines


def _report_goal(rep):
    """The goal row: the report at least 10× faster than `pm2 jlist` at every size."""
    ratios, missing = [], []
    for n in sorted(rep, key=int):
        ours, jlist = rep[n].get("unit-watchdog report"), rep[n].get("pm2 jlist")
        if _nums(ours) and _nums(jlist):
            ratios.append((n, med(jlist) / med(ours)))
        else:
            why = ours if isinstance(ours, str) else "not measured"
            missing.append(f"{why} at {n}")
    measured = ", ".join([f"{x:.1f}× at {n}" for n, x in ratios] + missing)
    if not ratios:
        met = "–"
    else:
        met = "yes" if not missing and all(x >= 10 for _, x in ratios) else "no"
    return (f"| report ≥ 10× faster than `pm2 jlist` at every size | "
            f"{measured or 'not measured'} | {met} |")


def _report_run(r):
    """The line saying when the report latency was measured, if not in the main run."""
    run = r.get("report_run")
    if not run:
        return []
    return [f"Measured in a later run of its own (`--reports-only`): {run['started']}, "
            f"ecosystemd {run.get('rev')}; load average "
            f"{' '.join(run['loadavg_start'])} at the start, "
            f"{' '.join(run['loadavg_end'])} at the end.", ""]


def _report_table(r):
    rep = r.get("report", {})
    if not rep:
        return []
    lines = ["#### Report latency (ms)", "", *_report_run(r),
             f"![report latency against the number of agents]({PLOT})", "",
             "| agents | `pm2 jlist` | monitor script | `pm2 jlist` (pmx: false) | "
             "`unit-watchdog report` | `pm2 jlist` ÷ report | monitor script ÷ report |",
             "|---|---|---|---|---|---|---|"]
    for n in sorted(rep, key=int):
        x = rep[n]
        ours = x.get("unit-watchdog report", "not measured")
        lines.append(
            f"| {n} | {cell(x.get('pm2 jlist', 'not measured'), 1000, 0)} | "
            f"{cell(x.get('monitor script', 'not measured'), 1000, 0)} | "
            f"{cell(x.get('pm2 jlist (pmx: false)', '–'), 1000, 0)} | "
            f"{cell(ours, 1000, 1)} | "
            f"{ratio(x.get('pm2 jlist'), ours)} | {ratio(x.get('monitor script'), ours)} |")
    lines.append("")
    return lines


def _restart_cell(runs, key):
    if isinstance(runs, str):
        return runs
    if not runs:
        return "not measured"
    values = [run[key] for run in runs]
    return " / ".join(str(v) for v in values)


def _spread_cell(by_instance):
    if not by_instance:
        return "not measured"
    total = sum(by_instance.values())
    shares = sorted((100 * n / total for n in by_instance.values()), reverse=True)
    return f"{len(shares)} instances: " + " / ".join(f"{x:.0f}" for x in shares) + " %"


def _restart_table(r):
    res = r.get("restarts", {})
    if not res:
        return []
    pm2, ours = res.get("pm2", {}), res.get("systemd", {})
    lines = ["#### Restarts under load", "",
             "Each cell lists every restart of the run (failed / refused requests per restart).",
             "",
             "| measure | PM2 | systemd + ecosystemd |", "|---|---|---|"]
    for kind, label in (("reload", "rolling reload of the cluster app"),
                        ("restart", "restart of the fork-mode app")):
        for key in ("failed", "refused", "ok"):
            lines.append(f"| {label}: {key} requests | "
                         f"{_restart_cell(pm2.get(kind), key)} | "
                         f"{_restart_cell(ours.get(kind), key)} |")
    for kind, label in (("reload", "`pm2 reload` / `unit-watchdog reload`"),
                        ("restart", "`pm2 restart` / `systemctl restart`")):
        cells = []
        for runs in (pm2.get(kind), ours.get(kind)):
            if isinstance(runs, list) and runs:
                cells.append(" / ".join(f"exit {run['action'][0]}, {run['action'][1]:.1f} s"
                                        for run in runs))
            else:
                cells.append("–")
        lines.append(f"| {label}: the command's exit status and duration | "
                     f"{cells[0]} | {cells[1]} |")
    lines.append("| answers per instance, steady load (share of the answers) | "
                 f"{_spread_cell(pm2.get('spread'))} | {_spread_cell(ours.get('spread'))} |")
    lines.append("")
    return lines


def _limit_tables(r):
    lines = []
    lim = r.get("limit")
    if lim:
        limit = r["limit_settings"]["limit"]
        measure = {"pm2": "the process's RSS, polled", "systemd": "the unit's cgroup "
                   "memory charge, by the kernel"}
        own = {"pm2": "peak_rss_mib", "systemd": "peak_charge_mib"}
        lines += [f"#### Memory limit ({limit}), per agent", "",
                  "| supervisor | what it limits | agents stopped | peak of what it limits "
                  "(MiB) | peak RSS (MiB) | peak anonymous memory (MiB) | time over the limit "
                  "before it acted (s) |", "|---|---|---|---|---|---|---|"]
        for who in ("pm2", "systemd"):
            rows = lim.get(who, [])
            over = [x["over_s"] for x in rows if x["over_s"] is not None]
            never = sum(1 for x in rows if x["over_s"] is None)
            over_cell = cell(over, digits=1) if over else "–"
            if never:
                over_cell += f"; {never} still over when observation ended"
            peaks = [x[own[who]] for x in rows if x[own[who]] is not None]
            lines.append(
                f"| {LABELS[who]} | {measure[who]} | {sum(x['acted'] for x in rows)} of "
                f"{len(rows)} | {cell(peaks, digits=0)} | "
                f"{cell([x['peak_rss_mib'] for x in rows], digits=0)} | "
                f"{cell([x['peak_anon_mib'] for x in rows], digits=0)} | {over_cell} |")
        lines.append("")
    crash = r.get("crash")
    if crash:
        s = r["crash_settings"]
        lines += [f"#### Crash loop (exit after {s['exit_after_ms']} ms, max_restarts "
                  f"{s['max_restarts']}, restart_delay {s['restart_delay_ms']} ms), per agent",
                  "",
                  "| supervisor | starts seen | restarts (starts − 1) | its own counter | "
                  "loop stopped? | final states |", "|---|---|---|---|---|---|"]
        for who in ("pm2", "systemd"):
            c = crash[who]
            stopped = (f"yes, {c['stopped_after_s']:.0f} s after start"
                       if c["stopped_after_s"] is not None
                       else f"no: still restarting after {c['observed_s']:.0f} s")
            states = ", ".join(sorted(set(c["states"])))
            if who == "pm2" and c.get("errored_lines"):
                states += f" (pm2.log: {c['errored_lines']} × \"too many unstable restarts\")"
            lines.append(f"| {LABELS[who]} | {cell(c['launches'], digits=0)} | "
                         f"{cell([x - 1 for x in c['launches']], digits=0)} | "
                         f"{cell(c['counter'], digits=0)} ({'restart_time' if who == 'pm2' else 'NRestarts'}) | "
                         f"{stopped} | {states} |")
        lines.append("")
    return lines


def _goals(r):
    lines = ["### Goals", "", "| goal | measured | met? |", "|---|---|---|"]
    first = str(r["config"]["fleet_sizes"][0])
    lines.append(_report_goal(r.get("report", {})))
    dog = _mem(r, first, "systemd", "watchdog", "rss")
    daemon = _mem(r, first, "pm2", "daemon", "rss")
    if dog:
        lines.append(f"| `unit-watchdog run` RSS ≤ 10 MiB (PM2 daemon: "
                     f"{cell(daemon, digits=1)} MiB) | {med(dog):.1f} MiB | "
                     f"{'yes' if med(dog) <= 10 else 'no'} |")
    else:
        why = r.get("missing", {}).get("run", "did not run")
        lines.append(f"| `unit-watchdog run` RSS ≤ 10 MiB | not measured: {why} | – |")
    rec = r.get("recovery", {})
    if _nums(rec.get("systemd")) and _nums(rec.get("pm2")):
        a, b = med(rec["systemd"]), med(rec["pm2"])
        lines.append(f"| restart after `kill -9` no slower than PM2's at equal delay | "
                     f"{a * 1000:.0f} ms vs {b * 1000:.0f} ms | {'yes' if a <= b else 'no'} |")
    lim = r.get("limit", {}).get("systemd")
    if lim:
        limit = r["limit_settings"]["limit"]
        charges = [x["peak_charge_mib"] for x in lim if x["peak_charge_mib"] is not None]
        over = [x["over_s"] for x in lim]
        ok = all(x["acted"] for x in lim) and all(o == 0.0 for o in over) and charges
        peak = f"highest cgroup charge {max(charges):.1f} MiB" if charges else "no charge read"
        lines.append(f"| memory limit enforced at the limit ({limit}), no polling lag | "
                     f"{peak}; {sum(1 for o in over if o != 0.0)} of {len(lim)} agents over "
                     f"it at any sample | {'yes' if ok else 'no'} |")
    crash = r.get("crash", {}).get("systemd")
    if crash:
        want = r["crash_settings"]["max_restarts"]
        restarts = [x - 1 for x in crash["launches"]]
        ok = crash["stopped_after_s"] is not None and all(x == want for x in restarts)
        lines.append(f"| crash loop stopped at the configured count ({want} restarts) | "
                     f"restarts seen {', '.join(map(str, restarts))}; "
                     f"{'stopped' if crash['stopped_after_s'] is not None else 'not stopped'} "
                     f"| {'yes' if ok else 'no'} |")
    st = r.get("startup", {}).get(first, {})
    if _nums(st.get("systemd")) and _nums(st.get("node")):
        a, b = med(st["systemd"]), med(st["node"])
        lines.append(f"| all {first} agents serving no later than {first} plain `node` "
                     f"processes | {a:.2f} s vs {b:.2f} s | {'yes' if a <= b else 'no'} |")
        plain = r.get("startup_plain", {}).get(first, {}).get("serving")
        if _nums(plain):
            c = med(plain)
            lines.append(f"| … the same units with `hardening: none` | {c:.2f} s vs {b:.2f} s "
                         f"| {'yes' if c <= b else 'no'} |")
    acc = r.get("startup_accept", {}).get(first, {}).get("systemd")
    if _nums(acc):
        lines.append(f"| every port of the {first} agents accepting within 0.5 s | "
                     f"{med(acc):.2f} s | {'yes' if med(acc) <= 0.5 else 'no'} |")
    reload = r.get("restarts", {}).get("systemd", {}).get("reload")
    if isinstance(reload, list) and reload:
        lost = [run["failed"] + run["refused"] for run in reload]
        ok = all(run["action"][0] == 0 for run in reload)
        lines.append("| rolling reload of a graceful cluster app loses no request | "
                     f"{' / '.join(map(str, lost))} lost per reload; "
                     f"`unit-watchdog reload` {'exit 0' if ok else 'failed'} | "
                     f"{'yes' if ok and not any(lost) else 'no'} |")
    lines.append("")
    return lines


# --- the plot ------------------------------------------------------------------------

def plot(r):
    """An SVG of report latency (log scale) against the number of agents."""
    rep = r.get("report", {})
    series = [("pm2 jlist", "#c0392b"), ("monitor script", "#e67e22"),
              ("unit-watchdog report", "#2471a3")]
    ns = sorted(int(n) for n in rep)
    w, h, left, right, top, bottom = 640, 400, 70, 190, 30, 50
    values = [v * 1000 for n in rep.values() for k, _ in series
              if _nums(n.get(k)) for v in n[k]]
    if not ns or not values:
        return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="80">'
                '<text x="10" y="40">no report latency measured</text></svg>\n')
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    x_lo, x_hi = 0, max(ns) * 1.12

    def x(n):
        return left + (n - x_lo) / (x_hi - x_lo) * (w - left - right)

    def y(ms):
        return top + (math.log10(hi) - math.log10(ms)) / (math.log10(hi) - math.log10(lo)) \
            * (h - top - bottom)

    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="14">Report latency against the number of '
           'agents (median, min–max)</text>']
    decade = lo
    while decade <= hi:
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{y(decade):.1f}" '
                   f'y2="{y(decade):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{y(decade) + 4:.1f}" text-anchor="end">'
                   f'{decade:g} ms</text>')
        decade *= 10
    for n in ns:
        out.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{top}" y2="{h - bottom}" '
                   'stroke="#eee"/>')
        out.append(f'<text x="{x(n):.1f}" y="{h - bottom + 16}" text-anchor="middle">'
                   f'{n}</text>')
    out.append(f'<text x="{(left + w - right) / 2:.0f}" y="{h - 12}" text-anchor="middle">'
               'agents</text>')
    out.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{h - bottom}" stroke="#333"/>')
    out.append(f'<line x1="{left}" x2="{w - right}" y1="{h - bottom}" y2="{h - bottom}" '
               'stroke="#333"/>')
    for i, (key, colour) in enumerate(series):
        points = []
        for n in ns:
            s = rep[str(n)].get(key)
            if _nums(s):
                ms = [v * 1000 for v in s]
                points.append((x(n), y(med(ms))))
                out.append(f'<line x1="{x(n):.1f}" x2="{x(n):.1f}" y1="{y(min(ms)):.1f}" '
                           f'y2="{y(max(ms)):.1f}" stroke="{colour}"/>')
                out.append(f'<circle cx="{x(n):.1f}" cy="{y(med(ms)):.1f}" r="3.5" '
                           f'fill="{colour}"/>')
            elif isinstance(s, str):
                word = "✕ failed" if s.startswith("failed") else "not measured"
                out.append(f'<text x="{x(n):.1f}" y="{top + 14 + 14 * i}" fill="{colour}" '
                           f'text-anchor="middle">{word}</text>')
        if len(points) > 1:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
            out.append(f'<polyline points="{path}" fill="none" stroke="{colour}" '
                       'stroke-width="2"/>')
        ly = top + 20 + 22 * i
        out.append(f'<line x1="{w - right + 15}" x2="{w - right + 35}" y1="{ly}" y2="{ly}" '
                   f'stroke="{colour}" stroke-width="3"/>')
        out.append(f'<text x="{w - right + 40}" y="{ly + 4}">{key}</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


# --- writing -------------------------------------------------------------------------

def write(out_dir, section, svg):
    """Replaces (or appends) this section of BENCHMARKS.md; writes the plot."""
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "BENCHMARKS.md")
    text = _read(path) if os.path.exists(path) else "# Benchmarks\n"
    start = text.find(SECTION + "\n")
    if start >= 0:
        after = text.find("\n## ", start + len(SECTION))
        rest = text[after + 1:] if after >= 0 else ""
        text = text[:start] + section + ("\n" + rest if rest else "")
    else:
        text = text.rstrip() + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)
    plot_path = os.path.join(out_dir, PLOT)
    os.makedirs(os.path.dirname(plot_path), exist_ok=True)
    with open(plot_path, "w") as f:
        f.write(svg)
