# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""TLS: verification on by default, a private CA through ca_path, a bad certificate fails clearly.
NetBox is served over HTTPS by the loopback proxy with certificates made here by openssl."""
from __future__ import annotations

import os
import ssl
import subprocess

import pytest

from ansible_collections.sot.netbox.plugins.module_utils import _errors as errors
from ansible_collections.sot.netbox.plugins.module_utils._connection import build_client
from ansible_collections.sot.netbox.plugins.module_utils._retry import RetryPolicy

from faultproxy import FaultProxy  # pylint: disable=import-error

URL = os.environ["NETBOX_URL"]
TOKEN = os.environ["NETBOX_TOKEN"]


def openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


def issue(d, name, subject, extension):
    """<name>.key and <name>.pem, signed by the test CA (ca.pem/ca.key in d)."""
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", subject, "-keyout", f"{name}.key", "-out",
            f"{name}.csr", cwd=d)
    (d / f"{name}.cnf").write_text(extension + "\n")
    openssl("x509", "-req", "-in", f"{name}.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", f"{name}.cnf", "-out", f"{name}.pem", cwd=d)


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    self_signed(d, "ca", "/CN=sot test CA")
    issue(d, "srv", "/CN=127.0.0.1", "subjectAltName=IP:127.0.0.1")
    # An unrelated CA: trusting it must not make the server's certificate valid.
    self_signed(d, "other", "/CN=other CA")
    return d


def self_signed(d, name, subject):
    # A CA with keyUsage: Python 3.13 verifies strictly (VERIFY_X509_STRICT) and refuses a CA without it.
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", subject,
            "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout", f"{name}.key", "-out", f"{name}.pem", cwd=d)


def server_context(pki, client_ca=None):
    """The test server's TLS context; with `client_ca`, a client certificate signed by it is required."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / "srv.pem", pki / "srv.key")
    if client_ca is not None:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(client_ca)
    return ctx


@pytest.fixture
def https(pki):
    with FaultProxy(URL, tls=server_context(pki)) as proxy:
        yield proxy


def client(url, **options):
    c = build_client({"url": url, "token": TOKEN, "cache": False, **options})
    c.retry = RetryPolicy(retries=1, backoff=0.01)
    return c


def test_verification_is_on_by_default_and_fails_clearly(https):
    with pytest.raises(errors.ConnectionFailed) as info:
        client(https.url).status()
    assert "TLS verification failed" in info.value.message and "ca_path" in info.value.message
    assert TOKEN not in info.value.message


def test_private_ca_through_ca_path(https, pki):
    assert client(https.url, ca_path=str(pki / "ca.pem")).status()["netbox-version"]


def test_wrong_ca_still_fails(https, pki):
    with pytest.raises(errors.ConnectionFailed):
        client(https.url, ca_path=str(pki / "other.pem")).status()


def test_validate_certs_false_is_an_explicit_opt_out(https):
    assert client(https.url, validate_certs=False).status()["netbox-version"]


# ------------------------------------------------------------------ client certificates (mutual TLS)

@pytest.fixture(scope="module")
def client_pki(pki):
    d = pki
    issue(d, "cli", "/CN=sot client", "extendedKeyUsage=clientAuth")
    (d / "cli-both.pem").write_text((d / "cli.pem").read_text() + (d / "cli.key").read_text())
    # A client certificate from a CA the server does not trust.
    self_signed(d, "stranger", "/CN=stranger")
    return d


@pytest.fixture
def mtls(client_pki):
    with FaultProxy(URL, tls=server_context(client_pki, client_ca=client_pki / "ca.pem")) as proxy:
        yield proxy


def test_client_certificate_and_key(mtls, client_pki):
    c = client(mtls.url, ca_path=str(client_pki / "ca.pem"), cert=str(client_pki / "cli.pem"),
               key=str(client_pki / "cli.key"))
    assert c.status()["netbox-version"]


@pytest.mark.parametrize("cert", ["cli-both.pem", ["cli.pem", "cli.key"]])
def test_client_certificate_in_one_file_or_as_netbox_netbox_list(mtls, client_pki, cert):
    cert = [str(client_pki / c) for c in cert] if isinstance(cert, list) else str(client_pki / cert)
    assert client(mtls.url, ca_path=str(client_pki / "ca.pem"), cert=cert).status()["netbox-version"]


@pytest.mark.parametrize("cert", [None, "stranger"])
def test_missing_or_untrusted_client_certificate_is_one_clear_line(mtls, client_pki, cert):
    options = {"ca_path": str(client_pki / "ca.pem")}
    if cert:
        options.update(cert=str(client_pki / f"{cert}.pem"), key=str(client_pki / f"{cert}.key"))
    with pytest.raises(errors.ConnectionFailed) as info:
        client(mtls.url, **options).status()
    message = info.value.message
    assert "client certificate" in message and "cert" in message and "\n" not in message, message
    for junk in ('"))', "SSLError(", "Max retries", "HTTPSConnection"):
        assert junk not in message, message


def test_every_module_and_the_inventory_take_cert_and_key(mtls, client_pki, tmp_path, monkeypatch):
    """netbox_export in-process (the module path) and ansible-inventory (the plugin path) through mTLS."""
    import yaml

    from ansible_collections.sot.netbox.plugins.modules import netbox_export

    import modharness  # pylint: disable=import-error
    modharness.install(monkeypatch)
    tls = {"ca_path": str(client_pki / "ca.pem"), "cert": str(client_pki / "cli.pem"), "key": str(client_pki / "cli.key")}
    result = modharness.invoke(netbox_export, {"netbox_url": mtls.url, "netbox_token": TOKEN, "cache": False,
                                               "dest": str(tmp_path / "export"), **tls})
    assert result["failed"] is False, result.get("msg")
    source = tmp_path / "inv.netbox.yml"
    source.write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "url": mtls.url, **tls}))
    inv = subprocess.run(["ansible-inventory", "--list", "-i", str(source)], capture_output=True, text=True,
                         env={**os.environ, "NETBOX_TOKEN": TOKEN, "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false"},
                         check=False, timeout=300)
    assert inv.returncode == 0 and "ams1-leaf1" in inv.stdout, inv.stderr[-2000:]
    no_cert = dict(tls)
    del no_cert["cert"], no_cert["key"]
    source.write_text(yaml.safe_dump({"plugin": "sot.netbox.inventory", "url": mtls.url, **no_cert}))
    bad = subprocess.run(["ansible-inventory", "--list", "-i", str(source)], capture_output=True, text=True,
                         env={**os.environ, "NETBOX_TOKEN": TOKEN}, check=False, timeout=300)
    assert "client certificate" in bad.stderr and "Traceback" not in bad.stderr
