-- An email is stored only when the id_token says the provider verified it (email_verified):
-- an unverified one is whatever a person typed at their provider, and `bun run admin budget
-- <email>` finds people by it (issue 26). Rows written before this rule may hold unverified
-- addresses, which nothing can tell apart now: they are cleared, and the next request of each
-- person writes their verified email back from its token. The dev login's email is the account
-- itself (typed on our own page, signed with our own key), so its rows keep theirs.
update users set email = null where issuer <> 'trainer2-dev-login' and email is not null;
