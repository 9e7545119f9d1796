DROP TABLE blob_sweeps;
DROP TABLE document_grants;
DROP TABLE documents;
