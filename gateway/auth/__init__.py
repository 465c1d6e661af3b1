"""Who is asking, and what they may see.

- `keys` — API keys: issued once, stored as hashes, expiring, revocable, rotatable.
- `tokens` — signed JWTs (asymmetric keys from a PEM or JWKS file; issuer and audience checked).
- `identity` — a request's credentials → `Principal` (agency, officer, purpose), or a 401.
- `policy` — grants as data: role × field group × purpose × community → level.
- `access` — the per-request guard the schema asks before it shows personal data; it
  remembers what was shown, for the audit.
"""
