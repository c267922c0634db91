// A real OIDC issuer for the JWT tests (a stand-in for Keycloak): discovery, JWKS, and client_credentials
// access tokens as RS256 JWTs carrying 'tenant' and 'scope'; and, for the Web's sign-in, interactive login
// (oidc-provider's development login and consent pages: any user name signs in) with the authorization code flow
// and PKCE for the public client 'somaagent-web', whose users' tokens carry their account's 'tenant', and rotating
// refresh tokens that renew them.
// Usage: node server.js <port> [audience]. Prints "oidc-issuer ready <issuer>" once it listens on 127.0.0.1.
import { generateKeyPairSync } from 'node:crypto';
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const audience = process.argv[3] ?? 'somaagent';
if (!Number.isInteger(port) || port <= 0) {
  console.error('usage: node server.js <port> [audience]');
  process.exit(2);
}
const issuer = `http://127.0.0.1:${port}`;
const scopes = ['platform:admin', 'tenant:admin', 'sessions:read', 'sessions:write', 'models:read', 'unknown:scope'];

// The tenant each client's tokens carry (a hardcoded-claim mapper in Keycloak terms); none for 'no-tenant'.
const tenants = { 'acme-service': 'acme', 'no-tenant': undefined };
const clients = [
  { client_id: 'acme-service', client_secret: 'acme-service-secret', scope: 'sessions:read sessions:write models:read unknown:scope' },
  { client_id: 'no-tenant', client_secret: 'no-tenant-secret', scope: 'sessions:read' },
].map((c) => ({ ...c, grant_types: ['client_credentials'], redirect_uris: [], response_types: [] }));
// The Web signs users in here: a public client (no secret; PKCE), redirected back to the Web's callback.
clients.push({
  client_id: 'somaagent-web',
  token_endpoint_auth_method: 'none',
  grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'],
  redirect_uris: ['http://127.0.0.1/signin-oidc'],
  post_logout_redirect_uris: [],
  scope: 'openid profile ' + scopes.filter((s) => s !== 'unknown:scope').join(' '),
});
// Every account belongs to tenant 'default' (a user attribute mapped to the 'tenant' claim, in Keycloak terms).
const accountTenant = 'default';

// A fresh signing key per run: nothing outside this process ever trusts it.
const jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients,
  scopes,
  jwks: { keys: [jwk] },
  findAccount: (ctx, id) => ({
    accountId: id,
    claims: () => ({ sub: id, name: id, tenant: accountTenant }),
  }),
  claims: { openid: ['sub'], profile: ['name', 'tenant'] },
  pkce: { required: () => true },
  // Like Keycloak, a refresh token with every code exchange (no offline_access needed). Refresh tokens of the public
  // client rotate: each one is good for a single use.
  issueRefreshToken: (ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: {
    devInteractions: { enabled: true },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      // The resource indicator must be an absolute URI; the audience the tokens carry is separate.
      defaultResource: () => 'urn:somaagent:gateway',
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({
        scope: scopes.join(' '),
        audience,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 600,
        jwt: { sign: { alg: 'RS256' } },
      }),
    },
  },
  extraTokenClaims: (ctx, token) => {
    if (token.accountId) {
      return { tenant: accountTenant };
    }
    const tenant = tenants[token.clientId];
    return tenant ? { tenant } : undefined;
  },
});

// The Web listens on a port chosen per test run: its callback on any loopback port is allowed.
const { redirectUriAllowed } = provider.Client.prototype;
provider.Client.prototype.redirectUriAllowed = function allowLoopback(value) {
  const url = new URL(value);
  return (this.clientId === 'somaagent-web' && ['127.0.0.1', 'localhost'].includes(url.hostname) && url.pathname === '/signin-oidc')
    || redirectUriAllowed.call(this, value);
};

const server = provider.listen(port, '127.0.0.1', () => console.log(`oidc-issuer ready ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
