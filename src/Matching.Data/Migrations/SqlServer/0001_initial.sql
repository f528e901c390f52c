-- Directory, shortlists served, feedback, trained models.
CREATE TABLE therapist (
  id              NVARCHAR(40)  NOT NULL PRIMARY KEY,
  display_name    NVARCHAR(200) NOT NULL,
  profile_json    NVARCHAR(MAX) NOT NULL,
  accepting       BIT           NOT NULL,
  active          BIT           NOT NULL DEFAULT 1,
  weekly_capacity INT           NOT NULL,
  fee             FLOAT         NOT NULL,
  updated_at      DATETIME2(3)  NOT NULL
);

-- One row per listed region, city, language, modality, specialty and insurer, for filtering.
CREATE TABLE therapist_tag (
  therapist_id NVARCHAR(40) NOT NULL REFERENCES therapist (id) ON DELETE CASCADE,
  kind         NVARCHAR(20) NOT NULL,
  value        NVARCHAR(40) NOT NULL,
  PRIMARY KEY (therapist_id, kind, value)
);
CREATE INDEX ix_therapist_tag_kind_value ON therapist_tag (kind, value);

CREATE TABLE shortlist (
  id             NVARCHAR(36)  NOT NULL PRIMARY KEY,
  client_id      NVARCHAR(40)  NOT NULL,
  caller         NVARCHAR(100) NOT NULL,
  created_at     DATETIME2(3)  NOT NULL,
  model_version  NVARCHAR(100) NOT NULL,
  feature_schema NVARCHAR(40)  NOT NULL,
  first_goal     NVARCHAR(40)  NULL,
  request_json   NVARCHAR(MAX) NOT NULL,
  excluded_json  NVARCHAR(MAX) NOT NULL,
  considered     INT           NOT NULL,
  eligible       INT           NOT NULL
);
CREATE INDEX ix_shortlist_client ON shortlist (client_id);
CREATE INDEX ix_shortlist_created ON shortlist (created_at);

CREATE TABLE shortlist_item (
  shortlist_id NVARCHAR(36)  NOT NULL REFERENCES shortlist (id) ON DELETE CASCADE,
  position     INT           NOT NULL,
  therapist_id NVARCHAR(40)  NOT NULL,
  score        FLOAT         NOT NULL,
  goals_fit    FLOAT         NOT NULL,
  tasks_fit    FLOAT         NOT NULL,
  bond_fit     FLOAT         NOT NULL,
  reasons_json NVARCHAR(MAX) NOT NULL,
  features     NVARCHAR(MAX) NOT NULL,
  PRIMARY KEY (shortlist_id, position)
);
CREATE INDEX ix_shortlist_item_therapist ON shortlist_item (therapist_id);

CREATE TABLE choice (
  shortlist_id NVARCHAR(36) NOT NULL PRIMARY KEY REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id    NVARCHAR(40) NOT NULL,
  therapist_id NVARCHAR(40) NOT NULL,
  chosen_at    DATETIME2(3) NOT NULL
);
CREATE INDEX ix_choice_therapist_time ON choice (therapist_id, chosen_at);
CREATE INDEX ix_choice_client ON choice (client_id);

CREATE TABLE alliance_rating (
  id             BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  shortlist_id   NVARCHAR(36)  NOT NULL REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id      NVARCHAR(40)  NOT NULL,
  therapist_id   NVARCHAR(40)  NOT NULL,
  instrument     NVARCHAR(10)  NOT NULL,
  items_json     NVARCHAR(200) NULL,
  session_number INT           NOT NULL,
  goal           FLOAT         NOT NULL,
  task           FLOAT         NOT NULL,
  bond           FLOAT         NOT NULL,
  overall        FLOAT         NOT NULL,
  rated_at       DATETIME2(3)  NOT NULL
);
CREATE INDEX ix_alliance_rating_client ON alliance_rating (client_id);
CREATE INDEX ix_alliance_rating_therapist ON alliance_rating (therapist_id);

CREATE TABLE outcome_event (
  id             BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  shortlist_id   NVARCHAR(36) NOT NULL REFERENCES shortlist (id) ON DELETE CASCADE,
  client_id      NVARCHAR(40) NOT NULL,
  therapist_id   NVARCHAR(40) NOT NULL,
  kind           NVARCHAR(20) NOT NULL,
  session_number INT          NULL,
  occurred_at    DATETIME2(3) NOT NULL
);
CREATE INDEX ix_outcome_event_client ON outcome_event (client_id);

CREATE TABLE ranking_model (
  version        NVARCHAR(100)  NOT NULL PRIMARY KEY,
  kind           NVARCHAR(40)   NOT NULL,
  feature_schema NVARCHAR(40)   NOT NULL,
  created_at     DATETIME2(3)   NOT NULL,
  status         NVARCHAR(20)   NOT NULL,
  status_reason  NVARCHAR(2000) NULL,
  activated_at   DATETIME2(3)   NULL,
  metrics_json   NVARCHAR(MAX)  NOT NULL,
  artifact       NVARCHAR(MAX)  NOT NULL
);

-- Erasure requests served: when and how many rows, never whose.
CREATE TABLE erasure_log (
  id          BIGINT IDENTITY(1, 1) NOT NULL PRIMARY KEY,
  erased_at   DATETIME2(3)  NOT NULL,
  caller      NVARCHAR(100) NOT NULL,
  rows_erased INT           NOT NULL
);
