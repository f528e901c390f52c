-- Every activation (promotion, rollback, roll forward; version may be the rule-based baseline), and every training run with its decision.
CREATE TABLE model_activation (
  id           BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  version      NVARCHAR(100)  NOT NULL,
  activated_at DATETIME2(3)   NOT NULL,
  activated_by NVARCHAR(100)  NOT NULL,
  reason       NVARCHAR(2000) NOT NULL
);

CREATE TABLE training_run (
  id                 NVARCHAR(36)   NOT NULL PRIMARY KEY,
  started_at         DATETIME2(3)   NOT NULL,
  finished_at        DATETIME2(3)   NOT NULL,
  data_from          DATETIME2(3)   NULL,
  data_to            DATETIME2(3)   NOT NULL,
  holdout_from       DATETIME2(3)   NULL,
  train_rows         INT            NOT NULL,
  train_queries      INT            NOT NULL,
  holdout_rows       INT            NOT NULL,
  holdout_queries    INT            NOT NULL,
  parameters_json    NVARCHAR(MAX)  NOT NULL,
  challenger_version NVARCHAR(100)  NULL,
  champion_version   NVARCHAR(100)  NULL,
  challenger_json    NVARCHAR(MAX)  NULL,
  champion_json      NVARCHAR(MAX)  NULL,
  decision           NVARCHAR(20)   NOT NULL,
  reason             NVARCHAR(2000) NOT NULL,
  report_path        NVARCHAR(1000) NULL
);
CREATE INDEX ix_training_run_started ON training_run (started_at);

-- Feedback is looked up per shortlist and therapist when training data is built, and per shortlist on erasure.
CREATE INDEX ix_alliance_rating_shortlist ON alliance_rating (shortlist_id, therapist_id);
CREATE INDEX ix_outcome_event_shortlist ON outcome_event (shortlist_id, therapist_id);

-- At most one active model, whatever the application does.
CREATE UNIQUE INDEX ux_ranking_model_active ON ranking_model (status) WHERE status = 'active';
