DROP INDEX suggestions_year_external_no_idx;
DROP INDEX suggestions_external_no_idx;
DROP INDEX replies_signed_on_idx;
DROP INDEX disclosures_unpublished_idx;
DROP TABLE dashboard_tickets;
