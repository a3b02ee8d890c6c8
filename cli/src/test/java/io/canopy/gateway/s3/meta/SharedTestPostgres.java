package io.canopy.gateway.s3.meta;

import java.io.IOException;
import java.sql.SQLException;

/**
 * The gateway tests' {@link EmbeddedPostgres} (package-private there, shipped in gateway's
 * test-jar) opened up to the CLI's tests: a fresh database of the JVM's shared throwaway cluster.
 */
public final class SharedTestPostgres {
  private SharedTestPostgres() {}

  /** A new empty database; its URL in libpq's form, {@code postgresql://user@127.0.0.1:port/name}. */
  public static String newDatabase() throws IOException, SQLException {
    EmbeddedPostgres pg = EmbeddedPostgres.shared();
    return "postgresql://" + EmbeddedPostgres.USER + "@127.0.0.1:" + pg.port() + "/" + pg.createDatabase();
  }
}
