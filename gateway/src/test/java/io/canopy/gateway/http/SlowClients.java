package io.canopy.gateway.http;

import java.io.IOException;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;

/** What the slowloris tests ask of a connection they opened against an HTTP listener. */
public final class SlowClients {
  private SlowClients() {}

  /**
   * Whether the server closed {@code s} without sending a byte, waiting up to {@code wait} (past
   * the server's head deadline) for it to do so; a reset counts as closed.
   */
  public static boolean closedWithoutReply(Socket s, Duration wait) throws IOException {
    s.setSoTimeout((int) wait.toMillis());
    try {
      return s.getInputStream().read() < 0;
    } catch (SocketException reset) {
      return true;
    } catch (SocketTimeoutException stillOpen) {
      return false;
    }
  }
}
