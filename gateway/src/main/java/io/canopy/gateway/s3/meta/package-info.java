/**
 * The S3 metadata layer: accounts and access keys, buckets, objects (pointing at the CIDs of their
 * UnixFS DAGs) and multipart uploads, behind one interface, {@link
 * io.canopy.gateway.s3.meta.S3Metadata}, with one JDBC implementation for SQLite (embedded, WAL,
 * the default) and PostgreSQL (several gateways sharing one database), same schema (DESIGN.md §7).
 *
 * <p><b>Access key secrets are stored as issued.</b> A SigV4 verifier recomputes the request's
 * HMAC from the secret itself, so the secret cannot be kept as a one-way hash the way a password
 * is; encrypting it under a key that sits on the same machine would only move the secret. What
 * protects it is access to the database: the SQLite file (and its -wal/-shm files) is mode 0600,
 * and a PostgreSQL database must be reachable only by the gateways. Revoking a key is immediate
 * for every gateway sharing the database. A leaked database means every key must be reissued.
 *
 * <p>Listing order is S3's: the UTF-8 bytes of the keys, compared unsigned. Keys are stored as
 * bytes (SQLite {@code BLOB}, PostgreSQL {@code bytea}), which both databases compare that way
 * whatever the collation (PostgreSQL text collations and Java's {@code String.compareTo} do not).
 */
package io.canopy.gateway.s3.meta;
