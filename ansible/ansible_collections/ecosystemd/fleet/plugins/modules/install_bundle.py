"""Puts an ecosystemd bundle live with `gen-units install`, reporting what changed."""

import re

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: install_bundle
short_description: Install an ecosystemd bundle with gen-units install
description:
  - Runs C(gen-units install --from BUNDLE --now) and reports changed only when the
    install added, changed or removed a file. In check mode it runs C(--dry-run)
    instead and says what would change.
  - Returns the bundle's group target, for M(ecosystemd.fleet.units_ready).
options:
  bundle:
    description: The bundle on the host (the output of C(gen-units --host NAME FILE)).
    type: path
    required: true
  gen_units:
    description: The gen-units program on the host.
    type: str
    default: gen-units
  now:
    description: Enable and start the group target, restart the units whose files changed.
    type: bool
    default: true
  reset_failed:
    description:
      - Before installing, forget the failed state of the bundle's units (C(systemctl
        reset-failed)), so that units stopped by their start limit start again with
        the group target.
    type: bool
    default: true
"""

# The summary line of `gen-units install` (src/install/diff.rs, Diff::describe).
SUMMARY = re.compile(r"(\d+) to add, (\d+) to change, (\d+) to remove, (\d+) unchanged")
VERBS = ("add ", "change ", "remove ")


def bundle_units(path):
    """The unit names of the bundle at `path`, read by its headers' lengths."""
    with open(path, "rb") as f:
        data = f.read()
    units, at = [], data.find(b"\n") + 1
    while at and data.startswith(b"#--- ", at):
        end = data.find(b"\n", at)
        fields = data[at:end].decode().split(" ")
        if fields[1] == "end":
            break
        kind, name, length = fields[1], fields[2], int(fields[4])
        if kind == "unit":
            units.append(name)
        at = end + 1 + length
    return units


def main():
    module = AnsibleModule(
        argument_spec=dict(
            bundle=dict(type="path", required=True),
            gen_units=dict(type="str", default="gen-units"),
            now=dict(type="bool", default=True),
            reset_failed=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    units = bundle_units(params["bundle"])
    if params["reset_failed"] and params["now"] and not module.check_mode:
        # Units not loaded (new ones) make it exit non-zero; the others are reset.
        module.run_command(["systemctl", "reset-failed", "--", *units])
    argv = [params["gen_units"], "install", "--from", params["bundle"]]
    if module.check_mode:
        argv.append("--dry-run")
    elif params["now"]:
        argv.append("--now")
    rc, out, err = module.run_command(argv)
    # --dry-run prints its report on stdout, an install on stderr.
    report = out if module.check_mode else err
    found = SUMMARY.search(report)
    files = [line for line in report.splitlines() if line.startswith(VERBS)]
    counts = dict(zip(("add", "change", "remove", "unchanged"), map(int, found.groups()))) if found else {}
    targets = [u for u in units if u.endswith(".target")]
    result = dict(
        changed=sum(counts.get(k, 0) for k in ("add", "change", "remove")) > 0,
        counts=counts,
        files=files,
        target=targets[0] if targets else None,
        rc=rc,
        stdout=out,
        stderr=err,
    )
    if module._diff:
        result["diff"] = dict(prepared="\n".join(files) + "\n" if files else "")
    if rc != 0 or not found:
        module.fail_json(msg="gen-units install failed (exit %d): %s" % (rc, err.strip()), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
