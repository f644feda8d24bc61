-- The product's schema: identities, profiles, chat history, the tool audit trail, workouts.
-- A user's data belongs to the user: every child row goes with them (on delete cascade).

create table users (
  id uuid primary key default gen_random_uuid(),
  issuer text not null,
  subject text not null,
  email text,
  name text,
  picture text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint users_identity_unique unique (issuer, subject)
);

create table profiles (
  user_id uuid primary key references users (id) on delete cascade,
  display_name text,
  goals text,
  experience_level text check (experience_level in ('beginner', 'intermediate', 'advanced')),
  equipment text[] not null default '{}',
  limitations text,
  units text not null default 'metric' check (units in ('metric', 'imperial')),
  updated_at timestamptz not null default now()
);

create table chat_sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  title text,
  -- The last seq handed out in this session; bumped in the same transaction as the insert.
  last_seq integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
-- The session list and "most recent session" reads.
create index chat_sessions_user_recent_idx on chat_sessions (user_id, updated_at desc);

create table messages (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references chat_sessions (id) on delete cascade,
  seq integer not null,
  role text not null check (role in ('user', 'assistant')),
  content text not null default '',
  status text not null default 'complete'
    check (status in ('complete', 'streaming', 'interrupted', 'failed')),
  run_id uuid,
  client_msg_id text,
  -- The agent's history items for this turn (provider ids stripped), replayed as context.
  items jsonb,
  error_code text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  -- Replay reads "messages after seq N" and the latest 200 of a session.
  constraint messages_session_seq_unique unique (session_id, seq),
  -- A client that retries the same chat frame does not store its text twice.
  constraint messages_client_msg_unique unique (session_id, client_msg_id)
);
create index messages_run_idx on messages (run_id) where run_id is not null;
create index messages_streaming_idx on messages (status) where status = 'streaming';

create table tool_calls (
  id uuid primary key default gen_random_uuid(),
  tool_call_id text not null,
  run_id uuid not null,
  user_id uuid references users (id) on delete cascade,
  session_id uuid references chat_sessions (id) on delete cascade,
  tool text not null,
  arguments jsonb,
  result jsonb,
  status text not null check (status in ('ok', 'error', 'invalid', 'refused')),
  error_code text,
  duration_ms integer,
  created_at timestamptz not null default now(),
  -- Idempotency: a retried call of one run returns the stored result.
  constraint tool_calls_run_call_unique unique (run_id, tool_call_id)
);
create index tool_calls_user_recent_idx on tool_calls (user_id, created_at desc);

create table workouts (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  performed_on date not null,
  kind text not null,
  duration_min integer check (duration_min is null or duration_min > 0),
  exercises jsonb not null default '[]',
  notes text,
  created_at timestamptz not null default now()
);
-- Recent workouts, date ranges and weekly summaries are all per user by date.
create index workouts_user_date_idx on workouts (user_id, performed_on desc, created_at desc);
