// The back-office canary's second factor: the authenticator app's code, computed from the TOTP
// secret the canary's admin enrolled with (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps, what
// the shop asks of every admin: docs/admin.md). The `otpauth` package computes it; this file only
// picks the moment.
//
// The shop accepts a time step's code once and one step of clock skew. A code typed in the last
// seconds of its step could arrive in the next one and still pass, but one typed as its step ends
// is the kind of flakiness a canary must not have: with less than MARGIN_MS of the step left, the
// code waits for the next step. A canary runs every few minutes, so it never meets its own code.
import { Secret, TOTP } from "otpauth";

/** The least time left in a step for its code to be given. */
const MARGIN_MS = 3_000;
const PERIOD_S = 30;

/** The TOTP generator for a base32 secret, with the shop's parameters. */
function generator(secret: string): TOTP {
  return new TOTP({ secret: Secret.fromBase32(secret.replace(/\s+/g, "").toUpperCase()), algorithm: "SHA1", digits: 6, period: PERIOD_S });
}

/** The code of the step `at` (ms since the epoch) falls in. */
export function totpAt(secret: string, at: number): string {
  return generator(secret).generate({ timestamp: at });
}

/**
 * A function that answers the code of the moment, waiting for the next step when this one ends
 * within MARGIN_MS. A secret that is not base32 throws at once, before any browser starts.
 */
export function codeSource(secret: string): () => Promise<string> {
  const totp = generator(secret);
  return async () => {
    const left = PERIOD_S * 1000 - (Date.now() % (PERIOD_S * 1000));
    if (left < MARGIN_MS) await new Promise((resolve) => setTimeout(resolve, left + 100));
    return totp.generate();
  };
}
