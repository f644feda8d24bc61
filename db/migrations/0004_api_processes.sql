-- Several api processes share one database. Each registers itself and says it is alive
-- every few seconds; an answer being written names the process that writes it. When a
-- process is gone (its heartbeat is old, or its row went), a peer finishes its answers as
-- interrupted, keeping the text checkpointed so far.
create table api_processes (
  id uuid primary key,
  host text not null,
  pid integer not null,
  started_at timestamptz not null default now(),
  seen_at timestamptz not null default now()
);

alter table messages add column owner_id uuid;

-- One run at a time per session, for every process: at most one answer is being written.
-- Answers an older version left streaming (at most one per session is kept) end first.
update messages m set status = 'interrupted', error_code = 'interrupted', updated_at = now()
where m.status = 'streaming' and exists (
  select 1 from messages o
  where o.session_id = m.session_id and o.status = 'streaming' and o.seq > m.seq
);
create unique index messages_one_streaming_per_session on messages (session_id)
  where status = 'streaming';
