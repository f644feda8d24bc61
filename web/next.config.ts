import path from "node:path";
import type { NextConfig } from "next";
import { staticSecurityHeaders } from "./lib/security-headers";

// The repo is a Bun workspace with one hoisted node_modules at its root: Turbopack and
// output tracing must look there, not only inside web/.
const workspaceRoot = path.resolve(process.cwd(), "..");

const nextConfig: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // @trainer2/shared ships TypeScript sources, not built JavaScript.
  transpilePackages: ["@trainer2/shared"],
  turbopack: { root: workspaceRoot },
  outputFileTracingRoot: workspaceRoot,
  // The build checks the app only; tests (which import the api and agent) are checked by
  // `tsc -p web` and run by `bun test`.
  typescript: { tsconfigPath: "tsconfig.build.json" },
  // The Content Security Policy is per request, with its nonce: proxy.ts.
  headers: async () => [{ source: "/:path*", headers: staticSecurityHeaders }],
};

export default nextConfig;
