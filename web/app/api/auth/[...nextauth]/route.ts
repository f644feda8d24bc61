import NextAuth from "next-auth";
import { authOptions } from "@/lib/auth/options";

// next-auth v4 in the App Router: one handler for every /api/auth/* request. Options are
// built on first request, not at import, so `next build` needs no runtime secrets.
type Handler = (request: Request, context: unknown) => Promise<Response>;

let handler: Handler | undefined;
const handle: Handler = (request, context) => {
  handler ??= NextAuth(authOptions()) as Handler;
  return handler(request, context);
};

export { handle as GET, handle as POST };
