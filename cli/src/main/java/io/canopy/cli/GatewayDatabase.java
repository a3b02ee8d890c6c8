package io.canopy.cli;

import io.canopy.gateway.s3.meta.JdbcS3Metadata;
import io.canopy.gateway.s3.meta.S3MetadataException;
import java.util.Properties;

/**
 * Where the gateway's S3 metadata (accounts, keys, buckets, objects) lives: the home's embedded
 * SQLite file by default, or the PostgreSQL database {@code --database} names, which several
 * gateways can share. {@code canopy daemon} and {@code canopy gateway keys} open it the same way.
 */
final class GatewayDatabase {
  private GatewayDatabase() {}

  /** Opens {@code database} ({@code postgresql://…}, {@code jdbc:postgresql://…}), or the home's file when null. */
  static JdbcS3Metadata open(Home home, String database) throws S3MetadataException {
    if (database == null) {
      return JdbcS3Metadata.openSqlite(home.s3File());
    }
    return JdbcS3Metadata.openPostgres(jdbcUrl(database), new Properties());
  }

  /** {@code postgresql://user:pw@host:port/db} (libpq's form) or {@code jdbc:postgresql://…} as a JDBC URL. */
  static String jdbcUrl(String database) {
    String d = database.trim();
    if (d.startsWith("jdbc:postgresql://")) {
      return d;
    }
    for (String scheme : new String[] {"postgresql://", "postgres://"}) {
      if (d.startsWith(scheme)) {
        return fromLibpq(d.substring(scheme.length()));
      }
    }
    throw new CommandException("--database '" + redacted(d) + "': expected a PostgreSQL URL such as "
        + "postgresql://user:password@127.0.0.1:5432/canopy (or jdbc:postgresql://…)");
  }

  /** The JDBC driver takes credentials as parameters, not in the authority as libpq does. */
  private static String fromLibpq(String rest) {
    int at = rest.lastIndexOf('@', rest.indexOf('/') < 0 ? rest.length() : rest.indexOf('/'));
    if (at < 0) {
      return "jdbc:postgresql://" + rest;
    }
    String userInfo = rest.substring(0, at);
    String hostAndDb = rest.substring(at + 1);
    int colon = userInfo.indexOf(':');
    String user = colon < 0 ? userInfo : userInfo.substring(0, colon);
    StringBuilder url = new StringBuilder("jdbc:postgresql://").append(hostAndDb)
        .append(hostAndDb.contains("?") ? '&' : '?').append("user=").append(user);
    if (colon >= 0) {
      url.append("&password=").append(userInfo.substring(colon + 1));
    }
    return url.toString();
  }

  /** The URL without its password, for messages. */
  static String redacted(String database) {
    return database.replaceAll("(://[^:/@]*):[^@/]*@", "$1:***@").replaceAll("password=[^&]*", "password=***");
  }
}
