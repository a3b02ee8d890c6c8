package io.canopy.validator.ledger;

/** A settlement record as the ledger keeps it: its encoding and the hash stored beside it. */
public record StoredRecord(long epoch, byte[] encoded, byte[] hash) {}
