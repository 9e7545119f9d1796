DROP TABLE commitment_progress;
DROP TABLE commitments;
