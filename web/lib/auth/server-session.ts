import { getServerSession, type Session } from "next-auth";
import { authOptions } from "./options";

/** The signed-in session, or null when absent or when its token could not be renewed. */
export async function currentSession(): Promise<Session | null> {
  const session = await getServerSession(authOptions());
  if (!session?.idToken || session.error) return null;
  return session;
}
