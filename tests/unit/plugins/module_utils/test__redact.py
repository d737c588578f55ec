# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from urllib.parse import quote, quote_plus

import pytest

from ansible_collections.sot.netbox.plugins.module_utils._redact import MASK, Redactor, secret_forms

V1 = "Ab3dEf9hIjKlMn0pQrStUvWxYz0123456789AbCd"
V1_ODD = 'ab+c/d=e&f"g\\h%i' + "j" * 20  # printable ASCII v1 tokens may hold URL and JSON specials
V2 = "nbt_abcdefghijkl.Se+cret/Secret=SecretSecretSecret1"


@pytest.mark.parametrize("token", [V1, V1_ODD, V2])
@pytest.mark.parametrize("shape", [
    lambda t: t, lambda t: "Token " + t, lambda t: "Bearer " + t, lambda t: quote(t, safe=""),
    quote_plus, lambda t: quote("Token " + t, safe=""), lambda t: '{"h": %s}' % __import__("json").dumps(t),
    lambda t: t.split(".", 1)[-1],
])
def test_every_form_is_masked(token, shape):
    text = f"proxy says: Authorization: {shape(token)} end"
    out = Redactor(token)(text)
    assert MASK in out
    secret = token.split(".", 1)[-1]
    assert secret not in out and quote(secret, safe="") not in out and quote_plus(secret) not in out


def test_structures_keep_their_shape():
    redact = Redactor(V1)
    out = redact({"msg": V1, "list": [V1, 3], "tuple": (V1,), V1: True, "n": None})
    assert out == {"msg": MASK, "list": [MASK, 3], "tuple": (MASK,), MASK: True, "n": None}


@pytest.mark.parametrize("secret", [None, "", "   ", 5])
def test_nothing_to_mask_is_a_no_op(secret):
    redact = Redactor(secret)
    assert not redact and redact("Token abc") == "Token abc"


def test_v2_key_half_is_not_masked_alone():
    forms = secret_forms(V2)
    assert "nbt_abcdefghijkl" not in forms and V2.split(".", 1)[1] in forms
