DROP TABLE explanations;
