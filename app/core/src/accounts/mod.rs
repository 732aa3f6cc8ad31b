//! Customer accounts (C-USER-01..04): registration and login with argon2id
//! password hashes, server-side sessions, the login limiter, the profile
//! and address book, password reset by e-mail token, and the customer's
//! order history (C-SHOP-04) beside the guest's order lookup.
//!
//! - [`password`]: the password policy and the argon2id hash;
//! - [`token`]: random secret tokens and the hashes stored for them;
//! - [`user`]: user ids, the pseudonymous id telemetry carries, display names;
//! - [`session`]: session lifetimes;
//! - [`throttle`]: the login limiter's rules;
//! - [`model`]: what the API returns;
//! - [`store`]: the SQL;
//! - [`Accounts`]: the operations.
//!
//! Every security-relevant outcome is a *security event* (O-SEC-01): a
//! `warn` log record with its kind and, when known, the user's pseudonym,
//! and one count in `shop.security.events`. No event, span or metric
//! carries an e-mail, a name, a password or a token.

pub mod model;
pub mod password;
pub mod session;
pub mod social;
pub mod store;
pub mod throttle;
pub mod token;
pub mod user;

use std::time::Duration;

use telemetry_api::{KeyValue, semconv};

use crate::cart::{self, CartId};
use crate::db::Db;
use crate::email::EmailAddress;
use crate::instruments::Instruments;
use crate::orders::{self, Address, Order, OrderId, ShippingAddress};
use crate::time::now_millis;
use crate::validation::Invalid;

pub use model::{OrderSummary, Profile, SavedAddress};
pub use password::Password;
pub use session::Session;
pub use token::SecretToken;
pub use user::{DisplayName, UserId, UserPseudonym, UserType};

/// A password-reset token is valid this long.
pub const RESET_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 60);
/// Most addresses one address book holds.
pub const MAX_ADDRESSES: i64 = 20;
/// What the password hash column holds for an account made through an
/// identity provider: not a PHC string, so no password ever matches it.
pub const SOCIAL_ONLY: &str = "!social-login-only";
/// The outbox topic of a password-reset mail.
pub const RESET_MAIL_TOPIC: &str = "account.password_reset";

/// Why an account operation failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input broke a rule.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    #[error("an account with this e-mail already exists")]
    EmailTaken,
    /// Unknown e-mail or wrong password: deliberately the same answer.
    #[error("wrong e-mail or password")]
    InvalidCredentials,
    /// The login limiter refuses further attempts for now.
    #[error("too many failed logins; try again in {} seconds", .retry_after.as_secs())]
    TooManyAttempts { retry_after: Duration },
    #[error("the password reset token is unknown, already used or expired")]
    InvalidResetToken,
    #[error("address {0} not found")]
    AddressNotFound(i64),
    #[error("an address book holds at most {MAX_ADDRESSES} addresses")]
    TooManyAddresses,
    #[error("order {0} not found")]
    OrderNotFound(OrderId),
    /// The session's user was deleted meanwhile.
    #[error("the account no longer exists")]
    AccountGone,
    /// A social login failed (C-USER-05).
    #[error(transparent)]
    Social(#[from] social::SocialError),
    /// The password hasher's worker thread failed (a bug).
    #[error("password hashing failed: {0}")]
    Hasher(String),
    #[error("database: {0}")]
    Db(#[from] sqlx::Error),
}

/// A successful login: the secrets to hand to the client, once.
#[derive(Debug)]
pub struct LoggedIn {
    /// Goes in the HttpOnly session cookie.
    pub session_token: SecretToken,
    /// The session's CSRF token: the client sends it back in a header.
    pub csrf_token: SecretToken,
    pub profile: Profile,
    /// The customer's cart (the guest cart merged into it).
    pub cart_id: String,
    pub pseudonym: UserPseudonym,
}

/// The accounts' operations. Cheap to clone (handles only).
#[derive(Clone)]
pub struct Accounts {
    db: Db,
    instruments: Instruments,
}

/// An e-mail as accounts compare it: lower-cased, so `Aiko@Example.com` and
/// `aiko@example.com` are one account.
fn normalise(email: &EmailAddress) -> String {
    email.as_str().to_lowercase()
}

/// Runs a password hash or check off the async threads, at most one per CPU at a time
/// ([`password::off_thread`]): argon2id takes tens of milliseconds of CPU and 19 MiB on purpose.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    password::off_thread(f)
        .await
        .map_err(|e| Error::Hasher(e.to_string()))
}

impl Accounts {
    pub fn new(db: Db, instruments: Instruments) -> Accounts {
        Accounts { db, instruments }
    }

    /// Records a security event (O-SEC-01): a `warn` log line and one count
    /// by kind. `user` is the pseudonym when the account is known.
    pub fn security_event(&self, kind: &'static str, user: Option<&UserPseudonym>) {
        self.instruments
            .security_event(kind, user.map(UserPseudonym::as_str));
    }

    /// Creates an account (C-USER-01).
    pub async fn register(
        &self,
        email: &EmailAddress,
        password: Password,
        name: &DisplayName,
    ) -> Result<Profile, Error> {
        let email = normalise(email);
        let hash = blocking(move || password::hash(password.expose())).await?;
        let id = UserId::random();
        let now = now_millis();
        let outcome =
            match store::insert_user(&self.db, &id, &email, &hash, name.as_str(), now).await {
                Ok(()) => "created",
                Err(sqlx::Error::Database(d)) if d.is_unique_violation() => "email_taken",
                Err(e) => return Err(e.into()),
            };
        self.instruments.registrations.add(
            1,
            &[KeyValue::new(semconv::SHOP_REGISTRATION_OUTCOME, outcome)],
        );
        if outcome == "email_taken" {
            return Err(Error::EmailTaken);
        }
        tracing::info!(
            enduser.pseudo.id = id.pseudonym().as_str(),
            "account registered"
        );
        self.profile(&id).await
    }

    /// Logs in (C-USER-02): checks the limiter, then the password; on
    /// success opens a session and merges the guest cart into the
    /// customer's. `client` is the client address the limiter counts by.
    pub async fn login(
        &self,
        email: &EmailAddress,
        password: &str,
        client: &str,
        guest_cart: Option<&CartId>,
    ) -> Result<LoggedIn, Error> {
        if password.chars().count() > password::MAX_PASSWORD_CHARS {
            return Err(Invalid::new(
                "password",
                format!(
                    "must be at most {} characters",
                    password::MAX_PASSWORD_CHARS
                ),
            )
            .into());
        }
        let email = normalise(email);
        let account_key = token::sha256_hex(format!("account:{email}").as_bytes());
        let client_key = token::sha256_hex(format!("client:{client}").as_bytes());
        let now = now_millis();
        let since = now - throttle::WINDOW.as_millis() as i64;
        let (account, from_client) =
            store::failures(&self.db, &account_key, &client_key, since).await?;
        if let Some((limited, retry_after)) = throttle::decide(account, from_client, now) {
            self.login_outcome("locked");
            tracing::warn!(
                limited_by = limited.as_str(),
                "login refused by the limiter"
            );
            self.security_event("login_locked", None);
            return Err(Error::TooManyAttempts { retry_after });
        }

        let found = store::credentials(&self.db, &email).await?;
        // No account, or one that logs in only through its identity provider:
        // check against the decoy, so the answer takes as long either way.
        let stored = found
            .as_ref()
            .map(|(_, h)| h.clone())
            .filter(|h| h != SOCIAL_ONLY)
            .unwrap_or_else(|| password::decoy_hash().to_owned());
        let typed = password.to_owned();
        let matches = blocking(move || password::verify(&typed, &stored)).await?;
        let user = match found {
            Some((user, _)) if matches => user,
            other => {
                store::record_failure(&self.db, &account_key, &client_key, now).await?;
                self.login_outcome("failed");
                let pseudonym = other.map(|(u, _)| u.pseudonym());
                self.security_event("login_failed", pseudonym.as_ref());
                return Err(Error::InvalidCredentials);
            }
        };
        store::clear_account_failures(&self.db, &account_key).await?;
        self.open_session(&user, guest_cart, now, "password").await
    }

    /// Logs in the person an identity provider vouched for (C-USER-05): the
    /// account linked to their provider identity; else a new account, linked
    /// to it, for the e-mail the provider verified. An e-mail that already
    /// has an account is refused (409), not linked: the provider's word is
    /// not proof that the person owns the shop's account.
    pub async fn social_login(&self, identity: &social::Identity) -> Result<LoggedIn, Error> {
        let now = now_millis();
        let linked = store::identity_user(&self.db, &identity.issuer, &identity.subject).await?;
        let user = match linked {
            Some(user) => user,
            None => {
                let email = identity
                    .verified_email
                    .as_deref()
                    .and_then(|e| EmailAddress::parse(e).ok())
                    .ok_or(social::SocialError::EmailUnverified)?;
                let name = identity
                    .name
                    .as_deref()
                    .and_then(|n| DisplayName::parse(n).ok())
                    .or_else(|| {
                        DisplayName::parse(email.as_str().split('@').next().unwrap_or_default())
                            .ok()
                    })
                    .unwrap_or_else(|| DisplayName::parse("Customer").expect("a valid name"));
                let id = UserId::random();
                let outcome = match store::insert_social_user(
                    &self.db,
                    &id,
                    &normalise(&email),
                    SOCIAL_ONLY,
                    name.as_str(),
                    (&identity.issuer, &identity.subject),
                    now,
                )
                .await
                {
                    Ok(()) => "created",
                    Err(sqlx::Error::Database(d)) if d.is_unique_violation() => "email_taken",
                    Err(e) => return Err(e.into()),
                };
                self.instruments.registrations.add(
                    1,
                    &[KeyValue::new(semconv::SHOP_REGISTRATION_OUTCOME, outcome)],
                );
                if outcome == "email_taken" {
                    self.login_outcome("failed");
                    return Err(Error::EmailTaken);
                }
                tracing::info!(
                    enduser.pseudo.id = id.pseudonym().as_str(),
                    "account registered through an identity provider"
                );
                id
            }
        };
        self.open_session(&user, identity.guest_cart.as_ref(), now, "oidc")
            .await
    }

    /// Opens a session for `user` and merges the guest cart: the end of
    /// every successful login, whatever proved who the person is (`method`,
    /// `password` or `oidc`, goes in the log line).
    async fn open_session(
        &self,
        user: &UserId,
        guest_cart: Option<&CartId>,
        now: i64,
        method: &'static str,
    ) -> Result<LoggedIn, Error> {
        let session_token = SecretToken::random();
        let csrf_token = SecretToken::random();
        let expires_at = now + session::ABSOLUTE_LIFETIME.as_millis() as i64;
        store::insert_session(
            &self.db,
            &session_token.hash(),
            user,
            &csrf_token.hash(),
            now,
            expires_at,
        )
        .await?;
        let cart_id = self.cart_at_login(user, guest_cart, now).await?;
        let profile = self.profile(user).await?;
        let pseudonym = user.pseudonym();
        self.login_outcome("ok");
        tracing::info!(
            enduser.pseudo.id = pseudonym.as_str(),
            login.method = method,
            "logged in"
        );
        Ok(LoggedIn {
            session_token,
            csrf_token,
            profile,
            cart_id,
            pseudonym,
        })
    }

    fn login_outcome(&self, outcome: &'static str) {
        self.instruments
            .logins
            .add(1, &[KeyValue::new(semconv::SHOP_LOGIN_OUTCOME, outcome)]);
    }

    /// The customer's cart after login: their open cart with the guest
    /// cart's lines merged in; the guest cart itself if they had none; a new
    /// one if there is neither. A guest cart that is closed, unknown or
    /// already some customer's is ignored.
    async fn cart_at_login(
        &self,
        user: &UserId,
        guest: Option<&CartId>,
        now: i64,
    ) -> Result<String, Error> {
        let own = store::open_cart_of(&self.db, user).await?;
        let guest = match guest {
            Some(g) if store::is_open_guest_cart(&self.db, g.as_str()).await? => Some(g),
            _ => None,
        };
        Ok(match (own, guest) {
            (Some(own), Some(g)) => {
                store::merge_carts(&self.db, g.as_str(), &own, cart::MAX_LINES, now).await?;
                own
            }
            (Some(own), None) => own,
            (None, Some(g)) => {
                store::assign_cart(&self.db, user, g.as_str(), now).await?;
                g.as_str().to_owned()
            }
            (None, None) => {
                let fresh = CartId::random();
                cart::store::insert(&self.db, &fresh).await?;
                store::assign_cart(&self.db, user, fresh.as_str(), now).await?;
                fresh.as_str().to_owned()
            }
        })
    }

    /// The live session a client's token opens, if any. Ends an expired or
    /// idle session for good; refreshes "last seen" now and then.
    pub async fn authenticate(&self, token: &SecretToken) -> Result<Option<Session>, Error> {
        let token_hash = token.hash();
        let Some(row) = store::session(&self.db, &token_hash).await? else {
            return Ok(None);
        };
        let now = now_millis();
        if !session::is_live(row.last_seen_at, row.expires_at, now) {
            store::delete_session(&self.db, &token_hash).await?;
            return Ok(None);
        }
        if session::needs_touch(row.last_seen_at, now) {
            store::touch_session(&self.db, &token_hash, now).await?;
        }
        Ok(Some(Session {
            pseudonym: row.user_id.pseudonym(),
            user: row.user_id,
            token_hash,
            csrf_hash: row.csrf_hash,
        }))
    }

    /// Gives the session a new CSRF token and returns it (the old one stops
    /// working): for a client that has the session cookie but lost the token
    /// (a reload of a page that kept it only in memory, a new tab, the end of
    /// a social login). `None` when the session ended meanwhile.
    pub async fn renew_csrf(&self, session: &Session) -> Result<Option<SecretToken>, Error> {
        let csrf_token = SecretToken::random();
        let renewed =
            store::set_session_csrf(&self.db, &session.token_hash, &csrf_token.hash()).await?;
        Ok(renewed.then_some(csrf_token))
    }

    /// Ends this session.
    pub async fn logout(&self, session: &Session) -> Result<(), Error> {
        store::delete_session(&self.db, &session.token_hash).await?;
        tracing::info!(enduser.pseudo.id = session.pseudonym.as_str(), "logged out");
        Ok(())
    }

    /// Ends every session of the session's user ("log out everywhere").
    pub async fn logout_everywhere(&self, session: &Session) -> Result<u64, Error> {
        let ended = store::delete_sessions_of(&self.db, &session.user).await?;
        self.security_event("logout_everywhere", Some(&session.pseudonym));
        Ok(ended)
    }

    /// The customer's profile.
    pub async fn profile(&self, user: &UserId) -> Result<Profile, Error> {
        store::profile(&self.db, user)
            .await?
            .ok_or(Error::AccountGone)
    }

    /// The customer's open back-in-stock alerts (C-NOTIF-03).
    pub async fn stock_alerts(
        &self,
        user: &UserId,
    ) -> Result<Vec<crate::notifications::subscriptions::StockAlert>, sqlx::Error> {
        crate::notifications::subscriptions::open(&self.db, user).await
    }

    /// Asks for a back-in-stock alert; `true` when it is new.
    pub async fn add_stock_alert(
        &self,
        user: &UserId,
        product_id: i64,
    ) -> Result<
        (crate::notifications::subscriptions::StockAlert, bool),
        crate::notifications::subscriptions::Error,
    > {
        crate::notifications::subscriptions::subscribe(&self.db, user, product_id).await
    }

    /// Cancels an open back-in-stock alert.
    pub async fn remove_stock_alert(
        &self,
        user: &UserId,
        product_id: i64,
    ) -> Result<bool, sqlx::Error> {
        crate::notifications::subscriptions::unsubscribe(&self.db, user, product_id).await
    }

    /// Changes the display name.
    pub async fn rename(&self, user: &UserId, name: &DisplayName) -> Result<Profile, Error> {
        self.update_profile(user, Some(name), None).await
    }

    /// Changes what is given: the display name, whether sale notices come
    /// by mail. Nothing given changes nothing.
    pub async fn update_profile(
        &self,
        user: &UserId,
        name: Option<&DisplayName>,
        sale_notices: Option<bool>,
    ) -> Result<Profile, Error> {
        let now = now_millis();
        if let Some(name) = name {
            store::set_name(&self.db, user, name.as_str(), now).await?;
        }
        if let Some(on) = sale_notices {
            store::set_sale_notices(&self.db, user, on, now).await?;
        }
        self.profile(user).await
    }

    /// The address book, the default first.
    pub async fn addresses(&self, user: &UserId) -> Result<Vec<SavedAddress>, Error> {
        Ok(store::addresses(&self.db, user).await?)
    }

    /// Saves an address (checked like a shipping address). The first one,
    /// or one saved with `make_default`, becomes the default.
    pub async fn add_address(
        &self,
        user: &UserId,
        address: Address,
        make_default: bool,
    ) -> Result<SavedAddress, Error> {
        let checked = Address::from(&ShippingAddress::try_from(address)?);
        if store::address_count(&self.db, user).await? >= MAX_ADDRESSES {
            return Err(Error::TooManyAddresses);
        }
        let id =
            store::insert_address(&self.db, user, &checked, make_default, now_millis()).await?;
        self.address(user, id).await
    }

    async fn address(&self, user: &UserId, id: i64) -> Result<SavedAddress, Error> {
        store::addresses(&self.db, user)
            .await?
            .into_iter()
            .find(|a| a.id == id)
            .ok_or(Error::AddressNotFound(id))
    }

    /// Makes one of the customer's addresses the default.
    pub async fn make_default(&self, user: &UserId, id: i64) -> Result<SavedAddress, Error> {
        if !store::set_default_address(&self.db, user, id).await? {
            return Err(Error::AddressNotFound(id));
        }
        self.address(user, id).await
    }

    /// Deletes one of the customer's addresses.
    pub async fn delete_address(&self, user: &UserId, id: i64) -> Result<(), Error> {
        if store::delete_address(&self.db, user, id).await? {
            Ok(())
        } else {
            Err(Error::AddressNotFound(id))
        }
    }

    /// Starts a password reset (C-USER-03): for a known e-mail, a
    /// single-use token valid for [`RESET_TOKEN_LIFETIME`] is stored (as its
    /// hash) and the mail that carries it is written to the outbox. The
    /// answer is the same for an unknown e-mail, so it reveals nothing.
    pub async fn request_reset(&self, email: &EmailAddress) -> Result<(), Error> {
        let email = normalise(email);
        let Some(user) = store::user_by_email(&self.db, &email).await? else {
            self.security_event("password_reset_unknown_account", None);
            return Ok(());
        };
        let token = SecretToken::random();
        let now = now_millis();
        let expires_at = now + RESET_TOKEN_LIFETIME.as_millis() as i64;
        let payload = serde_json::json!({
            "template": "password_reset",
            "to": email,
            "token": token.expose(),
            "expires_at": crate::time::rfc3339(expires_at),
        });
        store::insert_reset(&self.db, &token.hash(), &user, now, expires_at, &payload).await?;
        self.security_event("password_reset_requested", Some(&user.pseudonym()));
        Ok(())
    }

    /// Completes a password reset: the token must be known, unused and
    /// unexpired; it is used up, the password replaced, and every session
    /// of the account ended.
    pub async fn confirm_reset(&self, token: &str, password: Password) -> Result<(), Error> {
        let rejected = || {
            self.security_event("password_reset_token_rejected", None);
            Error::InvalidResetToken
        };
        let Some(token) = SecretToken::from_client(token) else {
            return Err(rejected());
        };
        let token_hash = token.hash();
        let now = now_millis();
        // Cheap check first, so a bad token costs no argon2 work.
        if !store::reset_is_usable(&self.db, &token_hash, now).await? {
            return Err(rejected());
        }
        let hash = blocking(move || password::hash(password.expose())).await?;
        match store::consume_reset(&self.db, &token_hash, &hash, now_millis()).await? {
            Some(user) => {
                self.security_event("password_reset_completed", Some(&user.pseudonym()));
                Ok(())
            }
            None => Err(rejected()),
        }
    }

    /// The customer's orders, newest first (C-SHOP-04).
    pub async fn orders(&self, user: &UserId) -> Result<Vec<OrderSummary>, Error> {
        Ok(store::order_history(&self.db, user).await?)
    }

    /// One of the customer's orders; someone else's is "not found".
    pub async fn order(&self, user: &UserId, id: &OrderId) -> Result<Order, Error> {
        if !store::owns_order(&self.db, user, id.as_str()).await? {
            return Err(Error::OrderNotFound(id.clone()));
        }
        self.load_order(id).await
    }

    /// A guest order by its id and the e-mail it was placed with. A wrong
    /// e-mail is "not found", exactly like a wrong id: the answer must not
    /// tell whether the order exists.
    pub async fn guest_order(&self, id: &OrderId, email: &EmailAddress) -> Result<Order, Error> {
        if !store::is_guest_order(&self.db, id.as_str(), &normalise(email)).await? {
            return Err(Error::OrderNotFound(id.clone()));
        }
        self.load_order(id).await
    }

    async fn load_order(&self, id: &OrderId) -> Result<Order, Error> {
        orders::store::load(&self.db, id.as_str())
            .await?
            .ok_or_else(|| Error::OrderNotFound(id.clone()))
    }
}
