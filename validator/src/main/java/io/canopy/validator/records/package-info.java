/**
 * {@code /canopy/records/1.0.0} (protocol-spec/spec/settlement.md §7.10): how any node reads the
 * settled records from a validator ({@link io.canopy.validator.records.RecordsService} serves them
 * from the ledger, {@link io.canopy.validator.records.RecordsClient} asks), and what it believes
 * of them ({@link io.canopy.validator.records.SettledRecords}: signatures, signers of the
 * configured set, a majority of it, the hash chain), kept current by {@link
 * io.canopy.validator.records.RecordsFollower}.
 */
package io.canopy.validator.records;
