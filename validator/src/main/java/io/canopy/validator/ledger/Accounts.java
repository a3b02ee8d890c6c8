package io.canopy.validator.ledger;

import io.canopy.identity.PeerId;
import io.canopy.protocol.compute.CountersignedReceipt;
import java.util.regex.Pattern;

/**
 * Ledger account names (spec/settlement.md §7.2): {@code user:<peerId>} (a deal owner),
 * {@code user:<gateway peerId>/<account>} (an API user of that gateway), {@code operator:<peerId>},
 * {@code validator:<peerId>}, {@code network} and {@code external}, the contra-account that
 * deposits come from and withdrawals go to and the only account allowed below zero.
 */
public final class Accounts {
  public static final String NETWORK = "network";
  public static final String EXTERNAL = "external";
  public static final String USER_PREFIX = "user:";
  public static final String OPERATOR_PREFIX = "operator:";
  public static final String VALIDATOR_PREFIX = "validator:";
  /**
   * Longest account name, in characters: room for {@code user:}, a 52-character Ed25519 peer ID,
   * {@code /} and a 128-character gateway account.
   */
  public static final int MAX_LENGTH = 192;
  private static final Pattern NAME = Pattern.compile("[\\x21-\\x7e]+");

  private Accounts() {}

  public static String user(String name) {
    return check(USER_PREFIX + name);
  }

  /**
   * The account a countersigned receipt is paid from: the countersigning gateway's {@code account},
   * named under that gateway so that no gateway can bill another gateway's user of the same name.
   */
  public static String payer(CountersignedReceipt receipt) {
    return gatewayUser(receipt.gateway(), receipt.account());
  }

  /** {@code user:<gateway>/<account>}: the ledger account of a gateway's API user. */
  public static String gatewayUser(PeerId gateway, String account) {
    return user(gateway + "/" + account);
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
    throw new LedgerException("unknown account '" + account + "': want user:PEER, user:GATEWAY/NAME, operator:PEER, validator:PEER, network or external");
  }

  public static boolean isUser(String account) {
    return account.startsWith(USER_PREFIX);
  }
}
