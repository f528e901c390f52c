-- Per shortlist item, the probability it had of being shown at its position under the policy
-- that served it (the served exploration slot, or a simulated history's logging policy), and
-- whether the exploration slot drew it: what inverse-propensity weighting in training and the
-- off-policy estimate in evaluation read. Rows logged before this script stay NULL (unknown,
-- read as 1: the deterministic ranking).
ALTER TABLE shortlist_item ADD COLUMN propensity REAL NULL;
ALTER TABLE shortlist_item ADD COLUMN explored INTEGER NULL;
