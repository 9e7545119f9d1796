-- The SQL of GET /public/replies?year=Y (51 rows: a page of 50 and one more), as the
-- service sends it (the year a parameter, the limit written in).
\set y random(2014, 2023)
SELECT d.reply_id, d.published_at, d.mode, d.summary, s.title, s.external_no, s.year, s.source, s.session_label, u.name AS unit_name, v.class, v.doc_no, v.body, r.signed_on, array_remove(s.proposer_id || s.co_signer_ids, NULL) AS deputy_ids FROM disclosures d JOIN replies r ON r.id = d.reply_id JOIN suggestions s ON s.id = r.suggestion_id JOIN units u ON u.id = r.unit_id JOIN reply_revisions v ON v.reply_id = r.id AND v.revision = r.revision WHERE d.published_at IS NOT NULL AND d.mode <> 'withheld' AND d.year = :y ORDER BY d.published_at DESC, d.reply_id DESC LIMIT 51;
