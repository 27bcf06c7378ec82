"""Filters of the fleet report: every host's `unit-watchdog report --format json` as one
list of rows with a host column, and those rows as a table."""

import json

COLUMNS = "%-16s %-36s %-20s %10s %8s  %s"


def fleet_rows(reports):
    """`reports`: {host: report JSON text}. One row per unit, sorted by host and unit."""
    rows = []
    for host in sorted(reports):
        for unit in json.loads(reports[host])["units"]:
            rows.append({
                "host": host,
                "unit": unit["name"],
                "ecosystem": unit["ecosystem"],
                "app": unit["app"],
                "active_state": unit["active_state"],
                "sub_state": unit["sub_state"],
                "memory_bytes": unit["memory_bytes"],
                "restarts_total": unit["restarts_total"],
                "issues": [issue["kind"] for issue in unit["issues"]],
            })
    return rows


def fleet_table(rows):
    """The rows as an aligned table, one line per unit, with a summary line."""
    lines = [COLUMNS % ("HOST", "UNIT", "STATE", "MEMORY", "RESTARTS", "ISSUES")]
    for row in rows:
        memory = "-" if row["memory_bytes"] is None else "%.1fM" % (row["memory_bytes"] / 1048576)
        lines.append(COLUMNS % (row["host"], row["unit"], row["active_state"] + "/" + row["sub_state"],
                                memory, row["restarts_total"], ",".join(row["issues"]) or "-"))
    hosts = len({row["host"] for row in rows})
    attention = sum(1 for row in rows if row["issues"])
    lines.append("%d units on %d hosts, %d needing attention" % (len(rows), hosts, attention))
    return lines


class FilterModule:
    def filters(self):
        return {"fleet_rows": fleet_rows, "fleet_table": fleet_table}
