-- 008_alert_thresholds.sql: the thresholds of the ALERTS rules become scheme settings
-- (`SCHEME SET alert_weight_factor=… alert_points=… alert_repeats=… alert_surge_factor=…`),
-- journaled in `scheme_set` like the others. An existing row keeps the former constants.

ALTER TABLE scheme ADD COLUMN alert_weight_factor INTEGER NOT NULL DEFAULT 5 CHECK (alert_weight_factor BETWEEN 2 AND 100);
ALTER TABLE scheme ADD COLUMN alert_points INTEGER NOT NULL DEFAULT 3 CHECK (alert_points BETWEEN 2 AND 20);
ALTER TABLE scheme ADD COLUMN alert_repeats INTEGER NOT NULL DEFAULT 3 CHECK (alert_repeats BETWEEN 2 AND 20);
ALTER TABLE scheme ADD COLUMN alert_surge_factor INTEGER NOT NULL DEFAULT 5 CHECK (alert_surge_factor BETWEEN 2 AND 100);
