"""domains: a Fly certificate for each custom Heroku domain, and the DNS records to set.

herokufly never touches DNS: it prints the records (from flyctl's JSON and the
app's IPs) and each certificate's status.
"""

from __future__ import annotations

from herokufly.stages.base import StageContext, StageResult, field_of

NAME = "domains"


def custom_domains(plan: dict) -> list[str]:
    hosts = []
    for item in plan.get("domains") or []:
        host = item if isinstance(item, str) else field_of(item, "hostname")
        kind = None if isinstance(item, str) else field_of(item, "kind")
        if not host or kind == "heroku" or host.endswith((".herokuapp.com", ".herokudns.com")):
            continue
        hosts.append(host.lower())
    return sorted(set(hosts))


def dns_records(app: str, cert: dict, ips: list[dict]) -> list[dict]:
    host = cert.get("Hostname", "")
    v4 = next((ip["Address"] for ip in ips if ip.get("Type") in ("v4", "shared_v4")), None)
    v6 = next((ip["Address"] for ip in ips if ip.get("Type") == "v6"), None)
    records = []
    if cert.get("IsApex"):
        if v4:
            records.append({"type": "A", "name": host, "value": v4})
        if v6:
            records.append({"type": "AAAA", "name": host, "value": v6})
    else:
        records.append({"type": "CNAME", "name": host, "value": f"{app}.fly.dev"})
    if cert.get("DNSValidationHostname") and cert.get("DNSValidationTarget"):
        records.append({"type": "CNAME", "name": cert["DNSValidationHostname"],
                        "value": cert["DNSValidationTarget"], "optional": not cert.get("IsWildcard")})
    return records


def run(ctx: StageContext) -> StageResult:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    hosts = custom_domains(ctx.plan)
    if not hosts:
        return StageResult("skipped", "skipped: the Heroku app has no custom domains")
    existing = {c.get("Hostname", "").lower() for c in fly.certs(opts.fly_app)}
    added = []
    for host in hosts:
        if host not in existing:
            fly.add_cert(opts.fly_app, host)
            added.append(host)
    ips = fly.ips(opts.fly_app)
    domains = []
    for host in hosts:
        cert = fly.check_cert(opts.fly_app, host)
        records = dns_records(opts.fly_app, cert, ips)
        domains.append({"hostname": host, "status": cert.get("ClientStatus"), "records": records})
        ctx.say(f"{host}: certificate {cert.get('ClientStatus')}; set these DNS records:")
        for r in records:
            note = " (optional: lets the certificate issue before traffic moves)" if r.get("optional") else ""
            ctx.say(f"  {r['type']:5} {r['name']} -> {r['value']}{note}")
    state.stage(NAME)["domains"] = domains
    state.save()
    details = {"domains": domains, "added": added}
    if added:
        return StageResult("done", f"added certificates for {', '.join(added)}; set the DNS records shown",
                           [f"added certificate {h}" for h in added], details)
    return StageResult("unchanged", f"certificates for {', '.join(hosts)} already exist; nothing to do", details=details)
