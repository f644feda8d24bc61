/**
 * Token buckets shared by every api process (migration 0010): each charge refills the bucket
 * for the time since its last one (at `perSecond`, up to `burst`) and takes `cost` if that
 * much is there, all in one upsert, so concurrent charges from any process queue on the row
 * and never spend the same tokens twice.
 */
import type { Queryable } from "./users.ts";

export type BucketCharge = {
  userId: string;
  bucket: string;
  cost: number;
  perSecond: number;
  burst: number;
};

/** `tokens`: what the bucket holds after this charge (refused: what it held, refilled). */
export type ChargeResult = { granted: boolean; tokens: number };

export async function chargeBucket(sql: Queryable, charge: BucketCharge): Promise<ChargeResult> {
  const { userId, bucket, cost, perSecond, burst } = charge;
  // A first charge finds a full bucket.
  const firstGranted = burst >= cost;
  const filled = sql`least(${burst}::float8,
    b.tokens + greatest(0, extract(epoch from (now() - b.at))::float8) * ${perSecond}::float8)`;
  const [row] = await sql<{ granted: boolean; tokens: number }[]>`
    insert into rate_limit_buckets as b (user_id, bucket, tokens, granted, at)
    values (${userId}, ${bucket}, ${firstGranted ? burst - cost : burst}, ${firstGranted}, now())
    on conflict (user_id, bucket) do update set
      tokens = case when ${filled} >= ${cost}::float8 then ${filled} - ${cost}::float8
                    else ${filled} end,
      granted = ${filled} >= ${cost}::float8,
      at = now()
    returning granted, tokens`;
  if (!row) throw new Error("rate limit upsert returned no row");
  return { granted: row.granted, tokens: Number(row.tokens) };
}
