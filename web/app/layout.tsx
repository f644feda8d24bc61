import type { Metadata, Viewport } from "next";
import { cookies } from "next/headers";
import { getServerSession } from "next-auth";
import type { ReactNode } from "react";
import { Providers } from "@/components/providers";
import { authOptions } from "@/lib/auth/options";
import { themeCookie, themeOf } from "@/lib/theme";
import "./globals.css";

// Every page depends on the signed-in session (and the runtime environment): never prerender.
export const dynamic = "force-dynamic";

export const metadata: Metadata = {
  title: "trainer2",
  description: "Chat with your AI trainer",
};

export const viewport: Viewport = {
  width: "device-width",
  initialScale: 1,
  themeColor: "#0f766e",
  colorScheme: "light dark",
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  const session = await getServerSession(authOptions());
  // A theme the person chose wins over the system's (prefers-color-scheme, in globals.css).
  const theme = themeOf((await cookies()).get(themeCookie)?.value);
  return (
    <html lang="en" data-theme={theme ?? undefined}>
      <body>
        <Providers session={session}>{children}</Providers>
      </body>
    </html>
  );
}
