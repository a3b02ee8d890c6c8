package io.canopy.content.unixfs;

/** A DAG-PB node whose Data is not a valid UnixFS message, or a DAG that is not valid UnixFS. */
public class UnixFsException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public UnixFsException(String message) {
    super(message);
  }
}
