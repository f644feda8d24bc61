-- Budgets (api/src/budgets/): per user, model tokens per day, chat turns per minute and runs
-- at once. The limits default to the api's BUDGET_* settings; a user's row here overrides
-- them. A turn reserves an estimate before the agent is called and settles to the agent's
-- reported usage when it ends; a reservation of a process that is gone, or past its expiry,
-- holds nothing.

create table budget_accounts (
  user_id uuid primary key references users (id) on delete cascade,
  -- Null: the default (BUDGET_*); 0: unlimited for this user.
  daily_tokens bigint check (daily_tokens >= 0),
  turns_per_minute integer check (turns_per_minute >= 0),
  concurrent_runs integer check (concurrent_runs >= 0),
  -- When the user's most recent turns started (at most turns_per_minute of them): the
  -- minute is a sliding one, exact at any moment.
  recent_turns timestamptz[] not null default '{}',
  updated_at timestamptz not null default now()
);

-- What each user's turns used per budget day (the day in the api's BUDGET_TIME_ZONE).
create table budget_days (
  user_id uuid not null references users (id) on delete cascade,
  day date not null,
  input_tokens bigint not null default 0,
  output_tokens bigint not null default 0,
  -- Estimated with the api's MODEL_PRICES at the time each turn settled (0 when unpriced).
  cost_usd double precision not null default 0,
  turns integer not null default 0,
  primary key (user_id, day)
);

-- The estimate a turn holds while it runs: counted against the day's tokens and the runs at
-- once until the turn settles, its process is gone (the api's sweep forgets it), or it expires.
create table budget_reservations (
  run_id uuid primary key,
  user_id uuid not null references users (id) on delete cascade,
  -- The api process that runs the turn (api_processes.id).
  owner_id uuid not null,
  day date not null,
  tokens bigint not null,
  -- Its entry in recent_turns: a turn that was not stored after all takes it back.
  started_at timestamptz not null default now(),
  expires_at timestamptz not null
);
create index budget_reservations_user_idx on budget_reservations (user_id);

-- The check and the reservation of one turn in one round trip (one statement, its own
-- transaction): the user's budget_accounts row is locked first, so concurrent turns of one
-- user, on any api process, are judged one after another against what the others reserved
-- (each statement inside sees what the one before it committed). A frame already stored (a
-- client re-sending it) is neither checked nor held: the turn answers it with its replay.
-- Limits of 0 are unlimited. Returns one row: `refused` names the limit hit (null when the
-- turn may go ahead), `limit_value` its value, `resets_at` when it resets (null for runs at
-- once: when one of them ends).
create function budget_reserve(
  p_user uuid,
  p_run uuid,
  p_owner uuid,
  p_session uuid,
  p_client_msg_id text,
  p_input_chars integer,
  p_max_output integer,
  p_daily bigint,
  p_per_minute integer,
  p_concurrent integer,
  p_zone text,
  p_ttl_ms integer,
  p_history_turns integer
) returns table (
  refused text,
  limit_value bigint,
  resets_at timestamptz,
  reserved bigint,
  daily_limit bigint,
  used bigint
) language plpgsql as $$
declare
  v_day date := (now() at time zone p_zone)::date;
  v_account budget_accounts;
  v_daily bigint;
  v_per_minute integer;
  v_concurrent integer;
  v_running integer;
  v_held bigint;
  v_used bigint;
  v_history bigint := 0;
  v_recent timestamptz[];
  v_estimate bigint;
begin
  if exists (
    select 1 from messages m where m.user_id = p_user and m.client_msg_id = p_client_msg_id
  ) then
    return query select null::text, null::bigint, null::timestamptz, 0::bigint, 0::bigint, 0::bigint;
    return;
  end if;
  insert into budget_accounts (user_id) values (p_user) on conflict (user_id) do nothing;
  select * into v_account from budget_accounts a where a.user_id = p_user for update;
  v_daily := coalesce(v_account.daily_tokens, p_daily);
  v_per_minute := coalesce(v_account.turns_per_minute, p_per_minute);
  v_concurrent := coalesce(v_account.concurrent_runs, p_concurrent);

  -- Reservations of processes that are gone (the sweep removed their row) or past their
  -- expiry hold nothing: dropped here, for this user, as they are met.
  delete from budget_reservations r
  where r.user_id = p_user and (
    r.expires_at <= now()
    or not exists (select 1 from api_processes p where p.id = r.owner_id)
  );
  -- One snapshot for both: a turn settling meanwhile is counted once or twice, never not.
  select
    (select count(*) from budget_reservations r where r.user_id = p_user),
    (select coalesce(sum(r.tokens), 0) from budget_reservations r
      where r.user_id = p_user and r.day = v_day),
    (select coalesce(sum(d.input_tokens + d.output_tokens), 0) from budget_days d
      where d.user_id = p_user and d.day = v_day)
  into v_running, v_held, v_used;

  -- The estimate: the history the agent will send (the turns historyItems replays) and the
  -- message, at about four characters a token, plus a whole answer at the cap.
  if p_session is not null then
    select coalesce(sum(octet_length(h.items::text)), 0) into v_history from (
      select m.items from messages m
      where m.session_id = p_session and m.role = 'assistant' and m.status = 'complete'
        and m.items is not null
      order by m.seq desc limit p_history_turns
    ) h;
  end if;
  v_estimate := ceil((v_history + p_input_chars) / 4.0)::bigint + p_max_output;

  v_recent := array(
    select t from unnest(v_account.recent_turns) t
    where t > now() - interval '1 minute' order by t
  );

  -- The limit that resets last is named first: it is the one the person waits for.
  if v_daily > 0 and v_used + v_held + v_estimate > v_daily then
    return query select 'daily_tokens'::text, v_daily,
      ((v_day + 1)::timestamp at time zone p_zone),
      v_estimate, v_daily, v_used;
    return;
  end if;
  if v_per_minute > 0 and cardinality(v_recent) >= v_per_minute then
    return query select 'turns_per_minute'::text, v_per_minute::bigint,
      v_recent[cardinality(v_recent) - v_per_minute + 1] + interval '1 minute',
      v_estimate, v_daily, v_used;
    return;
  end if;
  if v_concurrent > 0 and v_running >= v_concurrent then
    return query select 'concurrent_runs'::text, v_concurrent::bigint, null::timestamptz,
      v_estimate, v_daily, v_used;
    return;
  end if;

  if v_per_minute > 0 then
    update budget_accounts a
    set recent_turns = (v_recent || now())[greatest(1, cardinality(v_recent) + 2 - v_per_minute):]
    where a.user_id = p_user;
  end if;
  insert into budget_reservations (run_id, user_id, owner_id, day, tokens, expires_at)
  values (p_run, p_user, p_owner, v_day, v_estimate,
    now() + make_interval(secs => p_ttl_ms / 1000.0));
  return query select null::text, null::bigint, null::timestamptz, v_estimate, v_daily, v_used;
end $$;
