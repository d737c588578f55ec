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


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("pki")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=sot test CA",
            "-keyout", "ca.key", "-out", "ca.pem", cwd=d)
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", "srv.key", "-out",
            "srv.csr", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n")
    openssl("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "2",
            "-extfile", "ext.cnf", "-out", "srv.pem", cwd=d)
    # An unrelated CA: trusting it must not make the server's certificate valid.
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other CA",
            "-keyout", "other.key", "-out", "other.pem", cwd=d)
    return d


@pytest.fixture
def https(pki):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(pki / "srv.pem", pki / "srv.key")
    with FaultProxy(URL, tls=ctx) as proxy:
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
