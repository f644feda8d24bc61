-- A clientMsgId is unique per user, not per session: a first chat frame (no session yet)
-- sent from two sockets at once must make one session and one run, and the second gets the
-- first one's replay. Messages carry their user for that (and for per-user reads); it is
-- always the session's user, set by a trigger so no insert can get it wrong.
alter table messages add column user_id uuid references users (id) on delete cascade;
update messages m set user_id = s.user_id from chat_sessions s where s.id = m.session_id;
alter table messages alter column user_id set not null;

create function messages_set_user_id() returns trigger language plpgsql as $$
begin
  select user_id into new.user_id from chat_sessions where id = new.session_id;
  return new;
end $$;
create trigger messages_set_user_id before insert or update of session_id on messages
  for each row execute function messages_set_user_id();

-- Ids an older version let repeat across one user's sessions: the oldest keeps its id.
update messages m set client_msg_id = null
where m.client_msg_id is not null and exists (
  select 1 from messages o
  where o.user_id = m.user_id and o.client_msg_id = m.client_msg_id
    and (o.created_at, o.id) < (m.created_at, m.id)
);
alter table messages drop constraint messages_client_msg_unique;
create unique index messages_user_client_msg_unique on messages (user_id, client_msg_id)
  where client_msg_id is not null;
