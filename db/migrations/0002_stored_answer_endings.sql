-- An assistant message keeps its tool lines as the person saw them (one source of truth for
-- resume, GET /state and the web): a JSON array of {name, status, summary?}, written when
-- the run ends. Null on user messages.
alter table messages add column tools jsonb;

-- Answers stored before this column: their lines from the audit trail, oldest first. The
-- live wording of a success was not kept anywhere, so those lines carry no summary (the
-- page words them from the tool's name); a failure keeps the message the tool gave.
update messages m
set tools = coalesce(
  (
    select jsonb_agg(
      jsonb_strip_nulls(jsonb_build_object(
        'name', c.tool,
        'status', case when c.status = 'ok' then 'ok' else 'error' end,
        'summary', case
          when c.status <> 'ok' and jsonb_typeof(c.result -> 'message') = 'string'
            and c.result ->> 'message' <> ''
          then c.result ->> 'message'
        end
      ))
      order by c.created_at, c.id
    )
    from tool_calls c
    where c.run_id = m.run_id
  ),
  '[]'::jsonb
)
where m.role = 'assistant' and m.run_id is not null;

-- A Stop is stored as what it is: interrupted (with whatever text came), never failed.
update messages set status = 'interrupted'
where role = 'assistant' and status = 'failed' and error_code = 'cancelled';
