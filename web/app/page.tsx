import { redirect } from "next/navigation";
import { ChatApp } from "@/components/chat/chat-app";
import { currentSession } from "@/lib/auth/server-session";
import { apiUrl } from "@/lib/env";

export const dynamic = "force-dynamic";

export default async function ChatPage({
  searchParams,
}: {
  searchParams: Promise<Record<string, string | string[] | undefined>>;
}) {
  const session = await currentSession();
  if (!session) redirect("/signin?callbackUrl=%2F");
  const { session: requested } = await searchParams;
  const sessionId =
    typeof requested === "string" && /^[0-9a-f-]{36}$/i.test(requested) ? requested : null;
  return (
    <ChatApp
      apiUrl={apiUrl()}
      initialSessionId={sessionId}
      userName={session.user?.name ?? session.user?.email ?? "you"}
    />
  );
}
