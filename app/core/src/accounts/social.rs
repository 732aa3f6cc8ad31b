//! Social login (C-USER-05): OpenID Connect's authorization-code flow with
//! PKCE, through the maintained [`openidconnect`] crate.
//!
//! 1. [`SocialLogin::begin`] discovers the provider (once, then cached),
//!    makes a fresh `state`, `nonce` and PKCE verifier, keeps them server
//!    side for ten minutes (table `oidc_logins`, the state only as its
//!    SHA-256) and answers the provider's authorization URL to send the
//!    browser to.
//! 2. The provider sends the browser back to the callback with `code` and
//!    `state`. [`SocialLogin::complete`] takes the pending login by its
//!    state, **once** (a replayed callback finds nothing), exchanges the
//!    code with the PKCE verifier and the client secret, and verifies the
//!    ID token: signature against the provider's keys, issuer, audience,
//!    expiry and the nonce. What comes out is the provider's account:
//!    [`Identity`].
//! 3. `Accounts::social_login` turns the identity into a session.
//!
//! The provider's HTTP calls (discovery, keys, token) go through the shop's
//! own `reqwest` client with redirects off (the crate's advice against
//! SSRF), each one a client span named after the endpoint; no trace context
//! is sent to the provider, and no code, token or secret is ever recorded.

use std::borrow::Cow;
use std::time::Duration;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, EndpointMaybeSet, EndpointNotSet,
    EndpointSet, IssuerUrl, Nonce, OAuth2TokenResponse, PkceCodeChallenge, PkceCodeVerifier,
    RedirectUrl, Scope, TokenResponse,
};
use tokio::sync::Mutex;
use tracing::{Instrument, field::Empty};

use super::token;
use crate::cart::CartId;
use crate::db::Db;
use crate::time::now_millis;

/// How long a login may wait at the provider.
pub const PENDING_LIFETIME: Duration = Duration::from_secs(10 * 60);

/// Where the shop's OpenID Connect client is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OidcSettings {
    /// The provider's issuer URL (discovery reads
    /// `{issuer}/.well-known/openid-configuration`).
    pub issuer: String,
    pub client_id: String,
    /// `None` for a public client (PKCE alone).
    pub client_secret: Option<String>,
}

/// Why a social login failed.
#[derive(Debug, thiserror::Error)]
pub enum SocialError {
    #[error("social login is not configured on this shop")]
    NotConfigured,
    /// Discovery, the keys or the token endpoint could not be reached or
    /// answered nonsense.
    #[error("the identity provider is unavailable: {0}")]
    ProviderUnavailable(String),
    /// The callback's `state` is unknown, already used or expired.
    #[error("this login is unknown, already completed or expired; start again")]
    UnknownState,
    /// The provider answered the callback with an error (the person
    /// declined, for example).
    #[error("the identity provider refused the login: {0}")]
    Refused(String),
    /// The code exchange or the ID token failed verification.
    #[error("the identity provider's answer failed verification: {0}")]
    Rejected(String),
    /// The provider gave no e-mail address, or one it has not verified.
    #[error("the identity provider did not give a verified e-mail address")]
    EmailUnverified,
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// The person the provider vouched for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub issuer: String,
    /// The provider's stable id for the person (`sub`).
    pub subject: String,
    /// Present only when the provider says it verified it.
    pub verified_email: Option<String>,
    pub name: Option<String>,
    /// The guest cart the login started with, to merge.
    pub guest_cart: Option<CartId>,
}

/// The discovered client: authorization and token endpoints set, user-info
/// maybe.
type Client = CoreClient<
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointMaybeSet,
    EndpointMaybeSet,
>;

/// The shop's OpenID Connect relying party. Cheap to clone.
#[derive(Clone)]
pub struct SocialLogin {
    settings: Option<std::sync::Arc<OidcSettings>>,
    http: reqwest::Client,
    client: std::sync::Arc<Mutex<Option<Client>>>,
}

impl SocialLogin {
    /// A relying party for `settings`; `None`: social login is off and every
    /// call answers [`SocialError::NotConfigured`].
    pub fn new(settings: Option<OidcSettings>) -> SocialLogin {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap_or_default();
        SocialLogin {
            settings: settings.map(std::sync::Arc::new),
            http,
            client: Default::default(),
        }
    }

    pub fn is_configured(&self) -> bool {
        self.settings.is_some()
    }

    /// Starts a login: keeps `state`, `nonce` and the PKCE verifier for
    /// [`PENDING_LIFETIME`] and returns the provider's authorization URL.
    /// `redirect_url` is this shop's callback as the provider knows it.
    pub async fn begin(
        &self,
        db: &Db,
        redirect_url: &str,
        guest_cart: Option<&CartId>,
    ) -> Result<String, SocialError> {
        let client = self.client().await?;
        let redirect = RedirectUrl::new(redirect_url.to_owned())
            .map_err(|e| SocialError::ProviderUnavailable(format!("callback URL: {e}")))?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(
                CoreAuthenticationFlow::AuthorizationCode,
                CsrfToken::new_random,
                Nonce::new_random,
            )
            .add_scope(Scope::new("email".to_owned()))
            .add_scope(Scope::new("profile".to_owned()))
            .set_pkce_challenge(challenge)
            .set_redirect_uri(Cow::Owned(redirect))
            .url();
        let now = now_millis();
        const SQL: &str = "INSERT INTO oidc_logins (state_hash, nonce, pkce_verifier, redirect_url, cart_id, expires_at) \
            VALUES (?, ?, ?, ?, ?, ?)";
        db.traced(
            SQL,
            sqlx::query(SQL)
                .bind(token::sha256_hex(state.secret().as_bytes()))
                .bind(nonce.secret().as_str())
                .bind(verifier.secret().as_str())
                .bind(redirect_url)
                .bind(guest_cart.map(CartId::as_str))
                .bind(now + PENDING_LIFETIME.as_millis() as i64)
                .execute(db.pool()),
        )
        .await?;
        // Old, abandoned logins go as new ones come.
        const PURGE: &str = "DELETE FROM oidc_logins WHERE expires_at < ?";
        db.traced(PURGE, sqlx::query(PURGE).bind(now).execute(db.pool()))
            .await?;
        Ok(url.to_string())
    }

    /// Completes a login from the callback's `state` and `code`: takes the
    /// pending login (once), exchanges the code, verifies the ID token.
    pub async fn complete(
        &self,
        db: &Db,
        state: &str,
        code: &str,
    ) -> Result<Identity, SocialError> {
        let settings = self.settings.as_ref().ok_or(SocialError::NotConfigured)?;
        let pending = take_pending(db, state)
            .await?
            .ok_or(SocialError::UnknownState)?;
        let client = self.client().await?;
        let redirect = RedirectUrl::new(pending.redirect_url)
            .map_err(|e| SocialError::Rejected(format!("stored callback URL: {e}")))?;
        let http = self.http_fn("POST token");
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .map_err(|e| SocialError::ProviderUnavailable(e.to_string()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.pkce_verifier))
            .set_redirect_uri(Cow::Owned(redirect))
            .request_async(&http)
            .await
            .map_err(|e| match e {
                openidconnect::RequestTokenError::ServerResponse(r) => {
                    SocialError::Rejected(r.error().to_string())
                }
                other => SocialError::ProviderUnavailable(other.to_string()),
            })?;
        let id_token = tokens
            .id_token()
            .ok_or_else(|| SocialError::Rejected("no ID token in the answer".to_owned()))?;
        let verifier = client.id_token_verifier();
        let claims = id_token
            .claims(&verifier, &Nonce::new(pending.nonce))
            .map_err(|e| SocialError::Rejected(e.to_string()))?;
        // The access token is not used (the ID token says all the shop needs),
        // but a substituted one would still be a forged answer.
        if let Some(expected) = claims.access_token_hash() {
            let alg = id_token
                .signing_alg()
                .map_err(|e| SocialError::Rejected(e.to_string()))?;
            let key = id_token
                .signing_key(&verifier)
                .map_err(|e| SocialError::Rejected(e.to_string()))?;
            let actual =
                openidconnect::AccessTokenHash::from_token(tokens.access_token(), alg, key)
                    .map_err(|e| SocialError::Rejected(e.to_string()))?;
            if actual != *expected {
                return Err(SocialError::Rejected(
                    "access token hash mismatch".to_owned(),
                ));
            }
        }
        let verified_email = match (claims.email(), claims.email_verified()) {
            (Some(email), Some(true)) => Some(email.as_str().to_lowercase()),
            _ => None,
        };
        let name = claims
            .name()
            .and_then(|n| n.get(None))
            .map(|n| n.as_str().to_owned());
        Ok(Identity {
            issuer: settings.issuer.clone(),
            subject: claims.subject().as_str().to_owned(),
            verified_email,
            name,
            guest_cart: pending.cart_id.and_then(|c| CartId::parse(&c).ok()),
        })
    }

    /// The discovered client, discovering it on first use (and again after
    /// a failed attempt, so a provider that starts after the shop is found).
    async fn client(&self) -> Result<Client, SocialError> {
        let settings = self.settings.as_ref().ok_or(SocialError::NotConfigured)?;
        let mut cached = self.client.lock().await;
        if let Some(c) = cached.as_ref() {
            return Ok(c.clone());
        }
        let issuer = IssuerUrl::new(settings.issuer.clone())
            .map_err(|e| SocialError::ProviderUnavailable(format!("issuer URL: {e}")))?;
        let http = self.http_fn("GET discovery");
        let metadata = CoreProviderMetadata::discover_async(issuer, &http)
            .await
            .map_err(|e| SocialError::ProviderUnavailable(e.to_string()))?;
        let client = CoreClient::from_provider_metadata(
            metadata,
            ClientId::new(settings.client_id.clone()),
            settings.client_secret.clone().map(ClientSecret::new),
        );
        *cached = Some(client.clone());
        Ok(client)
    }

    /// An HTTP function for `openidconnect` on the shop's client: one client
    /// span per call (`name`, the method, the URL without its query), the
    /// status recorded; bodies never.
    fn http_fn(
        &self,
        name: &'static str,
    ) -> impl Fn(
        openidconnect::HttpRequest,
    ) -> std::pin::Pin<
        Box<dyn Future<Output = Result<openidconnect::HttpResponse, ProviderHttpError>> + Send>,
    > {
        let http = self.http.clone();
        move |request: openidconnect::HttpRequest| {
            let http = http.clone();
            Box::pin(async move {
                let (parts, body) = request.into_parts();
                let url = parts.uri.to_string();
                let shown = url.split('?').next().unwrap_or_default().to_owned();
                let span = tracing::info_span!(
                    "HTTP call",
                    span.name = %format_args!("{name}"),
                    span.kind = "client",
                    http.request.method = parts.method.as_str(),
                    url.full = shown.as_str(),
                    peer.service = "identity-provider",
                    http.response.status_code = Empty,
                );
                async move {
                    let response = http
                        .request(parts.method, url)
                        .headers(parts.headers)
                        .body(body)
                        .send()
                        .await?;
                    tracing::Span::current()
                        .record("http.response.status_code", response.status().as_u16());
                    let mut builder = http::Response::builder().status(response.status());
                    for (k, v) in response.headers() {
                        builder = builder.header(k, v);
                    }
                    let bytes = response.bytes().await?;
                    builder
                        .body(bytes.to_vec())
                        .map_err(|e| ProviderHttpError::Response(e.to_string()))
                }
                .instrument(span)
                .await
            })
        }
    }
}

/// A failed call to the identity provider.
#[derive(Debug, thiserror::Error)]
pub enum ProviderHttpError {
    #[error(transparent)]
    Http(#[from] reqwest::Error),
    #[error("unusable response: {0}")]
    Response(String),
}

/// A login waiting at the provider.
struct Pending {
    nonce: String,
    pkce_verifier: String,
    redirect_url: String,
    cart_id: Option<String>,
}

/// Takes the live pending login for `state`: read, then deleted; only the
/// request whose delete removed the row may use it, so a replayed callback
/// finds nothing.
async fn take_pending(db: &Db, state: &str) -> Result<Option<Pending>, sqlx::Error> {
    let hash = token::sha256_hex(state.as_bytes());
    const FIND: &str = "SELECT nonce, pkce_verifier, redirect_url, cart_id, expires_at FROM oidc_logins \
        WHERE state_hash = ?";
    let row: Option<(String, String, String, Option<String>, i64)> = db
        .traced(
            FIND,
            sqlx::query_as(FIND).bind(&hash).fetch_optional(db.pool()),
        )
        .await?;
    let Some((nonce, pkce_verifier, redirect_url, cart_id, expires_at)) = row else {
        return Ok(None);
    };
    const TAKE: &str = "DELETE FROM oidc_logins WHERE state_hash = ?";
    let taken = db
        .traced(TAKE, sqlx::query(TAKE).bind(&hash).execute(db.pool()))
        .await?;
    if taken.rows_affected() != 1 || expires_at < now_millis() {
        return Ok(None);
    }
    Ok(Some(Pending {
        nonce,
        pkce_verifier,
        redirect_url,
        cart_id,
    }))
}
