-- A village's 帮扶单位 (the units that support it, 三(一)), as the office registers them: the
-- 五个一 登记表 names them. One row per unit, in the order given.
CREATE TABLE village_support_units (
    village_id TEXT NOT NULL REFERENCES villages (id),
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    PRIMARY KEY (village_id, position)
);
