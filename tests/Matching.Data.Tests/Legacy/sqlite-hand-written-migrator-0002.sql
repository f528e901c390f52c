-- A SQLite database as the hand-written migrator (before DbUp, commit cf714f4) left it after
-- 'matching db migrate' applied 0001 and 0002: sqlite3 .dump of the file. MigratorTests loads it
-- to check that DbUp's migrator takes such a database over without applying anything twice.
PRAGMA foreign_keys=OFF;
BEGIN TRANSACTION;
CREATE TABLE schema_journal (
  number     INTEGER NOT NULL PRIMARY KEY,
  name       TEXT    NOT NULL,
  applied_at TEXT    NOT NULL
);
INSERT INTO schema_journal VALUES(1,'0001_initial.sql','2026-11-27 07:51:13.388141');
INSERT INTO schema_journal VALUES(2,'0002_model_lifecycle.sql','2026-11-27 07:51:13.5494698');
CREATE TABLE therapist (
  id              TEXT    NOT NULL PRIMARY KEY,
  display_name    TEXT    NOT NULL,
  profile_json    TEXT    NOT NULL,
  accepting       INTEGER NOT NULL,
  active          INTEGER NOT NULL DEFAULT 1,
  weekly_capacity INTEGER NOT NULL,
  fee             REAL    NOT NULL,
  updated_at      TEXT    NOT NULL
);
CREATE TABLE therapist_tag (
  therapist_id TEXT NOT NULL REFERENCES therapist (id) ON DELETE CASCADE,
  kind         TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (therapist_id, kind, value)
);
CREATE TABLE shortlist (
  id             TEXT    NOT NULL PRIMARY KEY,
  client_id      TEXT    NOT NULL,
  caller         TEXT    NOT NULL,
  created_at     TEXT    NOT NULL,
  model_version  TEXT    NOT NULL,
  feature_schema TEXT    NOT NULL,
  first_goal     TEXT    NULL,
  request_json   TEXT    NOT NULL,
  excluded_json  TEXT    NOT NULL,
  considered     INTEGER NOT NULL,
  eligible       INTEGER NOT NULL
);
CREATE TABLE shortlist_item (
  shortlist_id TEXT    NOT NULL REFERENCES shortlist (id) ON DELETE CASCADE,
  position     INTEGER NOT NULL,
  therapist_id TEXT    NOT NULL,
  score        REAL    NOT NULL,
  goals_fit    REAL    NOT NULL,
  tasks_fit    REAL    NOT NULL,
  bond_fit     REAL    NOT NULL,
  reasons_json TEXT    NOT NULL,
  features     TEXT    NOT NULL,
  PRIMARY KEY (shortlist_id, position)
);
CREATE TABLE choice (
  shortlist_id TEXT NOT NULL PRIMARY KEY REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id    TEXT NOT NULL,
  therapist_id TEXT NOT NULL,
  chosen_at    TEXT NOT NULL
);
CREATE TABLE alliance_rating (
  id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  shortlist_id   TEXT    NOT NULL REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id      TEXT    NOT NULL,
  therapist_id   TEXT    NOT NULL,
  instrument     TEXT    NOT NULL,
  items_json     TEXT    NULL,
  session_number INTEGER NOT NULL,
  goal           REAL    NOT NULL,
  task           REAL    NOT NULL,
  bond           REAL    NOT NULL,
  overall        REAL    NOT NULL,
  rated_at       TEXT    NOT NULL
);
CREATE TABLE outcome_event (
  id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  shortlist_id   TEXT    NOT NULL REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id      TEXT    NOT NULL,
  therapist_id   TEXT    NOT NULL,
  kind           TEXT    NOT NULL,
  session_number INTEGER NULL,
  occurred_at    TEXT    NOT NULL
);
CREATE TABLE ranking_model (
  version        TEXT NOT NULL PRIMARY KEY,
  kind           TEXT NOT NULL,
  feature_schema TEXT NOT NULL,
  created_at     TEXT NOT NULL,
  status         TEXT NOT NULL,
  status_reason  TEXT NULL,
  activated_at   TEXT NULL,
  metrics_json   TEXT NOT NULL,
  artifact       TEXT NOT NULL
);
CREATE TABLE erasure_log (
  id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  erased_at   TEXT    NOT NULL,
  caller      TEXT    NOT NULL,
  rows_erased INTEGER NOT NULL
);
CREATE TABLE model_activation (
  id           INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  version      TEXT    NOT NULL,
  activated_at TEXT    NOT NULL,
  activated_by TEXT    NOT NULL,
  reason       TEXT    NOT NULL
);
CREATE TABLE training_run (
  id                 TEXT    NOT NULL PRIMARY KEY,
  started_at         TEXT    NOT NULL,
  finished_at        TEXT    NOT NULL,
  data_from          TEXT    NULL,
  data_to            TEXT    NOT NULL,
  holdout_from       TEXT    NULL,
  train_rows         INTEGER NOT NULL,
  train_queries      INTEGER NOT NULL,
  holdout_rows       INTEGER NOT NULL,
  holdout_queries    INTEGER NOT NULL,
  parameters_json    TEXT    NOT NULL,
  challenger_version TEXT    NULL,
  champion_version   TEXT    NULL,
  challenger_json    TEXT    NULL,
  champion_json      TEXT    NULL,
  decision           TEXT    NOT NULL,
  reason             TEXT    NOT NULL,
  report_path        TEXT    NULL
);
DELETE FROM sqlite_sequence;
CREATE INDEX ix_therapist_tag_kind_value ON therapist_tag (kind, value);
CREATE INDEX ix_shortlist_client ON shortlist (client_id);
CREATE INDEX ix_shortlist_created ON shortlist (created_at);
CREATE INDEX ix_shortlist_item_therapist ON shortlist_item (therapist_id);
CREATE INDEX ix_choice_therapist_time ON choice (therapist_id, chosen_at);
CREATE INDEX ix_choice_client ON choice (client_id);
CREATE INDEX ix_alliance_rating_client ON alliance_rating (client_id);
CREATE INDEX ix_alliance_rating_therapist ON alliance_rating (therapist_id);
CREATE INDEX ix_outcome_event_client ON outcome_event (client_id);
CREATE INDEX ix_training_run_started ON training_run (started_at);
CREATE INDEX ix_alliance_rating_shortlist ON alliance_rating (shortlist_id, therapist_id);
CREATE INDEX ix_outcome_event_shortlist ON outcome_event (shortlist_id, therapist_id);
CREATE UNIQUE INDEX ux_ranking_model_active ON ranking_model (status) WHERE status = 'active';
COMMIT;
