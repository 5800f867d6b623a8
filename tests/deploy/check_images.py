#!/usr/bin/python3
"""Checks the service images (services/<svc>/Dockerfile) against the package lists, offline.

Dockerfiles, per service:
- two stages, both `FROM debian:bookworm-slim`;
- the build stage copies scripts/packages.txt (and scripts/install-deps.sh) and runs
  scripts/install-deps.sh, so the image builds with the project's own package list;
- the runtime stage copies scripts/runtime-packages.txt and apt-get installs from it with
  --no-install-recommends (the closure below counts Depends and Pre-Depends only);
- the final USER is a numeric, non-root uid (Kubernetes' runAsNonRoot can only verify numbers);
- ENTRYPOINT (exec form) is /usr/local/bin/<svc>_server, and `COPY --from=build` copies
  .../build/services/<svc>/<svc>_server there;
- EXPOSE lists the service's gRPC and metrics ports and the chart's health port.

Libraries, both ways, on the built binaries in ${FS_BUILD_DIR:-build}/services/<svc>/<svc>_server:
- every package owning a library a binary links (`ldd`, `dpkg -S`) is in the dependency closure
  of scripts/runtime-packages.txt on this machine (Depends and Pre-Depends, recursively; `a | b`
  counts as either) or in the base image (debian:bookworm-slim: the Essential and
  priority-required packages and what they depend on);
- every package in runtime-packages.txt owns a library some binary links (no dead entries),
  unless its comment says it is not linked but read at run time (tzdata);
- tzdata is listed, since common/dates.cc loads the Europe/London time zone.

Run from the repository root (ctest does): /usr/bin/python3 tests/deploy/check_images.py.
`--self-test` feeds the checks broken package lists and Dockerfiles and fails unless each one
is rejected.
"""
import argparse
import json
import os
import re
import shlex
import subprocess
import sys

import yaml

# Process name -> (default gRPC port, default metrics port); scripts/run-local.sh agrees.
SERVICES = {
    "case_records": (50051, 9101),
    "workbook": (50052, 9102),
    "supervision": (50053, 9103),
    "outcomes": (50054, 9104),
}
BASE_IMAGE = "debian:bookworm-slim"
RUNTIME_LIST = "scripts/runtime-packages.txt"
# A comment saying an entry is needed although no binary links it.
NOT_LINKED = re.compile(r"not linked|read at run[ -]?time", re.I)


# --- Dockerfiles -----------------------------------------------------------------------------

def parse_dockerfile(text):
    """Stages as [{"from": image, "name": alias or None, "instructions": [(INSTR, args)]}]."""
    logical, current = [], ""
    for raw in text.splitlines():
        line = raw.rstrip()
        if not current and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if current and line.lstrip().startswith("#"):
            continue  # a comment inside a continued instruction
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current.strip():
        logical.append(current)
    stages = []
    for line in logical:
        parts = line.strip().split(None, 1)
        instr = parts[0].upper()
        args = parts[1].strip() if len(parts) > 1 else ""
        if instr == "FROM":
            words = args.split()
            words = [w for w in words if not w.startswith("--platform")]
            name = None
            if len(words) >= 3 and words[1].upper() == "AS":
                name = words[2]
            stages.append({"from": words[0] if words else "", "name": name, "instructions": []})
        elif stages:
            stages[-1]["instructions"].append((instr, args))
    return stages


def exec_form(args):
    """The JSON (exec) form of ENTRYPOINT/CMD as a list, or None for the shell form."""
    try:
        value = json.loads(args)
    except ValueError:
        return None
    return value if isinstance(value, list) and all(isinstance(v, str) for v in value) else None


def copy_args(args):
    """(flags, sources, destination) of a COPY/ADD."""
    words = exec_form(args) or shlex.split(args)
    flags = [w for w in words if w.startswith("--")]
    rest = [w for w in words if not w.startswith("--")]
    return flags, rest[:-1], rest[-1] if rest else ""


def final_user(stage):
    users = [args for instr, args in stage["instructions"] if instr == "USER"]
    return users[-1] if users else None


def dockerfile_uid(text):
    """The numeric uid of the final stage's USER, or None."""
    stages = parse_dockerfile(text)
    user = final_user(stages[-1]) if stages else None
    uid = user.split(":")[0].strip() if user else ""
    return int(uid) if uid.isdigit() else None


def dockerfile_entrypoint(text):
    stages = parse_dockerfile(text)
    for instr, args in reversed(stages[-1]["instructions"] if stages else []):
        if instr == "ENTRYPOINT":
            return exec_form(args)
    return None


def check_dockerfile(svc, text, health_port):
    problems = []
    where = f"services/{svc}/Dockerfile"
    grpc_port, metrics_port = SERVICES[svc]
    binary = f"/usr/local/bin/{svc}_server"
    stages = parse_dockerfile(text)
    if len(stages) != 2:
        problems.append(f"{where}: {len(stages)} stages, expected 2 (build and runtime)")
    for i, stage in enumerate(stages):
        if stage["from"] != BASE_IMAGE:
            problems.append(f"{where}: stage {i + 1} is FROM {stage['from']}, not {BASE_IMAGE}")
    if len(stages) < 2:
        return problems
    build, runtime = stages[0], stages[-1]

    # Build stage: the project's package list and installer.
    copied = [src for instr, args in build["instructions"] if instr in ("COPY", "ADD")
              for src in copy_args(args)[1]]
    for needed in ("scripts/packages.txt", "scripts/install-deps.sh"):
        if needed not in copied:
            problems.append(f"{where}: the build stage does not COPY {needed}")
    runs = [args for instr, args in build["instructions"] if instr == "RUN"]
    if not any(re.search(r"(^|[\s;&|/])scripts/install-deps\.sh\b", r) for r in runs):
        problems.append(f"{where}: the build stage does not RUN scripts/install-deps.sh")

    # Runtime stage: installs exactly the runtime list.
    list_dest = None
    for instr, args in runtime["instructions"]:
        if instr in ("COPY", "ADD"):
            flags, sources, dest = copy_args(args)
            if RUNTIME_LIST in sources and not any(f.startswith("--from") for f in flags):
                list_dest = dest
    if list_dest is None:
        problems.append(f"{where}: the runtime stage does not COPY {RUNTIME_LIST}")
    else:
        target = list_dest.rstrip("/") + "/runtime-packages.txt" if list_dest.endswith("/") \
            else list_dest
        installs = [r for instr, r in runtime["instructions"] if instr == "RUN"
                    and "apt-get install" in r and target in r]
        if not installs:
            problems.append(f"{where}: no RUN in the runtime stage apt-get installs from "
                            f"{target}")
        elif not all("--no-install-recommends" in r for r in installs):
            problems.append(f"{where}: the runtime stage installs without "
                            "--no-install-recommends (the library check counts Depends only)")

    user = final_user(runtime)
    uid = user.split(":")[0].strip() if user else ""
    if not user:
        problems.append(f"{where}: no USER in the runtime stage (it would run as root)")
    elif not uid.isdigit():
        problems.append(f"{where}: USER {user} is not numeric (runAsNonRoot cannot verify it)")
    elif int(uid) == 0:
        problems.append(f"{where}: USER {user} is root")

    entrypoints = [args for instr, args in runtime["instructions"] if instr == "ENTRYPOINT"]
    entry = exec_form(entrypoints[-1]) if entrypoints else None
    if not entrypoints:
        problems.append(f"{where}: no ENTRYPOINT")
    elif entry is None:
        problems.append(f"{where}: ENTRYPOINT is not in exec (JSON) form: {entrypoints[-1]}")
    elif entry != [binary]:
        problems.append(f"{where}: ENTRYPOINT is {entry}, expected [{binary!r}]")

    copies = [copy_args(args) for instr, args in runtime["instructions"] if instr == "COPY"]
    from_build = [(srcs, dest) for flags, srcs, dest in copies
                  if f"--from={build['name'] or 0}" in flags or "--from=build" in flags]
    wanted_src = f"build/services/{svc}/{svc}_server"
    if not any(dest == binary and any(s.rstrip("/").endswith(wanted_src) for s in srcs)
               for srcs, dest in from_build):
        problems.append(f"{where}: no `COPY --from={build['name'] or 0}` of .../{wanted_src} "
                        f"to {binary}")

    exposed = set()
    for instr, args in runtime["instructions"]:
        if instr == "EXPOSE":
            for word in args.split():
                port = word.split("/")[0]
                if port.isdigit():
                    exposed.add(int(port))
    for what, port in (("gRPC", grpc_port), ("metrics", metrics_port),
                       ("health", health_port)):
        if port not in exposed:
            problems.append(f"{where}: EXPOSE does not list the {what} port {port} "
                            f"(it lists {sorted(exposed)})")
    return problems


# --- Packages and libraries ------------------------------------------------------------------

def parse_runtime_list(text):
    """[(package, comment)]: the comment is the entry's own plus its paragraph's comments."""
    entries, paragraph = [], []
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            paragraph = []
            continue
        if line.startswith("#"):
            paragraph.append(line.lstrip("#").strip())
            continue
        name, _, inline = line.partition("#")
        name = name.strip()
        if name:
            entries.append((name, " ".join(paragraph + [inline.strip()]).strip()))
    return entries


def run(cmd):
    return subprocess.run(cmd, capture_output=True, text=True)


def ldd(binary):
    """[(soname, path or None)] of the libraries a binary loads."""
    result = run(["ldd", binary])
    if result.returncode != 0:
        raise RuntimeError(f"ldd {binary} failed: {result.stderr.strip() or result.stdout}")
    libs = []
    for line in result.stdout.splitlines():
        line = line.strip()
        if not line or line.startswith("linux-vdso") or line.startswith("linux-gate"):
            continue
        m = re.match(r"(\S+)\s+=>\s+(not found|\S+)", line)
        if m:
            libs.append((m.group(1), None if m.group(2) == "not found" else m.group(2)))
            continue
        m = re.match(r"(/\S+)\s+\(0x", line)
        if m:
            libs.append((os.path.basename(m.group(1)), m.group(1)))
    return libs


def path_variants(path):
    """The path as ldd prints it, its realpath, and the /lib <-> /usr/lib variants of both
    (Debian 12 is merged-/usr: dpkg knows a file under the name its package ships)."""
    out = []
    for p in (path, os.path.realpath(path)):
        for v in (p, p[4:] if p.startswith("/usr/") else "/usr" + p):
            if v not in out:
                out.append(v)
    return out


def dpkg_owners(paths):
    """{path: [package]} for every path dpkg knows (one dpkg -S call)."""
    owners = {}
    if not paths:
        return owners
    result = run(["dpkg", "-S", *paths])
    for line in result.stdout.splitlines():
        if line.startswith("diversion "):
            continue
        pkgs, sep, path = line.partition(": ")
        if not sep:
            continue
        owners[path.strip()] = [p.strip().split(":")[0] for p in pkgs.split(",")]
    return owners


def installed_packages():
    """{package: {"depends": [[alternative]], "provides": [...], "base": bool}} installed here."""
    fmt = "${Package}\t${db:Status-Abbrev}\t${Essential}\t${Priority}\t${Provides}\t" \
          "${Depends}, ${Pre-Depends}\n"
    result = run(["dpkg-query", "-W", "-f", fmt])
    if result.returncode != 0:
        raise RuntimeError(f"dpkg-query failed: {result.stderr.strip()}")
    packages = {}
    for line in result.stdout.splitlines():
        fields = line.split("\t")
        if len(fields) != 6:
            continue
        name, status, essential, priority, provides, depends = fields
        if len(status) < 2 or status[1] != "i":
            continue  # not installed (only its configuration files are left, ...)
        info = packages.setdefault(name, {"depends": [], "provides": set(), "base": False})
        info["depends"] += parse_depends(depends)
        info["provides"] |= {p[0] for p in parse_depends(provides)}
        info["base"] |= essential.strip() == "yes" or priority.strip() == "required"
    return packages


def parse_depends(field):
    """[[alternative, ...], ...] with version constraints and :any / :arch stripped."""
    out = []
    for clause in field.split(","):
        alts = []
        for alt in clause.split("|"):
            alt = re.sub(r"\([^)]*\)", "", alt)
            alt = re.sub(r"\[[^\]]*\]|<[^>]*>", "", alt).strip()
            alt = alt.split(":")[0].strip()
            if alt:
                alts.append(alt)
        if alts:
            out.append(alts)
    return out


def closure(roots, packages):
    """Every installed package reachable from roots through Depends/Pre-Depends (every
    alternative counts; a virtual package stands for its installed providers)."""
    providers = {}
    for name, info in packages.items():
        for p in info["provides"]:
            providers.setdefault(p, set()).add(name)
    seen, to_visit = set(), list(roots)
    while to_visit:
        name = to_visit.pop()
        for real in ({name} if name in packages else set()) | providers.get(name, set()):
            if real in seen:
                continue
            seen.add(real)
            for alts in packages[real]["depends"]:
                to_visit.extend(alts)
    return seen


def linked_libraries(build_dir):
    """({svc: [(soname, path, [owners])]}, problems) for the built binaries."""
    problems, per_binary = [], {}
    for svc in SERVICES:
        binary = os.path.join(build_dir, "services", svc, f"{svc}_server")
        if not os.path.isfile(binary):
            problems.append(f"{binary} is not built (set FS_BUILD_DIR to the build directory)")
            continue
        try:
            per_binary[svc] = ldd(binary)
        except RuntimeError as e:
            problems.append(str(e))
    paths = sorted({v for libs in per_binary.values() for _, p in libs if p
                    for v in path_variants(p)})
    owners = dpkg_owners(paths)
    result = {}
    for svc, libs in per_binary.items():
        result[svc] = []
        for soname, path in libs:
            if path is None:
                problems.append(f"{svc}_server: {soname} not found by ldd")
                continue
            found = next((owners[v] for v in path_variants(path) if v in owners), [])
            if not found:
                problems.append(f"{svc}_server: no Debian package owns {path} (dpkg -S)")
            result[svc].append((soname, path, found))
    return result, problems


def check_libraries(runtime_text, linked, packages, dates_source):
    problems = []
    entries = parse_runtime_list(runtime_text)
    names = [name for name, _ in entries]
    for name in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{RUNTIME_LIST}: {name} is listed twice")
    for name in names:
        if name not in packages:
            problems.append(f"{RUNTIME_LIST}: {name} is not installed on this machine "
                            "(scripts/install-deps.sh installs the -dev packages that pull it)")
    reachable = closure(names, packages)
    base = closure([n for n, info in packages.items() if info["base"]], packages)
    owning = {}
    for svc, libs in linked.items():
        for soname, path, owners in libs:
            for owner in owners:
                owning.setdefault(owner, set()).add(soname)
            if owners and not any(o in reachable or o in base for o in owners):
                problems.append(f"{svc}_server links {soname} ({path}) from {', '.join(owners)}, "
                                f"which neither {RUNTIME_LIST} (with its dependencies) nor "
                                f"{BASE_IMAGE} installs")
    for name, comment in entries:
        if name in owning:
            continue
        if NOT_LINKED.search(comment):
            continue
        problems.append(f"{RUNTIME_LIST}: {name} owns no library any service binary links "
                        "(a dead entry; if it is read at run time, say so in a comment)")
    if "Europe/London" in dates_source and "tzdata" not in names:
        problems.append(f"{RUNTIME_LIST}: tzdata is missing (common/dates.cc loads "
                        "Europe/London)")
    return problems


# --- Main --------------------------------------------------------------------------------

def read(path):
    with open(path) as f:
        return f.read()


def health_port():
    with open("helm/family-safeguarding/values.yaml") as f:
        return int(yaml.safe_load(f)["global"]["healthPort"])


def self_test(dockerfiles, runtime_text, linked, packages, dates_source, port):
    failures = []
    for svc, text in dockerfiles.items():
        if check_dockerfile(svc, text, port):
            failures.append(f"the real services/{svc}/Dockerfile does not pass")
    if check_libraries(runtime_text, linked, packages, dates_source):
        failures.append(f"the real {RUNTIME_LIST} does not pass")

    def without(text, package):
        return "\n".join(line for line in text.splitlines() if line.strip() != package) + "\n"

    if "libpqxx-6.4" not in runtime_text:
        failures.append(f"{RUNTIME_LIST} does not list libpqxx-6.4 (self-test set-up)")
    elif not check_libraries(without(runtime_text, "libpqxx-6.4"), linked, packages,
                             dates_source):
        failures.append("a runtime list missing libpqxx-6.4 passed")
    owned = {o for libs in linked.values() for _, _, owners in libs for o in owners}
    unused = next((p for p in ("libyaml-0-2", "libsqlite3-0", "libxml2", "libcurl4", "libzstd1")
                   if p in packages and p not in owned), None)
    if unused is None:
        failures.append("no installed, unlinked library package for the self-test")
    elif not check_libraries(runtime_text.replace("libpq5\n", f"libpq5\n{unused}\n"),
                             linked, packages, dates_source):
        failures.append(f"a runtime list with the unused {unused} passed")
    if not check_libraries(without(runtime_text, "tzdata"), linked, packages, dates_source):
        failures.append("a runtime list without tzdata passed")

    svc, text = "case_records", dockerfiles["case_records"]
    broken = {
        "FROM debian:bookworm (not slim)": text.replace(f"FROM {BASE_IMAGE}\n",
                                                       "FROM debian:bookworm\n"),
        "USER root": text.replace("USER 10001:10001", "USER root"),
        "USER 0": text.replace("USER 10001:10001", "USER 0:0"),
        "no USER": text.replace("USER 10001:10001\n", ""),
        "the wrong ENTRYPOINT": text.replace('ENTRYPOINT ["/usr/local/bin/case_records_server"]',
                                             'ENTRYPOINT ["/usr/local/bin/workbook_server"]'),
        "a shell-form ENTRYPOINT": text.replace(
            'ENTRYPOINT ["/usr/local/bin/case_records_server"]',
            "ENTRYPOINT /usr/local/bin/case_records_server"),
        "no metrics port exposed": text.replace("EXPOSE 50051 9101 8080", "EXPOSE 50051 8080"),
        "no health port exposed": text.replace("EXPOSE 50051 9101 8080", "EXPOSE 50051 9101"),
        "a build stage without install-deps.sh": text.replace(
            "RUN scripts/install-deps.sh && ", "RUN "),
        "a runtime stage not installing the list": text.replace(
            "COPY scripts/runtime-packages.txt", "COPY scripts/packages.txt"),
        "recommends installed": text.replace(
            "apt-get install -y --no-install-recommends", "apt-get install -y"),
        "the binary copied from elsewhere": text.replace(
            "/build/services/case_records/case_records_server /usr",
            "/build/services/workbook/workbook_server /usr"),
    }
    for what, bad in broken.items():
        if bad == text:
            failures.append(f"self-test set-up: could not make a Dockerfile with {what}")
        elif not check_dockerfile(svc, bad, port):
            failures.append(f"a Dockerfile with {what} passed")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build-dir", default=os.environ.get("FS_BUILD_DIR") or "build")
    parser.add_argument("--self-test", action="store_true")
    args = parser.parse_args()

    problems = []
    port = health_port()
    dockerfiles = {svc: read(f"services/{svc}/Dockerfile") for svc in SERVICES}
    runtime_text = read(RUNTIME_LIST)
    dates_source = read("common/dates.cc")
    packages = installed_packages()
    linked, lib_problems = linked_libraries(args.build_dir)

    if args.self_test:
        failures = lib_problems + self_test(dockerfiles, runtime_text, linked, packages,
                                            dates_source, port)
        for failure in failures:
            print(f"check_images self-test: {failure}", file=sys.stderr)
        if not failures:
            print("check_images self-test: every broken package list and Dockerfile was "
                  "rejected")
        return 1 if failures else 0

    for svc, text in dockerfiles.items():
        problems += check_dockerfile(svc, text, port)
    problems += lib_problems
    problems += check_libraries(runtime_text, linked, packages, dates_source)
    for problem in problems:
        print(f"check_images: {problem}", file=sys.stderr)
    if not problems:
        libs = {p for libs in linked.values() for _, p, _ in libs}
        entries = parse_runtime_list(runtime_text)
        print(f"check_images: OK: {len(dockerfiles)} Dockerfiles; {len(libs)} libraries "
              f"linked by {len(linked)} binaries in {args.build_dir}, all installed by the "
              f"{len(entries)} packages of {RUNTIME_LIST} or {BASE_IMAGE}, and every entry "
              "is used")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
