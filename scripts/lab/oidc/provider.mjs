// The lab's "social" identity provider (C-USER-05): panva's oidc-provider, an OpenID Certified
// provider from npm, configured for the lab. Started by scripts/lab/oidc.sh and by the shop's
// tests (app/server/tests/api/social.rs). Not for production: development signing keys, a fixed
// cookie key, and the provider's built-in development login page, where any user name logs in.
//
// Settings (environment):
//   OIDC_PORT           port on 127.0.0.1 (default 4444); the issuer is http://127.0.0.1:PORT
//   OIDC_CLIENT_ID      the shop's client id (default shop-lab)
//   OIDC_CLIENT_SECRET  its secret (default shop-lab-secret)
//   OIDC_REDIRECT_URIS  comma-separated callback URLs the client may use
//                       (default http://127.0.0.1:8080/api/auth/oidc/callback)
//
// Accounts: whatever user name is typed on the login page. `NAME@social.example` is its e-mail,
// verified, except for names starting with `unverified`, whose e-mail is not verified.
import Provider from 'oidc-provider';

const port = Number(process.env.OIDC_PORT ?? 4444);
const issuer = `http://127.0.0.1:${port}`;
const clientId = process.env.OIDC_CLIENT_ID ?? 'shop-lab';
const clientSecret = process.env.OIDC_CLIENT_SECRET ?? 'shop-lab-secret';
const redirectUris = (process.env.OIDC_REDIRECT_URIS ?? 'http://127.0.0.1:8080/api/auth/oidc/callback')
  .split(',')
  .map((u) => u.trim())
  .filter(Boolean);

function titleCase(word) {
  return word.charAt(0).toUpperCase() + word.slice(1);
}

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: redirectUris,
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  // Authorization code flow with PKCE only.
  pkce: { required: () => true },
  claims: {
    openid: ['sub'],
    email: ['email', 'email_verified'],
    profile: ['name'],
  },
  // The ID token carries the requested claims (the shop reads no userinfo).
  conformIdTokenClaims: false,
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return {
          sub: id,
          email: `${id}@social.example`,
          email_verified: !id.startsWith('unverified'),
          name: `${titleCase(id)} Social`,
        };
      },
    };
  },
  // The shop is the provider's own first-party client: no consent screen.
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      return ctx.oidc.provider.Grant.find(grantId);
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
  features: {
    devInteractions: { enabled: true },
  },
  cookies: { keys: ['shop-lab-oidc-cookie-key-not-a-secret'] },
};

const provider = new Provider(issuer, configuration);
provider.listen(port, '127.0.0.1', () => {
  console.log(`oidc-provider ready: issuer ${issuer}, client ${clientId}, redirect_uris ${redirectUris.join(' ')}`);
});
