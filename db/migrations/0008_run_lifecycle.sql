-- One run lifecycle (api/src/realtime/run-lifecycle.ts). Every way a run starts (a turn, a
-- regenerate, a resume after a decision or an expiry) reserves through budget_reserve, and
-- every model call is charged: what the provider reported, else an estimate.
--
-- 1. The history the agent is sent is defined once, here: historyItems
--    (db/src/queries/messages.ts) reads it, and budget_reserve estimates it (each had its own
--    copy of the SQL, and the estimate missed the filter of replaced answers).
-- 2. A reservation knows its run's estimate of one model call's input and what the run
--    reported so far (checkpointed beside the answer's text). A reservation nobody settles
--    (its process died, or its settlement could not be written) is no longer dropped for free:
--    a run whose answer was stored is charged what it reported plus an estimate of the call
--    it was in (that input, and the text streamed since the last report).
-- 3. A resumed run is judged by the daily and concurrent limits like any run: the replay
--    shortcut (a frame already stored holds nothing) is asked for by the caller, which a
--    resume does not do; `p_counts_turn` says whether it takes a turn of the minute.
-- 4. A run that goes on to another model call extends its reservation (budget_extend): the
--    call is checked against the day like a new run, and refused calls stop the run.

-- The completed turns the agent replays before `p_before_seq`, newest first, at most
-- `p_turns`: answers that completed with their items, less those a regenerate replaced (the
-- new answer is stored right after the one it replaces).
create function session_history(p_session uuid, p_before_seq integer, p_turns integer)
returns table (seq integer, items jsonb) language sql stable as $$
  select m.seq, m.items from messages m
  where m.session_id = p_session and m.seq < p_before_seq and m.role = 'assistant'
    and m.status = 'complete' and m.items is not null
    and not exists (
      select 1 from messages n
      where n.session_id = m.session_id and n.seq = m.seq + 1 and n.role = 'assistant'
    )
  order by m.seq desc limit p_turns
$$;

alter table budget_reservations
  -- The estimate of one model call's input (history and message at ~4 characters a token).
  add column input_tokens bigint not null default 0,
  -- What the run reported so far (the api checkpoints it beside the answer's text), and how
  -- many characters it had streamed at that report.
  add column reported_input bigint not null default 0,
  add column reported_output bigint not null default 0,
  add column reported_chars integer not null default 0;

-- Charges and removes the reservations nobody will settle: of processes that are gone, past
-- their expiry, or (`p_run`) left by an earlier part of the same run (a resumed run keeps its
-- id). A run whose answer was stored is charged what it reported plus its call in flight
-- estimated: that call's input and the text stored since the last report, at ~4 characters a
-- token. A reservation whose turn was never stored made no model call: dropped, charged
-- nothing. `p_user` null: every user's (the api's sweep).
create function budget_settle_abandoned(p_user uuid, p_run uuid default null)
returns integer language plpgsql as $$
declare
  v_count integer;
begin
  with abandoned as (
    delete from budget_reservations r
    where (p_user is null or r.user_id = p_user) and (
      r.expires_at <= now()
      or r.run_id = p_run
      or not exists (select 1 from api_processes p where p.id = r.owner_id)
    )
    returning r.*
  ), charged as (
    select a.user_id, a.day,
      a.reported_input + a.input_tokens as input_tokens,
      a.reported_output
        + ceil(greatest(0, char_length(m.content) - a.reported_chars) / 4.0)::bigint
        as output_tokens
    from abandoned a
    join lateral (
      select m.content from messages m
      where m.run_id = a.run_id and m.role = 'assistant'
      order by m.seq desc limit 1
    ) m on true
  ), per_day as (
    select user_id, day, sum(input_tokens) as i, sum(output_tokens) as o, count(*) as n
    from charged group by user_id, day
  ), written as (
    insert into budget_days as d (user_id, day, input_tokens, output_tokens, turns)
    select user_id, day, i, o, n from per_day
    on conflict (user_id, day) do update set
      input_tokens = d.input_tokens + excluded.input_tokens,
      output_tokens = d.output_tokens + excluded.output_tokens,
      turns = d.turns + excluded.turns
    returning 1
  )
  select count(*) into v_count from abandoned;
  return v_count;
end $$;

drop function budget_reserve(
  uuid, uuid, uuid, uuid, text, integer, integer, bigint, integer, integer, text, integer, integer
);

-- The check and the reservation of one run in one round trip (one statement, its own
-- transaction): the user's budget_accounts row is locked first, so concurrent runs of one
-- user, on any api process, are judged one after another against what the others reserved.
-- `p_client_msg_id`: a chat frame's id; a frame already stored (a client re-sending it) is
-- neither checked nor held (the turn answers it with its replay). Null for a run that is not
-- a new frame (a resume): always judged. `p_before_seq`: the history is the one before it.
-- Limits of 0 are unlimited. Returns one row: `refused` names the limit hit (null when the
-- run may go ahead), `limit_value` its value, `resets_at` when it resets (null for runs at
-- once: when one of them ends), `reserved` the estimate of one model call, `input_tokens`
-- its input part.
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
  p_history_turns integer,
  p_before_seq integer,
  p_counts_turn boolean
) returns table (
  refused text,
  limit_value bigint,
  resets_at timestamptz,
  reserved bigint,
  input_tokens bigint,
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
  v_input bigint;
  v_estimate bigint;
begin
  if p_client_msg_id is not null and exists (
    select 1 from messages m where m.user_id = p_user and m.client_msg_id = p_client_msg_id
  ) then
    return query select null::text, null::bigint, null::timestamptz, 0::bigint, 0::bigint,
      0::bigint, 0::bigint;
    return;
  end if;
  insert into budget_accounts (user_id) values (p_user) on conflict (user_id) do nothing;
  select * into v_account from budget_accounts a where a.user_id = p_user for update;
  v_daily := coalesce(v_account.daily_tokens, p_daily);
  v_per_minute := coalesce(v_account.turns_per_minute, p_per_minute);
  v_concurrent := coalesce(v_account.concurrent_runs, p_concurrent);

  -- Reservations nobody will settle hold nothing any more: charged (when their run made a
  -- model call) and removed, for this user, as they are met.
  perform budget_settle_abandoned(p_user, p_run);
  -- One snapshot for all three: a run settling meanwhile is counted once or twice, never not.
  select
    (select count(*) from budget_reservations r where r.user_id = p_user),
    (select coalesce(sum(r.tokens), 0) from budget_reservations r
      where r.user_id = p_user and r.day = v_day),
    (select coalesce(sum(d.input_tokens + d.output_tokens), 0) from budget_days d
      where d.user_id = p_user and d.day = v_day)
  into v_running, v_held, v_used;

  -- The estimate of one model call: the history the agent will send (session_history, as
  -- historyItems reads it) and the message, at about four characters a token, plus a whole
  -- answer at the cap.
  if p_session is not null then
    select coalesce(sum(octet_length(h.items::text)), 0) into v_history
    from session_history(p_session, coalesce(p_before_seq, 2147483647), p_history_turns) h;
  end if;
  v_input := ceil((v_history + p_input_chars) / 4.0)::bigint;
  v_estimate := v_input + p_max_output;

  v_recent := array(
    select t from unnest(v_account.recent_turns) t
    where t > now() - interval '1 minute' order by t
  );

  -- The limit that resets last is named first: it is the one the person waits for.
  if v_daily > 0 and v_used + v_held + v_estimate > v_daily then
    return query select 'daily_tokens'::text, v_daily,
      ((v_day + 1)::timestamp at time zone p_zone), v_estimate, v_input, v_daily, v_used;
    return;
  end if;
  if p_counts_turn and v_per_minute > 0 and cardinality(v_recent) >= v_per_minute then
    return query select 'turns_per_minute'::text, v_per_minute::bigint,
      v_recent[cardinality(v_recent) - v_per_minute + 1] + interval '1 minute',
      v_estimate, v_input, v_daily, v_used;
    return;
  end if;
  if v_concurrent > 0 and v_running >= v_concurrent then
    return query select 'concurrent_runs'::text, v_concurrent::bigint, null::timestamptz,
      v_estimate, v_input, v_daily, v_used;
    return;
  end if;

  if p_counts_turn and v_per_minute > 0 then
    update budget_accounts a
    set recent_turns = (v_recent || now())[greatest(1, cardinality(v_recent) + 2 - v_per_minute):]
    where a.user_id = p_user;
  end if;
  -- started_at: a run that takes no turn of the minute has no entry there to give back.
  insert into budget_reservations
    (run_id, user_id, owner_id, day, tokens, input_tokens, expires_at, started_at)
  values (p_run, p_user, p_owner, v_day, v_estimate, v_input,
    now() + make_interval(secs => p_ttl_ms / 1000.0),
    case when p_counts_turn then now() else '-infinity'::timestamptz end);
  return query select null::text, null::bigint, null::timestamptz, v_estimate, v_input, v_daily,
    v_used;
end $$;

-- A run going on to another model call: what it reported so far, and its next call (that
-- input, a whole answer), are held in place of what it held; judged against the day like a
-- new run (the person's row locked, what the others hold counted). Refused: nothing changes,
-- and the caller stops the run. Returns whether it may go on; true when the run holds no
-- reservation (budgets off, or already settled).
create function budget_extend(
  p_run uuid,
  p_reported_input bigint,
  p_reported_output bigint,
  p_reported_chars integer,
  p_next_call bigint,
  p_daily bigint
) returns boolean language plpgsql as $$
declare
  v_reservation budget_reservations;
  v_daily bigint;
  v_used bigint;
  v_held_others bigint;
begin
  select * into v_reservation from budget_reservations where run_id = p_run;
  if not found then
    return true;
  end if;
  select coalesce(a.daily_tokens, p_daily) into v_daily
  from budget_accounts a where a.user_id = v_reservation.user_id for update;
  select coalesce(sum(d.input_tokens + d.output_tokens), 0) into v_used
  from budget_days d where d.user_id = v_reservation.user_id and d.day = v_reservation.day;
  select coalesce(sum(r.tokens), 0) into v_held_others
  from budget_reservations r
  where r.user_id = v_reservation.user_id and r.day = v_reservation.day and r.run_id <> p_run;
  if v_daily > 0
    and v_used + v_held_others + p_reported_input + p_reported_output + p_next_call > v_daily then
    return false;
  end if;
  update budget_reservations
  set tokens = p_reported_input + p_reported_output + p_next_call,
    reported_input = p_reported_input, reported_output = p_reported_output,
    reported_chars = p_reported_chars
  where run_id = p_run;
  return true;
end $$;
