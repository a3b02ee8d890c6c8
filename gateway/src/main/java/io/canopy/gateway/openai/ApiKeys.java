package io.canopy.gateway.openai;

import java.util.Map;
import java.util.Optional;

/** Who holds an OpenAI-style API key ({@code Authorization: Bearer KEY}). May block (a database lookup). */
@FunctionalInterface
public interface ApiKeys {

  /** The account that holds {@code key}, or empty if none does (or the key was revoked). */
  Optional<String> account(String key);

  /** Fixed keys, key → account: for tests and single-user setups. */
  static ApiKeys of(Map<String, String> accountsByKey) {
    Map<String, String> copy = Map.copyOf(accountsByKey);
    return key -> Optional.ofNullable(copy.get(key));
  }
}
