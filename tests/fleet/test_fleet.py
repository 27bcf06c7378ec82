"""The fleet test's own logic, and the collection's report filters (no hosts needed):
python3 -m unittest discover -s tests/fleet"""

import json
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "ansible", "ansible_collections", "ecosystemd",
                                "fleet", "plugins", "filter"))

import fleet  # noqa: E402  (the collection's filter plugin)
import run  # noqa: E402


class Recap(unittest.TestCase):
    def test_counts_per_host(self):
        out = ("TASK [x] ***\nok: [a]\n\nPLAY RECAP ***\n"
               "fleet-1                    : ok=16   changed=1    unreachable=0    failed=0\n"
               "fleet-2                    : ok=3    changed=0    unreachable=0    failed=1\n")
        counts = run.recap(out)
        self.assertEqual(counts["fleet-1"]["changed"], 1)
        self.assertEqual(counts["fleet-2"]["failed"], 1)
        self.assertEqual(sorted(counts), ["fleet-1", "fleet-2"])


class Scenario(unittest.TestCase):
    def test_twelve_apps_four_per_host(self):
        where = run.expected(run.apps())
        self.assertEqual(len(where), 12)
        for host in run.HOSTS:
            self.assertEqual(sum(1 for h in where.values() if h == host), 4)

    def test_the_file_places_by_host_and_by_the_default_group(self):
        text = run.ecosystem(run.apps(), "v2", crash=True)
        self.assertIn("hosts: [workers]", text.splitlines()[3])
        self.assertEqual(text.count("hosts: [fleet-1]"), 4)
        self.assertEqual(text.count('"APP_CRASH": "1"'), 12)


class ReportFilters(unittest.TestCase):
    def unit(self, name, memory, issues=()):
        return {"name": name, "ecosystem": "fleet", "app": name.split("-")[1].split(".")[0],
                "active_state": "active", "sub_state": "running", "memory_bytes": memory,
                "restarts_total": 2, "issues": [{"kind": k, "message": ""} for k in issues]}

    def test_rows_carry_the_host_and_the_table_counts(self):
        reports = {
            "h2": json.dumps({"units": [self.unit("fleet-b.service", None, ["crash-loop"])]}),
            "h1": json.dumps({"units": [self.unit("fleet-a.service", 3 * 1048576)]}),
        }
        rows = fleet.fleet_rows(reports)
        self.assertEqual([(r["host"], r["app"]) for r in rows], [("h1", "a"), ("h2", "b")])
        table = fleet.fleet_table(rows)
        self.assertIn("3.0M", table[1])
        self.assertIn("crash-loop", table[2])
        self.assertEqual(table[-1], "2 units on 2 hosts, 1 needing attention")


if __name__ == "__main__":
    unittest.main()
