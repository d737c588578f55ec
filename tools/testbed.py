#!/usr/bin/env python3
"""A real NetBox 4.7 on 127.0.0.1 for the demo, the integration tests and the benchmarks.

    testbed.py start  [--dataset sample|large]   install (once), start PostgreSQL, Redis, NetBox; seed
    testbed.py stop   [--dataset sample|large|all]
    testbed.py status [--dataset ...]
    testbed.py env    [--dataset ...]             shell lines: NETBOX_URL, NETBOX_TOKEN, ...
    testbed.py reset  [--dataset ...]             restore the freshly seeded database

Standard output carries only `export NAME=value` lines (callers `eval` it); everything else, including
what the programs it runs print, goes to standard error.

Everything it starts is recorded under the run directory (pid files) and only that is ever stopped.
Expensive, reusable artefacts (the NetBox venv, a dump of the migrated database, a dump of each
seeded data set) live in a cache directory, so `netbox migrate` (about 6 minutes) runs once per
machine and NetBox version.

This script uses only the standard library, so any Python 3 can run it; NetBox itself runs in its
own Python 3.12+ venv.
"""
from __future__ import annotations

import argparse
import contextlib
import fcntl
import functools
import glob
import hashlib
import json
import os
import pathlib
import pwd
import shlex
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

NETBOX_VERSION = "4.7.3"
# NetBox Labs' Branching plugin (1.2.x needs NetBox 4.7), on the sample data set only: the large one
# stays as fast as before. SOT_TESTBED_BRANCHING=0 leaves it out.
BRANCHING_PACKAGE, BRANCHING_VERSION = "netboxlabs-netbox-branching", "1.2.2"
BRANCHING_DATASETS = ("sample",)
HERE = pathlib.Path(__file__).resolve().parent
CACHE = pathlib.Path(os.environ.get("SOT_TESTBED_CACHE", pathlib.Path.home() / ".cache" / "sot-netbox-testbed"))
RUN = pathlib.Path(os.environ.get("SOT_TESTBED_RUN", "/tmp/sot-netbox-testbed"))
PG_PORT = int(os.environ.get("SOT_TESTBED_PG_PORT", "54329"))
REDIS_PORT = int(os.environ.get("SOT_TESTBED_REDIS_PORT", "63799"))
HTTP_PORT = int(os.environ.get("SOT_TESTBED_HTTP_PORT", "8765"))  # sample; large is the next port
PG_USER = "postgres"

PG_LIB = "/usr/lib/postgresql"  # Debian's versioned server binaries: <PG_LIB>/<major>/bin/initdb

# The admin login of this throwaway NetBox on loopback. Its API tokens are NOT fixed: NetBox makes
# them (POST /api/users/tokens/provision/), as it does for a user, so tests use real ones (NetBox 4.7
# makes mixed-case v1 tokens and `nbt_<key>.<secret>` v2 tokens). They are made once per seeded dump,
# stored beside it and restored with it.
ADMIN_USER, ADMIN_PASSWORD = "admin", "admin"
TOKENS = {
    # exported name: (token version, write enabled)
    "NETBOX_TOKEN": (1, True),
    "SOT_TESTBED_TOKEN_READONLY": (1, False),
    "SOT_TESTBED_TOKEN_V2": (2, True),
}
TOKEN_DESCRIPTION = "sot.netbox test bed"

DATASETS = {
    # name: (database, http port, redis db for tasks, redis db for caching)
    "sample": ("netbox_sample", HTTP_PORT, 0, 1),
    "large": ("netbox_large", HTTP_PORT + 1, 2, 3),
}

CONFIGURATION = """\
import os
_DB = os.environ.get("SOT_TESTBED_DB", "netbox_sample")
_REDIS_TASKS = int(os.environ.get("SOT_TESTBED_REDIS_TASKS", "0"))
_REDIS_CACHE = int(os.environ.get("SOT_TESTBED_REDIS_CACHE", "1"))
ALLOWED_HOSTS = ["*"]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql", "NAME": _DB, "USER": "{pg_user}", "PASSWORD": "",
    "HOST": "127.0.0.1", "PORT": "{pg_port}", "CONN_MAX_AGE": 300,
}}}}
REDIS = {{
    "tasks": {{"HOST": "127.0.0.1", "PORT": {redis_port}, "USERNAME": "", "PASSWORD": "",
              "DATABASE": _REDIS_TASKS, "SSL": False}},
    "caching": {{"HOST": "127.0.0.1", "PORT": {redis_port}, "USERNAME": "", "PASSWORD": "",
                "DATABASE": _REDIS_CACHE, "SSL": False}},
}}
SECRET_KEY = "sot-netbox-testbed-secret-key-not-for-production-use-0123456789"
API_TOKEN_PEPPERS = {{1: "sot-netbox-testbed-pepper-not-for-production-use-0123456789"}}
MAX_PAGE_SIZE = 1000
PAGINATE_COUNT = 50
CHANGELOG_RETENTION = 0
if os.environ.get("SOT_TESTBED_BRANCHING") == "1":
    # The plugin's own installation steps: its schema-aware DATABASES, its router, the plugin.
    from netbox_branching.utilities import DynamicSchemaDict
    DATABASES = DynamicSchemaDict(DATABASES)
    DATABASE_ROUTERS = ["netbox_branching.database.BranchAwareRouter"]
    PLUGINS = ["netbox_branching"]
"""

BOOTSTRAP_USERS = f"""
from users.models import User
admin, _ = User.objects.get_or_create(username="{ADMIN_USER}", defaults=dict(is_superuser=True))
admin.set_password("{ADMIN_PASSWORD}"); admin.is_superuser = True; admin.is_active = True; admin.save()
"""


def die(message: str):
    """Stop with one clear line on stderr (exit status 1), never a traceback."""
    sys.exit(f"[testbed] {message}")


def log(msg: str) -> None:
    print(f"[testbed] {msg}", file=sys.stderr, flush=True)


def run(cmd, check=True, env=None, quiet=False, **kw):
    """Run a command whose standard output never reaches ours: callers `eval` what this script
    prints, so a child's chatter (apt-get's "Selecting ...") would be executed as shell. Output a
    caller wants back is captured (capture_output/stdout=...); anything else goes to stderr."""
    if not quiet:
        log("$ " + " ".join(str(c) for c in cmd))
    if "stdout" not in kw and not kw.get("capture_output"):
        kw["stdout"] = sys.stderr
    return subprocess.run([str(c) for c in cmd], check=check, env=env, **kw)


# ---------------------------------------------------------------- interpreters and install

def find_python312() -> str:
    """A Python >= 3.12 for NetBox's venv (NetBox 4.7 needs it)."""
    candidates = [os.environ.get("SOT_PYTHON", "")]
    candidates += [shutil.which(n) or "" for n in ("python3.13", "python3.12")]
    candidates += sorted(glob.glob(str(pathlib.Path.home() / ".pyenv/versions/3.1[2-9]*/bin/python3")), reverse=True)
    candidates += [sys.executable, shutil.which("python3") or ""]
    for c in candidates:
        if not c or not os.path.exists(c):
            continue
        out = subprocess.run([c, "-c", "import sys;print(sys.version_info >= (3, 12))"],
                             capture_output=True, text=True)
        if out.returncode == 0 and out.stdout.strip() == "True":
            return c
    die("no Python >= 3.12 found for NetBox's venv (set SOT_PYTHON)")


def venv() -> pathlib.Path:
    return CACHE / f"nb-venv-{NETBOX_VERSION}"


def netbox_root() -> pathlib.Path:
    return RUN / "netbox-root"


def install_netbox() -> None:
    marker = venv() / ".sot-installed"
    if marker.exists():
        return
    log(f"installing NetBox {NETBOX_VERSION} into {venv()} (about 80 s, once)")
    CACHE.mkdir(parents=True, exist_ok=True)
    if venv().exists():
        shutil.rmtree(venv())
    run([find_python312(), "-m", "venv", venv()])
    with open(RUN_LOG("pip-netbox.log"), "w") as fh:
        run([venv() / "bin/pip", "install", "-q", f"netbox=={NETBOX_VERSION}", "gunicorn"], stdout=fh, stderr=fh)
    marker.write_text(NETBOX_VERSION)


def branching_marker() -> pathlib.Path:
    return venv() / f".sot-branching-{BRANCHING_VERSION}"


def branching_wanted(dataset: str) -> bool:
    return dataset in BRANCHING_DATASETS and os.environ.get("SOT_TESTBED_BRANCHING", "1") != "0"


def branching_enabled(dataset: str) -> bool:
    """The plugin is configured for this data set: wanted and installed."""
    return branching_wanted(dataset) and branching_marker().exists()


def install_branching(datasets: list[str]) -> None:
    """pip-install the plugin into NetBox's venv once (pure Python, no dependencies of its own, so
    --no-deps leaves NetBox's packages as they are). Without a package registry the test bed runs
    without it and the tests that need it say why they skip."""
    if branching_marker().exists() or not any(branching_wanted(d) for d in datasets):
        return
    log(f"installing {BRANCHING_PACKAGE} {BRANCHING_VERSION} into {venv()} (once)")
    with venv_lock(), open(RUN_LOG("pip-branching.log"), "w") as fh:
        done = run([venv() / "bin/pip", "install", "-q", "--no-deps", f"{BRANCHING_PACKAGE}=={BRANCHING_VERSION}"],
                   stdout=fh, stderr=fh, check=False)
    if done.returncode != 0:
        log(f"could not install {BRANCHING_PACKAGE}: NetBox runs without it; see {RUN_LOG('pip-branching.log')}")
        return
    branching_marker().write_text(BRANCHING_VERSION)


@contextlib.contextmanager
def venv_lock():
    """One process at a time changes the shared venv."""
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / ".venv.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def missing_packages() -> list[str]:
    """The Debian packages whose programs the test bed needs and cannot find."""
    missing = []
    if shutil.which("redis-server") is None:
        missing.append("redis-server")
    if pg_bin("initdb") is None:
        missing.append("postgresql")
    return missing


def ensure_system_packages() -> None:
    """Install Redis and the PostgreSQL server with apt-get when they are missing (a fresh machine).
    apt-get prints progress on its standard output: run() sends it to stderr, never to ours."""
    missing = missing_packages()
    if missing:
        wanted = " ".join(missing)
        if os.geteuid() != 0:
            die(f"missing {wanted}: install it as root (sudo apt-get install -y {wanted}) or put its programs "
                "on PATH, then run this again; this script installs packages itself only when run as root")
        if shutil.which("apt-get") is None:
            die(f"missing {wanted} and no apt-get to install it with: install {wanted} with this system's "
                "package manager, then run this again")
        log(f"installing {wanted} with apt-get (once per machine)")
        apt_env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        with open(RUN_LOG("apt-get.log"), "a") as fh:
            for cmd in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *missing]):
                done = run(cmd, env=apt_env, stdout=fh, stderr=subprocess.STDOUT, check=False)
                if done.returncode != 0:
                    tail = RUN_LOG("apt-get.log").read_text().splitlines()[-10:]
                    die(f"`{' '.join(cmd)}` failed (exit status {done.returncode}):\n" + "\n".join(tail))
        still = missing_packages()
        if still:
            die(f"apt-get installed {wanted} but {' '.join(still)} is still not found; see {RUN_LOG('apt-get.log')}")
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            die(f"PostgreSQL refuses to run as root and there is no {PG_USER!r} user to run it as: install the "
                f"postgresql package (it creates the user) or create the user, then run this again")


def RUN_LOG(name: str) -> pathlib.Path:
    (RUN / "logs").mkdir(parents=True, exist_ok=True)
    return RUN / "logs" / name


# ---------------------------------------------------------------- PostgreSQL

def pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"{PG_LIB}/*/bin/{name}"), key=_major_first, reverse=True)
    return found[0] if found else shutil.which(name)


def _major_first(path: str) -> tuple:
    major = pathlib.Path(path).parent.parent.name
    return (int(major) if major.isdigit() else 0, path)


@functools.lru_cache(maxsize=None)
def initdb_locale() -> str:
    """C.UTF-8 when the system has it (Debian 12 always does), else C: the caller's locale (LANG may
    name one that was never generated on a fresh machine) must not decide whether initdb works."""
    out = subprocess.run(["locale", "-a"], capture_output=True, text=True, check=False) \
        if shutil.which("locale") else None
    names = {n.strip().lower().replace("-", "") for n in (out.stdout.splitlines() if out else [])}
    return "C.UTF-8" if "c.utf8" in names else "C"


def as_pg(cmd: list, **kw):
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", PG_USER, "--"] + cmd
    kw.setdefault("env", {**os.environ, "LC_ALL": initdb_locale()})
    kw.setdefault("cwd", "/")  # the caller's directory may be closed to that user

    return run(cmd, **kw)


def pg_dir() -> pathlib.Path:
    return RUN / "pg"


def pg_running() -> bool:
    return subprocess.run([pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(PG_PORT)],
                          capture_output=True).returncode == 0


def start_postgres() -> None:
    RUN.mkdir(parents=True, exist_ok=True)
    os.chmod(RUN, 0o755)
    data = pg_dir() / "data"
    if os.geteuid() == 0 and subprocess.run(["runuser", "-u", PG_USER, "--", "test", "-x", str(RUN)],
                                            check=False).returncode != 0:
        die(f"the run directory {RUN} (SOT_TESTBED_RUN) must be reachable by the {PG_USER} user, "
            "which runs PostgreSQL: choose a path under /tmp or make its parents world-executable")
    if not (data / "PG_VERSION").exists():
        pg_dir().mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(pg_dir(), PG_USER, PG_USER)
        as_pg([pg_bin("initdb"), "-D", data, "-U", PG_USER, "--auth=trust", "-E", "UTF8", f"--locale={initdb_locale()}",
               "--no-sync"], stdout=subprocess.DEVNULL)
        with open(data / "postgresql.conf", "a") as fh:
            fh.write("\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n"
                     f"listen_addresses = '127.0.0.1'\nport = {PG_PORT}\nunix_socket_directories = '{pg_dir()}'\n"
                     "max_connections = 200\nshared_buffers = 256MB\n")
    if pg_running():
        return
    as_pg([pg_bin("pg_ctl"), "-D", data, "-l", pg_dir() / "server.log", "-w", "start"], stdout=subprocess.DEVNULL)


def stop_postgres() -> None:
    data = pg_dir() / "data"
    if (data / "postmaster.pid").exists():
        as_pg([pg_bin("pg_ctl"), "-D", data, "-m", "fast", "-w", "stop"], check=False, stdout=subprocess.DEVNULL)


def psql(sql: str, db: str = "postgres", check=True):
    return as_pg([pg_bin("psql"), "-h", "127.0.0.1", "-p", PG_PORT, "-U", PG_USER, "-d", db, "-v",
                  "ON_ERROR_STOP=1", "-qAt", "-c", sql], check=check, capture_output=True, text=True, quiet=True)


def db_exists(db: str) -> bool:
    return psql(f"SELECT 1 FROM pg_database WHERE datname='{db}'").stdout.strip() == "1"


def drop_db(db: str) -> None:
    psql(f"DROP DATABASE IF EXISTS {db} WITH (FORCE)")


def dump_db(db: str, dest: pathlib.Path) -> None:
    tmp = dest.with_suffix(".tmp")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with open(tmp, "wb") as fh:
        as_pg([pg_bin("pg_dump"), "-h", "127.0.0.1", "-p", PG_PORT, "-U", PG_USER, "-Fc", "-Z1", db], stdout=fh)
    os.replace(tmp, dest)


def create_db(db: str) -> None:
    psql(f"CREATE DATABASE {db}")
    # The Branching plugin makes a schema per branch (its installation step; a no-op for a superuser).
    psql(f"GRANT CREATE ON DATABASE {db} TO {PG_USER}")


def restore_db(db: str, src: pathlib.Path) -> None:
    drop_db(db)
    create_db(db)
    with open(src, "rb") as fh:
        as_pg([pg_bin("pg_restore"), "-h", "127.0.0.1", "-p", PG_PORT, "-U", PG_USER, "-d", db, "--no-owner"],
              stdin=fh)


# ---------------------------------------------------------------- Redis

def redis_pidfile() -> pathlib.Path:
    return RUN / "redis.pid"


def start_redis() -> None:
    if pid_alive(redis_pidfile()):
        return
    run(["redis-server", "--bind", "127.0.0.1", "--port", REDIS_PORT, "--save", "", "--appendonly", "no",
         "--daemonize", "yes", "--pidfile", redis_pidfile(), "--logfile", RUN_LOG("redis.log"), "--dir", RUN],
        stdout=subprocess.DEVNULL)
    for _ in range(50):
        if pid_alive(redis_pidfile()):
            return
        time.sleep(0.1)
    die("redis did not start; see " + str(RUN_LOG("redis.log")))


def stop_redis() -> None:
    stop_pidfile(redis_pidfile())


# ---------------------------------------------------------------- NetBox

def write_configuration() -> None:
    conf = netbox_root() / "conf"
    conf.mkdir(parents=True, exist_ok=True)
    text = CONFIGURATION.format(pg_user=PG_USER, pg_port=PG_PORT, redis_port=REDIS_PORT)
    path = conf / "configuration.py"
    if not path.exists() or path.read_text() != text:
        path.write_text(text)
    (netbox_root() / "local_requirements.txt").touch()


def netbox_env(dataset: str) -> dict:
    db, _port, r_tasks, r_cache = DATASETS[dataset]
    return {**os.environ, "NETBOX_ROOT": str(netbox_root()), "SOT_TESTBED_DB": db,
            "SOT_TESTBED_BRANCHING": "1" if branching_enabled(dataset) else "0",
            "SOT_TESTBED_REDIS_TASKS": str(r_tasks), "SOT_TESTBED_REDIS_CACHE": str(r_cache),
            "DJANGO_SETTINGS_MODULE": "netbox.settings", "PYTHONWARNINGS": "ignore"}


def netbox_manage(dataset: str, *args, **kw):
    return run([venv() / "bin/netbox", *args], env=netbox_env(dataset), **kw)


def migrated_dump() -> pathlib.Path:
    return CACHE / "dumps" / f"netbox-{NETBOX_VERSION}-migrated.dump"


def seeded_dump(dataset: str, tokens_scheme: bytes = b"tokens made by NetBox", plugins: bool = True) -> pathlib.Path:
    # The dump's name carries a hash of the seed script, so changing the data re-seeds; of the
    # way its tokens are made, so a cache shared with older checkouts keeps their dumps intact; and
    # of the plugins whose tables it holds, so a dump without them is never taken for one with them.
    seed = (HERE / "testbed_data.py").read_bytes() + tokens_scheme
    if plugins and branching_enabled(dataset):
        seed += f"\0{BRANCHING_PACKAGE}=={BRANCHING_VERSION}".encode()
    digest = hashlib.sha256(seed).hexdigest()[:12]
    return CACHE / "dumps" / f"netbox-{NETBOX_VERSION}-{dataset}-{digest}.dump"


def legacy_seeded_dump(dataset: str) -> pathlib.Path:
    """The same data seeded by a checkout whose tokens were fixed strings: reused (never rewritten)
    instead of seeding again; ensure_tokens replaces its tokens and writes seeded_dump()."""
    return seeded_dump(dataset, tokens_scheme=b"")


def seeded_marker(dataset: str) -> pathlib.Path:
    """Names the seeded dump the live database was restored from (or dumped to)."""
    return RUN / f"{dataset}.seeded"


def ensure_database(dataset: str) -> bool:
    """The data set's database, restored from its seeded dump or migrated and seeded. True when it
    is in its freshly seeded state now (restored or seeded by this call)."""
    db = DATASETS[dataset][0]
    marker = seeded_marker(dataset)
    if db_exists(db) and marker.exists() and marker.read_text() == seeded_dump(dataset).name:
        return False
    marker.unlink(missing_ok=True)
    # A NetBox still serving this database would keep connections a restore terminates.
    stop_netbox(dataset)
    if seeded_dump(dataset).exists():
        restore_seeded(dataset)
        return True
    plain = seeded_dump(dataset, plugins=False)
    if plain != seeded_dump(dataset) and plain.exists():
        add_plugins_to_seeded(dataset, plain)
        return True
    run_tokens(dataset).unlink(missing_ok=True)
    if legacy_seeded_dump(dataset).exists():
        log(f"restoring seeded {dataset} database from {legacy_seeded_dump(dataset)} (its tokens are replaced)")
        restore_db(db, legacy_seeded_dump(dataset))
        return True
    if migrated_dump().exists():
        log("restoring the migrated empty database from cache")
        restore_db(db, migrated_dump())
        with open(RUN_LOG("migrate.log"), "a") as fh:
            netbox_manage(dataset, "migrate", "--no-input", stdout=fh, stderr=fh)
    else:
        log("running `netbox migrate` from empty (about 6 minutes, once per machine)")
        drop_db(db)
        create_db(db)
        with open(RUN_LOG("migrate.log"), "a") as fh:
            netbox_manage(dataset, "migrate", "--no-input", stdout=fh, stderr=fh)
        dump_db(db, migrated_dump())
    netbox_manage(dataset, "shell", "-c", BOOTSTRAP_USERS, stdout=subprocess.DEVNULL)
    seed(dataset)
    # The seeded dump is written by ensure_tokens, once NetBox has made the tokens it will hold.
    return True


def add_plugins_to_seeded(dataset: str, plain: pathlib.Path) -> None:
    """The same data seeded without the plugin: restored with its tokens, the plugin's migrations
    applied (seconds, where seeding again takes a minute), dumped under the plugin's name."""
    restore_seeded(dataset, plain)
    tokens = read_tokens(run_tokens(dataset))
    log(f"applying the {BRANCHING_PACKAGE} migrations to the seeded {dataset} database")
    with open(RUN_LOG("migrate.log"), "a") as fh:
        netbox_manage(dataset, "migrate", "--no-input", stdout=fh, stderr=fh)
    if tokens:
        save_seeded(dataset, tokens)
    else:
        seeded_marker(dataset).unlink(missing_ok=True)  # ensure_tokens makes them and dumps


def restore_seeded(dataset: str, source: pathlib.Path | None = None) -> None:
    """Restore the seeded dump and the tokens stored with it, as one consistent pair."""
    source = source or seeded_dump(dataset)
    log(f"restoring seeded {dataset} database from {source}")
    with dumps_lock():
        tokens = read_tokens(source.with_suffix(".tokens.json"))
        restore_db(DATASETS[dataset][0], source)
    if tokens:
        write_tokens(run_tokens(dataset), tokens)
    else:
        run_tokens(dataset).unlink(missing_ok=True)
    seeded_marker(dataset).write_text(seeded_dump(dataset).name)


# ---------------------------------------------------------------- API tokens (made by NetBox)

def cached_tokens(dataset: str) -> pathlib.Path:
    """The tokens held by the seeded dump, stored beside it."""
    return seeded_dump(dataset).with_suffix(".tokens.json")


def run_tokens(dataset: str) -> pathlib.Path:
    """The tokens of the live database (what `env` prints)."""
    return RUN / f"{dataset}.tokens.json"


@contextlib.contextmanager
def dumps_lock():
    """One process at a time writes or reads a seeded dump with its tokens (the cache is shared)."""
    (CACHE / "dumps").mkdir(parents=True, exist_ok=True)
    with open(CACHE / "dumps" / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def read_tokens(path: pathlib.Path) -> dict | None:
    try:
        tokens = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(tokens, dict) or set(tokens) != set(TOKENS):
        return None
    return tokens


def write_tokens(path: pathlib.Path, tokens: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(tokens, fh)
    os.replace(tmp, path)


def auth_header(token: str) -> str:
    # NetBox's own rule: a `nbt_` prefix is a v2 token (Bearer), anything else a v1 token.
    return f"Bearer {token}" if token.startswith("nbt_") else f"Token {token}"


_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never a proxy


def api(dataset: str, method: str, path: str, body=None, token: str | None = None, timeout: float = 30):
    """(HTTP status, decoded JSON body or the first bytes of an error body) of one request to NetBox."""
    headers = {"Accept": "application/json"}
    data = None
    if body is not None:
        headers["Content-Type"] = "application/json"
        data = json.dumps(body).encode()
    if token:
        headers["Authorization"] = auth_header(token)
    req = urllib.request.Request(url(dataset) + path, data=data, headers=headers, method=method)
    try:
        with _OPENER.open(req, timeout=timeout) as resp:
            raw = resp.read()
            return resp.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()[:300].decode(errors="replace")


def tokens_work(dataset: str, tokens: dict | None) -> bool:
    if not tokens:
        return False
    try:
        return all(api(dataset, "GET", "/api/status/", token=t, timeout=10)[0] == 200 for t in tokens.values())
    except (urllib.error.URLError, OSError):
        return False


def provision_tokens(dataset: str) -> dict:
    """Let NetBox make the test bed's tokens from the admin login (POST /api/users/tokens/provision/),
    then delete any other token of the admin user, so only real, current ones exist."""
    tokens, ids = {}, set()
    for name, (version, write) in TOKENS.items():
        status, body = api(dataset, "POST", "/api/users/tokens/provision/", {
            "username": ADMIN_USER, "password": ADMIN_PASSWORD, "version": version, "write_enabled": write,
            "description": f"{TOKEN_DESCRIPTION}: {name}"})
        if status != 201 or not isinstance(body, dict) or not body.get("token"):
            die(f"NetBox did not make the {name} token (POST /api/users/tokens/provision/ answered {status}: {body})")
        tokens[name] = body["token"] if version == 1 else f"nbt_{body['key']}.{body['token']}"
        ids.add(body["id"])
    status, body = api(dataset, "GET", f"/api/users/tokens/?user={ADMIN_USER}&limit=0&brief=1",
                       token=tokens["NETBOX_TOKEN"])
    stale = [{"id": t["id"]} for t in (body or {}).get("results", [])] if status == 200 else []
    stale = [t for t in stale if t["id"] not in ids]
    if stale:
        status, body = api(dataset, "DELETE", "/api/users/tokens/", stale, token=tokens["NETBOX_TOKEN"])
        if status != 204:
            die(f"deleting the admin user's old tokens failed (HTTP {status}: {body})")
    return tokens


def ensure_tokens(dataset: str, workers: int, fresh: bool) -> None:
    """The live database holds working tokens whose values are in run_tokens(); the seeded dump is
    written together with them (so restore and reset bring back the same tokens)."""
    if tokens_work(dataset, read_tokens(run_tokens(dataset))):
        return
    if not fresh and seeded_dump(dataset).exists():
        # The live database's tokens are unknown and it may hold test leftovers: back to the dump.
        stop_netbox(dataset)
        restore_seeded(dataset)
        start_netbox(dataset, workers)
        if tokens_work(dataset, read_tokens(run_tokens(dataset))):
            return
    # A new seed, or a dump made before the tokens were NetBox's own: make them and store them.
    log(f"creating the {dataset} test bed's API tokens through NetBox's API")
    tokens = provision_tokens(dataset)
    save_seeded(dataset, tokens)


def save_seeded(dataset: str, tokens: dict) -> None:
    """Dump the (freshly seeded) database with the tokens it holds."""
    write_tokens(run_tokens(dataset), tokens)
    with dumps_lock():
        dump_db(DATASETS[dataset][0], seeded_dump(dataset))
        write_tokens(cached_tokens(dataset), tokens)
    seeded_marker(dataset).write_text(seeded_dump(dataset).name)


def seed(dataset: str) -> None:
    log(f"seeding the {dataset} data set")
    t0 = time.time()
    code = f"exec(open({str(HERE / 'testbed_data.py')!r}).read()); seed({dataset!r})"
    with open(RUN_LOG(f"seed-{dataset}.log"), "w") as fh:
        done = run([venv() / "bin/netbox", "shell", "-c", code], env=netbox_env(dataset), stdout=fh,
                   stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = RUN_LOG(f"seed-{dataset}.log").read_text().splitlines()[-15:]
        die("seeding failed:\n" + "\n".join(tail))
    log(f"seeded {dataset} in {time.time() - t0:.1f}s")


def gunicorn_pidfile(dataset: str) -> pathlib.Path:
    return RUN / f"gunicorn-{dataset}.pid"


def url(dataset: str) -> str:
    return f"http://127.0.0.1:{DATASETS[dataset][1]}"


def api_ready(dataset: str) -> bool:
    """NetBox answers its API (without a token it says 403: that is an answer too)."""
    try:
        return api(dataset, "GET", "/api/status/", timeout=5)[0] in (200, 401, 403)
    except (urllib.error.URLError, OSError, ValueError):
        return False


def worker_pidfile(dataset: str) -> pathlib.Path:
    return RUN / f"rqworker-{dataset}.pid"


def start_worker(dataset: str) -> None:
    """NetBox's background worker: the Branching plugin provisions, syncs and merges in jobs."""
    if not branching_enabled(dataset) or pid_alive(worker_pidfile(dataset)):
        return
    with open(RUN_LOG(f"rqworker-{dataset}.log"), "a") as fh:
        proc = subprocess.Popen([str(venv() / "bin/netbox"), "rqworker"], env=netbox_env(dataset), stdin=subprocess.DEVNULL,
                                stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    worker_pidfile(dataset).write_text(str(proc.pid))


def stop_netbox(dataset: str) -> None:
    stop_pidfile(worker_pidfile(dataset))
    stop_pidfile(gunicorn_pidfile(dataset))


def start_netbox(dataset: str, workers: int) -> None:
    if pid_alive(gunicorn_pidfile(dataset)) and api_ready(dataset):
        start_worker(dataset)
        return
    stop_netbox(dataset)
    port = DATASETS[dataset][1]
    run([venv() / "bin/gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", workers, "--threads", "1",
         "--timeout", "300", "--no-control-socket", "--pid", gunicorn_pidfile(dataset), "--daemon",
         "--error-logfile", RUN_LOG(f"gunicorn-{dataset}.log"), "netbox.wsgi"], env=netbox_env(dataset))
    for _ in range(240):
        if api_ready(dataset):
            start_worker(dataset)
            return
        time.sleep(0.5)
    die(f"NetBox did not answer on {url(dataset)}; see {RUN_LOG(f'gunicorn-{dataset}.log')}")


# ---------------------------------------------------------------- processes

def read_pid(pidfile: pathlib.Path) -> int | None:
    try:
        return int(pidfile.read_text().strip())
    except (OSError, ValueError):
        return None


def pid_alive(pidfile: pathlib.Path) -> bool:
    pid = read_pid(pidfile)
    if pid is None:
        return False
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def stop_pidfile(pidfile: pathlib.Path) -> None:
    """Stop only the process this test bed recorded, and wait until it is gone."""
    pid = read_pid(pidfile)
    if pid is None:
        return
    try:
        os.kill(pid, signal.SIGTERM)
    except OSError:
        pidfile.unlink(missing_ok=True)
        return
    for _ in range(200):
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    pidfile.unlink(missing_ok=True)


# ---------------------------------------------------------------- commands

def env_lines(dataset: str) -> str:
    """The only text this script writes to standard output."""
    tokens = read_tokens(run_tokens(dataset))
    if not tokens:
        die(f"the {dataset} test bed has no API tokens yet ({run_tokens(dataset)} is missing): "
            f"run `tools/testbed.py start --dataset {dataset}` first")
    lines = [f"export NETBOX_URL={url(dataset)}"]
    lines += [f"export {name}={shlex.quote(tokens[name])}" for name in TOKENS]
    lines.append(f"export SOT_TESTBED_DATASET={dataset}")
    lines.append(f"export SOT_TESTBED_BRANCHING={1 if branching_enabled(dataset) else 0}")
    return "\n".join(lines)


def cmd_start(args) -> None:
    ensure_system_packages()
    install_netbox()
    install_branching(args.datasets)
    start_postgres()
    start_redis()
    write_configuration()
    for ds in args.datasets:
        fresh = ensure_database(ds)
        start_netbox(ds, args.workers)
        ensure_tokens(ds, args.workers, fresh)
        log(f"NetBox {NETBOX_VERSION} ({ds}) ready at {url(ds)}")
    print(env_lines(args.datasets[0]))


def cmd_stop(args) -> None:
    for ds in DATASETS:
        if ds in args.datasets:
            stop_netbox(ds)
    if set(args.datasets) == set(DATASETS) or not any(pid_alive(gunicorn_pidfile(d)) for d in DATASETS):
        stop_redis()
        stop_postgres()
    log("stopped")


def cmd_status(args) -> None:
    status = {"postgres": pg_running(), "redis": pid_alive(redis_pidfile())}
    for ds in args.datasets:
        status[f"netbox-{ds}"] = {"url": url(ds), "running": pid_alive(gunicorn_pidfile(ds)),
                                  "api": api_ready(ds), "tokens": tokens_work(ds, read_tokens(run_tokens(ds))),
                                  "branching": branching_enabled(ds), "rqworker": pid_alive(worker_pidfile(ds))}
    print(json.dumps(status, indent=2))


def cmd_env(args) -> None:
    print(env_lines(args.datasets[0]))


def cmd_reset(args) -> None:
    """Put a data set back to its freshly seeded state (the dump is made at first start)."""
    for ds in args.datasets:
        if not seeded_dump(ds).exists():
            die(f"no seeded dump of {ds} yet: run `tools/testbed.py start --dataset {ds}` first")
        stop_netbox(ds)
        restore_seeded(ds)
        start_netbox(ds, args.workers)
        ensure_tokens(ds, args.workers, fresh=True)
        log(f"{ds} reset")


COMMANDS = {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "env": cmd_env, "reset": cmd_reset}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=list(COMMANDS))
    parser.add_argument("--dataset", default="sample", choices=[*DATASETS, "all"])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SOT_TESTBED_WORKERS", "2")))
    args = parser.parse_args(argv)
    args.datasets = list(DATASETS) if args.dataset == "all" else [args.dataset]
    try:
        COMMANDS[args.command](args)
    except subprocess.CalledProcessError as exc:
        cmd = " ".join(str(c) for c in exc.cmd)
        die(f"`{cmd}` failed with exit status {exc.returncode}; logs are in {RUN / 'logs'}")
    except FileNotFoundError as exc:
        die(f"{exc.filename or exc}: not found ({exc.strerror})")


if __name__ == "__main__":
    main()
