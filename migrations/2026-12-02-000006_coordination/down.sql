DROP TABLE contacts;
DROP TABLE opinion_waivers;
DROP TABLE opinion_decisions;
DROP TABLE opinions;
DROP TABLE doc_no_series;
ALTER TABLE units DROP COLUMN liaison_name, DROP COLUMN liaison_phone;
DROP TABLE settings;
