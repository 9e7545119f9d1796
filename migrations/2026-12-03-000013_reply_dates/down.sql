DROP TABLE remote_replies;
ALTER TABLE replies DROP COLUMN signed_on;
