#!/usr/bin/env python3
"""A real NetBox 4.7 on 127.0.0.1 for the demo, the integration tests and the benchmarks.

    testbed.py start  [--dataset sample|large]   install (once), start PostgreSQL, Redis, NetBox; seed
    testbed.py stop   [--dataset sample|large|all]
    testbed.py status [--dataset ...]
    testbed.py env    [--dataset ...]             shell lines: NETBOX_URL, NETBOX_TOKEN, ...
    testbed.py reset  [--dataset ...]             restore the freshly seeded database

Everything it starts is recorded under the run directory (pid files) and only that is ever stopped.
Expensive, reusable artefacts (the NetBox venv, a dump of the migrated database, a dump of each
seeded data set) live in a cache directory, so `netbox migrate` (about 6 minutes) runs once per
machine and NetBox version.

This script uses only the standard library, so any Python 3 can run it; NetBox itself runs in its
own Python 3.12+ venv.
"""
from __future__ import annotations

import argparse
import glob
import hashlib
import json
import os
import pathlib
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

NETBOX_VERSION = "4.7.3"
HERE = pathlib.Path(__file__).resolve().parent
CACHE = pathlib.Path(os.environ.get("SOT_TESTBED_CACHE", pathlib.Path.home() / ".cache" / "sot-netbox-testbed"))
RUN = pathlib.Path(os.environ.get("SOT_TESTBED_RUN", "/tmp/sot-netbox-testbed"))
PG_PORT = int(os.environ.get("SOT_TESTBED_PG_PORT", "54329"))
REDIS_PORT = int(os.environ.get("SOT_TESTBED_REDIS_PORT", "63799"))
HTTP_PORT = int(os.environ.get("SOT_TESTBED_HTTP_PORT", "8765"))  # sample; large is the next port
PG_USER = "postgres"

# Fixed test-bed credentials: this NetBox listens on loopback only and holds throwaway data.
TOKEN_V1 = "0123456789abcdef0123456789abcdef01234567"
TOKEN_V1_READONLY = "fedcba9876543210fedcba9876543210fedcba98"
TOKEN_V2_KEY = "sotnetboxkey"
TOKEN_V2_SECRET = "SotNetboxTestbedV2Token0123456789abcdefg"
TOKEN_V2 = f"nbt_{TOKEN_V2_KEY}.{TOKEN_V2_SECRET}"

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
"""

BOOTSTRAP_USERS = f"""
from users.models import User, Token
admin, _ = User.objects.get_or_create(username="admin", defaults=dict(is_superuser=True))
admin.set_password("admin"); admin.is_superuser = True; admin.save()
def ensure(version, token, write, key=None):
    q = Token.objects.filter(user=admin, version=version)
    q = q.filter(plaintext=token) if version == 1 else q.filter(key=key)
    if not q.exists():
        t = Token(user=admin, version=version, write_enabled=write, description="sot.netbox test bed")
        if key:
            t.key = key
        t.token = token
        t.full_clean(); t.save()
ensure(1, "{TOKEN_V1}", True)
ensure(1, "{TOKEN_V1_READONLY}", False)
ensure(2, "{TOKEN_V2_SECRET}", True, key="{TOKEN_V2_KEY}")
print("users ok")
"""


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
    sys.exit("[testbed] no Python >= 3.12 found (set SOT_PYTHON)")


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


def ensure_system_packages() -> None:
    if shutil.which("redis-server") is None:
        log("redis-server missing: installing it with apt-get")
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "install", "-y", "-qq", "redis-server"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
    if pg_bin("initdb") is None:
        log("PostgreSQL server missing: installing it with apt-get")
        run(["apt-get", "update", "-qq"])
        run(["apt-get", "install", "-y", "-qq", "postgresql"], env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})


def RUN_LOG(name: str) -> pathlib.Path:
    (RUN / "logs").mkdir(parents=True, exist_ok=True)
    return RUN / "logs" / name


# ---------------------------------------------------------------- PostgreSQL

def pg_bin(name: str) -> str | None:
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)
    return found[0] if found else shutil.which(name)


def as_pg(cmd: list, **kw):
    """PostgreSQL refuses to run as root: run its tools as the postgres user when we are root."""
    if os.geteuid() == 0:
        cmd = ["runuser", "-u", PG_USER, "--"] + cmd
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
        sys.exit(f"[testbed] the run directory {RUN} (SOT_TESTBED_RUN) must be reachable by the {PG_USER} user, "
                 "which runs PostgreSQL: choose a path under /tmp or make its parents world-executable")
    if not (data / "PG_VERSION").exists():
        pg_dir().mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(pg_dir(), PG_USER, PG_USER)
        as_pg([pg_bin("initdb"), "-D", data, "-U", PG_USER, "--auth=trust", "-E", "UTF8", "--no-sync"],
              stdout=subprocess.DEVNULL)
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


def restore_db(db: str, src: pathlib.Path) -> None:
    drop_db(db)
    psql(f"CREATE DATABASE {db}")
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
    sys.exit("[testbed] redis did not start; see " + str(RUN_LOG("redis.log")))


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
            "SOT_TESTBED_REDIS_TASKS": str(r_tasks), "SOT_TESTBED_REDIS_CACHE": str(r_cache),
            "DJANGO_SETTINGS_MODULE": "netbox.settings", "PYTHONWARNINGS": "ignore"}


def netbox_manage(dataset: str, *args, **kw):
    return run([venv() / "bin/netbox", *args], env=netbox_env(dataset), **kw)


def migrated_dump() -> pathlib.Path:
    return CACHE / "dumps" / f"netbox-{NETBOX_VERSION}-migrated.dump"


def seeded_dump(dataset: str) -> pathlib.Path:
    # The dump's name carries a hash of the seed script, so changing the data re-seeds.
    seed = (HERE / "testbed_data.py").read_bytes()
    digest = hashlib.sha256(seed).hexdigest()[:12]
    return CACHE / "dumps" / f"netbox-{NETBOX_VERSION}-{dataset}-{digest}.dump"


def ensure_database(dataset: str) -> None:
    db = DATASETS[dataset][0]
    marker = RUN / f"{dataset}.seeded"
    if db_exists(db) and marker.exists() and marker.read_text() == seeded_dump(dataset).name:
        return
    marker.unlink(missing_ok=True)
    if seeded_dump(dataset).exists():
        log(f"restoring seeded {dataset} database from {seeded_dump(dataset)}")
        restore_db(db, seeded_dump(dataset))
        marker.write_text(seeded_dump(dataset).name)
        return
    if migrated_dump().exists():
        log("restoring the migrated empty database from cache")
        restore_db(db, migrated_dump())
        with open(RUN_LOG("migrate.log"), "a") as fh:
            netbox_manage(dataset, "migrate", "--no-input", stdout=fh, stderr=fh)
    else:
        log("running `netbox migrate` from empty (about 6 minutes, once per machine)")
        drop_db(db)
        psql(f"CREATE DATABASE {db}")
        with open(RUN_LOG("migrate.log"), "a") as fh:
            netbox_manage(dataset, "migrate", "--no-input", stdout=fh, stderr=fh)
        dump_db(db, migrated_dump())
    netbox_manage(dataset, "shell", "-c", BOOTSTRAP_USERS, stdout=subprocess.DEVNULL)
    seed(dataset)
    dump_db(db, seeded_dump(dataset))
    marker.write_text(seeded_dump(dataset).name)


def seed(dataset: str) -> None:
    log(f"seeding the {dataset} data set")
    t0 = time.time()
    code = f"exec(open({str(HERE / 'testbed_data.py')!r}).read()); seed({dataset!r})"
    with open(RUN_LOG(f"seed-{dataset}.log"), "w") as fh:
        done = run([venv() / "bin/netbox", "shell", "-c", code], env=netbox_env(dataset), stdout=fh,
                   stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = RUN_LOG(f"seed-{dataset}.log").read_text().splitlines()[-15:]
        sys.exit("[testbed] seeding failed:\n" + "\n".join(tail))
    log(f"seeded {dataset} in {time.time() - t0:.1f}s")


def gunicorn_pidfile(dataset: str) -> pathlib.Path:
    return RUN / f"gunicorn-{dataset}.pid"


def url(dataset: str) -> str:
    return f"http://127.0.0.1:{DATASETS[dataset][1]}"


def api_ready(dataset: str) -> bool:
    req = urllib.request.Request(url(dataset) + "/api/status/", headers={"Authorization": f"Token {TOKEN_V1}"})
    try:
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start_netbox(dataset: str, workers: int) -> None:
    if pid_alive(gunicorn_pidfile(dataset)) and api_ready(dataset):
        return
    stop_pidfile(gunicorn_pidfile(dataset))
    port = DATASETS[dataset][1]
    run([venv() / "bin/gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", workers, "--threads", "1",
         "--timeout", "300", "--no-control-socket", "--pid", gunicorn_pidfile(dataset), "--daemon",
         "--error-logfile", RUN_LOG(f"gunicorn-{dataset}.log"), "netbox.wsgi"], env=netbox_env(dataset))
    for _ in range(240):
        if api_ready(dataset):
            return
        time.sleep(0.5)
    sys.exit(f"[testbed] NetBox did not answer on {url(dataset)}; see {RUN_LOG(f'gunicorn-{dataset}.log')}")


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
    return "\n".join([
        f"export NETBOX_URL={url(dataset)}",
        f"export NETBOX_TOKEN={TOKEN_V1}",
        f"export SOT_TESTBED_TOKEN_V2={TOKEN_V2}",
        f"export SOT_TESTBED_TOKEN_READONLY={TOKEN_V1_READONLY}",
        f"export SOT_TESTBED_DATASET={dataset}",
    ])


def cmd_start(args) -> None:
    ensure_system_packages()
    install_netbox()
    start_postgres()
    start_redis()
    write_configuration()
    for ds in args.datasets:
        ensure_database(ds)
        start_netbox(ds, args.workers)
        log(f"NetBox {NETBOX_VERSION} ({ds}) ready at {url(ds)}")
    print(env_lines(args.datasets[0]))


def cmd_stop(args) -> None:
    for ds in DATASETS:
        if ds in args.datasets:
            stop_pidfile(gunicorn_pidfile(ds))
    if set(args.datasets) == set(DATASETS) or not any(pid_alive(gunicorn_pidfile(d)) for d in DATASETS):
        stop_redis()
        stop_postgres()
    log("stopped")


def cmd_status(args) -> None:
    status = {"postgres": pg_running(), "redis": pid_alive(redis_pidfile())}
    for ds in args.datasets:
        status[f"netbox-{ds}"] = {"url": url(ds), "running": pid_alive(gunicorn_pidfile(ds)),
                                  "api": api_ready(ds)}
    print(json.dumps(status, indent=2))


def cmd_env(args) -> None:
    print(env_lines(args.datasets[0]))


def cmd_reset(args) -> None:
    """Put a data set back to its freshly seeded state (the dump is made at first start)."""
    for ds in args.datasets:
        stop_pidfile(gunicorn_pidfile(ds))
        restore_db(DATASETS[ds][0], seeded_dump(ds))
        start_netbox(ds, args.workers)
        log(f"{ds} reset")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["start", "stop", "status", "env", "reset"])
    parser.add_argument("--dataset", default="sample", choices=[*DATASETS, "all"])
    parser.add_argument("--workers", type=int, default=int(os.environ.get("SOT_TESTBED_WORKERS", "2")))
    args = parser.parse_args()
    args.datasets = list(DATASETS) if args.dataset == "all" else [args.dataset]
    {"start": cmd_start, "stop": cmd_stop, "status": cmd_status, "env": cmd_env, "reset": cmd_reset}[args.command](args)


if __name__ == "__main__":
    main()
