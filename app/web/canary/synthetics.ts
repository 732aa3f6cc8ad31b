// The journey as a CloudWatch Synthetics canary (Node.js Playwright runtime): the same steps as the
// lab's runner (journey.ts), each one a Synthetics step, so the service publishes SuccessPercent and
// Duration per step and per run in the CloudWatchSynthetics namespace, takes screenshots and keeps
// the artefacts in S3. canary/package.ts transpiles this file and journey.ts into the zip that
// terraform/envs/aws/canary.tf deploys, with the handler `index.handler`. docs/canary.md.
//
// The runtime provides Playwright and its Synthetics library; this package brings nothing else.
import type { Browser, BrowserContext, Page } from "playwright-core";

import { shopJourney } from "./journey";

/** The part of the runtime's Synthetics library used here (its launch, newPage, executeStep, close). */
interface Synthetics {
  launch(options?: Record<string, unknown>): Promise<Browser>;
  newPage(context: BrowserContext): Promise<Page>;
  executeStep<T>(name: string, step: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/** The library's module in syn-nodejs-playwright-5.1 and later (before: @amzn/synthetics-playwright). */
const LIBRARY = "@aws/synthetics-playwright";

export async function handler(): Promise<string> {
  const { synthetics } = (await import(LIBRARY)) as { synthetics: Synthetics };
  const baseUrl = process.env.SHOP_CANARY_BASE_URL;
  if (!baseUrl) throw new Error("SHOP_CANARY_BASE_URL is not set (the canary's run_config environment)");
  try {
    const browser = await synthetics.launch();
    const page = await synthetics.newPage(await browser.newContext());
    for (const step of shopJourney({ baseUrl, placeOrder: process.env.SHOP_CANARY_PLACE_ORDER === "true" })) {
      await synthetics.executeStep(step.name, () => step.run(page));
    }
  } finally {
    await synthetics.close();
  }
  return "passed";
}
