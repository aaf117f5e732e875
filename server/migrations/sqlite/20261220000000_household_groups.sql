-- 村民小组: the villager group a household belongs to (e.g. 三组), as the village's register
-- names it; absent when not recorded. The phone groups and searches its household list by it.
ALTER TABLE households ADD COLUMN group_name TEXT;
