import type { NextConfig } from "next";

// A static export (`out/`), served by the shop binary in CloudFront's role (docs/web.md): no
// Node server at run time. Pages that show one thing (a product, an order) take its id from the
// query string (`/product/?id=5`), so every page is one exported file that S3 and CloudFront, or
// the shop, serve as it is.
const config: NextConfig = {
  output: "export",
  trailingSlash: true,
  reactStrictMode: true,
  // The shop serves the product pictures at /images/…: nothing to optimise at build time.
  images: { unoptimized: true },
  poweredByHeader: false,
};

export default config;
