import { cookies } from "next/headers";
import { redirect } from "next/navigation";
import { ChatApp } from "@/components/chat/chat-app";
import { currentSession } from "@/lib/auth/server-session";
import { apiUrl } from "@/lib/env";
import { themeCookie, themeOf } from "@/lib/theme";

export const dynamic = "force-dynamic";

export default async function ChatPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const { session: requested } = await searchParams;
  const sessionId =
    typeof requested === "string" && /^[0-9a-f-]{36}$/i.test(requested) ? requested : null;
  const session = await currentSession();
  // Back to the same chat after signing in.
  const here = sessionId ? `/?session=${sessionId}` : "/";
  if (!session) redirect(`/signin?callbackUrl=${encodeURIComponent(here)}`);
  return (
    <ChatApp
      apiUrl={apiUrl()}
      initialSessionId={sessionId}
      userName={session.user?.name ?? session.user?.email ?? "you"}
      theme={themeOf((await cookies()).get(themeCookie)?.value)}
    />
  );
}
