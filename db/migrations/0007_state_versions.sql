-- A number per user that moves with every write to what GET /state shows (the user, their
-- profile, sessions, messages and workouts). Each api process keeps the snapshots it built
-- and checks this number, one indexed read, before serving one again (issue 14): the whole
-- snapshot is one statement of about a millisecond of database time, the number a few
-- microseconds. Kept by triggers, so no write path (a tool, the admin command, psql) can
-- change the snapshot without moving it, whichever process or connection wrote.
alter table users add column state_version bigint not null default 0;

-- Any change to the user's own row moves it (a bump from the triggers below included: that
-- update sets the same value).
create function users_next_state_version() returns trigger language plpgsql as $$
begin
  new.state_version := old.state_version + 1;
  return new;
end $$;

create trigger users_state_version before update on users
  for each row execute function users_next_state_version();

-- Once per statement, for the users whose rows it wrote (a turn stores two messages in one
-- statement; deleting a session removes all of its messages in one): the row lock on
-- `users` is taken at the end of the statement, after the statement's own row locks.
create function bump_state_versions() returns trigger language plpgsql as $$
begin
  if tg_op = 'DELETE' then
    update users set state_version = state_version + 1
      where id in (select distinct user_id from old_rows);
  else
    update users set state_version = state_version + 1
      where id in (select distinct user_id from new_rows);
  end if;
  return null;
end $$;

create trigger profiles_state_inserted after insert on profiles
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger profiles_state_updated after update on profiles
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger profiles_state_deleted after delete on profiles
  referencing old table as old_rows for each statement execute function bump_state_versions();

create trigger chat_sessions_state_inserted after insert on chat_sessions
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger chat_sessions_state_updated after update on chat_sessions
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger chat_sessions_state_deleted after delete on chat_sessions
  referencing old table as old_rows for each statement execute function bump_state_versions();

create trigger messages_state_inserted after insert on messages
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger messages_state_updated after update on messages
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger messages_state_deleted after delete on messages
  referencing old table as old_rows for each statement execute function bump_state_versions();

create trigger workouts_state_inserted after insert on workouts
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger workouts_state_updated after update on workouts
  referencing new table as new_rows for each statement execute function bump_state_versions();
create trigger workouts_state_deleted after delete on workouts
  referencing old table as old_rows for each statement execute function bump_state_versions();
