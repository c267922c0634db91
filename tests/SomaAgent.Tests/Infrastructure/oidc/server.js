// A real OIDC issuer for the JWT tests (a stand-in for Keycloak): discovery, JWKS, and client_credentials
// access tokens as RS256 JWTs carrying 'tenant' and 'scope'.
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

// A fresh signing key per run: nothing outside this process ever trusts it.
const jwk = { ...generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'test-key', alg: 'RS256', use: 'sig' };

const provider = new Provider(issuer, {
  clients,
  scopes,
  jwks: { keys: [jwk] },
  features: {
    devInteractions: { enabled: false },
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
    const tenant = tenants[token.clientId];
    return tenant ? { tenant } : undefined;
  },
});

const server = provider.listen(port, '127.0.0.1', () => console.log(`oidc-issuer ready ${issuer}`));
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
