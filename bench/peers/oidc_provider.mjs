// Peer: node-oidc-provider 9.x, client_credentials with private_key_jwt, ES256 at+jwt.
//
// The set-up issue 9 measured: the client registers its RSA public JWK and
// authenticates with an RS256 client assertion (RFC 7523 §2.2); the assertion's jti is
// recorded in the provider's default in-memory store (an LRU) so a replay is refused;
// the access token is an RFC 9068 JWT (resource indicators, accessTokenFormat 'jwt')
// signed with ES256. One process, no cluster: the bench pins it to one core.
//
// Environment: BENCH_ISSUER, BENCH_PORT, BENCH_CLIENT_JWKS (file), BENCH_PEER_SIGNING_JWK
// (file: a private P-256 JWK).
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const issuer = process.env.BENCH_ISSUER;
const port = Number(process.env.BENCH_PORT);
const clientJwks = JSON.parse(readFileSync(process.env.BENCH_CLIENT_JWKS, 'utf8'));
const signingJwk = JSON.parse(readFileSync(process.env.BENCH_PEER_SIGNING_JWK, 'utf8'));

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'bench-client',
    token_endpoint_auth_method: 'private_key_jwt',
    token_endpoint_auth_signing_alg: 'RS256',
    id_token_signed_response_alg: 'ES256', // the only key the provider has is P-256
    jwks: clientJwks,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'read write',
  }],
  jwks: { keys: [signingJwk] },
  scopes: ['read', 'write'],
  ttl: { ClientCredentials: () => 3600 },
  routes: { token: '/oauth/token', jwks: '/jwks' },
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => issuer,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: 'read write',
        audience: issuer,
        accessTokenTTL: 3600,
        accessTokenFormat: 'jwt',
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`node-oidc-provider listening on ${issuer}`);
});
