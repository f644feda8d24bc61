// Liveness for `bun dev`'s readiness check and container health checks.
export const dynamic = "force-dynamic";

export function GET() {
  return Response.json({ status: "ok" });
}
