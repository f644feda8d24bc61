/**
 * Before every page: a fresh nonce and the Content Security Policy that names it. Next.js
 * reads the policy from the request to put the nonce on its scripts (pages are rendered per
 * request already), and the browser gets the same policy on the response.
 */
import { type NextRequest, NextResponse } from "next/server";
import { apiUrl, isDevelopment } from "@/lib/env";
import { contentSecurityPolicy, newNonce } from "@/lib/security-headers";

export function proxy(request: NextRequest) {
  const policy = contentSecurityPolicy({
    nonce: newNonce(),
    apiUrl: apiUrl(),
    development: isDevelopment(),
  });
  const headers = new Headers(request.headers);
  headers.set("content-security-policy", policy);
  const response = NextResponse.next({ request: { headers } });
  response.headers.set("content-security-policy", policy);
  return response;
}

export const config = {
  // Pages only: not the auth API (JSON), static files, or prefetches.
  matcher: [
    {
      source: "/((?!api/|_next/static|_next/image|favicon.ico|icon.svg).*)",
      missing: [
        { type: "header", key: "next-router-prefetch" },
        { type: "header", key: "purpose", value: "prefetch" },
      ],
    },
  ],
};
