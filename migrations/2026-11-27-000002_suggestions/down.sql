DROP TABLE events;
DROP TABLE suggestions;
DROP TABLE deputies;
