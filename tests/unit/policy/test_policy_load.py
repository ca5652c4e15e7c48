"""jwtgate.policy.load_policy: every rejection is FILE:LINE:COL naming the key (SPEC §3)."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime, timedelta
from importlib.resources import files

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from jwtgate.policy import (
    PolicyError,
    PolicyProblem,
    check_against_others,
    dump_policy,
    load_policy,
    policy_from_dict,
)

FILE = "p.yaml"
NOW = datetime(2030, 6, 1, tzinfo=UTC)


def certificate(not_before: datetime, not_after: datetime, key_bits: int | None = None) -> str:
    """A self-signed PEM certificate (EC P-256, or RSA of ``key_bits``)."""
    key = (
        rsa.generate_private_key(65537, key_bits)
        if key_bits
        else ec.generate_private_key(ec.SECP256R1())
    )
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "client.example")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def block(pem: str, indent: int) -> str:
    """A PEM as a YAML literal block under a key at ``indent`` spaces."""
    return "|\n" + textwrap.indent(pem, " " * (indent + 2))


EXPIRED = certificate(datetime(2020, 1, 1, tzinfo=UTC), datetime(2021, 1, 1, tzinfo=UTC))
FUTURE = certificate(datetime(2031, 1, 1, tzinfo=UTC), datetime(2032, 1, 1, tzinfo=UTC))
WEAK_RSA = certificate(datetime(2029, 1, 1, tzinfo=UTC), datetime(2032, 1, 1, tzinfo=UTC), 1024)

# Lines 1-5 of most broken files: one good authenticator.
AUTH = """\
account: acme
authenticators:
  - id: vendor
    jwks_uri: https://idp.example/jwks
    issuer: https://idp.example
"""
HOST = """\
hosts:
  - id: apps/one
    authenticators: [vendor]
    claims: {project_id: "42"}
"""

BROKEN: list[tuple[str, str, str, str]] = [
    (
        "unknown top-level key",
        "account: acme\ncolour: blue\n",
        "2:1",
        "colour: unknown key 'colour' (allowed: account, authenticators, hosts",
    ),
    (
        "unknown nested key",
        AUTH + "    leeway: 5\n",
        "6:5",
        "authenticators[0].leeway: unknown key 'leeway' (allowed: id, jwks_uri",
    ),
    (
        "unknown key in permit",
        "account: acme\nvariables:\n  - id: db\n    permit: {read: []}\n",
        "4:14",
        "variables[0].permit.read: unknown key 'read' (allowed: execute, update)",
    ),
    (
        "wrong type: string for bool",
        AUTH + '    enabled: "yes"\n',
        "6:14",
        "authenticators[0].enabled: expected true or false, got the string 'yes'",
    ),
    (
        "wrong type: YAML 1.1 yes is a string",
        AUTH + "    enabled: yes\n",
        "6:14",
        "expected true or false, got the string 'yes'",
    ),
    (
        "wrong type: string for int",
        AUTH + '    leeway_seconds: "5"\n',
        "6:21",
        "authenticators[0].leeway_seconds: expected an integer, got the string '5'",
    ),
    (
        "wrong type: list expected",
        "account: acme\nhosts: {id: x}\n",
        "2:8",
        "hosts: expected a list, got a mapping",
    ),
    (
        "wrong type: claim value list",
        AUTH + "hosts:\n  - id: h\n    authenticators: [vendor]\n    claims: {a: [1]}\n",
        "9:17",
        "hosts[0].claims.a: expected a string, got a list",
    ),
    (
        "wrong type: claim value a float",
        AUTH + "users:\n  - id: u\n    authenticators: [vendor]\n    claims: {version: 1.5}\n",
        "9:23",
        "users[0].claims.version: expected a string, got the number 1.5 (quote it)",
    ),
    (
        "no grant type",
        "account: acme\nclients:\n  - {id: app, jwks_uri: https://a.example/k, grant_types: []}\n",
        "3:59",
        "clients[0].grant_types: must not be empty",
    ),
    ("missing account", "hosts: []\n", "1:1", "missing required key 'account'"),
    (
        "missing id",
        "account: acme\nusers:\n  - claims: {}\n",
        "3:5",
        "users[0]: missing required key 'id'",
    ),
    (
        "bad account name",
        "account: my acct\n",
        "1:10",
        "account: 'my acct' must match [A-Za-z0-9._-]+",
    ),
    (
        "duplicate authenticator id",
        AUTH + "  - id: vendor\n    jwks_uri: https://idp.example/jwks\n    issuer: x\n",
        "6:9",
        "authenticators[1].id: duplicate id 'vendor' (first at line 3)",
    ),
    (
        "duplicate host id",
        AUTH + HOST + "  - id: apps/one\n",
        "10:9",
        "hosts[1].id: duplicate id 'apps/one' (first at line 7)",
    ),
    (
        "duplicate user id",
        "account: acme\nusers:\n  - id: alice\n  - id: bob\n  - id: alice\n",
        "5:9",
        "users[2].id: duplicate id 'alice' (first at line 3)",
    ),
    (
        "duplicate client id",
        "account: acme\nclients:\n  - {id: app, jwks_uri: https://app.example/jwks}\n  - {id: app, jwks_uri: https://app.example/jwks}\n",
        "4:10",
        "clients[1].id: duplicate id 'app' (first at line 3)",
    ),
    (
        "duplicate variable id",
        "account: acme\nvariables:\n  - id: db/password\n  - id: db/password\n",
        "4:9",
        "variables[1].id: duplicate id 'db/password'",
    ),
    (
        "duplicate route prefix",
        "account: acme\nroutes:\n  - {prefix: /api/v1/, upstream: http://127.0.0.1:9000}\n  - {prefix: /api/v1/, upstream: http://127.0.0.1:9001}\n",
        "4:14",
        "routes[1].prefix: duplicate prefix '/api/v1/'",
    ),
    (
        "duplicate trusted issuer",
        "account: acme\ntrusted_issuers:\n  - {issuer: https://idp.example, jwks_uri: https://idp.example/k, subjects: ['*']}\n  - {issuer: https://idp.example, jwks_uri: https://idp.example/k, subjects: ['*']}\n",
        "4:14",
        "trusted_issuers[1].issuer: duplicate issuer 'https://idp.example'",
    ),
    (
        "duplicate YAML key",
        AUTH + "    issuer: https://other.example\n",
        "6:5",
        "authenticators[0]: duplicate key 'issuer'",
    ),
    (
        "dangling authenticator reference",
        AUTH + "hosts:\n  - id: h\n    authenticators: [vendor, nobody]\n    claims: {a: b}\n",
        "8:30",
        "hosts[0].authenticators[1]: unknown authenticator 'nobody' (defined in this policy: vendor)",
    ),
    (
        "registered claim bound",
        AUTH + "users:\n  - id: u\n    authenticators: [vendor]\n    claims: {sub: x, iss: y}\n",
        "9:22",
        "users[0].claims.iss: registered claim 'iss' is checked by jwtgate itself",
    ),
    (
        "registered claim enforced",
        AUTH + "    enforced_claims: [project_id, aud]\n",
        "6:35",
        "authenticators[0].enforced_claims[1]: registered claim 'aud'",
    ),
    (
        "registered claim as alias name",
        AUTH + "    claim_aliases: {exp: ref}\n",
        "6:21",
        "authenticators[0].claim_aliases.exp: registered claim 'exp'",
    ),
    (
        "registered claim as alias target",
        AUTH + "    claim_aliases: {branch: jti}\n",
        "6:29",
        "authenticators[0].claim_aliases.branch: registered claim 'jti'",
    ),
    (
        "two key sources",
        AUTH + "    provider_uri: https://idp.example\n",
        "6:5",
        "authenticators[0].provider_uri: two key sources, jwks_uri and provider_uri",
    ),
    (
        "no key source",
        "account: acme\nauthenticators:\n  - id: vendor\n    issuer: https://idp.example\n",
        "3:5",
        "authenticators[0]: needs exactly one key source: jwks_uri, provider_uri or public_keys",
    ),
    (
        "HS256 algorithm",
        AUTH + "    algorithms: [RS256, HS256]\n",
        "6:25",
        "authenticators[0].algorithms[1]: 'HS256' is not an allowed algorithm: HMAC with a public key is key confusion (allowed: RS256",
    ),
    (
        "none algorithm",
        AUTH + "    algorithms: [NoNe]\n",
        "6:18",
        "authenticators[0].algorithms[0]: 'NoNe' is not an allowed algorithm: tokens must be signed",
    ),
    (
        "unknown algorithm",
        AUTH + "    algorithms: [RS1]\n",
        "6:18",
        "'RS1' is not an allowed algorithm (allowed: RS256, RS384, RS512, PS256",
    ),
    (
        "empty algorithms",
        AUTH + "    algorithms: []\n",
        "6:17",
        "authenticators[0].algorithms: must not be empty",
    ),
    (
        "http jwks_uri beyond loopback",
        "account: acme\nauthenticators:\n  - id: v\n    jwks_uri: http://idp.example/jwks\n    issuer: x\n",
        "4:15",
        "authenticators[0].jwks_uri: 'http://idp.example/jwks' must be https://",
    ),
    (
        "http provider_uri beyond loopback",
        "account: acme\nauthenticators:\n  - id: v\n    provider_uri: http://10.0.0.1/\n",
        "4:19",
        "authenticators[0].provider_uri: 'http://10.0.0.1/' must be https://",
    ),
    (
        "leeway out of range",
        AUTH + "    leeway_seconds: 301\n",
        "6:21",
        "authenticators[0].leeway_seconds: 301 is out of range: must be <= 300",
    ),
    (
        "token ttl out of range",
        AUTH + "    token_ttl_seconds: 0\n",
        "6:24",
        "authenticators[0].token_ttl_seconds: 0 is out of range: must be >= 1",
    ),
    (
        "issuer missing",
        "account: acme\nauthenticators:\n  - id: v\n    jwks_uri: https://idp.example/jwks\n",
        "3:5",
        "authenticators[0].issuer: is required unless provider_uri",
    ),
    (
        "enforced claim not bound",
        AUTH + "    enforced_claims: [project_id, ref]\n    claim_aliases: {branch: ref}\n" + HOST,
        "11:13",
        "hosts[0].claims: host apps/one does not bind claim 'ref', enforced by authenticator vendor",
    ),
    (
        "identity without bindings",
        AUTH + "users:\n  - id: alice\n    authenticators: [vendor]\n",
        "7:5",
        "users[0].claims: user alice is permitted on authenticator vendor but binds no claim",
    ),
    (
        "host id with host/ prefix",
        "account: acme\nhosts:\n  - id: host/apps/one\n",
        "3:9",
        "write the host id without the 'host/' prefix",
    ),
    (
        "user id with a slash",
        "account: acme\nusers:\n  - id: ops/alice\n",
        "3:9",
        "users[0].id: 'ops/alice': a user id cannot contain '/'",
    ),
    (
        "client with two key types",
        "account: acme\nclients:\n  - id: app\n    jwks_uri: https://app.example/jwks\n    secret_sha256: "
        + "a" * 64
        + "\n",
        "5:5",
        "clients[0].secret_sha256: two credentials, jwks_uri and secret_sha256",
    ),
    (
        "client without credential",
        "account: acme\nclients:\n  - id: app\n",
        "3:5",
        "clients[0]: needs exactly one of certificate, jwks, jwks_uri or secret_sha256",
    ),
    (
        "expired certificate",
        "account: acme\nclients:\n  - id: legacy\n    certificate: " + block(EXPIRED, 4),
        "4:18",
        "clients[0].certificate: certificate of client legacy expired on 2021-01-01T00:00:00Z",
    ),
    (
        "not yet valid certificate",
        "account: acme\nclients:\n  - id: early\n    certificate: " + block(FUTURE, 4),
        "4:18",
        "certificate of client early is not valid before 2031-01-01T00:00:00Z",
    ),
    (
        "weak RSA certificate",
        "account: acme\nclients:\n  - id: weak\n    certificate: " + block(WEAK_RSA, 4),
        "4:18",
        "the certificate's RSA key has 1024 bits (at least 2048 needed)",
    ),
    (
        "not a certificate",
        "account: acme\nclients:\n  - id: x\n    certificate: hello\n",
        "4:18",
        "clients[0].certificate: is not a PEM X.509 certificate",
    ),
    (
        "bad secret_sha256",
        "account: acme\nclients:\n  - id: app\n    secret_sha256: " + "A" * 64 + "\n",
        "4:20",
        "clients[0].secret_sha256: must be the SHA-256 of the secret as 64 lowercase hex",
    ),
    (
        "jwt-bearer with only a secret",
        "account: acme\nclients:\n  - id: app\n    secret_sha256: "
        + "a" * 64
        + "\n    grant_types: [client_credentials, jwt-bearer]\n",
        "5:39",
        "clients[0].grant_types[1]: jwt-bearer needs a key",
    ),
    (
        "unknown grant type",
        "account: acme\nclients:\n  - {id: app, jwks_uri: https://a.example/k, grant_types: [password]}\n",
        "3:60",
        "clients[0].grant_types[0]: 'password' must be 'jwt-bearer' or 'client_credentials'",
    ),
    (
        "client jwks_uri over http",
        "account: acme\nclients:\n  - {id: app, jwks_uri: http://app.example/jwks}\n",
        "3:25",
        "clients[0].jwks_uri: 'http://app.example/jwks' must be https://",
    ),
    (
        "default_scopes not a subset",
        "account: acme\nclients:\n  - id: app\n    jwks_uri: https://app.example/jwks\n    scopes: [read]\n    default_scopes: [read, write]\n",
        "6:28",
        "clients[0].default_scopes[1]: 'write' is not one of the scopes",
    ),
    (
        "scope with a space",
        "account: acme\nclients:\n  - id: app\n    jwks_uri: https://app.example/jwks\n    scopes: [read, 'write all']\n",
        "5:20",
        "clients[0].scopes[1]: 'write all' is not a scope token",
    ),
    (
        "trusted issuer without subjects",
        "account: acme\ntrusted_issuers:\n  - issuer: https://idp.example\n    jwks_uri: https://idp.example/k\n",
        "3:5",
        "trusted_issuers[0]: missing required key 'subjects'",
    ),
    (
        "static JWKS with a symmetric key",
        AUTH.replace(
            "    jwks_uri: https://idp.example/jwks\n",
            "    public_keys:\n      keys:\n        - {kty: oct, k: c2VjcmV0}\n",
        ),
        "6:11",
        "authenticators[0].public_keys.keys[0]: symmetric (oct) keys are refused",
    ),
    (
        "static JWKS with a private key",
        AUTH.replace(
            "    jwks_uri: https://idp.example/jwks\n",
            "    public_keys: {keys: [{kty: EC, crv: P-256, x: a, y: b, d: c}]}\n",
        ),
        "4:26",
        "holds private key material (d)",
    ),
    (
        "static JWKS that does not load",
        AUTH.replace(
            "    jwks_uri: https://idp.example/jwks\n",
            "    public_keys: {keys: [{kty: RSA, n: AQAB}]}\n",
        ),
        "4:26",
        "authenticators[0].public_keys.keys[0]: key does not load",
    ),
    (
        "ca_cert that is not PEM",
        AUTH + "    ca_cert: not a certificate\n",
        "6:14",
        "authenticators[0].ca_cert: is not a PEM X.509 certificate",
    ),
    (
        "dangling variable permit",
        "account: acme\nusers:\n  - id: alice\nvariables:\n  - id: db\n    permit:\n      execute: [user:alice, host:apps/ghost]\n",
        "7:29",
        "variables[0].permit.execute[1]: 'host:apps/ghost' names no host defined in this policy",
    ),
    (
        "malformed variable permit",
        "account: acme\nvariables:\n  - id: db\n    permit: {update: [alice]}\n",
        "4:23",
        "variables[0].permit.update[0]: 'alice' must be host:<id> or user:<id>",
    ),
    (
        "route overlapping /admin/",
        "account: acme\nroutes:\n  - prefix: /admin/tools/\n    upstream: http://127.0.0.1:9000\n",
        "3:13",
        "routes[0].prefix: '/admin/tools/' overlaps jwtgate's own path /admin/",
    ),
    (
        "route above /api/oauth/",
        "account: acme\nroutes:\n  - {prefix: /api/, upstream: http://127.0.0.1:9000}\n",
        "3:14",
        "'/api/' overlaps jwtgate's own path /api/oauth/",
    ),
    (
        "route at /",
        "account: acme\nroutes:\n  - {prefix: /, upstream: http://127.0.0.1:9000}\n",
        "3:14",
        "routes[0].prefix: '/' overlaps all of jwtgate's own paths",
    ),
    (
        "route prefix without trailing slash",
        "account: acme\nroutes:\n  - {prefix: /api, upstream: http://127.0.0.1:9000}\n",
        "3:14",
        "'/api' must start and end with '/'",
    ),
    (
        "route upstream not http",
        "account: acme\nroutes:\n  - {prefix: /x/, upstream: 'ftp://files.example/'}\n",
        "3:29",
        "routes[0].upstream: 'ftp://files.example/' must be an http:// or https:// URL",
    ),
    (
        "route accepts unknown authenticator",
        "account: acme\nroutes:\n  - {prefix: /x/, upstream: 'http://127.0.0.1:1', accept: [self, ghost]}\n",
        "3:66",
        "routes[0].accept[1]: 'ghost' is neither 'self' nor an authenticator",
    ),
    (
        "route timeout out of range",
        "account: acme\nroutes:\n  - {prefix: /x/, upstream: 'http://127.0.0.1:1', timeout_seconds: 301}\n",
        "3:68",
        "routes[0].timeout_seconds: 301 is out of range: must be <= 300",
    ),
    (
        "YAML syntax error",
        "account: acme\nhosts:\n  - id: [unclosed\n",
        "4:1",
        "YAML syntax error: ",
    ),
    (
        "YAML tab indentation",
        "account: acme\n\thosts: []\n",
        "2:1",
        "YAML syntax error: found character '\\t'",
    ),
    (
        "anchor",
        "account: acme\nhosts:\n  - &h {id: one}\n",
        "3:5",
        "anchors and aliases are not allowed",
    ),
    (
        "alias",
        "account: acme\nusers: []\nhosts: *h\n",
        "3:8",
        "anchors and aliases are not allowed",
    ),
    (
        "python tag",
        "account: !!python/object/apply:os.system [id]\n",
        "1:10",
        "tag 'tag:yaml.org,2002:python/object/apply:os.system' is not allowed",
    ),
    ("local tag", "account: !secret acme\n", "1:10", "tag '!secret' is not allowed"),
    ("top level not a mapping", "- account: acme\n", "1:1", "the policy must be a mapping"),
    ("empty file", "# nothing here\n", "1:1", "empty policy"),
    (
        "several documents",
        "account: a\n---\naccount: b\n",
        "2:1",
        "YAML syntax error: but found another document (expected a single document",
    ),
]


def problems(text: str, now: datetime = NOW) -> list[str]:
    with pytest.raises(PolicyError) as info:
        load_policy(text, FILE, now=now)
    return [str(problem) for problem in info.value.problems]


@pytest.mark.parametrize(
    ("text", "where", "fragment"), [c[1:] for c in BROKEN], ids=[c[0] for c in BROKEN]
)
def test_broken_policy_is_rejected_at_the_right_place(text: str, where: str, fragment: str) -> None:
    found = problems(text)
    expected = f"{FILE}:{where}: "
    assert any(p.startswith(expected) and fragment in p for p in found), found


def test_the_broken_table_is_wide() -> None:
    assert len(BROKEN) >= 20


def test_every_problem_is_reported_sorted() -> None:
    text = "account: acme\nhosts:\n  - id: host/x\n    colour: red\nusers:\n  - id: a/b\n"
    err = problems(text)
    assert [p.split(": ")[0] for p in err] == ["p.yaml:3:9", "p.yaml:4:5", "p.yaml:6:9"]


def test_error_text_is_one_problem_per_line() -> None:
    with pytest.raises(PolicyError) as info:
        load_policy("account: acme\nb: 1\na: 2\n", FILE)
    assert str(info.value).splitlines() == [str(p) for p in info.value.problems]
    assert str(info.value).startswith("p.yaml:2:1: b: unknown key 'b'")


def test_problem_renders_file_line_column() -> None:
    assert str(PolicyProblem("f.yaml", 3, 7, "bad")) == "f.yaml:3:7: bad"


def test_text_over_one_mebibyte_is_refused() -> None:
    text = "account: acme\n# " + "x" * (1024 * 1024) + "\n"
    assert problems(text) == ["p.yaml:1:1: policy is larger than 1 MiB"]


def test_deep_nesting_is_refused() -> None:
    (found,) = problems("account: " + "[" * 200 + "]" * 200 + "\n")
    assert "nesting deeper than 64 levels" in found


# --- good files ---------------------------------------------------------------------


def spec_example(pem: str) -> str:
    """The SPEC §3 example, with a real certificate for the client."""
    return textwrap.dedent(
        """\
        account: cucumber
        authenticators:
          - id: myVendor                        # /authn-jwt/myVendor/cucumber/...
            jwks_uri: https://idp.example/.well-known/jwks.json
            ca_cert: null                       # PEM bundle trusted for jwks_uri/provider_uri
            allow_insecure_http: false          # http:// key URLs beyond loopback
            issuer: https://idp.example
            audience: [conjur]
            algorithms: [RS256, ES256]
            token_app_property: null            # e.g. project_path or sub; nested with "/"
            identity_path: jwt-apps
            enforced_claims: [project_id]
            claim_aliases: {branch: ref}
            leeway_seconds: 0                   # 0..300
            token_ttl_seconds: 480              # lifetime of the access tokens, 1..18000
            enabled: true
        hosts:
          - id: jwt-apps/myapp
            authenticators: [myVendor]
            claims: {project_id: "42", branch: "refs/heads/*"}   # value or glob
        users:
          - id: alice
            authenticators: [myVendor]
            claims: {project_id: "42", email: alice@example.com}
        clients:                                # client ids are unique across all accounts
          - id: SampleConfidentialApp
            certificate: CERT
            grant_types: [jwt-bearer, client_credentials]
            scopes: [read, write]
            default_scopes: [read]
            subjects: [SampleConfidentialApp]   # allowed `sub` of its jwt-bearer assertions
            audience: [https://api.example]     # `aud` of the access tokens it gets
        trusted_issuers:                        # RFC 7523 assertions from an external IdP
          - issuer: https://idp.example
            jwks_uri: https://idp.example/.well-known/jwks.json
            subjects: ["*"]
            scopes: [read]
        variables:
          - id: db/password
            permit: {execute: [host:jwt-apps/myapp], update: []}
        routes:
          - prefix: /rest/2.0/
            upstream: http://127.0.0.1:9000/
            accept: [self, myVendor]            # jwtgate tokens and/or these authenticators
            audience: [https://api.example]     # the `aud` a jwtgate token needs here
            scopes: []
            strip_prefix: false                 # forward /rest/2.0/x as /x when true
            timeout_seconds: 30
        """
    ).replace("CERT", block(pem, 4).rstrip("\n"))


@pytest.fixture(scope="module")
def valid_pem() -> str:
    now = datetime.now(UTC)
    return certificate(now - timedelta(days=1), now + timedelta(days=365))


def test_spec_example_loads(valid_pem: str) -> None:
    policy = load_policy(spec_example(valid_pem), "spec.yaml")
    assert policy.account == "cucumber"
    (auth,) = policy.authenticators
    assert auth.audience == ["conjur"]
    assert auth.claim_aliases == {"branch": "ref"}
    assert policy.hosts[0].claims == {"project_id": "42", "branch": "refs/heads/*"}
    assert policy.clients[0].certificate == valid_pem
    assert policy.trusted_issuers[0].algorithms == ["RS256", "RS384", "RS512"]
    assert policy.routes[0].timeout_seconds == 30.0


def sample_text() -> str:
    return files("jwtgate.policy").joinpath("sample.yaml").read_text()


def test_sample_policy_is_valid_and_shows_every_kind_of_entry() -> None:
    policy = load_policy(sample_text(), "sample.yaml")
    kinds = {a.jwks_uri is not None: 1 for a in policy.authenticators}
    assert kinds and all(
        any(getattr(a, source) is not None for a in policy.authenticators)
        for source in ("jwks_uri", "provider_uri", "public_keys")
    )
    for section in ("hosts", "users", "clients", "trusted_issuers", "variables", "routes"):
        assert getattr(policy, section), section
    assert {c.secret_sha256 is not None for c in policy.clients} == {True, False}


def test_defaults_are_filled_in() -> None:
    policy = load_policy(
        AUTH + "clients:\n  - {id: app, jwks_uri: https://a.example/k}\n"
        "routes:\n  - {prefix: /x/, upstream: 'http://127.0.0.1:1'}\n"
        "variables:\n  - id: v\n"
    )
    auth, client, route = policy.authenticators[0], policy.clients[0], policy.routes[0]
    assert auth.algorithms == ["RS256", "RS384", "RS512"]
    assert (auth.leeway_seconds, auth.token_ttl_seconds, auth.enabled) == (0, 480, True)
    assert client.grant_types == ["client_credentials"]
    assert client.subjects == ["app"]
    assert client.audience == []
    assert (route.accept, route.strip_prefix, route.timeout_seconds) == (["self"], False, 30.0)
    assert policy.variables[0].permit.execute == []


def test_scalar_values_keep_their_text() -> None:
    """SPEC §2.1: numbers and booleans bind as their JSON text; YAML 1.1 oddities stay text."""
    policy = load_policy(
        AUTH + "hosts:\n  - id: h\n    authenticators: [vendor]\n"
        "    claims: {id: 42, admin: true, flag: yes, mode: 0755, day: 2024-01-01, no: NO}\n"
    )
    assert policy.hosts[0].claims == {
        "id": "42",
        "admin": "true",
        "flag": "yes",
        "mode": "0755",
        "day": "2024-01-01",
        "no": "NO",
    }


def test_audience_string_becomes_a_list() -> None:
    policy = load_policy(AUTH + "    audience: conjur\n")
    assert policy.authenticators[0].audience == ["conjur"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/jwks",
        "http://127.9.9.9/jwks",
        "http://[::1]/jwks",
        "http://localhost/k",
    ],
)
def test_http_key_url_to_loopback_is_allowed(url: str) -> None:
    load_policy(AUTH.replace("https://idp.example/jwks", url))


def test_http_key_url_anywhere_with_allow_insecure_http() -> None:
    text = AUTH.replace("https://idp.example/jwks", "http://idp.example/jwks")
    load_policy(text + "    allow_insecure_http: true\n")


def test_provider_uri_needs_no_issuer() -> None:
    load_policy("account: a\nauthenticators:\n  - {id: v, provider_uri: https://idp.example}\n")


def test_enforced_claim_may_be_bound_through_its_alias() -> None:
    text = AUTH + "    enforced_claims: [ref]\n    claim_aliases: {branch: ref}\n"
    load_policy(
        text + "hosts:\n  - id: h\n    authenticators: [vendor]\n    claims: {branch: main}\n"
    )


def test_jwks_keys_for_another_use_are_ignored() -> None:
    text = AUTH.replace(
        "    jwks_uri: https://idp.example/jwks\n",
        "    public_keys:\n      keys:\n        - {kty: oct, k: c2VjcmV0, use: enc}\n",
    )
    assert "holds no usable signing key" in problems(text)[0]


def test_round_trip_through_yaml_and_json(valid_pem: str) -> None:
    for text in (spec_example(valid_pem), sample_text()):
        policy = load_policy(text)
        assert load_policy(dump_policy(policy)) == policy
        assert policy_from_dict(policy.model_dump(mode="json")) == policy


def test_dump_fills_defaults_in_spec_order() -> None:
    dumped = dump_policy(load_policy(AUTH))
    keys = [line.strip().split(":")[0] for line in dumped.splitlines()[3:]]
    assert keys == [
        "jwks_uri",
        "ca_cert",
        "allow_insecure_http",
        "issuer",
        "audience",
        "algorithms",
        "token_app_property",
        "identity_path",
        "enforced_claims",
        "claim_aliases",
        "leeway_seconds",
        "token_ttl_seconds",
        "enabled",
        "hosts",
        "users",
        "clients",
        "trusted_issuers",
        "variables",
        "routes",
    ]


def test_stored_policy_skips_certificate_dates_but_not_other_rules() -> None:
    """An applied certificate that expires later must not stop jwtgate from starting."""
    data = {"account": "acme", "clients": [{"id": "legacy", "certificate": EXPIRED}]}
    assert policy_from_dict(data).clients[0].subjects == ["legacy"]
    with pytest.raises(PolicyError) as info:
        policy_from_dict({"account": "acme", "hosts": [{"id": "h", "authenticators": ["x"]}]})
    assert str(info.value.problems[0]).startswith("<stored policy>:1:1: hosts[0].authenticators[0]")


def test_policy_from_dict_rejects_a_non_mapping() -> None:
    with pytest.raises(PolicyError):
        policy_from_dict([])  # type: ignore[arg-type]


# --- across accounts ----------------------------------------------------------------

OTHER = load_policy(
    "account: other\n"
    "clients:\n  - {id: shared, jwks_uri: https://a.example/k}\n"
    "trusted_issuers:\n  - {issuer: https://idp.example, jwks_uri: https://idp.example/k, subjects: ['*']}\n"
    "routes:\n  - {prefix: /api/v1/, upstream: 'http://127.0.0.1:1'}\n",
    now=NOW,
)


def test_global_ids_must_be_unique_across_accounts() -> None:
    mine = load_policy(
        "account: acme\n"
        "routes:\n  - {prefix: /api/v1/, upstream: 'http://127.0.0.1:2'}\n"
        "clients:\n  - id: shared\n    jwks_uri: https://b.example/k\n"
        "trusted_issuers:\n  - {issuer: https://idp.example, jwks_uri: https://idp.example/k, subjects: [x]}\n",
        FILE,
    )
    with pytest.raises(PolicyError) as info:
        check_against_others(mine, [OTHER], FILE)
    assert [str(p)[: str(p).index(" ")] for p in info.value.problems] == [
        "p.yaml:3:14:",
        "p.yaml:5:9:",
        "p.yaml:8:14:",
    ]
    assert "client id 'shared' is already used by account other" in str(info.value)
    assert "route prefix '/api/v1/' is already used by account other" in str(info.value)


def test_the_same_account_is_not_its_own_rival() -> None:
    again = load_policy(dump_policy(OTHER))
    check_against_others(again, [OTHER], FILE)
    check_against_others(load_policy("account: acme\n"), [OTHER], FILE)
