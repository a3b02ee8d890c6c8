package io.canopy.p2p.multistream;

import static io.canopy.p2p.multistream.MultistreamMessage.LS;
import static io.canopy.p2p.multistream.MultistreamMessage.NA;
import static io.canopy.p2p.multistream.MultistreamMessage.PROTOCOL_ID;
import static io.canopy.p2p.multistream.MultistreamMessage.quote;

import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * One multistream-select 1.0 negotiation, as plain calls with no I/O: {@link #start} gives the
 * messages to send first, {@link #receive} consumes each message from the peer and gives the
 * replies, until {@link #selected} holds the agreed protocol or a {@link MultistreamException}
 * says why there is none.
 *
 * <p>Initiator (the dialer, or the opener of a stream): sends the header {@value
 * MultistreamMessage#PROTOCOL_ID} and its first proposal together without waiting for the
 * peer's header, as go- and js-multistream do; on {@value MultistreamMessage#NA} it proposes the
 * next protocol, and fails when the peer has refused them all.
 *
 * <p>Responder: sends its header at once, then answers each proposal with the protocol id
 * (accepted) or {@value MultistreamMessage#NA}; {@value MultistreamMessage#LS} is answered with
 * {@value MultistreamMessage#NA} too, since Canopy does not list its protocols. It gives up when a
 * peer keeps proposing protocols it does not support: {@code maxProposals} refusals are answered,
 * the next unsupported proposal fails the negotiation.
 *
 * <p>Not thread-safe; one negotiation is driven by one channel's event loop.
 */
public final class MultistreamNegotiation {
  /** How many unsupported proposals a responder answers before it gives up. */
  public static final int DEFAULT_MAX_PROPOSALS = 16;

  public enum Role {
    INITIATOR,
    RESPONDER
  }

  private enum State {
    NEW,
    AWAIT_HEADER,
    AWAIT_ANSWER, // initiator: waiting for the answer to proposals.get(next - 1)
    AWAIT_PROPOSAL, // responder
    SELECTED,
    FAILED
  }

  private final Role role;
  private final List<String> proposals; // initiator, in order of preference
  private final Set<String> supported; // responder
  private final int maxProposals;

  private State state = State.NEW;
  private int next; // initiator: index of the next proposal to send
  private int refused; // responder: proposals answered with "na" so far
  private String selected;

  private MultistreamNegotiation(Role role, List<String> proposals, Set<String> supported, int maxProposals) {
    this.role = role;
    this.proposals = proposals;
    this.supported = supported;
    this.maxProposals = maxProposals;
  }

  /** An initiator proposing {@code protocols}, most preferred first. */
  public static MultistreamNegotiation initiator(List<String> protocols) {
    List<String> proposals = List.copyOf(checkProtocols(protocols));
    if (proposals.isEmpty()) {
      throw new IllegalArgumentException("an initiator needs at least one protocol to propose");
    }
    return new MultistreamNegotiation(Role.INITIATOR, proposals, Set.of(), 0);
  }

  /** A responder accepting any of {@code supported}, giving up after {@value #DEFAULT_MAX_PROPOSALS} refusals. */
  public static MultistreamNegotiation responder(Collection<String> supported) {
    return responder(supported, DEFAULT_MAX_PROPOSALS);
  }

  /** A responder accepting any of {@code supported}, giving up after {@code maxProposals} refusals. */
  public static MultistreamNegotiation responder(Collection<String> supported, int maxProposals) {
    if (maxProposals < 0) {
      throw new IllegalArgumentException("maxProposals must not be negative: " + maxProposals);
    }
    Set<String> set = Set.copyOf(new LinkedHashSet<>(checkProtocols(supported)));
    return new MultistreamNegotiation(Role.RESPONDER, List.of(), set, maxProposals);
  }

  private static <C extends Collection<String>> C checkProtocols(C protocols) {
    for (String p : protocols) {
      if (p == null || p.isEmpty() || p.indexOf('\n') >= 0) {
        throw new IllegalArgumentException("not a protocol id: " + (p == null ? "null" : quote(p)));
      }
      if (p.equals(PROTOCOL_ID) || p.equals(NA) || p.equals(LS)) {
        throw new IllegalArgumentException(quote(p) + " is a multistream message, not a protocol id");
      }
    }
    return protocols;
  }

  public Role role() {
    return role;
  }

  /** The messages to send when the negotiation begins; call once, before {@link #receive}. */
  public List<String> start() {
    if (state != State.NEW) {
      throw new IllegalStateException("negotiation already started");
    }
    state = State.AWAIT_HEADER;
    if (role == Role.INITIATOR) {
      next = 1;
      return List.of(PROTOCOL_ID, proposals.get(0));
    }
    return List.of(PROTOCOL_ID);
  }

  /**
   * Consumes one message from the peer (without its newline) and returns the messages to send in
   * reply, possibly none. After it returns, {@link #isDone} tells whether a protocol was selected.
   *
   * @throws MultistreamException if the peer broke the protocol or no protocol could be agreed;
   *     the negotiation is then over
   */
  public List<String> receive(String message) throws MultistreamException {
    switch (state) {
      case NEW -> throw new IllegalStateException("negotiation not started");
      case SELECTED, FAILED -> throw new IllegalStateException("negotiation is over");
      case AWAIT_HEADER -> {
        if (!message.equals(PROTOCOL_ID)) {
          throw fail("peer does not speak " + PROTOCOL_ID + ": its first message is " + quote(message));
        }
        state = role == Role.INITIATOR ? State.AWAIT_ANSWER : State.AWAIT_PROPOSAL;
        return List.of();
      }
      case AWAIT_ANSWER -> {
        return answer(message);
      }
      case AWAIT_PROPOSAL -> {
        return proposal(message);
      }
      default -> throw new AssertionError(state);
    }
  }

  private List<String> answer(String message) throws MultistreamException {
    String proposed = proposals.get(next - 1);
    if (message.equals(proposed)) {
      select(proposed);
      return List.of();
    }
    if (!message.equals(NA)) {
      throw fail("peer answered " + quote(message) + " to the proposal " + quote(proposed));
    }
    if (next == proposals.size()) {
      throw fail("peer supports none of the proposed protocols " + proposals);
    }
    return List.of(proposals.get(next++));
  }

  private List<String> proposal(String message) throws MultistreamException {
    if (supported.contains(message)) {
      select(message);
      return List.of(message);
    }
    if (refused == maxProposals) {
      throw fail("peer proposed more than " + maxProposals + " protocols, none supported (last: "
          + quote(message) + ")");
    }
    refused++;
    return List.of(NA);
  }

  private void select(String protocol) {
    selected = protocol;
    state = State.SELECTED;
  }

  private MultistreamException fail(String reason) {
    state = State.FAILED;
    return new MultistreamException(reason);
  }

  /** Whether a protocol has been selected. */
  public boolean isDone() {
    return state == State.SELECTED;
  }

  /** Whether the negotiation failed (a {@link #receive} call threw). */
  public boolean isFailed() {
    return state == State.FAILED;
  }

  /** The selected protocol, once {@link #isDone}. */
  public Optional<String> selected() {
    return Optional.ofNullable(selected);
  }

  /** The protocols this side proposes (initiator) or accepts (responder). */
  public List<String> protocols() {
    return role == Role.INITIATOR ? proposals : List.copyOf(supported);
  }
}
