"""Granting an exemption through HR's page, with a reason that passes."""

REASON = "On parental leave until the end of June."


def grant_page(client, staff, policy, **fields):
    data = {"requirement": f"policy:{policy.id}", "reason": REASON, "until": "2026-06-30"}
    data.update(fields)
    return client.post(f"/compliance/hr/people/{staff.id}/exemptions/new", data=data)
