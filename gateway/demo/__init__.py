"""The simulated district: a synthetic true world, its partners' noisy records, and the partner
systems that serve them.

- `generator` — `generate()` / `write_district()`: rows per partner plus ground truth;
  built from `world` and `party` (the truth), rendered by `registry`, `events`, `appeals` and
  `groups` with the spelling noise of `noise`, written by `files`.
- `materialize`, `simulators`, `district` — load a generated folder into the partners' own
  storage and run their services.
"""
