-- Directory, shortlists served, feedback, trained models.
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

-- One row per listed region, city, language, modality, specialty and insurer, for filtering.
CREATE TABLE therapist_tag (
  therapist_id TEXT NOT NULL REFERENCES therapist (id) ON DELETE CASCADE,
  kind         TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (therapist_id, kind, value)
);
CREATE INDEX ix_therapist_tag_kind_value ON therapist_tag (kind, value);

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
CREATE INDEX ix_shortlist_client ON shortlist (client_id);
CREATE INDEX ix_shortlist_created ON shortlist (created_at);

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
CREATE INDEX ix_shortlist_item_therapist ON shortlist_item (therapist_id);

CREATE TABLE choice (
  shortlist_id TEXT NOT NULL PRIMARY KEY REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id    TEXT NOT NULL,
  therapist_id TEXT NOT NULL,
  chosen_at    TEXT NOT NULL
);
CREATE INDEX ix_choice_therapist_time ON choice (therapist_id, chosen_at);
CREATE INDEX ix_choice_client ON choice (client_id);

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
CREATE INDEX ix_alliance_rating_client ON alliance_rating (client_id);
CREATE INDEX ix_alliance_rating_therapist ON alliance_rating (therapist_id);

CREATE TABLE outcome_event (
  id             INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  shortlist_id   TEXT    NOT NULL REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id      TEXT    NOT NULL,
  therapist_id   TEXT    NOT NULL,
  kind           TEXT    NOT NULL,
  session_number INTEGER NULL,
  occurred_at    TEXT    NOT NULL
);
CREATE INDEX ix_outcome_event_client ON outcome_event (client_id);

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

-- Erasure requests served: when and how many rows, never whose.
CREATE TABLE erasure_log (
  id          INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT,
  erased_at   TEXT    NOT NULL,
  caller      TEXT    NOT NULL,
  rows_erased INTEGER NOT NULL
);
