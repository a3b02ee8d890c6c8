package io.canopy.validator.ledger;

import java.util.regex.Pattern;

/**
 * Ledger account names (spec/settlement.md §7.2): {@code user:<name>}, {@code operator:<peerId>},
 * {@code validator:<peerId>}, {@code network} and {@code external}, the contra-account that
 * deposits come from and withdrawals go to and the only account allowed below zero.
 */
public final class Accounts {
  public static final String NETWORK = "network";
  public static final String EXTERNAL = "external";
  public static final String USER_PREFIX = "user:";
  public static final String OPERATOR_PREFIX = "operator:";
  public static final String VALIDATOR_PREFIX = "validator:";
  /** Longest account name, in characters (a {@code user:} prefix and a 128-character gateway account). */
  public static final int MAX_LENGTH = 160;
  private static final Pattern NAME = Pattern.compile("[\\x21-\\x7e]+");

  private Accounts() {}

  public static String user(String name) {
    return check(USER_PREFIX + name);
  }

  public static String operator(Object peerId) {
    return check(OPERATOR_PREFIX + peerId);
  }

  public static String validator(Object peerId) {
    return check(VALIDATOR_PREFIX + peerId);
  }

  /** {@code account} if it is a well-formed account name, else a {@link LedgerException} saying why. */
  public static String check(String account) {
    if (account == null || account.length() > MAX_LENGTH || !NAME.matcher(account).matches()) {
      throw new LedgerException("not an account name (printable ASCII, no spaces, 1.." + MAX_LENGTH + " characters): '" + account + "'");
    }
    if (account.equals(NETWORK) || account.equals(EXTERNAL)) {
      return account;
    }
    for (String prefix : new String[] {USER_PREFIX, OPERATOR_PREFIX, VALIDATOR_PREFIX}) {
      if (account.startsWith(prefix) && account.length() > prefix.length()) {
        return account;
      }
    }
    throw new LedgerException("unknown account '" + account + "': want user:NAME, operator:PEER, validator:PEER, network or external");
  }

  public static boolean isUser(String account) {
    return account.startsWith(USER_PREFIX);
  }
}
