"use client";

import type { Session } from "next-auth";
import { SessionProvider } from "next-auth/react";
import type { ReactNode } from "react";

/**
 * The server's session is handed in so the client has it on first paint (and right after a
 * server-side sign-in) instead of after a round trip. Refetching every few minutes lets the
 * session route renew the id_token before it expires.
 */
export function Providers({ session, children }: { session: Session | null; children: ReactNode }) {
  return (
    <SessionProvider session={session} refetchInterval={4 * 60} refetchOnWindowFocus>
      {children}
    </SessionProvider>
  );
}
