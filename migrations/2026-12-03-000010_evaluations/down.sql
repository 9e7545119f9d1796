DROP TABLE completions;
DROP TABLE evaluations;
