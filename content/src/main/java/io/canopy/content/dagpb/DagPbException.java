package io.canopy.content.dagpb;

/** A block that is not valid canonical DAG-PB. */
public class DagPbException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public DagPbException(String message) {
    super(message);
  }
}
