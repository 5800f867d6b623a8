#!/usr/bin/python3
"""Renders the Helm chart and the kustomize overlays and checks the objects, offline.

- `helm lint --strict` passes with the default values and with values-production.yaml;
- four renders: `helm template` (default values: dev), `helm template -f values-production.yaml`,
  `kubectl kustomize deploy/overlays/dev` and `deploy/overlays/production`; in each:
  - per service (case-records, workbook, supervision, outcomes) exactly one Deployment, Service,
    ServiceAccount, ConfigMap, PodDisruptionBudget, HorizontalPodAutoscaler and NetworkPolicy;
    their selectors select the Deployment's pods (and no other service's); the HPA scales that
    Deployment; a default-deny NetworkPolicy covers every part-of=family-safeguarding pod;
  - every Deployment: requests and limits on every container, non-root (uid = the Dockerfile's
    USER), read-only root, no privilege escalation, ALL capabilities dropped, no service
    account token; gRPC startup/readiness/liveness probes on the port named `health`
    (= FS_HEALTH_PORT; liveness asks "liveness", readiness the server as a whole); ports
    grpc/metrics = FS_GRPC_PORT/FS_METRICS_PORT; the command is the Dockerfile's ENTRYPOINT;
    a migrate init container runs it with --migrate_only, with FS_DB_URL and
    FS_MIGRATION_DB_URL from Secrets, while the serving container never sees the owner's URL
    and has FS_MIGRATE_ON_START "false"; /tmp is an emptyDir;
  - the Service has a port named grpc (reaching the container's grpc port); the name match
    secret is mounted in case-records and outcomes only; FS_EVENT_SUBSCRIBERS and
    FS_EVENT_PRODUCERS are scripts/run-local.sh's wiring, and the NetworkPolicies let each
    producer reach its subscribers' gRPC port; no literal database URL, no Secret objects;
  - dev renders: FS_INSECURE_DEV_AUTH "true", no FS_TLS_*; production renders: FS_TLS_CERT/KEY/CA
    under a mounted, non-optional Secret "<name>-tls", no trace of insecure dev auth, HPA
    minReplicas >= 2; Helm production also has a ServiceMonitor per service, the
    PrometheusRule of deploy/monitoring/alerts.yaml and cert-manager Certificates with the
    services' SPIFFE IDs;
- the chart refuses insecureDevAuth with TLS and neither of them; `create: false` drops a
  service and its event wiring; deploy/base/ is what the chart renders
  (scripts/render-manifests.sh --check).

Run from the repository root (ctest does): /usr/bin/python3 tests/deploy/check_manifests.py.
`--self-test` feeds the object checks broken renders and fails unless each one is rejected.
Helm and kubectl come from scripts/tools-env.sh (scripts/install-deps.sh --with-helm).
"""
import argparse
import copy
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_images import dockerfile_entrypoint, dockerfile_uid  # noqa: E402

CHART = "helm/family-safeguarding"
PRODUCTION_VALUES = f"{CHART}/values-production.yaml"
DEV_VALUES = f"{CHART}/values-dev.yaml"
RELEASE, NAMESPACE = "fs", "family-safeguarding"
# Kubernetes name -> process name (schema, SPIFFE identity, binary, event names).
SERVICES = {"case-records": "case_records", "workbook": "workbook",
            "supervision": "supervision", "outcomes": "outcomes"}
PER_SERVICE_KINDS = ["Deployment", "Service", "ServiceAccount", "ConfigMap",
                     "PodDisruptionBudget", "HorizontalPodAutoscaler", "NetworkPolicy"]
NAME_MATCH_SERVICES = {"case-records", "outcomes"}
PART_OF = {"app.kubernetes.io/part-of": "family-safeguarding"}
TLS_KEYS = ["FS_TLS_CERT", "FS_TLS_KEY", "FS_TLS_CA"]
CREDENTIAL_URL = re.compile(r"postgres(ql)?://|[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.I)
DEV_AUTH = re.compile(r"insecure[_-]dev[_-]auth", re.I)


# --- Inputs --------------------------------------------------------------------------------

def tools_env():
    """The environment of scripts/tools-env.sh (FS_HELM, FS_KUBECTL, Helm's homes)."""
    result = subprocess.run(["bash", "-c", "source scripts/tools-env.sh && env -0"],
                            capture_output=True, text=True, check=True)
    env = dict(os.environ)
    for item in result.stdout.split("\0"):
        key, sep, value = item.partition("=")
        if sep:
            env[key] = value
    return env


class Tools:
    def __init__(self, helm=None, kubectl=None):
        self.env = tools_env()
        self.helm = helm or self.env["FS_HELM"]
        self.kubectl = kubectl or self.env["FS_KUBECTL"]

    def run(self, cmd):
        try:
            return subprocess.run(cmd, capture_output=True, text=True, env=self.env)
        except OSError as e:
            return subprocess.CompletedProcess(cmd, 127, "", f"{cmd[0]}: {e} (install it with "
                                               "scripts/install-deps.sh --with-helm)")

    def helm_template(self, *extra):
        return self.run([self.helm, "template", RELEASE, CHART, "--namespace", NAMESPACE,
                         *extra])

    def kustomize(self, overlay):
        return self.run([self.kubectl, "kustomize", overlay])


def stderr_of(result):
    lines = [line for line in (result.stderr or "").splitlines()
             if "found symbolic link" not in line]
    return "\n".join(lines).strip() or (result.stdout or "").strip()[-2000:]


def load_objects(text):
    return [o for o in yaml.safe_load_all(text) if isinstance(o, dict)]


def parse_run_local(text):
    """GRPC_PORT, EVENT_SUBSCRIBERS and EVENT_PRODUCERS of scripts/run-local.sh."""
    arrays = {}
    for m in re.finditer(r"declare -A (\w+)=\((.*?)\)\s*\n", text, re.S):
        entries = {}
        for e in re.finditer(r'\[(\w+)\]=(?:"([^"]*)"|(\S+))', m.group(2)):
            entries[e.group(1)] = e.group(2) if e.group(2) is not None else e.group(3)
        arrays[m.group(1)] = entries
    ports = {k: int(v) for k, v in arrays.get("GRPC_PORT", {}).items()}
    subscribers = {k: v.split() for k, v in arrays.get("EVENT_SUBSCRIBERS", {}).items()}
    producers = {k: v.split() for k, v in arrays.get("EVENT_PRODUCERS", {}).items()}
    return ports, subscribers, producers


class Context:
    """What the objects are checked against (the repository's other sources of truth)."""

    def __init__(self, build_dir="build"):
        self.build_dir = build_dir
        with open("scripts/run-local.sh") as f:
            self.local_ports, self.local_subscribers, self.local_producers = \
                parse_run_local(f.read())
        with open(f"{CHART}/values.yaml") as f:
            self.values = yaml.safe_load(f)
        self.name_match_secret = self.values["nameMatch"]["secretName"]
        self.trust_domain = self.values["global"]["trustDomain"]
        with open("deploy/monitoring/alerts.yaml") as f:
            self.alert_groups = yaml.safe_load(f)["groups"]
        self.uid, self.entrypoint = {}, {}
        for process in SERVICES.values():
            with open(f"services/{process}/Dockerfile") as f:
                text = f.read()
            self.uid[process] = dockerfile_uid(text)
            self.entrypoint[process] = dockerfile_entrypoint(text)
        self.flags = {process: binary_flags(build_dir, process) for process in SERVICES.values()}

    def problems(self):
        out = []
        for process in SERVICES.values():
            if self.uid[process] is None:
                out.append(f"services/{process}/Dockerfile: no numeric USER")
            if self.entrypoint[process] != [f"/usr/local/bin/{process}_server"]:
                out.append(f"services/{process}/Dockerfile: ENTRYPOINT "
                           f"{self.entrypoint[process]} is not the service binary")
            if process not in self.local_ports:
                out.append(f"scripts/run-local.sh: no GRPC_PORT for {process}")
            if self.flags[process] is None:
                out.append(f"{self.build_dir}/services/{process}/{process}_server does not list "
                           "its flags (--helpfull): build it, or set FS_BUILD_DIR")
        return out


def binary_flags(build_dir, process):
    """The flags a service binary defines (what its FS_<FLAG> variables can set), or None."""
    binary = os.path.join(build_dir, "services", process, f"{process}_server")
    try:
        result = subprocess.run([binary, "--helpfull"], capture_output=True, text=True,
                                timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return None
    flags = set(re.findall(r"^\s+--([a-z0-9_]+)", result.stdout + result.stderr, re.M))
    return flags or None


def unknown_settings(ctx, process, names):
    """FS_* names the service has no flag for: the binary ignores them silently."""
    flags = ctx.flags.get(process)
    if flags is None:
        return []
    return sorted(n for n in names if n.startswith("FS_") and n[3:].lower() not in flags)


# --- Object helpers --------------------------------------------------------------------------

def find(objs, kind, name=None):
    return [o for o in objs if o.get("kind") == kind
            and (name is None or o.get("metadata", {}).get("name") == name)]


def selects(selector, labels):
    """Whether a LabelSelector (matchLabels/matchExpressions) selects these labels."""
    if selector is None:
        return False
    for k, v in (selector.get("matchLabels") or {}).items():
        if labels.get(k) != v:
            return False
    for e in selector.get("matchExpressions") or []:
        key, op, values = e.get("key"), e.get("operator"), e.get("values") or []
        if op == "In" and labels.get(key) not in values:
            return False
        if op == "NotIn" and labels.get(key) in values:
            return False
        if op == "Exists" and key not in labels:
            return False
        if op == "DoesNotExist" and key in labels:
            return False
    return True


def env_entries(container):
    return {e.get("name"): e for e in container.get("env") or []}


def secret_ref(entry):
    ref = ((entry or {}).get("valueFrom") or {}).get("secretKeyRef")
    if ref and "value" not in entry and ref.get("name") and ref.get("key"):
        return ref["name"], ref["key"]
    return None


def port_numbers(container):
    return {p.get("name"): p.get("containerPort") for p in container.get("ports") or []}


def port_matches(rule_port, number, name):
    port = rule_port.get("port")
    if port is None:
        return True  # every port
    if isinstance(port, int):
        end = rule_port.get("endPort", port)
        return port <= number <= end
    return port == name


def rule_allows(rule, peer_ok, number, name, direction):
    peers = rule.get(direction)
    if peers is not None and not any(peer_ok(p) for p in peers):
        return False
    ports = rule.get("ports")
    return not ports or any(port_matches(p, number, name) for p in ports)


def same_namespace_peer(labels):
    """A NetworkPolicy peer that reaches pods with these labels in the policy's namespace."""
    def ok(peer):
        if "ipBlock" in peer:
            return False
        if "namespaceSelector" in peer and peer["namespaceSelector"] not in ({}, None):
            return False
        if "podSelector" not in peer:
            return "namespaceSelector" in peer  # every pod of every namespace
        return selects(peer["podSelector"], labels)
    return ok


# --- The checks -------------------------------------------------------------------------------

class RenderSet:
    def __init__(self, label, text, mode, helm, services=None):
        self.label = label
        self.text = text
        self.objs = load_objects(text)
        self.mode = mode  # "dev", "tls" (TLS, not the production values) or "production"
        self.helm = helm
        self.services = list(services or SERVICES)


def check_set(rs, ctx):
    problems = []

    def p(msg):
        problems.append(f"[{rs.label}] {msg}")

    objs = rs.objs
    processes = {SERVICES[s] for s in rs.services}
    for o in objs:
        if o.get("kind") == "Secret":
            p(f"Secret {o['metadata'].get('name')} is rendered: secrets go by reference only")

    # Exactly one object of each kind per service; nothing of a service that is not created.
    by_service = {}
    for svc in rs.services:
        for kind in PER_SERVICE_KINDS:
            found = find(objs, kind, svc)
            if len(found) != 1:
                p(f"{len(found)} {kind} objects named {svc}, expected exactly 1")
            by_service.setdefault(svc, {})[kind] = found[0] if found else None
    for svc in set(SERVICES) - set(rs.services):
        stray = [f"{o['kind']}/{o['metadata'].get('name')}" for o in objs
                 if o["metadata"].get("name") == svc
                 or (o["metadata"].get("labels") or {}).get("app.kubernetes.io/name") == svc]
        if stray:
            p(f"{svc} is not created but {', '.join(stray)} rendered")

    pod_labels = {}
    for svc in rs.services:
        dep = by_service[svc]["Deployment"]
        if dep:
            pod_labels[svc] = ((dep.get("spec", {}).get("template") or {})
                               .get("metadata", {}).get("labels") or {})

    # The default deny.
    denies = [np for np in find(objs, "NetworkPolicy")
              if (np.get("spec", {}).get("podSelector") or {}).get("matchLabels") == PART_OF
              and not (np["spec"]["podSelector"].get("matchExpressions"))]
    good_denies = [np for np in denies
                   if sorted(np["spec"].get("policyTypes") or []) == ["Egress", "Ingress"]
                   and not np["spec"].get("ingress") and not np["spec"].get("egress")]
    if not good_denies:
        p("no default-deny NetworkPolicy (podSelector part-of=family-safeguarding, policyTypes "
          "Ingress and Egress, no rules)")

    for svc in rs.services:
        objects = by_service[svc]
        process = SERVICES[svc]
        labels = pod_labels.get(svc)
        if labels is None:
            continue
        for k, v in PART_OF.items():
            if labels.get(k) != v:
                p(f"Deployment {svc}: pods lack {k}={v} (the default deny would miss them)")
        others = {o: pl for o, pl in pod_labels.items() if o != svc}
        dep = objects["Deployment"]
        selectors = [("Deployment", dep["spec"].get("selector"))]
        for kind in ("PodDisruptionBudget", "NetworkPolicy", "Service"):
            obj = objects[kind]
            if obj is None:
                continue
            spec = obj.get("spec") or {}
            if kind == "Service":
                sel = {"matchLabels": spec.get("selector")} if spec.get("selector") else None
            elif kind == "NetworkPolicy":
                sel = spec.get("podSelector")
            else:
                sel = spec.get("selector")
            selectors.append((kind, sel))
        for kind, sel in selectors:
            if not sel or not (sel.get("matchLabels") or sel.get("matchExpressions")):
                p(f"{kind} {svc}: no selector")
            elif not selects(sel, labels):
                p(f"{kind} {svc}: its selector does not select the Deployment's pods")
            else:
                for other, ol in others.items():
                    if selects(sel, ol):
                        p(f"{kind} {svc}: its selector also selects {other}'s pods")
        hpa = objects["HorizontalPodAutoscaler"]
        if hpa:
            ref = hpa.get("spec", {}).get("scaleTargetRef") or {}
            if (ref.get("kind"), ref.get("name"), ref.get("apiVersion")) != \
                    ("Deployment", svc, "apps/v1"):
                p(f"HorizontalPodAutoscaler {svc} scales {ref}, not Deployment {svc}")
            mn, mx = hpa["spec"].get("minReplicas", 1), hpa["spec"].get("maxReplicas")
            if not isinstance(mx, int) or mx < mn:
                p(f"HorizontalPodAutoscaler {svc}: maxReplicas {mx} < minReplicas {mn}")
            if rs.mode == "production" and mn < 2:
                p(f"HorizontalPodAutoscaler {svc}: minReplicas {mn} < 2 in production")
        problems.extend(f"[{rs.label}] {m}"
                        for m in check_deployment(rs, ctx, svc, process, objects, objs))
        problems.extend(f"[{rs.label}] {m}"
                        for m in check_events(rs, ctx, svc, process, objects, processes,
                                              by_service, pod_labels))

    # No literal credentials anywhere.
    for o in objs:
        name = f"{o.get('kind')}/{o.get('metadata', {}).get('name')}"
        if o.get("kind") == "ConfigMap":
            for k, v in (o.get("data") or {}).items():
                if CREDENTIAL_URL.search(str(v)) and not k.endswith(".json"):
                    p(f"{name}: {k} holds a URL with credentials: secrets go in Secrets")
        pod = ((o.get("spec") or {}).get("template") or {}).get("spec") or {}
        for c in (pod.get("initContainers") or []) + (pod.get("containers") or []):
            for e in c.get("env") or []:
                if "value" in e and CREDENTIAL_URL.search(str(e["value"])):
                    p(f"{name} container {c.get('name')}: {e.get('name')} is a literal URL "
                      "with credentials: use a secretKeyRef")

    if rs.mode != "dev" and DEV_AUTH.search(rs.text):
        p(f"insecure dev auth appears in the {rs.mode} render")
    if rs.mode == "production" and rs.helm:
        problems.extend(f"[{rs.label}] {m}" for m in check_operator_objects(rs, ctx, by_service))
    return problems


def check_deployment(rs, ctx, svc, process, objects, objs):
    problems = []
    dep, cm = objects["Deployment"], objects["ConfigMap"]
    data = {k: str(v) for k, v in ((cm or {}).get("data") or {}).items()}
    where = f"Deployment {svc}"
    pod = dep["spec"].get("template", {}).get("spec") or {}
    psc = pod.get("securityContext") or {}
    binary = f"/usr/local/bin/{process}_server"
    inits = pod.get("initContainers") or []
    containers = pod.get("containers") or []

    if pod.get("automountServiceAccountToken") is not False:
        problems.append(f"{where}: automountServiceAccountToken is not false")
    if pod.get("serviceAccountName") != svc:
        problems.append(f"{where}: serviceAccountName {pod.get('serviceAccountName')!r}, "
                        f"expected its own ServiceAccount {svc!r}")
    if psc.get("runAsNonRoot") is not True:
        problems.append(f"{where}: pod securityContext.runAsNonRoot is not true")
    if psc.get("runAsUser") != ctx.uid[process] or psc.get("runAsUser") in (0, None):
        problems.append(f"{where}: pod runAsUser {psc.get('runAsUser')} is not the Dockerfile's "
                        f"USER {ctx.uid[process]}")

    for c in inits + containers:
        cw = f"{where} container {c.get('name')}"
        res = c.get("resources") or {}
        for part in ("requests", "limits"):
            for r in ("cpu", "memory"):
                if not (res.get(part) or {}).get(r):
                    problems.append(f"{cw}: no {part}.{r}")
        sc = c.get("securityContext") or {}
        non_root = sc.get("runAsNonRoot", psc.get("runAsNonRoot"))
        if non_root is not True:
            problems.append(f"{cw}: runAsNonRoot is not true")
        if "runAsUser" in sc and sc["runAsUser"] != ctx.uid[process]:
            problems.append(f"{cw}: runAsUser {sc['runAsUser']} is not the Dockerfile's USER")
        if sc.get("readOnlyRootFilesystem") is not True:
            problems.append(f"{cw}: readOnlyRootFilesystem is not true")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{cw}: allowPrivilegeEscalation is not false")
        if sc.get("privileged"):
            problems.append(f"{cw}: privileged")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{cw}: capabilities.drop does not contain ALL")

    # The serving container.
    serving = [c for c in containers if (c.get("command") or [None])[0] == binary]
    if len(serving) != 1:
        problems.append(f"{where}: {len(serving)} containers run {binary}, expected 1")
        if not containers:
            return problems
    server = serving[0] if serving else containers[0]
    sw = f"{where} container {server.get('name')}"
    command = (server.get("command") or []) + (server.get("args") or [])
    if (server.get("command") or [None])[:1] != (ctx.entrypoint[process] or [])[:1]:
        problems.append(f"{sw}: command {server.get('command')} is not the Dockerfile's "
                        f"ENTRYPOINT {ctx.entrypoint[process]}")
    if any("--migrate_only" in a or DEV_AUTH.search(a) for a in command[1:]):
        problems.append(f"{sw}: serves with {command[1:]}")
    ports = port_numbers(server)
    for pname, key in (("grpc", "FS_GRPC_PORT"), ("metrics", "FS_METRICS_PORT"),
                       ("health", "FS_HEALTH_PORT")):
        if pname not in ports:
            problems.append(f"{sw}: no container port named {pname}")
        elif str(ports[pname]) != data.get(key):
            problems.append(f"{sw}: port {pname} is {ports[pname]} but ConfigMap {key} is "
                            f"{data.get(key)}")
    health = ports.get("health")
    for probe_name, service in (("startupProbe", None), ("readinessProbe", ""),
                                ("livenessProbe", "liveness")):
        probe = server.get(probe_name)
        if not probe:
            problems.append(f"{sw}: no {probe_name}")
            continue
        grpc = probe.get("grpc")
        if not isinstance(grpc, dict) or any(k in probe for k in ("httpGet", "tcpSocket",
                                                                   "exec")):
            problems.append(f"{sw}: {probe_name} is not a gRPC probe")
            continue
        if grpc.get("port") != health or health is None:
            problems.append(f"{sw}: {probe_name} probes port {grpc.get('port')}, not the health "
                            f"port {health}")
        if service is not None and (grpc.get("service") or "") != service:
            problems.append(f"{sw}: {probe_name} asks service {grpc.get('service')!r}, "
                            f"expected {service!r}")

    # Configuration: the service's ConfigMap, then env.
    env = env_entries(server)
    cm_refs = [(e.get("configMapRef") or {}).get("name") for e in server.get("envFrom") or []]
    if svc not in cm_refs:
        problems.append(f"{sw}: does not take envFrom its ConfigMap {svc}")
    effective = dict(data)
    for name, e in env.items():
        effective[name] = e.get("value") if "value" in e else e
    for name in unknown_settings(ctx, process, effective):
        problems.append(f"{sw}: {name} sets no flag of {process}_server (it would be ignored)")
    if effective.get("FS_MIGRATE_ON_START") != "false":
        problems.append(f"{sw}: FS_MIGRATE_ON_START is {effective.get('FS_MIGRATE_ON_START')!r}, "
                        "expected \"false\" (the init container migrates)")
    if secret_ref(env.get("FS_DB_URL")) is None:
        problems.append(f"{sw}: FS_DB_URL does not come from a secretKeyRef")
    if "FS_MIGRATION_DB_URL" in env or "FS_MIGRATION_DB_URL" in data:
        problems.append(f"{sw}: has FS_MIGRATION_DB_URL: the schema owner's credentials must "
                        "stay in the migrate init container")

    # The migrate init container.
    migrates = [c for c in inits if (c.get("command") or [None])[0] == binary
                and "--migrate_only" in (c.get("command") or []) + (c.get("args") or [])]
    if len(migrates) != 1:
        problems.append(f"{where}: {len(migrates)} init containers run {binary} --migrate_only, "
                        "expected 1")
    for m in migrates:
        menv = env_entries(m)
        for name in unknown_settings(ctx, process, menv):
            problems.append(f"{where} init container {m.get('name')}: {name} sets no flag of "
                            f"{process}_server")
        refs = {}
        for var in ("FS_DB_URL", "FS_MIGRATION_DB_URL"):
            refs[var] = secret_ref(menv.get(var))
            if refs[var] is None:
                problems.append(f"{where} init container {m.get('name')}: {var} does not come "
                                "from a secretKeyRef")
        owner = refs.get("FS_MIGRATION_DB_URL")
        if owner and owner == refs.get("FS_DB_URL"):
            problems.append(f"{where}: FS_DB_URL and FS_MIGRATION_DB_URL come from the same "
                            "Secret key (the runtime role must not own the schema)")
        if owner:
            for name, e in env.items():
                ref = secret_ref(e)
                if ref and ref[0] == owner[0]:
                    problems.append(f"{sw}: {name} reads the owner's Secret {owner[0]}")
            for e in server.get("envFrom") or []:
                if (e.get("secretRef") or {}).get("name") == owner[0]:
                    problems.append(f"{sw}: envFrom the owner's Secret {owner[0]}")
            for v in pod.get("volumes") or []:
                if (v.get("secret") or {}).get("secretName") == owner[0]:
                    problems.append(f"{where}: mounts the owner's Secret {owner[0]}")

    # Volumes.
    volumes = {v.get("name"): v for v in pod.get("volumes") or []}
    mounts = {m.get("mountPath"): m for m in server.get("volumeMounts") or []}
    tmp = mounts.get("/tmp")
    if not tmp or "emptyDir" not in volumes.get(tmp.get("name"), {}):
        problems.append(f"{sw}: /tmp is not an emptyDir (the root filesystem is read-only)")

    def secret_mounts(secret_name):
        out = []
        for m in server.get("volumeMounts") or []:
            v = volumes.get(m.get("name")) or {}
            if (v.get("secret") or {}).get("secretName") == secret_name:
                out.append((m, v))
        return out

    nm = secret_mounts(ctx.name_match_secret)
    nm_volumes = [v for v in volumes.values()
                  if (v.get("secret") or {}).get("secretName") == ctx.name_match_secret]
    if svc in NAME_MATCH_SERVICES:
        if not nm:
            problems.append(f"{sw}: the name match secret {ctx.name_match_secret} is not "
                            "mounted")
        elif not any(data.get("FS_NAME_MATCH_SECRET_FILE", "").startswith(
                m.get("mountPath", "").rstrip("/") + "/") for m, _ in nm):
            problems.append(f"{where}: FS_NAME_MATCH_SECRET_FILE "
                            f"{data.get('FS_NAME_MATCH_SECRET_FILE')} is not under its mount")
    elif nm or nm_volumes or "FS_NAME_MATCH_SECRET_FILE" in data:
        problems.append(f"{where}: has the name match secret (only "
                        f"{sorted(NAME_MATCH_SERVICES)} may)")

    # Dev or production.
    tls_in = [k for k in effective if k.startswith("FS_TLS_")]
    if rs.mode == "dev":
        if effective.get("FS_INSECURE_DEV_AUTH") != "true":
            problems.append(f"ConfigMap {svc}: FS_INSECURE_DEV_AUTH is not \"true\" in dev")
        if tls_in:
            problems.append(f"ConfigMap {svc}: {tls_in} set in dev")
    else:
        if "FS_INSECURE_DEV_AUTH" in effective:
            problems.append(f"ConfigMap {svc}: FS_INSECURE_DEV_AUTH set in production")
        tls = secret_mounts(f"{svc}-tls")
        for key in TLS_KEYS:
            path = data.get(key)
            if not path:
                problems.append(f"ConfigMap {svc}: no {key} in production")
                continue
            under = [(m, v) for m, v in tls
                     if path.startswith(m.get("mountPath", "").rstrip("/") + "/")]
            if not under:
                problems.append(f"{sw}: {key} {path} is not under the mount of Secret "
                                f"{svc}-tls")
            for m, v in under:
                if v["secret"].get("optional"):
                    problems.append(f"{where}: the TLS Secret {svc}-tls is optional in "
                                    "production")
                items = v["secret"].get("items")
                rel = path[len(m["mountPath"].rstrip("/")) + 1:]
                if items and rel not in {i.get("path") for i in items}:
                    problems.append(f"{where}: {key} {path} is not one of the mounted items")
    return problems


def check_events(rs, ctx, svc, process, objects, processes, by_service, pod_labels):
    problems = []
    cm = objects["ConfigMap"]
    data = (cm or {}).get("data") or {}
    want_subs = [s for s in ctx.local_subscribers.get(process, []) if s in processes]
    want_prods = [s for s in ctx.local_producers.get(process, []) if s in processes]
    subs_text = str(data.get("FS_EVENT_SUBSCRIBERS", ""))
    subs = []
    for entry in filter(None, (e.strip() for e in subs_text.split(","))):
        m = re.fullmatch(r"([a-z_]+)@([a-z0-9.-]+):(\d+)", entry)
        if not m:
            problems.append(f"ConfigMap {svc}: FS_EVENT_SUBSCRIBERS entry {entry!r} is not "
                            "<process>@<host>:<port>")
            continue
        subs.append((m.group(1), m.group(2), int(m.group(3))))
    if sorted(s for s, _, _ in subs) != sorted(want_subs):
        problems.append(f"ConfigMap {svc}: FS_EVENT_SUBSCRIBERS names "
                        f"{[s for s, _, _ in subs]}, scripts/run-local.sh {want_subs}")
    for sub, host, port in subs:
        if ctx.local_ports.get(sub) != port:
            problems.append(f"ConfigMap {svc}: subscriber {sub} on port {port}, "
                            f"scripts/run-local.sh {ctx.local_ports.get(sub)}")
        sub_svc = next((k for k, v in SERVICES.items() if v == sub), None)
        service = (by_service.get(sub_svc) or {}).get("Service")
        grpc = [sp for sp in ((service or {}).get("spec") or {}).get("ports") or []
                if sp.get("name") == "grpc"]
        if host.split(".")[0] != sub_svc or not service or not grpc or grpc[0].get("port") != port:
            problems.append(f"ConfigMap {svc}: subscriber {sub}@{host}:{port} is not the gRPC "
                            f"port of Service {sub_svc}")
        # NetworkPolicies see the pods' ports (the Service's port is translated before).
        sub_dep = (by_service.get(sub_svc) or {}).get("Deployment") or {}
        sub_containers = (((sub_dep.get("spec") or {}).get("template") or {}).get("spec")
                          or {}).get("containers") or []
        pod_port = next((port_numbers(c)["grpc"] for c in sub_containers
                         if "grpc" in port_numbers(c)), port)
        np = objects["NetworkPolicy"]
        if np and sub_svc in pod_labels:
            egress = (np.get("spec") or {}).get("egress") or []
            if not any(rule_allows(r, same_namespace_peer(pod_labels[sub_svc]), pod_port, "grpc",
                                   "to") for r in egress):
                problems.append(f"NetworkPolicy {svc}: no egress to {sub_svc} on its gRPC port "
                                f"{pod_port}")
        sub_np = (by_service.get(sub_svc) or {}).get("NetworkPolicy")
        if sub_np and svc in pod_labels:
            ingress = (sub_np.get("spec") or {}).get("ingress") or []
            if not any(rule_allows(r, same_namespace_peer(pod_labels[svc]), pod_port, "grpc",
                                   "from") for r in ingress):
                problems.append(f"NetworkPolicy {sub_svc}: no ingress from {svc} on its gRPC "
                                f"port {pod_port}")
    prods = [p for p in str(data.get("FS_EVENT_PRODUCERS", "")).split(",") if p.strip()]
    if sorted(prods) != sorted(want_prods):
        problems.append(f"ConfigMap {svc}: FS_EVENT_PRODUCERS {prods}, scripts/run-local.sh "
                        f"{want_prods}")
    np = objects["NetworkPolicy"]
    if np and svc in pod_labels:
        spec = np.get("spec") or {}
        metrics = int(data.get("FS_METRICS_PORT", 0) or 0)
        if not any(rule_allows(r, lambda peer: True, metrics, "metrics", "from")
                   for r in spec.get("ingress") or []):
            problems.append(f"NetworkPolicy {svc}: no ingress to the metrics port (Prometheus)")
        if not any(rule_allows(r, lambda peer: True, 53, "dns", "to")
                   for r in spec.get("egress") or []):
            problems.append(f"NetworkPolicy {svc}: no egress to DNS")
    return problems


def check_operator_objects(rs, ctx, by_service):
    problems = []
    objs = rs.objs
    for svc in rs.services:
        process = SERVICES[svc]
        sms = find(objs, "ServiceMonitor", svc)
        service = by_service[svc]["Service"] or {}
        if len(sms) != 1:
            problems.append(f"{len(sms)} ServiceMonitors named {svc}, expected 1")
        for sm in sms:
            spec = sm.get("spec") or {}
            if not selects(spec.get("selector"), service.get("metadata", {}).get("labels") or {}):
                problems.append(f"ServiceMonitor {svc} does not select Service {svc}")
            if not any(ep.get("port") == "metrics" for ep in spec.get("endpoints") or []):
                problems.append(f"ServiceMonitor {svc} does not scrape the port named metrics")
        if not any(sp.get("name") == "metrics" for sp in (service.get("spec") or {})
                   .get("ports") or []):
            problems.append(f"Service {svc} has no port named metrics (for the ServiceMonitor)")
        certs = [c for c in find(objs, "Certificate")
                 if (c.get("spec") or {}).get("secretName") == f"{svc}-tls"]
        want = [f"spiffe://{ctx.trust_domain}/service/{process}"]
        if len(certs) != 1:
            problems.append(f"{len(certs)} Certificates for Secret {svc}-tls, expected 1")
        for c in certs:
            if c["spec"].get("uris") != want:
                problems.append(f"Certificate {c['metadata']['name']}: uris "
                                f"{c['spec'].get('uris')}, expected {want}")
    rules = find(objs, "PrometheusRule")
    if len(rules) != 1:
        problems.append(f"{len(rules)} PrometheusRules, expected 1")
    for r in rules:
        if (r.get("spec") or {}).get("groups") != ctx.alert_groups:
            problems.append(f"PrometheusRule {r['metadata']['name']}: spec.groups differ from "
                            "deploy/monitoring/alerts.yaml")
    return problems


def check_service_ports(rs):
    """The Service's port named grpc reaches the container's grpc port."""
    problems = []
    for svc in rs.services:
        services, deps = find(rs.objs, "Service", svc), find(rs.objs, "Deployment", svc)
        if len(services) != 1 or len(deps) != 1:
            continue
        grpc = [sp for sp in services[0].get("spec", {}).get("ports") or []
                if sp.get("name") == "grpc"]
        if not grpc:
            problems.append(f"[{rs.label}] Service {svc}: no port named grpc")
            continue
        containers = deps[0]["spec"]["template"]["spec"].get("containers") or []
        cport = next((port_numbers(c).get("grpc") for c in containers
                      if "grpc" in port_numbers(c)), None)
        target = grpc[0].get("targetPort", grpc[0].get("port"))
        if target != "grpc" and target != cport:
            problems.append(f"[{rs.label}] Service {svc}: port grpc targets {target}, not the "
                            f"container's grpc port {cport}")
    return problems


def check_all(rs, ctx):
    return list(dict.fromkeys(check_set(rs, ctx) + check_service_ports(rs)))


# --- Rendering ----------------------------------------------------------------------------

def render_sets(tools, problems):
    sets = []
    renders = [
        ("helm default", "tls", True, lambda: tools.helm_template()),
        ("helm dev", "dev", True, lambda: tools.helm_template("-f", DEV_VALUES)),
        ("helm production", "production", True,
         lambda: tools.helm_template("-f", PRODUCTION_VALUES)),
        ("kustomize dev", "dev", False, lambda: tools.kustomize("deploy/overlays/dev")),
        ("kustomize production", "production", False,
         lambda: tools.kustomize("deploy/overlays/production")),
    ]
    for label, mode, helm, render in renders:
        result = render()
        if result.returncode != 0:
            problems.append(f"[{label}] rendering failed: {stderr_of(result)}")
            continue
        try:
            sets.append(RenderSet(label, result.stdout, mode, helm))
        except yaml.YAMLError as e:
            problems.append(f"[{label}] the render is not YAML: {e}")
    return sets


def cloudnative_pg_problems(rs, database_ca):
    """What an in-cluster CloudNativePG database must come with: one Cluster with the roles and
    schemas of every service, enough connections for the HPA maxima, egress to its pods."""
    problems = []

    def p(msg):
        problems.append(f"[{rs.label}] {msg}")

    clusters = find(rs.objs, "Cluster")
    if len(clusters) != 1:
        p(f"{len(clusters)} CloudNativePG Cluster objects, expected 1")
    else:
        spec = clusters[0]["spec"]
        roles = sorted(r["name"] for r in spec.get("managed", {}).get("roles", []))
        want = sorted(r for x in SERVICES.values() for r in (f"fs_{x}", f"fs_{x}_app"))
        if roles != want:
            p(f"Cluster: managed roles {roles}, expected {want}")
        sql = " ".join(spec["bootstrap"]["initdb"].get("postInitApplicationSQL", []))
        for x in SERVICES.values():
            if f"CREATE SCHEMA {x} AUTHORIZATION fs_{x}" not in sql:
                p(f"Cluster: no schema {x} owned by fs_{x}")
        conns = int(spec.get("postgresql", {}).get("parameters", {}).get("max_connections", 100))
        # Every pod: its pool plus the health probe's connection, at the HPA's maximum.
        need = sum(h["spec"]["maxReplicas"] * (int(c["data"]["FS_POOL_SIZE"]) + 1)
                   for h in find(rs.objs, "HorizontalPodAutoscaler")
                   for c in find(rs.objs, "ConfigMap", h["spec"]["scaleTargetRef"]["name"]))
        if conns < need:
            p(f"Cluster: max_connections {conns} is below what the services may open at their "
              f"HPA maximum ({need})")
    for svc in SERVICES:
        policy = find(rs.objs, "NetworkPolicy", svc)
        egress = policy[0]["spec"].get("egress", []) if policy else []
        if not any(peer.get("podSelector", {}).get("matchLabels", {}).get("cnpg.io/cluster")
                   for rule in egress for peer in rule.get("to", [])):
            p(f"NetworkPolicy {svc} allows no egress to the Cluster's pods")
        dep = find(rs.objs, "Deployment", svc)
        if database_ca and dep:
            pod = dep[0]["spec"]["template"]["spec"]
            for c in pod.get("initContainers", []) + pod["containers"]:
                if not any(m["mountPath"] == "/var/run/secrets/fs/db-ca"
                           for m in c.get("volumeMounts", [])):
                    p(f"Deployment {svc} container {c['name']}: the database CA is not mounted")
    return problems


def check_chart_behaviour(tools, ctx):
    problems, notes = [], []
    for extra in ([], ["-f", PRODUCTION_VALUES], ["-f", DEV_VALUES]):
        result = tools.run([tools.helm, "lint", "--strict", CHART, *extra])
        what = "helm lint --strict" + (f" -f {os.path.basename(extra[1])}" if extra else "")
        if result.returncode != 0:
            problems.append(f"{what} failed:\n{result.stdout}{stderr_of(result)}")
        else:
            notes.append(what)
    refusals = [
        ("production values with global.insecureDevAuth=true",
         ["-f", PRODUCTION_VALUES, "--set", "global.insecureDevAuth=true"]),
        ("default values with global.insecureDevAuth=true (with TLS)",
         ["--set", "global.insecureDevAuth=true"]),
        ("dev values with global.insecureDevAuth=false (no TLS)",
         ["-f", DEV_VALUES, "--set", "global.insecureDevAuth=false"]),
    ]
    for what, extra in refusals:
        result = tools.helm_template(*extra)
        if result.returncode == 0:
            problems.append(f"the chart renders {what}: it must refuse")
        elif "insecureDevAuth" not in result.stderr:
            problems.append(f"the chart refuses {what} without naming insecureDevAuth: "
                            f"{stderr_of(result)}")
        else:
            notes.append(f"refuses {what}")
    result = tools.helm_template("-f", DEV_VALUES, "--set", "services.workbook.create=false")
    if result.returncode != 0:
        problems.append(f"services.workbook.create=false does not render: {stderr_of(result)}")
    else:
        rs = RenderSet("helm dev, workbook create=false", result.stdout, "dev", True,
                       [s for s in SERVICES if s != "workbook"])
        problems += check_all(rs, ctx)
        cm = find(rs.objs, "ConfigMap", "case-records")
        subs = ((cm[0].get("data") or {}).get("FS_EVENT_SUBSCRIBERS", "") if cm else "")
        if "workbook" in subs:
            problems.append(f"with services.workbook.create=false case-records still sends "
                            f"events to workbook: {subs}")
        notes.append("services.workbook.create=false")
    # The in-cluster database and the database CA: a full set that passes every check, plus
    # what those options must add.
    result = tools.helm_template("-f", PRODUCTION_VALUES, "--set",
                                 "database.cloudNativePG.enabled=true", "--set",
                                 "database.ca.secretName=fs-postgres-ca")
    if result.returncode != 0:
        problems.append(f"database.cloudNativePG.enabled=true does not render: "
                        f"{stderr_of(result)}")
    else:
        rs = RenderSet("helm production, CloudNativePG", result.stdout, "production", True)
        problems += check_all(rs, ctx) + cloudnative_pg_problems(rs, database_ca=True)
        notes.append("database.cloudNativePG.enabled=true with database.ca")
    # The same as a kustomize component on the production overlay.
    overlay = tempfile.mkdtemp(prefix=".check-", dir="deploy/overlays")
    try:
        with open(os.path.join(overlay, "kustomization.yaml"), "w") as f:
            f.write("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
                    "resources:\n  - ../production\n"
                    "components:\n  - ../../components/cloudnative-pg\n")
        result = tools.kustomize(overlay)
    finally:
        shutil.rmtree(overlay)
    if result.returncode != 0:
        problems.append(f"the cloudnative-pg component does not render on the production "
                        f"overlay: {stderr_of(result)}")
    else:
        rs = RenderSet("kustomize production + cloudnative-pg", result.stdout, "production",
                       False)
        problems += check_all(rs, ctx) + cloudnative_pg_problems(rs, database_ca=False)
        notes.append("deploy/components/cloudnative-pg on the production overlay")
    result = tools.run(["bash", "scripts/render-manifests.sh", "--check"])
    if result.returncode != 0:
        problems.append(f"scripts/render-manifests.sh --check failed:\n"
                        f"{result.stdout[-3000:]}{stderr_of(result)}")
    else:
        notes.append("deploy/base/ matches the chart")
    return problems, notes


# --- Self-test ----------------------------------------------------------------------------

def self_test(sets, ctx):
    by_label = {rs.label: rs for rs in sets}
    failures = []
    for rs in sets:
        found = check_all(rs, ctx)
        if found:
            failures.append(f"the real render {rs.label} does not pass: {found[:3]}")

    def one(objs, kind, name):
        return find(objs, kind, name)[0]

    def pod(objs, name):
        return one(objs, "Deployment", name)["spec"]["template"]["spec"]

    def server(objs, name):
        return pod(objs, name)["containers"][0]

    def init(objs, name):
        return pod(objs, name)["initContainers"][0]

    def volume(objs, name, vol):
        return next(v for v in pod(objs, name)["volumes"] if v["name"] == vol)

    def data(objs, name):
        return one(objs, "ConfigMap", name)["data"]

    def np_spec(objs, name):
        return one(objs, "NetworkPolicy", name)["spec"]

    def remove(objs, kind, name):
        objs.remove(one(objs, kind, name))

    def deny(objs):
        return next(o for o in find(objs, "NetworkPolicy")
                    if o["spec"]["podSelector"].get("matchLabels") == PART_OF)

    dev, prod, hprod = "helm dev", "kustomize production", "helm production"
    broken = [
        ("a Deployment without limits", dev,
         lambda o: server(o, "workbook")["resources"].pop("limits")),
        ("an init container without requests", prod,
         lambda o: init(o, "outcomes")["resources"].pop("requests")),
        ("a readiness probe on the wrong port", dev,
         lambda o: server(o, "supervision")["readinessProbe"]["grpc"].update(port=50053)),
        ("an HTTP liveness probe", prod,
         lambda o: server(o, "workbook").update(livenessProbe={"httpGet": {"port": 8080}})),
        ("liveness asking the whole server", dev,
         lambda o: server(o, "outcomes")["livenessProbe"]["grpc"].pop("service")),
        ("readiness asking liveness", dev,
         lambda o: server(o, "outcomes")["readinessProbe"]["grpc"].update(service="liveness")),
        ("no startup probe", prod, lambda o: server(o, "case-records").pop("startupProbe")),
        ("a health port differing from FS_HEALTH_PORT", dev,
         lambda o: data(o, "workbook").update(FS_HEALTH_PORT="8081")),
        ("runAsNonRoot false", dev,
         lambda o: pod(o, "case-records")["securityContext"].update(runAsNonRoot=False)),
        ("a container overriding runAsNonRoot", prod,
         lambda o: init(o, "workbook")["securityContext"].update(runAsNonRoot=False)),
        ("runAsUser other than the Dockerfile's", prod,
         lambda o: pod(o, "supervision")["securityContext"].update(runAsUser=1000)),
        ("a writable root filesystem", dev,
         lambda o: server(o, "workbook")["securityContext"].update(readOnlyRootFilesystem=False)),
        ("privilege escalation", prod,
         lambda o: init(o, "case-records")["securityContext"].pop("allowPrivilegeEscalation")),
        ("capabilities kept", dev,
         lambda o: server(o, "outcomes")["securityContext"]["capabilities"].update(
             drop=["NET_RAW"])),
        ("a mounted service account token", prod,
         lambda o: pod(o, "outcomes").update(automountServiceAccountToken=True)),
        ("the owner's URL in the serving container", dev,
         lambda o: server(o, "case-records")["env"].append(copy.deepcopy(
             init(o, "case-records")["env"][1]))),
        ("the owner's URL in the ConfigMap", prod,
         lambda o: data(o, "workbook").update(FS_MIGRATION_DB_URL="/dev/null")),
        ("a literal database URL", dev,
         lambda o: server(o, "supervision")["env"].__setitem__(0, {
             "name": "FS_DB_URL", "value": "postgresql://fs_supervision_app:pw@db:5432/fs"})),
        ("a database URL in a ConfigMap", prod,
         lambda o: data(o, "outcomes").update(FS_EXTRA="postgres://u:p@db/fs")),
        ("an init container without --migrate_only", dev,
         lambda o: init(o, "workbook").update(command=["/usr/local/bin/workbook_server"])),
        ("a literal owner URL in the init container", prod,
         lambda o: init(o, "case-records")["env"].__setitem__(1, {
             "name": "FS_MIGRATION_DB_URL", "value": "postgresql://fs_case_records@db/fs"})),
        ("a setting the service has no flag for", prod,
         lambda o: data(o, "workbook").update(FS_ADOPTION_DATE="2025-11-01")),
        ("migrations on start", dev,
         lambda o: data(o, "case-records").update(FS_MIGRATE_ON_START="true")),
        ("the wrong binary", prod,
         lambda o: server(o, "supervision").update(command=["/usr/local/bin/workbook_server"])),
        ("a grpc port differing from FS_GRPC_PORT", dev,
         lambda o: data(o, "outcomes").update(FS_GRPC_PORT="50055")),
        ("/tmp not an emptyDir", prod,
         lambda o: volume(o, "workbook", "tmp").pop("emptyDir")),
        ("a Service without a grpc port", dev,
         lambda o: one(o, "Service", "workbook")["spec"]["ports"][0].update(name="rpc")),
        ("the name match secret in workbook", prod,
         lambda o: (pod(o, "workbook")["volumes"].append(copy.deepcopy(
             volume(o, "case-records", "name-match"))),
             server(o, "workbook")["volumeMounts"].append(
                 {"name": "name-match", "mountPath": "/var/run/secrets/fs/name-match"}))),
        ("no name match secret in outcomes", dev,
         lambda o: server(o, "outcomes").update(volumeMounts=[
             m for m in server(o, "outcomes")["volumeMounts"] if m["name"] != "name-match"])),
        ("a subscriber missing", dev,
         lambda o: data(o, "case-records").update(
             FS_EVENT_SUBSCRIBERS="workbook@workbook:50052,supervision@supervision:50053")),
        ("a subscriber on the wrong port", prod,
         lambda o: data(o, "workbook").update(FS_EVENT_SUBSCRIBERS="outcomes@outcomes:50055")),
        ("a producer too many", dev,
         lambda o: data(o, "case-records").update(FS_EVENT_PRODUCERS="outcomes,workbook")),
        ("no egress to a subscriber", prod,
         lambda o: np_spec(o, "supervision").update(egress=[
             r for r in np_spec(o, "supervision")["egress"]
             if not any(p.get("port") == 50052 for p in r.get("ports") or [])])),
        ("a missing NetworkPolicy", dev, lambda o: remove(o, "NetworkPolicy", "outcomes")),
        ("a duplicated PodDisruptionBudget", prod,
         lambda o: o.append(copy.deepcopy(one(o, "PodDisruptionBudget", "workbook")))),
        ("a PDB selecting nothing of its service", dev,
         lambda o: one(o, "PodDisruptionBudget", "supervision")["spec"]["selector"].update(
             matchLabels={"app.kubernetes.io/name": "supervisor"})),
        ("a Service selecting every service", prod,
         lambda o: one(o, "Service", "outcomes")["spec"].update(selector=dict(PART_OF))),
        ("an HPA scaling another Deployment", dev,
         lambda o: one(o, "HorizontalPodAutoscaler", "case-records")["spec"]["scaleTargetRef"]
         .update(name="workbook")),
        ("no default deny", prod, lambda o: o.remove(deny(o))),
        ("a default deny with rules", dev,
         lambda o: deny(o)["spec"].update(ingress=[{}])),
        ("a Secret object", prod,
         lambda o: o.append({"apiVersion": "v1", "kind": "Secret",
                             "metadata": {"name": "case-records-db"},
                             "stringData": {"url": "x"}})),
        ("a production ConfigMap with FS_INSECURE_DEV_AUTH", prod,
         lambda o: data(o, "workbook").update(FS_INSECURE_DEV_AUTH="true")),
        ("--insecure_dev_auth in production", hprod,
         lambda o: server(o, "supervision").update(args=["--insecure_dev_auth"])),
        ("an optional TLS secret in production", prod,
         lambda o: volume(o, "outcomes", "tls")["secret"].update(optional=True)),
        ("no FS_TLS_CA in production", hprod, lambda o: data(o, "workbook").pop("FS_TLS_CA")),
        ("TLS files outside the TLS mount", prod,
         lambda o: data(o, "supervision").update(FS_TLS_KEY="/etc/tls/tls.key")),
        ("TLS from another service's Secret", hprod,
         lambda o: volume(o, "case-records", "tls")["secret"].update(secretName="outcomes-tls")),
        ("one replica in production", prod,
         lambda o: one(o, "HorizontalPodAutoscaler", "workbook")["spec"].update(minReplicas=1)),
        ("no dev auth in dev", dev, lambda o: data(o, "supervision").pop("FS_INSECURE_DEV_AUTH")),
        ("TLS settings in dev", dev,
         lambda o: data(o, "workbook").update(FS_TLS_CERT="/var/run/secrets/fs/tls/tls.crt")),
        ("no ServiceMonitor", hprod, lambda o: remove(o, "ServiceMonitor", "outcomes")),
        ("a ServiceMonitor on the wrong port", hprod,
         lambda o: one(o, "ServiceMonitor", "workbook")["spec"]["endpoints"][0].update(
             port="grpc")),
        ("an alert rule missing from the PrometheusRule", hprod,
         lambda o: find(o, "PrometheusRule")[0]["spec"]["groups"][0]["rules"].pop()),
        ("a Certificate with the wrong SPIFFE ID", hprod,
         lambda o: one(o, "Certificate", "supervision")["spec"].update(
             uris=["spiffe://fs.local/service/supervisor"])),
    ]
    for what, label, mutate in broken:
        base = by_label.get(label)
        if base is None:
            failures.append(f"no {label} render for the self-test")
            continue
        objs = copy.deepcopy(base.objs)
        try:
            mutate(objs)
        except (KeyError, IndexError, StopIteration, TypeError) as e:
            failures.append(f"self-test set-up: could not make {what}: {e!r}")
            continue
        text = yaml.safe_dump_all(objs, sort_keys=False)
        rs = RenderSet(f"{label}: {what}", text, base.mode, base.helm, base.services)
        rs.objs = objs
        if not check_all(rs, ctx):
            failures.append(f"{label} with {what} passed")

    ports, subs, prods = parse_run_local(
        'declare -A GRPC_PORT=([a]=1 [b]=2)\n'
        'declare -A EVENT_SUBSCRIBERS=([a]="b c"\n  [b]="a")\n'
        'declare -A EVENT_PRODUCERS=([b]="a")\n')
    if (ports, subs, prods) != ({"a": 1, "b": 2}, {"a": ["b", "c"], "b": ["a"]}, {"b": ["a"]}):
        failures.append("parse_run_local() misreads run-local.sh's arrays")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--helm", help="Helm binary (default: FS_HELM of scripts/tools-env.sh)")
    parser.add_argument("--kubectl", help="kubectl binary (default: FS_KUBECTL)")
    parser.add_argument("--build-dir", default=os.environ.get("FS_BUILD_DIR") or "build",
                        help="where the service binaries are (their flags: --helpfull)")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()

    tools = Tools(args.helm, args.kubectl)
    ctx = Context(args.build_dir)
    problems = ctx.problems()
    sets = render_sets(tools, problems)

    if args.self_test:
        failures = problems + self_test(sets, ctx)
        if len(sets) != 5:
            failures.append("not every render succeeded")
        for failure in failures:
            print(f"check_manifests self-test: {failure}", file=sys.stderr)
        if not failures:
            print("check_manifests self-test: every broken render was rejected")
        return 1 if failures else 0

    for rs in sets:
        problems += check_all(rs, ctx)
    more, notes = check_chart_behaviour(tools, ctx)
    problems += more
    for problem in problems:
        print(f"check_manifests: {problem}", file=sys.stderr)
    if problems:
        print(f"check_manifests: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    for rs in sets:
        kinds = {}
        for o in rs.objs:
            kinds[o["kind"]] = kinds.get(o["kind"], 0) + 1
        print(f"check_manifests: {rs.label}: OK ({len(rs.objs)} objects: "
              + ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) + ")")
    for note in notes:
        print(f"check_manifests: OK: {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
