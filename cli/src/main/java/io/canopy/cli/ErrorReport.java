package io.canopy.cli;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place that turns a failure into the line the user reads after "Error: ". Canopy's own
 * exceptions (content, multiformats, identity) already carry messages that name the CID, path or
 * key at fault, so they pass through; JDK file errors get Kubo-like wording; anything else is a
 * bug and says so. The line never spans lines: a stack trace only with {@code --debug}.
 */
final class ErrorReport {
  private ErrorReport() {}

  static String describe(Throwable failure) {
    Throwable e = unwrap(failure);
    String message = e.getMessage();
    String text;
    if (e instanceof CommandException || e instanceof io.canopy.cli.rpc.RpcException) {
      text = message; // an RpcException carries the daemon's own one-line report
    } else if (e instanceof NoSuchFileException f) {
      text = "no such file or directory: " + f.getFile();
    } else if (e instanceof AccessDeniedException f) {
      text = "permission denied: " + f.getFile();
    } else if (e instanceof FileAlreadyExistsException f) {
      text = "file already exists: " + f.getFile();
    } else if (e instanceof NotDirectoryException f) {
      text = "not a directory: " + f.getFile();
    } else if (e instanceof DirectoryNotEmptyException f) {
      text = "directory not empty: " + f.getFile();
    } else if (e instanceof FileSystemException f) {
      text = f.getFile() + ": " + (f.getReason() != null ? f.getReason() : "file system error");
    } else if (e instanceof EOFException) {
      text = "unexpected end of input" + (message != null ? ": " + message : "");
    } else if (e instanceof IOException) {
      text = message != null ? message : "I/O error (" + e.getClass().getSimpleName() + ")";
    } else if (e instanceof IllegalArgumentException || e instanceof IllegalStateException) {
      // InvalidCidException, KeyFormatException, CorruptBlockException, UnixFsException, ...
      text = message != null ? message : e.getClass().getSimpleName();
    } else {
      text = "internal error: " + e.getClass().getName() + (message != null ? ": " + message : "")
          + " (run with --debug for the stack trace)";
    }
    return oneLine(text);
  }

  private static Throwable unwrap(Throwable e) {
    while ((e instanceof UncheckedIOException
            || e instanceof ExecutionException
            || e instanceof CompletionException)
        && e.getCause() != null) {
      e = e.getCause();
    }
    return e;
  }

  static String oneLine(String text) {
    return text.strip().replaceAll("\\s*[\\r\\n]+\\s*", "; ");
  }
}
