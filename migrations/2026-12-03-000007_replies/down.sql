DROP TABLE reply_decisions;
DROP TABLE reply_signoffs;
DROP TABLE reply_revisions;
DROP TABLE replies;
DROP TABLE reply_templates;
ALTER TABLE settings DROP COLUMN reply_classes, DROP COLUMN key_requires_head_signature;
