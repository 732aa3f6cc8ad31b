// The UI's viewer-request function (router.js), run by Node's test runner (`node --test`, from
// scripts/lab/terraform.sh test-aws). CloudFront Functions' runtime is AWS's alone: no emulator
// runs it, so this checks the function's own logic — the path it rewrites to, and its answer
// without a release — with the key-value store handle given as a plain object. Whether
// CloudFront runs it as associated is the mock-provider test's part (aws.tftest.hcl).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// The function as a module whose `cloudfront` import is `store`.
async function load(store) {
  const source = await readFile(new URL('./router.js', import.meta.url), 'utf8');
  const importLine = "import cf from 'cloudfront';";
  assert.ok(source.includes(importLine), 'the function imports cloudfront as cf');
  const dir = await mkdtemp(join(tmpdir(), 'router-'));
  const file = join(dir, 'router.mjs');
  await writeFile(
    file,
    source.replace(importLine, 'const cf = { kvs: () => globalThis.__routerStore };') + '\nexport { handler };\n',
  );
  globalThis.__routerStore = store;
  return (await import(file)).handler;
}

const store = (values) => ({
  async get(key) {
    if (!(key in values)) throw new Error(`no key ${key}`);
    return values[key];
  },
});

const request = (uri) => ({ request: { method: 'GET', uri, headers: {}, querystring: { id: { value: '5' } } } });

test('a page, a route without its slash, and an asset go to the release that is live', async () => {
  const handler = await load(store({ release: '2026-12-05.3' }));
  assert.equal((await handler(request('/'))).uri, '/releases/2026-12-05.3/index.html');
  assert.equal((await handler(request('/product/'))).uri, '/releases/2026-12-05.3/product/index.html');
  assert.equal((await handler(request('/product'))).uri, '/releases/2026-12-05.3/product/index.html');
  assert.equal(
    (await handler(request('/_next/static/chunks/app.js'))).uri,
    '/releases/2026-12-05.3/_next/static/chunks/app.js',
  );
  // The query string is the page's business (`/product/?id=5`): left as it came.
  assert.deepEqual((await handler(request('/product/'))).querystring, { id: { value: '5' } });
});

test('without a release, or with a name the deploy script would refuse, the answer is a 503 nobody caches', async () => {
  for (const values of [{}, { release: '../secrets' }, { release: '' }]) {
    const handler = await load(store(values));
    const answer = await handler(request('/'));
    assert.equal(answer.statusCode, 503, JSON.stringify(values));
    assert.equal(answer.headers['cache-control'].value, 'no-store');
    assert.equal(answer.headers['retry-after'].value, '30');
  }
});
