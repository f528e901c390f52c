-- Which library (and version) trained each model, the library's own model file when it is not the
-- engine (ML.NET's zip: kept for audit and re-scoring, never needed to serve), and every
-- challenger a training run fitted, not only the one it compared with the champion.
ALTER TABLE ranking_model ADD COLUMN library TEXT NULL;
ALTER TABLE ranking_model ADD COLUMN source_model BLOB NULL;
ALTER TABLE training_run ADD COLUMN challengers_json TEXT NULL;
