// The journey as a CloudWatch Synthetics canary (Node.js Playwright runtime): the same steps as the
// lab's runner (journey.ts), each one a Synthetics step, so the service publishes SuccessPercent and
// Duration per step and per run in the CloudWatchSynthetics namespace, takes screenshots and keeps
// the artefacts in S3. canary/package.ts transpiles this file and journey.ts into the zip that
// terraform/envs/aws/canary.tf deploys, with the handler `index.handler`. docs/canary.md.
//
// One package, three canaries: SHOP_CANARY_JOURNEY picks the journey (`shop-purchase`, the
// default; `shop-sign-in`, whose account is read from Secrets Manager: SHOP_CANARY_ACCOUNT_SECRET
// names a secret holding {"email": …, "password": …}, so the password is in no environment
// variable; `shop-back-office`, whose admin's secret also holds "totp_secret", the base32 secret
// its authenticator was enrolled with).
//
// The runtime provides Playwright, its Synthetics library and the AWS SDK for JavaScript v3; this
// package brings only otpauth (otp.ts), for the back office's second factor.
import type { Browser, BrowserContext, Page } from "playwright-core";

import { BACK_OFFICE_JOURNEY, backOfficeJourney, type CanaryAccount, type CanaryAdmin, SIGN_IN_JOURNEY, shopJourney, signInJourney, type Step } from "./journey";
import { codeSource } from "./otp";

/** The part of the runtime's Synthetics library used here (its launch, newPage, executeStep, close). */
interface Synthetics {
  launch(options?: Record<string, unknown>): Promise<Browser>;
  newPage(context: BrowserContext): Promise<Page>;
  executeStep<T>(name: string, step: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The library's module in syn-nodejs-playwright-5.1 and later (before: @amzn/synthetics-playwright). */
const LIBRARY = "@aws/synthetics-playwright";
/** The runtime's AWS SDK client for Secrets Manager. */
const SECRETS = "@aws-sdk/client-secrets-manager";

interface SecretsModule {
  SecretsManagerClient: new (config: Record<string, unknown>) => { send(command: unknown): Promise<{ SecretString?: string }> };
  GetSecretValueCommand: new (input: { SecretId: string }) => unknown;
}

/** The secret SHOP_CANARY_ACCOUNT_SECRET names, parsed: the journey's account. */
async function secret(journey: string): Promise<Record<string, unknown>> {
  const id = process.env.SHOP_CANARY_ACCOUNT_SECRET;
  if (!id) throw new Error(`${journey} needs SHOP_CANARY_ACCOUNT_SECRET (a Secrets Manager secret with the account)`);
  const { SecretsManagerClient, GetSecretValueCommand } = (await import(SECRETS)) as SecretsModule;
  const answer = await new SecretsManagerClient({}).send(new GetSecretValueCommand({ SecretId: id }));
  return JSON.parse(answer.SecretString ?? "{}") as Record<string, unknown>;
}

/** The sign-in journey's customer account. */
async function account(): Promise<CanaryAccount> {
  const { email, password } = await secret(SIGN_IN_JOURNEY);
  if (typeof email !== "string" || typeof password !== "string") throw new Error("the account secret holds no email and password");
  return { email, password };
}

/** The back-office journey's admin, with its authenticator's codes. */
async function admin(): Promise<CanaryAdmin> {
  const { email, password, totp_secret: totp } = await secret(BACK_OFFICE_JOURNEY);
  if (typeof email !== "string" || typeof password !== "string" || typeof totp !== "string") throw new Error("the admin secret holds no email, password and totp_secret");
  return { email, password, code: codeSource(totp) };
}

/** The steps of the journey SHOP_CANARY_JOURNEY names. */
async function steps(baseUrl: string): Promise<Step[]> {
  const journey = process.env.SHOP_CANARY_JOURNEY || "shop-purchase";
  if (journey === SIGN_IN_JOURNEY) return signInJourney({ baseUrl, account: await account() });
  if (journey === BACK_OFFICE_JOURNEY) return backOfficeJourney({ baseUrl, admin: await admin() });
  if (journey !== "shop-purchase") throw new Error(`unknown SHOP_CANARY_JOURNEY ${JSON.stringify(journey)}`);
  return shopJourney({ baseUrl, placeOrder: process.env.SHOP_CANARY_PLACE_ORDER === "true" });
}

export async function handler(): Promise<string> {
  const { synthetics } = (await import(LIBRARY)) as { synthetics: Synthetics };
  const baseUrl = process.env.SHOP_CANARY_BASE_URL;
  if (!baseUrl) throw new Error("SHOP_CANARY_BASE_URL is not set (the canary's run_config environment)");
  const journey = await steps(baseUrl);
  try {
    const browser = await synthetics.launch();
    const page = await synthetics.newPage(await browser.newContext());
    for (const step of journey) {
      await synthetics.executeStep(step.name, () => step.run(page));
    }
  } finally {
    await synthetics.close();
  }
  return "passed";
}
