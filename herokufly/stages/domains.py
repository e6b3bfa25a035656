"""domains: a Fly certificate for each custom Heroku domain, and the DNS records to set.

herokufly never touches DNS: it prints the records Fly asks for (`fly certs check --json`,
which since flyctl v0.4.11 comes from the Machines API in snake_case) and each certificate's status.
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


# flyctl decides apex vs subdomain with publicsuffix.EffectiveTLDPlusOne
# (internal/command/certificates/root.go printDNSOptions). Without the full public suffix
# list here, these common two-label suffixes stand in for it (assumption; docs/flyctl-calls.md).
_TWO_LABEL_SUFFIXES = {
    "co.uk", "org.uk", "ac.uk", "gov.uk", "me.uk", "ltd.uk", "plc.uk", "com.au", "net.au", "org.au",
    "co.nz", "org.nz", "co.jp", "ne.jp", "or.jp", "com.br", "net.br", "com.mx", "co.za", "co.in",
    "com.sg", "com.cn", "com.tw", "com.hk", "co.kr", "com.ar", "com.tr", "co.il", "com.es", "co.id",
}


def is_apex(host: str) -> bool:
    labels = host.lower().rstrip(".").split(".")
    suffix_len = 2 if ".".join(labels[-2:]) in _TWO_LABEL_SUFFIXES else 1
    return len(labels) == suffix_len + 1


def dns_records(cert: dict) -> list[dict]:
    """The DNS records for one certificate, from `fly certs check --json` (fly-go
    CertificateDetailResponse.dns_requirements): an apex gets A/AAAA and the ownership TXT,
    a subdomain a CNAME; the ACME challenge CNAME lets the certificate issue before traffic moves."""
    host = cert.get("hostname", "")
    req = cert.get("dns_requirements") or {}
    apex = is_apex(host)
    records = []
    if apex or not req.get("cname"):
        records += [{"type": "A", "name": host, "value": ip} for ip in req.get("a") or []]
        records += [{"type": "AAAA", "name": host, "value": ip} for ip in req.get("aaaa") or []]
    else:
        records.append({"type": "CNAME", "name": host, "value": req["cname"]})
    ownership = req.get("ownership") or {}
    if ownership.get("name") and ownership.get("app_value"):
        # flyctl: required when the app has no IPv6 address or traffic goes through a CDN/proxy
        records.append({"type": "TXT", "name": ownership["name"], "value": ownership["app_value"],
                        "optional": not apex and bool(req.get("aaaa"))})
    acme = req.get("acme_challenge") or {}
    if acme.get("name") and acme.get("target"):
        records.append({"type": "CNAME", "name": acme["name"], "value": acme["target"],
                        "optional": not host.startswith("*.")})
    return records


def run(ctx: StageContext) -> StageResult:
    opts, fly, state = ctx.options, ctx.fly, ctx.state
    hosts = custom_domains(ctx.plan)
    if not hosts:
        return StageResult("skipped", "skipped: the Heroku app has no custom domains")
    existing = {(c.get("hostname") or "").lower() for c in fly.certs(opts.fly_app)}
    added = []
    for host in hosts:
        if host not in existing:
            fly.add_cert(opts.fly_app, host)
            added.append(host)
    domains = []
    for host in hosts:
        cert = fly.check_cert(opts.fly_app, host)
        records = dns_records(cert)
        status = cert.get("status") or "unknown"
        domains.append({"hostname": host, "status": status, "records": records})
        ctx.say(f"{host}: certificate {status}; set these DNS records:")
        if not any(r["type"] in ("A", "AAAA", "CNAME") and r["name"] == host for r in records):
            ctx.say("  (Fly shows no address for it yet: the app has no public IP; run `fly ips allocate-v6`)")
        for r in records:
            note = " (optional)" if r.get("optional") else ""
            ctx.say(f"  {r['type']:5} {r['name']} -> {r['value']}{note}")
    state.stage(NAME)["domains"] = domains
    state.save()
    details = {"domains": domains, "added": added}
    if added:
        return StageResult("done", f"added certificates for {', '.join(added)}; set the DNS records shown",
                           [f"added certificate {h}" for h in added], details)
    return StageResult("unchanged", f"certificates for {', '.join(hosts)} already exist; nothing to do", details=details)
