# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The publishing clients against recorded exchanges.

Confluence: no server runs here, so the exchanges are the documented REST API v1 (the same paths on
Cloud under /wiki and on Data Center under its context path): GET /rest/api/content/{id},
GET /rest/api/content?spaceKey&title&type=page, GET /rest/api/content/{id}/child/attachment?filename,
POST /rest/api/content/{id}/child/attachment (create), POST .../child/attachment/{attId}/data
(new version), multipart with file, comment and minorEdit, and X-Atlassian-Token: no-check.
"""
from __future__ import annotations

import base64
from urllib.parse import urlsplit

import pytest
import requests

from ansible_collections.sot.netbox.plugins.module_utils._errors import (
    ApiError, AuthenticationFailed, ConnectionFailed, InputError, NotFound, PayloadTooLarge, PermissionDenied,
    PreconditionFailed, RequestValidationFailed, ResponseIncomplete, ResponseNotJson, Unavailable)
from ansible_collections.sot.netbox.plugins.module_utils._publish.transport import (
    Attachment, ConfluenceClient, Credentials, WebDavClient, check_url, multipart, secrets_of)
from ansible_collections.sot.netbox.tests.unit.plugins.module_utils.publish.recorder import (
    Recorder, Resp, transport_options)

TOKEN = "ATATT3xFfGF0-secret-token-value"
CLOUD = "https://example.atlassian.net/wiki"
DC = "https://confluence.example.com/confluence"
DAV = "https://dav.example.com/remote.php/dav/files/svc/Inventory"


def confluence(routes, base=CLOUD, creds=None):
    session = Recorder(routes)
    creds = creds or Credentials("svc@example.com", None, TOKEN)
    return ConfluenceClient(base, creds, **transport_options(session)), session


def webdav(routes, creds=None):
    session = Recorder(routes)
    return WebDavClient(DAV, creds or Credentials("svc", "app-password-123"), **transport_options(session)), session


# ---------------------------------------------------------------- shared pieces

@pytest.mark.parametrize("creds, header", [
    (Credentials("svc@example.com", None, "tok"), "Basic " + base64.b64encode(b"svc@example.com:tok").decode()),
    (Credentials("svc", "pw", "tok"), "Basic " + base64.b64encode(b"svc:pw").decode()),
    (Credentials(None, None, "pat"), "Bearer pat"),
    (Credentials(), None),
])
def test_credentials_header(creds, header):
    assert creds.header() == header


def test_redact_covers_token_and_basic_encoding():
    creds = Credentials("svc", "hunter2-pass", None)
    encoded = creds.header().split(" ", 1)[1]
    client = WebDavClient(DAV, creds)
    text = client.redact(f"echo hunter2-pass and Basic {encoded}")
    assert "hunter2" not in text and encoded not in text and text.count("********") == 2


def test_secrets_of_every_target():
    raw = [{"username": "svc", "password": "pw-one-1"}, {"token": "tok-two-2"}, "not a dict"]
    assert {"pw-one-1", "tok-two-2"} <= set(secrets_of(raw)) and secrets_of(None) == []


@pytest.mark.parametrize("url, problem", [
    ("ftp://x", "must be an http"),
    ("dav.example.com/x", "must be an http"),
    ("https://svc:pw@dav.example.com/x", "must not contain a user name or password"),
    ("http://[::1/x", "not a valid URL"), ("https://dav.example.com:99999/x", "invalid port"), ("", "must be an http"),
])
def test_check_url(url, problem):
    with pytest.raises(InputError) as err:
        check_url("targets[0].url", url)
    assert problem in err.value.message and "pw@" not in err.value.message


@pytest.mark.parametrize("raw, expected", [
    (b"<html><head><title>401 Access not authorized</title></head><body>...</body></html>",
     "401 Access not authorized"),
    (b"<html><body><h1>Bad\n gateway</h1></body></html>", "Bad gateway"),
])
def test_error_pages_are_shown_by_their_title(raw, expected):
    client, _s = webdav({("PUT", PATH + "/a.csv"): [Resp(418, raw=raw)]})
    with pytest.raises(ApiError) as err:
        client.put("a.csv", b"x")
    assert expected in err.value.message and "<" not in err.value.message


def test_multipart_body_is_exact():
    body, ctype = multipart([("file", 'in"v.csv', "text/csv", b"a,b\r\n"),
                             ("comment", None, "text/plain; charset=utf-8", "é".encode())], boundary="XyZ")
    assert ctype == "multipart/form-data; boundary=XyZ"
    assert body == (b'--XyZ\r\nContent-Disposition: form-data; name="file"; filename="in\\"v.csv"\r\n'
                    b"Content-Type: text/csv\r\n\r\na,b\r\n\r\n"
                    b'--XyZ\r\nContent-Disposition: form-data; name="comment"\r\n'
                    b"Content-Type: text/plain; charset=utf-8\r\n\r\n\xc3\xa9\r\n--XyZ--\r\n")


# ---------------------------------------------------------------- Confluence: recorded exchanges

PAGE_42 = {"id": "42", "type": "page", "status": "current", "title": "Inventory", "space": {"key": "NET"}}
NO_ATTACHMENT = {"results": [], "start": 0, "limit": 25, "size": 0}
ONE_ATTACHMENT = {"results": [{"id": "att901", "type": "attachment", "title": "inventory.xlsx",
                               "version": {"number": 3}}], "size": 1}
CREATED = {"results": [{"id": "att901", "type": "attachment", "title": "inventory.xlsx", "version": {"number": 1},
                        "_links": {"download": "/download/attachments/42/inventory.xlsx?version=1&api=v2"}}],
           "size": 1}
NEW_VERSION = {"id": "att901", "type": "attachment", "title": "inventory.xlsx", "version": {"number": 4}}


@pytest.mark.parametrize("base", [CLOUD, DC])
def test_resolve_page_by_id_checks_it_exists(base):
    path = urlsplit(base).path + "/rest/api/content/42"
    client, session = confluence({("GET", path): [Resp(200, PAGE_42)]}, base=base)
    assert client.resolve_page(page_id="42") == "42"
    (call,) = session.calls
    assert call["url"] == f"{base}/rest/api/content/42" and call["headers"]["Accept"] == "application/json"
    assert call["verify"] is True


def test_resolve_page_by_space_and_title():
    client, session = confluence({("GET", "/wiki/rest/api/content"): [Resp(200, {"results": [PAGE_42], "size": 1})]})
    assert client.resolve_page(space="NET", title="Inventory") == "42"
    assert session.calls[0]["params"] == {"spaceKey": "NET", "title": "Inventory", "type": "page"}


@pytest.mark.parametrize("routes, call, expected, text", [
    ({}, dict(page_id="42"), NotFound, "the page does not exist, or this user may not view it"),
    ({("GET", "/wiki/rest/api/content"): [Resp(200, {"results": [], "size": 0})]},
     dict(space="NET", title="Nope"), NotFound, "no page titled 'Nope' in space NET"),
    ({("GET", "/wiki/rest/api/content/42"): [Resp(401, raw=b"Unauthorized")]}, dict(page_id="42"),
     AuthenticationFailed, "Confluence rejected the credentials (HTTP 401)"),
])
def test_resolve_page_errors(routes, call, expected, text):
    client, _session = confluence(routes)
    with pytest.raises(expected) as err:
        client.resolve_page(**call)
    assert text in err.value.message and TOKEN not in err.value.message


def test_find_attachment_by_filename_with_version():
    client, session = confluence({("GET", "/wiki/rest/api/content/42/child/attachment"): [Resp(200, ONE_ATTACHMENT)]})
    assert client.find_attachment("42", "inventory.xlsx") == Attachment("att901", 3)
    assert session.calls[0]["params"] == {"filename": "inventory.xlsx", "expand": "version"}
    client, _s = confluence({("GET", "/wiki/rest/api/content/42/child/attachment"): [Resp(200, NO_ATTACHMENT)]})
    assert client.find_attachment("42", "inventory.xlsx") is None


def test_upload_creates_attachment_with_comment_and_xsrf_header():
    client, session = confluence({("POST", "/wiki/rest/api/content/42/child/attachment"): [Resp(200, CREATED)]})
    uploaded = client.upload("42", "inventory.xlsx", b"PK\x03\x04data", "NetBox export 0123abcd", True,
                             boundary="b0undary")
    assert (uploaded.attachment_id, uploaded.version) == ("att901", 1)
    assert uploaded.url == CLOUD + "/download/attachments/42/inventory.xlsx?version=1&api=v2"
    (call,) = session.calls
    assert call["method"] == "POST" and call["path"] == "/wiki/rest/api/content/42/child/attachment"
    headers = call["headers"]
    assert headers["X-Atlassian-Token"] == "no-check"
    assert headers["Content-Type"] == "multipart/form-data; boundary=b0undary"
    assert headers["Authorization"] == "Basic " + base64.b64encode(f"svc@example.com:{TOKEN}".encode()).decode()
    assert call["data"] == (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="inventory.xlsx"\r\n'
        b"Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\nPK\x03\x04data\r\n"
        b'--b0undary\r\nContent-Disposition: form-data; name="comment"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nNetBox export 0123abcd\r\n"
        b'--b0undary\r\nContent-Disposition: form-data; name="minorEdit"\r\n'
        b"Content-Type: text/plain; charset=utf-8\r\n\r\ntrue\r\n--b0undary--\r\n")


def test_upload_new_version_posts_to_the_attachment_data():
    client, session = confluence({("POST", "/confluence/rest/api/content/42/child/attachment/att901/data"):
                                  [Resp(200, NEW_VERSION)]}, base=DC, creds=Credentials(None, None, "pat-123456"))
    uploaded = client.upload("42", "inventory.xlsx", b"x", "c", False, Attachment("att901", 3))
    assert (uploaded.attachment_id, uploaded.version) == ("att901", 4)
    call = session.calls[0]
    assert call["headers"]["Authorization"] == "Bearer pat-123456"
    assert b'name="minorEdit"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nfalse' in call["data"]


ATTACH = "/wiki/rest/api/content/42/child/attachment"


@pytest.mark.parametrize("answer, expected, text", [
    (Resp(413, raw=b"<html>Request Entity Too Large</html>"), PayloadTooLarge, "larger than Confluence's attachment size"),
    (Resp(400, {"statusCode": 400, "message": "File exceeds the maximum attachment size of 100 MB"}), PayloadTooLarge,
     "attachment size limit"),
    (Resp(500, {"statusCode": 500, "message": "The attachment is too large"}), PayloadTooLarge, "size limit"),
    (Resp(403, {"statusCode": 403, "message": "User not permitted to create attachments"}), PermissionDenied,
     "may not add or update attachments on the page (HTTP 403): User not permitted"),
    (Resp(404, {"statusCode": 404, "message": "No content with id 42"}), NotFound, "the page does not exist"),
    (Resp(400, {"statusCode": 400, "message": "Cannot add a new attachment with same file name"}),
     RequestValidationFailed, "Confluence rejected the request (HTTP 400)"),
])
def test_upload_error_mapping(answer, expected, text):
    client, _s = confluence({("POST", ATTACH): [answer]})
    with pytest.raises(expected) as err:
        client.upload("42", "inventory.xlsx", b"x", "c")
    message = err.value.message
    assert text in message and "uploading inventory.xlsx (1 bytes) to page 42" in message
    assert TOKEN not in message


def test_retries_through_the_one_policy():
    sleeps = []
    session = Recorder({("GET", "/wiki/rest/api/content/42"): [Resp(503, raw=b"busy", headers={"Retry-After": "2"}),
                                                               Resp(200, PAGE_42)]})
    client = ConfluenceClient(CLOUD, Credentials(None, None, TOKEN), session=session, sleep=sleeps.append)
    assert client.resolve_page(page_id="42") == "42"
    assert len(session.calls) == 2 and sleeps == [2.0]
    assert client.transport.metrics.to_dict()["retries"] == 1


def test_post_is_not_retried_after_a_502():
    """A 502 after a multipart POST may hide a created attachment version: no blind retry."""
    client, session = confluence({("POST", ATTACH): [Resp(502, raw=b"bad gateway"), Resp(200, CREATED)]})
    with pytest.raises(Unavailable):
        client.upload("42", "a.csv", b"x", "c")
    assert len(session.calls) == 1


def test_tls_verification_and_ca_path_reach_the_session():
    session = Recorder({("GET", "/wiki/rest/api/content/42"): [Resp(200, PAGE_42)]})
    client = ConfluenceClient(CLOUD, Credentials(None, None, TOKEN), ca_path="/etc/ca.pem", session=session,
                              sleep=lambda s: None)
    client.resolve_page(page_id="42")
    assert session.calls[0]["verify"] == "/etc/ca.pem"


def test_not_json_answer_is_a_clear_error():
    client, _s = confluence({("GET", "/wiki/rest/api/content/42"): [Resp(200, raw=b"<html>login</html>")]})
    with pytest.raises(Exception) as err:
        client.resolve_page(page_id="42")
    assert isinstance(err.value, ResponseNotJson) and not err.value.may_have_applied
    assert "is not JSON (an HTML page" in str(err.value) and "Confluence base URL" in str(err.value)
    assert "reading page 42" in str(err.value) and "option targets[].url" in str(err.value)


def test_cut_off_upload_answer_may_have_applied():
    client, session = confluence({("POST", "/wiki/rest/api/content/42/child/attachment"): [Resp(200, raw=b'{"results": [')]})
    with pytest.raises(ResponseIncomplete) as err:
        client.upload("42", "a.csv", b"x", "comment")
    assert err.value.may_have_applied and len(session.calls) == 1  # a POST is not sent again
    assert "Confluence may have applied it" in err.value.message and TOKEN not in err.value.message


# ---------------------------------------------------------------- WebDAV

PATH = "/remote.php/dav/files/svc/Inventory"


@pytest.mark.parametrize("kwargs, sent, absent", [
    ({"if_match": '"e1"'}, {"If-Match": '"e1"'}, "If-None-Match"),
    ({"if_none_match": True}, {"If-None-Match": "*"}, "If-Match"),
    ({}, {}, "If-Match"),
])
def test_put_preconditions(kwargs, sent, absent):
    client, session = webdav({("PUT", PATH + "/inventory%20all.csv"): [Resp(201, raw=b"", headers={"ETag": '"e2"'})]})
    uploaded = client.put("inventory all.csv", b"a,b\n", **kwargs)
    assert uploaded.etag == '"e2"' and uploaded.url == DAV + "/inventory%20all.csv"
    headers = session.calls[0]["headers"]
    assert headers["Content-Type"] == "text/csv; charset=utf-8"
    assert all(headers[k] == v for k, v in sent.items()) and absent not in headers
    assert session.calls[0]["data"] == b"a,b\n"


def test_put_without_etag_in_answer_asks_with_head():
    client, session = webdav({("PUT", PATH + "/a.csv"): [Resp(204, raw=b"")],
                              ("HEAD", PATH + "/a.csv"): [Resp(200, raw=b"", headers={"ETag": '"h1"'})]})
    assert client.put("a.csv", b"x").etag == '"h1"'
    assert session.paths() == [("PUT", PATH + "/a.csv"), ("HEAD", PATH + "/a.csv")]


@pytest.mark.parametrize("answer, expected, text", [
    (Resp(412, raw=b""), PreconditionFailed, "changed since it was last published (HTTP 412"),
    (Resp(409, raw=b"parent"), Exception, "does not exist on the server (HTTP 409); create it or set create_folders"),
    (Resp(401, raw=b"<html><title>401 Access not authorized</title></html>"), AuthenticationFailed,
     "WebDAV rejected the credentials (HTTP 401) on PUT https://dav.example.com/remote.php/dav/files/svc/Inventory/a.csv:"
     " 401 Access not authorized"),
    (Resp(403, raw=b"no"), PermissionDenied, "permission denied (HTTP 403)"),
    (Resp(413, raw=b""), PayloadTooLarge, "refused the file as too large"),
])
def test_put_error_mapping(answer, expected, text):
    client, _s = webdav({("PUT", PATH + "/a.csv"): [answer]})
    with pytest.raises(expected) as err:
        client.put("a.csv", b"x")
    assert text in err.value.message and "app-password-123" not in err.value.message


def test_make_folders_creates_missing_parents_first():
    parent, folder = "/remote.php/dav/files/svc/", PATH + "/"
    client, session = webdav({("MKCOL", folder): [Resp(409, raw=b""), Resp(201, raw=b"")],
                              ("MKCOL", parent): [Resp(405, raw=b"")]})
    client.make_folders()
    assert session.paths() == [("MKCOL", folder), ("MKCOL", parent), ("MKCOL", folder)]


def test_make_folders_existing_folder_is_fine():
    client, session = webdav({("MKCOL", PATH + "/"): [Resp(405, raw=b"")]})
    client.make_folders()
    assert len(session.calls) == 1


def test_connection_refused_names_the_service():
    session = Recorder({("PUT", PATH + "/a.csv"): [requests.exceptions.ConnectionError("Connection refused")]})
    client = WebDavClient(DAV, Credentials(None, None, "bearer-tok"), session=session, sleep=lambda s: None)
    with pytest.raises(ConnectionFailed) as err:
        client.put("a.csv", b"x")
    assert "cannot reach WebDAV at" in err.value.message
    assert session.calls[0]["headers"]["Authorization"] == "Bearer bearer-tok"
