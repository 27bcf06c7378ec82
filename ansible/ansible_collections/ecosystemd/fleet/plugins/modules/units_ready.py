"""Waits until every service a group target wants is up and stays up."""

import time

from ansible.module_utils.basic import AnsibleModule

DOCUMENTATION = r"""
module: units_ready
short_description: Wait until an ecosystem's services are ready
description:
  - Reads the services the group target wants (its apps that start with it) and waits
    until each one is active (running, or exited for a oneshot) and stays so, without
    a restart, for I(settle) seconds. Fails after I(timeout) seconds naming each unit
    that is not ready, with its state and last journal lines.
options:
  target:
    description: The group's target unit (for example C(shop.target)).
    type: str
    required: true
  timeout:
    description: Seconds to wait in all.
    type: float
    default: 60
  settle:
    description: Seconds every unit must stay active without a restart.
    type: float
    default: 5
"""

PROPERTIES = ["Id", "ActiveState", "SubState", "Result", "NRestarts"]


def show(module, units, properties):
    """`systemctl show` of `units`: one dict per unit, in order."""
    if not units:
        return []
    rc, out, err = module.run_command(
        ["systemctl", "show", "--property=" + ",".join(properties), "--", *units])
    if rc != 0:
        module.fail_json(msg="systemctl show failed: %s" % err.strip())
    blocks = [b for b in out.strip("\n").split("\n\n")]
    return [dict(line.split("=", 1) for line in b.splitlines() if "=" in line) for b in blocks]


def is_up(state):
    return state.get("ActiveState") == "active" and state.get("SubState") in ("running", "exited")


def journal(module, unit):
    _, out, _ = module.run_command(["journalctl", "-u", unit, "-n", "5", "--no-pager", "-o", "cat"])
    return out.strip().splitlines()


def main():
    module = AnsibleModule(
        argument_spec=dict(
            target=dict(type="str", required=True),
            timeout=dict(type="float", default=60),
            settle=dict(type="float", default=5),
        ),
        supports_check_mode=True,
    )
    params = module.params
    wants = show(module, [params["target"]], ["Wants"])[0].get("Wants", "").split()
    services = sorted(u for u in wants if u.endswith(".service"))
    if module.check_mode:
        module.exit_json(changed=False, units=services)
    deadline = time.monotonic() + params["timeout"]
    stable_since, restarts, states = None, None, []
    while True:
        states = show(module, services, PROPERTIES)
        now = time.monotonic()
        counts = {s.get("Id"): s.get("NRestarts") for s in states}
        if all(is_up(s) for s in states) and (restarts is None or counts == restarts):
            if stable_since is None:
                stable_since, restarts = now, counts
            elif now - stable_since >= params["settle"]:
                module.exit_json(changed=False, units=services)
        else:
            stable_since, restarts = None, None
        if now > deadline:
            break
        time.sleep(0.5)
    not_ready = [s for s in states if not is_up(s)] or states
    failed = [
        dict(unit=s.get("Id"), active_state=s.get("ActiveState"), sub_state=s.get("SubState"),
             result=s.get("Result"), restarts=s.get("NRestarts"), journal=journal(module, s.get("Id")))
        for s in not_ready
    ]
    module.fail_json(
        msg="not ready after %gs: %s" % (params["timeout"], ", ".join(
            "%s (%s/%s, %s restarts)" % (f["unit"], f["active_state"], f["sub_state"], f["restarts"])
            for f in failed)),
        not_ready=failed, units=services)


if __name__ == "__main__":
    main()
