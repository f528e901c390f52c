-- Every activation (promotion, rollback, roll forward; version may be the rule-based baseline), and every training run with its decision.
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
CREATE INDEX ix_training_run_started ON training_run (started_at);

-- Feedback is looked up per shortlist and therapist when training data is built, and per shortlist on erasure.
CREATE INDEX ix_alliance_rating_shortlist ON alliance_rating (shortlist_id, therapist_id);
CREATE INDEX ix_outcome_event_shortlist ON outcome_event (shortlist_id, therapist_id);

-- At most one active model, whatever the application does.
CREATE UNIQUE INDEX ux_ranking_model_active ON ranking_model (status) WHERE status = 'active';
