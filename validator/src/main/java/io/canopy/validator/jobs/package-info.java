/**
 * {@code /canopy/jobs/1.0.0} (protocol-spec/spec/compute-verification.md §6.8): how a gateway
 * hands its job records to validators, one page per request ({@link
 * io.canopy.validator.jobs.JobsService} serves, {@link io.canopy.validator.jobs.JobsClient}
 * fetches an epoch's records and checks each).
 */
package io.canopy.validator.jobs;
