-- The posting sweeper's queue holds only the receipts still to post, so its scan never wades
-- through posted ones (receipts::posting::TO_POST is this predicate).
CREATE INDEX incoming_transfers_to_post ON incoming_transfers(id)
    WHERE ledger_posted = FALSE AND direction = 'in' AND merchant_id IS NOT NULL;
DROP INDEX incoming_transfers_unposted;
