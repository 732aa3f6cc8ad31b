// The canary from the command line: one run of the journey against a shop, a line per step on
// stdout, exit status 0 when every step passed and 1 when one failed (2: bad arguments).
//
//   node --import tsx canary/main.ts [--journey shop-purchase|shop-sign-in|shop-back-office] [--base-url URL]
//                                    [--query WORD] [--place-order] [--artifacts DIR]
//                                    [--step-timeout MS] [--json]
//
// Environment: SHOP_LAB_CHROMIUM (Chromium's executable; scripts/lab/chromium.sh path),
// SHOP_CANARY_BASE_URL (default http://127.0.0.1:8080), OTEL_EXPORTER_OTLP_ENDPOINT (default
// http://127.0.0.1:4318, the lab's collector), SHOP_CANARY_ENVIRONMENT (deployment.environment.name,
// default lab), OTEL_SDK_DISABLED=true (no export), SHOP_CANARY_EMAIL and SHOP_CANARY_PASSWORD (the
// canary's customer account, for shop-sign-in), SHOP_CANARY_ADMIN_EMAIL, SHOP_CANARY_ADMIN_PASSWORD
// and SHOP_CANARY_ADMIN_TOTP_SECRET (its admin, for shop-back-office). `make canary` and
// scripts/lab/canary.sh run it.
import { join } from "node:path";
import { parseArgs } from "node:util";

import { codeSource } from "./otp";
import { JOURNEYS, runCanary, stepsOf } from "./run";
import { defaultEndpoint } from "./telemetry";

function usage(message: string): never {
  console.error(`canary: ${message}`);
  console.error(`usage: canary/main.ts [--journey ${JOURNEYS.join("|")}] [--base-url URL] [--query WORD] [--place-order] [--artifacts DIR] [--step-timeout MS] [--json]`);
  process.exit(2);
}

async function main(): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        journey: { type: "string" },
        "base-url": { type: "string" },
        query: { type: "string" },
        "place-order": { type: "boolean", default: false },
        artifacts: { type: "string" },
        "step-timeout": { type: "string" },
        json: { type: "boolean", default: false },
      },
    }));
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  const chromium = process.env.SHOP_LAB_CHROMIUM;
  if (!chromium) usage("SHOP_LAB_CHROMIUM is not set (scripts/lab/chromium.sh install; then its `path`)");
  const stepTimeout = values["step-timeout"] === undefined ? undefined : Number(values["step-timeout"]);
  if (stepTimeout !== undefined && !(stepTimeout > 0)) usage("--step-timeout takes milliseconds");
  const baseUrl = values["base-url"] ?? process.env.SHOP_CANARY_BASE_URL ?? "http://127.0.0.1:8080";
  const email = process.env.SHOP_CANARY_EMAIL;
  const password = process.env.SHOP_CANARY_PASSWORD;
  const admin = {
    email: process.env.SHOP_CANARY_ADMIN_EMAIL,
    password: process.env.SHOP_CANARY_ADMIN_PASSWORD,
    secret: process.env.SHOP_CANARY_ADMIN_TOTP_SECRET,
  };
  let code: (() => Promise<string>) | undefined;
  try {
    code = admin.secret ? codeSource(admin.secret) : undefined;
  } catch {
    usage("SHOP_CANARY_ADMIN_TOTP_SECRET is not a base32 TOTP secret");
  }
  const chosen = {
    baseUrl,
    ...(values.journey ? { journey: values.journey } : {}),
    ...(email && password ? { account: { email, password } } : {}),
    ...(admin.email && admin.password && code ? { admin: { email: admin.email, password: admin.password, code } } : {}),
  };
  // A journey that cannot run (an unknown name, sign-in without an account) is a usage error.
  try {
    stepsOf({ ...chosen, artifactsDir: "", chromium: "", telemetry: { endpoint: "", environment: "", disabled: true } });
  } catch (e) {
    usage(e instanceof Error ? e.message : String(e));
  }
  const result = await runCanary({
    ...chosen,
    ...(values.query ? { query: values.query } : {}),
    placeOrder: values["place-order"],
    artifactsDir: values.artifacts ?? join(import.meta.dirname, "artifacts"),
    chromium,
    ...(stepTimeout ? { stepTimeoutMs: stepTimeout } : {}),
    telemetry: {
      endpoint: defaultEndpoint(),
      environment: process.env.SHOP_CANARY_ENVIRONMENT || "lab",
      disabled: process.env.OTEL_SDK_DISABLED === "true",
    },
  });
  if (values.json) {
    console.log(JSON.stringify(result));
  } else {
    for (const s of result.steps) {
      console.log(`${s.ok ? "pass" : "FAIL"}  ${s.name.padEnd(12)} ${String(Math.round(s.durationMs)).padStart(6)} ms${s.reason ? `  ${s.reason}` : ""}`);
    }
    console.log(
      result.ok
        ? `canary ${result.journey}: passed in ${Math.round(result.durationMs)} ms against ${baseUrl} (trace ${result.traceId})`
        : `canary ${result.journey}: FAILED at step ${result.failedStep ?? "?"} against ${baseUrl} (trace ${result.traceId}${result.screenshot ? `, screenshot ${result.screenshot}` : ""})`,
    );
  }
  return result.ok ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(`canary: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  },
);
