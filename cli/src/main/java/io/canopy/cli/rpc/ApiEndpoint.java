package io.canopy.cli.rpc;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;

/**
 * Where a running daemon's API is and the token it wants: the home's {@code api} file,
 * {@code {"url": "http://127.0.0.1:PORT", "token": "…"}}, readable by its owner only. The daemon
 * writes it once its API listens and deletes it when it stops; a file left by a killed daemon
 * points at a port nobody answers on, which clients take as "no daemon".
 */
public record ApiEndpoint(@JsonProperty("url") URI url, @JsonProperty("token") String token) {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int TOKEN_BYTES = 32;

  /** A fresh random token (256 bits, base64url). */
  public static String newToken() {
    byte[] token = new byte[TOKEN_BYTES];
    new SecureRandom().nextBytes(token);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(token);
  }

  /** The endpoint recorded in {@code file}, or empty if there is no such file. */
  public static Optional<ApiEndpoint> read(Path file) throws IOException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    try {
      ApiEndpoint e = JSON.readValue(bytes, ApiEndpoint.class); // null for a file holding JSON null
      if (e == null || e.url() == null || e.token() == null || !"http".equals(e.url().getScheme()) || e.url().getPort() < 0) {
        throw new IOException(file + " does not name an API (it needs \"url\": \"http://HOST:PORT\" and \"token\")");
      }
      return Optional.of(e);
    } catch (JacksonException e) {
      throw new IOException(file + " is not a valid API file (" + e.getOriginalMessage()
          + "); if no daemon is running, delete it", e);
    }
  }

  /** Writes {@code file} for its owner only, through a temp file and an atomic rename. */
  public void write(Path file) throws IOException {
    Path temp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(temp);
    if (Files.getFileStore(file.toAbsolutePath().getParent()).supportsFileAttributeView("posix")) {
      Files.createFile(temp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } else {
      Files.createFile(temp);
    }
    try {
      Files.write(temp, JSON.writeValueAsBytes(this));
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temp);
    }
  }

  @Override
  public String toString() {
    return url.toString(); // never the token
  }
}
