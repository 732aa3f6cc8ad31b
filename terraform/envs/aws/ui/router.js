// The UI's viewer-request function (terraform/envs/aws/ui_releases.tf, F-DEPLOY-01), on
// CloudFront Functions' cloudfront-js-2.0 runtime.
//
// Every release of the UI is a directory of the bucket, releases/<release>/, the static export
// as `next build` wrote it. The key `release` of the distribution's key-value store names the
// one to serve; this function puts that directory in front of the path. So a deployment
// (scripts/deploy-ui.sh) uploads a new directory and changes one key, and a rollback changes
// it back: seconds, no distribution update, no invalidation. CloudFront looks its cache up with
// the rewritten path, so two releases never share a cached page.
//
// It also does what the S3 origin cannot: the export has trailingSlash (app/web/next.config.ts),
// so a page is <route>/index.html, and S3's REST endpoint serves no index for a directory.
import cf from 'cloudfront';

const kvs = cf.kvs();

// What scripts/deploy-ui.sh accepts as a release name.
const RELEASE = /^[A-Za-z0-9._-]{1,64}$/;

async function handler(event) {
  const request = event.request;
  let release = null;
  try {
    release = await kvs.get('release');
  } catch (e) {
    // No key yet (nothing deployed) or the store unreachable: answered below.
  }
  if (typeof release !== 'string' || !RELEASE.test(release)) {
    return {
      statusCode: 503,
      statusDescription: 'Service Unavailable',
      headers: {
        'retry-after': { value: '30' },
        'cache-control': { value: 'no-store' },
      },
    };
  }
  let uri = request.uri;
  const last = uri.slice(uri.lastIndexOf('/') + 1);
  if (uri.endsWith('/')) {
    uri += 'index.html';
  } else if (last.indexOf('.') === -1) {
    // A route typed without its slash: the page is still its index.
    uri += '/index.html';
  }
  request.uri = '/releases/' + release + uri;
  return request;
}
