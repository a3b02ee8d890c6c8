package io.canopy.content.exporter;

import java.io.IOException;

/** A path segment that the directory does not contain, or that runs through a file. */
public class PathNotFoundException extends IOException {
  private static final long serialVersionUID = 1L;

  public PathNotFoundException(String message) {
    super(message);
  }
}
