# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""tools/testbed.py on a fresh machine, with stand-ins for apt-get, redis-server, initdb and locale
on PATH: its standard output (which tools/lib.sh evaluates) carries only `export NAME=value` lines,
whatever the programs it runs print, and each set-up trap ends in one clear line."""
from __future__ import annotations

import importlib.util
import os
import pathlib
import pwd
import re
import stat
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[3]
EXPORT_LINE = re.compile(r"export [A-Z_][A-Z0-9_]*=[^;&|`$()<> ]*")
TOKENS = {"NETBOX_TOKEN": "Xy7Qm2Lp9ZtR4vNc8HbW1sKd6FgJ3aEo5UiYr0Tq",
          "SOT_TESTBED_TOKEN_READONLY": "pQ4rT8wL2mZ6xN0vB3cK7hJ1sD5fG9aE2yU4iO6k",
          "SOT_TESTBED_TOKEN_V2": "nbt_Ab3dEf6hIj9k.Mn2pQr5tUv8xYz1bCd4fGh7jKl0nPq3sTv6wXy9zAb2dEf5h"}

# apt-get as a fresh Debian machine has it: chatter on standard output, then the package's programs.
APT_GET = """#!/bin/sh
echo "$*" >> "$SOT_TEST_APT_LOG"
[ -z "$SOT_TEST_APT_FAIL" ] || { echo "E: Unable to locate package $3"; exit 100; }
echo "Selecting previously unselected package redis-server."
echo "Setting up redis-server (5:7.0.15-1~deb12u1) ..."
if [ "$1" = install ]; then
  for p in "$@"; do [ -d "$SOT_TEST_PACKAGES/$p" ] && /bin/cp "$SOT_TEST_PACKAGES/$p"/* "$SOT_TEST_BIN"/; done
fi
exit 0
"""
# redis-server daemonizes: it writes the pid file (of a live process: the test's) and returns.
REDIS_SERVER = """#!/bin/sh
echo "redis-server chatter on stdout"
while [ $# -gt 0 ]; do [ "$1" = --pidfile ] && echo "$PPID" > "$2"; shift; done
exit 0
"""
INITDB = "#!/bin/sh\necho initdb chatter\n"


def script(path: pathlib.Path, text: str) -> pathlib.Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return path


@pytest.fixture
def tb(tmp_path, monkeypatch):
    """A fresh copy of tools/testbed.py whose run dir and cache are temporary, whose PATH holds only
    the stand-ins the test writes, and which finds no PostgreSQL server installed."""
    spec = importlib.util.spec_from_file_location("sot_testbed_under_test", REPO / "tools" / "testbed.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    bindir = tmp_path / "bin"
    bindir.mkdir()
    monkeypatch.setattr(module, "RUN", tmp_path / "run")
    monkeypatch.setattr(module, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(module, "PG_LIB", str(tmp_path / "no-postgresql"))
    # PostgreSQL's user exists only once the package is installed: use one that exists everywhere.
    monkeypatch.setattr(module, "PG_USER", pwd.getpwuid(os.getuid()).pw_name)
    monkeypatch.setenv("PATH", str(bindir))
    monkeypatch.setenv("SOT_TEST_BIN", str(bindir))
    monkeypatch.setenv("SOT_TEST_APT_LOG", str(tmp_path / "apt.log"))
    monkeypatch.setenv("SOT_TEST_PACKAGES", str(tmp_path / "packages"))
    monkeypatch.delenv("SOT_TEST_APT_FAIL", raising=False)
    script(tmp_path / "packages" / "redis-server" / "redis-server", REDIS_SERVER)
    script(tmp_path / "packages" / "postgresql" / "initdb", INITDB)
    module.tmp = tmp_path
    module.bindir = bindir
    return module


def as_user(monkeypatch, uid: int) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: uid)


def fake_netbox(tb, monkeypatch) -> None:
    """Everything after the system packages and Redis is NetBox's own business: replaced here."""
    monkeypatch.setattr(tb, "install_netbox", lambda: None)
    monkeypatch.setattr(tb, "install_branching", lambda datasets: None)
    monkeypatch.setattr(tb, "start_postgres", lambda: None)
    monkeypatch.setattr(tb, "ensure_database", lambda dataset: True)
    monkeypatch.setattr(tb, "start_netbox", lambda dataset, workers: None)
    monkeypatch.setattr(tb, "ensure_tokens",
                        lambda dataset, workers, fresh: tb.write_tokens(tb.run_tokens(dataset), TOKENS))


def test_start_on_a_fresh_machine_prints_only_export_lines(tb, monkeypatch, capfd):
    script(tb.bindir / "apt-get", APT_GET)
    as_user(monkeypatch, 0)
    fake_netbox(tb, monkeypatch)
    tb.main(["start"])
    out, err = capfd.readouterr()
    lines = out.splitlines()
    assert lines, err
    assert [line for line in lines if not EXPORT_LINE.fullmatch(line)] == []
    assert "export NETBOX_URL=http://127.0.0.1:" in out
    for name, token in TOKENS.items():
        assert f"export {name}={token}" in lines
    # apt-get did run, with both packages at once, and its chatter went to its log
    assert (tb.tmp / "apt.log").read_text().splitlines() == ["update -qq", "install -y -qq redis-server postgresql"]
    assert "Selecting previously unselected package" in (tb.RUN / "logs" / "apt-get.log").read_text()
    assert "chatter" not in out


def test_start_output_is_what_lib_sh_evaluates(tb, monkeypatch, capfd):
    """A shell that evaluates what `start` printed gets the tokens (and runs nothing else)."""
    script(tb.bindir / "apt-get", APT_GET)
    as_user(monkeypatch, 0)
    fake_netbox(tb, monkeypatch)
    tb.main(["start"])
    out = capfd.readouterr().out
    shell = 'eval "$1"; printf "%s\\n" "$NETBOX_TOKEN" "$SOT_TESTBED_TOKEN_V2"'
    done = subprocess.run(["/bin/bash", "-c", shell, "-", out], capture_output=True, text=True, check=True)
    assert done.stdout.splitlines() == [TOKENS["NETBOX_TOKEN"], TOKENS["SOT_TESTBED_TOKEN_V2"]]


def test_non_root_without_the_packages_is_told_what_to_install(tb, monkeypatch):
    script(tb.bindir / "apt-get", APT_GET)
    as_user(monkeypatch, 1000)
    with pytest.raises(SystemExit) as info:
        tb.ensure_system_packages()
    message = str(info.value)
    assert "sudo apt-get install -y redis-server postgresql" in message
    assert "\n" not in message
    assert not (tb.tmp / "apt.log").exists()


def test_root_without_apt_get_is_told_to_install_the_packages(tb, monkeypatch):
    as_user(monkeypatch, 0)
    with pytest.raises(SystemExit) as info:
        tb.ensure_system_packages()
    assert "no apt-get" in str(info.value) and "redis-server postgresql" in str(info.value)


def test_a_failing_apt_get_names_the_command_and_shows_its_output(tb, monkeypatch):
    script(tb.bindir / "apt-get", APT_GET)
    monkeypatch.setenv("SOT_TEST_APT_FAIL", "1")
    as_user(monkeypatch, 0)
    with pytest.raises(SystemExit) as info:
        tb.ensure_system_packages()
    assert "`apt-get update -qq` failed (exit status 100)" in str(info.value)
    assert "E: Unable to locate package" in str(info.value)


def test_installed_packages_need_no_apt_get(tb, monkeypatch):
    script(tb.bindir / "redis-server", REDIS_SERVER)
    script(tb.bindir / "initdb", INITDB)
    as_user(monkeypatch, 0)
    tb.ensure_system_packages()
    assert not (tb.tmp / "apt.log").exists()


def test_no_postgres_user_as_root_is_a_clear_error(tb, monkeypatch):
    script(tb.bindir / "redis-server", REDIS_SERVER)
    script(tb.bindir / "initdb", INITDB)
    monkeypatch.setattr(tb, "PG_USER", "sot-no-such-user")
    as_user(monkeypatch, 0)
    with pytest.raises(SystemExit) as info:
        tb.ensure_system_packages()
    assert "'sot-no-such-user' user" in str(info.value) and "postgresql package" in str(info.value)


@pytest.mark.parametrize("available, expected", [
    ("C\nC.utf8\nPOSIX\n", "C.UTF-8"),
    ("C\nC.UTF-8\nen_US.utf8\n", "C.UTF-8"),
    ("C\nPOSIX\n", "C"),
    (None, "C"),  # no locale program at all
])
def test_initdb_locale_does_not_depend_on_the_callers_locale(tb, monkeypatch, available, expected):
    if available is not None:
        script(tb.bindir / "locale", f"#!/bin/sh\nprintf '{available}'\n")
    monkeypatch.setenv("LANG", "xx_YY.UTF-8")  # named, never generated: initdb would refuse it
    assert tb.initdb_locale() == expected


def test_env_without_tokens_says_to_start_first(tb, capfd):
    with pytest.raises(SystemExit) as info:
        tb.main(["env"])
    assert "testbed.py start --dataset sample" in str(info.value)
    assert capfd.readouterr().out == ""


def test_tokens_are_written_for_the_owner_only(tb):
    tb.write_tokens(tb.run_tokens("sample"), TOKENS)
    assert stat.S_IMODE(tb.run_tokens("sample").stat().st_mode) == 0o600
    assert tb.read_tokens(tb.run_tokens("sample")) == TOKENS
    tb.run_tokens("sample").write_text('{"NETBOX_TOKEN": "x"}')
    assert tb.read_tokens(tb.run_tokens("sample")) is None


@pytest.mark.parametrize("token, header", [
    (TOKENS["NETBOX_TOKEN"], "Token " + TOKENS["NETBOX_TOKEN"]),
    (TOKENS["SOT_TESTBED_TOKEN_V2"], "Bearer " + TOKENS["SOT_TESTBED_TOKEN_V2"]),
])
def test_auth_header_follows_netbox_s_rule(tb, token, header):
    assert tb.auth_header(token) == header


def test_a_failing_command_is_one_line_without_a_traceback(tb, monkeypatch, capfd):
    def boom(args):
        raise subprocess.CalledProcessError(3, ["pg_ctl", "start"])
    monkeypatch.setitem(tb.COMMANDS, "status", boom)
    with pytest.raises(SystemExit) as info:
        tb.main(["status"])
    assert str(info.value).startswith("[testbed] `pg_ctl start` failed with exit status 3; logs are in ")
    assert capfd.readouterr().out == ""


# ------------------------------------------------------------------ tools/lib.sh start_testbed

def lib_sh(tmp_path, testbed_stdout: str, status: int = 0) -> subprocess.CompletedProcess:
    """start_testbed with a stand-in `python3` (standing in for testbed.py) first on PATH."""
    bindir = tmp_path / "libbin"
    quoted = testbed_stdout.replace("'", "'\\''")
    script(bindir / "python3", f"#!/bin/sh\nprintf '%s' '{quoted}'\necho '[testbed] stand-in' >&2\nexit {status}\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SOT_TESTBED", "_SOT"))}
    env["PATH"] = f"{bindir}{os.pathsep}{os.environ['PATH']}"
    code = f'source {REPO / "tools" / "lib.sh"}; start_testbed sample; echo "evaluated: $NETBOX_TOKEN"'
    return subprocess.run(["/bin/bash", "-c", code], capture_output=True, text=True, env=env, check=False)


def test_lib_sh_evaluates_export_lines(tmp_path):
    done = lib_sh(tmp_path, "export NETBOX_URL=http://127.0.0.1:1\nexport NETBOX_TOKEN=Ab12\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout == "evaluated: Ab12\n"


def test_lib_sh_refuses_anything_but_export_lines(tmp_path):
    done = lib_sh(tmp_path, "Selecting previously unselected package redis-server.\nexport NETBOX_TOKEN=Ab12\n")
    assert done.returncode != 0
    assert "evaluated" not in done.stdout
    assert "printed something other than export lines" in done.stderr


def test_lib_sh_stops_when_the_test_bed_fails(tmp_path):
    done = lib_sh(tmp_path, "", status=1)
    assert done.returncode != 0
    assert "evaluated" not in done.stdout
    assert "the local NetBox test bed did not start" in done.stderr and "[testbed] stand-in" in done.stderr


def test_what_a_child_prints_goes_to_stderr(tb, capfd):
    tb.run(["/bin/echo", "Selecting previously unselected package"])
    out, err = capfd.readouterr()
    assert out == ""
    assert "Selecting previously unselected package" in err


# ------------------------------------------------------------------ the NetBox Branching plugin

def test_the_plugin_s_dump_is_never_taken_for_one_without_it(tb):
    plain = tb.seeded_dump("sample")
    tb.venv().mkdir(parents=True)
    tb.branching_marker().write_text(tb.BRANCHING_VERSION)
    assert tb.seeded_dump("sample") != plain
    assert tb.seeded_dump("sample", plugins=False) == plain
    # the large data set stays without the plugin: its dump (and speed) are as before
    assert tb.seeded_dump("large") == tb.seeded_dump("large", plugins=False)


def test_the_plugin_can_be_left_out(tb, monkeypatch):
    tb.venv().mkdir(parents=True)
    tb.branching_marker().write_text(tb.BRANCHING_VERSION)
    assert tb.branching_enabled("sample") and not tb.branching_enabled("large")
    monkeypatch.setenv("SOT_TESTBED_BRANCHING", "0")
    assert not tb.branching_enabled("sample")
    assert tb.netbox_env("sample")["SOT_TESTBED_BRANCHING"] == "0"


def test_a_failing_plugin_install_leaves_netbox_without_it(tb, monkeypatch, capfd):
    script(tb.venv() / "bin" / "pip", "#!/bin/sh\necho 'pip chatter'\nexit 1\n")
    tb.install_branching(["sample"])
    out, err = capfd.readouterr()
    assert out == ""
    assert "could not install netboxlabs-netbox-branching" in err
    assert not tb.branching_marker().exists()
    assert "pip chatter" in (tb.RUN / "logs" / "pip-branching.log").read_text()


def test_the_plugin_is_installed_once_without_touching_netbox_s_packages(tb, capfd):
    script(tb.venv() / "bin" / "pip", f"#!/bin/sh\necho \"$*\" >> {tb.tmp / 'pip.log'}\necho chatter\n")
    tb.install_branching(["sample"])
    tb.install_branching(["sample"])
    assert (tb.tmp / "pip.log").read_text().splitlines() == [
        f"install -q --no-deps netboxlabs-netbox-branching=={tb.BRANCHING_VERSION}"]
    assert capfd.readouterr().out == ""
    assert tb.netbox_env("sample")["SOT_TESTBED_BRANCHING"] == "1"


def test_the_configuration_sets_up_the_plugin_only_when_asked(tb, monkeypatch):
    tb.write_configuration()
    text = (tb.netbox_root() / "conf" / "configuration.py").read_text()
    namespace: dict = {}
    monkeypatch.setenv("SOT_TESTBED_BRANCHING", "0")
    exec(compile(text, "configuration.py", "exec"), namespace)
    assert "PLUGINS" not in namespace and "DATABASE_ROUTERS" not in namespace
    assert 'DATABASE_ROUTERS = ["netbox_branching.database.BranchAwareRouter"]' in text
    assert 'PLUGINS = ["netbox_branching"]' in text and "DynamicSchemaDict(DATABASES)" in text


def test_env_says_whether_the_plugin_is_there(tb, capfd):
    tb.write_tokens(tb.run_tokens("sample"), TOKENS)
    tb.main(["env"])
    assert "export SOT_TESTBED_BRANCHING=0" in capfd.readouterr().out.splitlines()
