-- Human approval of tool calls (issue 17). A run that calls a tool needing approval pauses:
-- its answer is stored as `awaiting_approval` with the agent's serialized run state, and each
-- pending call gets a row here. The person's decision (or the expiry) is recorded on that row,
-- which is also the audit trail of who approved or rejected what, and when.
alter table messages drop constraint messages_status_check;
alter table messages add constraint messages_status_check
  check (status in ('complete', 'streaming', 'awaiting_approval', 'interrupted', 'failed'));

-- The Agents SDK's RunState (RunState.toString()) while the answer awaits a decision; cleared
-- once the run resumes.
alter table messages add column run_state text;

-- One run at a time per session: an answer waiting for a decision holds its session as one
-- being written does (a new message is `busy` until the person decides). Same name, so the
-- code that recognises the violation is unchanged.
drop index messages_one_streaming_per_session;
create unique index messages_one_streaming_per_session on messages (session_id)
  where status in ('streaming', 'awaiting_approval');

create table tool_approvals (
  id uuid primary key default gen_random_uuid(),
  run_id uuid not null,
  -- The model's call id: with run_id, what the tool call must carry to be allowed to run.
  call_id text not null,
  user_id uuid not null references users (id) on delete cascade,
  session_id uuid references chat_sessions (id) on delete set null,
  message_id uuid references messages (id) on delete set null,
  tool text not null,
  arguments jsonb not null,
  -- The sentence the person was shown (from the tool's own definition).
  summary text not null,
  status text not null default 'pending'
    check (status in ('pending', 'approved', 'rejected', 'expired')),
  reason text,
  requested_at timestamptz not null default now(),
  expires_at timestamptz not null,
  decided_at timestamptz,
  -- Who decided: the user (the only one allowed to); null when it expired. No foreign key of
  -- its own: the row goes with its user (user_id).
  decided_by uuid,
  constraint tool_approvals_run_call_unique unique (run_id, call_id)
);
create index tool_approvals_user_idx on tool_approvals (user_id, requested_at desc);
create index tool_approvals_pending_idx on tool_approvals (expires_at) where status = 'pending';
