-- What one person may ask per second, by cost, shared by every api process (issue 26): one
-- token bucket per (person, bucket), charged in one statement (queries/rate-limits.ts), so two
-- processes never both spend the same tokens. The database's clock times the refill, so the
-- processes' clocks need not agree. Unlogged: a crash that empties it only gives everyone a
-- full bucket again, and its writes skip the WAL (one per charged request).
create unlogged table rate_limit_buckets (
  user_id uuid not null references users (id) on delete cascade,
  bucket text not null,
  tokens double precision not null,
  -- Whether the last charge was granted: the statement's answer (RETURNING sees only the row).
  granted boolean not null,
  at timestamptz not null,
  primary key (user_id, bucket)
);
