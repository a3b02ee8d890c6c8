/**
 * The validator role (issue #7, protocol-spec chapters 4–7): every epoch, storage challenges and
 * the verification of their proofs, compute spot checks by re-execution, and the payout scheduler
 * that settles the epoch into the double-entry ledger.
 */
package io.canopy.validator;
