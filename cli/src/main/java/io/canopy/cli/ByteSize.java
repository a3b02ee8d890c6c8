package io.canopy.cli;

import java.math.BigDecimal;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes as Kubo writes them: {@code 10GB} (powers of 1000), {@code 500MiB} (powers of 1024), {@code 123} or {@code 123B}. */
final class ByteSize {
  private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(([kKMGTP])(i?)B|B)?");

  private ByteSize() {}

  /** The size in bytes; {@link CommandException} naming {@code option} if {@code text} is not a size. */
  static long parse(String text, String option) {
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      throw new CommandException("invalid " + option + " '" + text + "': expected a size such as 10GB or 500MiB");
    }
    BigDecimal n = new BigDecimal(m.group(1));
    if (m.group(3) != null) {
      int power = "KMGTP".indexOf(m.group(3).toUpperCase(Locale.ROOT)) + 1;
      n = n.multiply(BigDecimal.valueOf(m.group(4).isEmpty() ? 1000 : 1024).pow(power));
    }
    try {
      return n.setScale(0, java.math.RoundingMode.DOWN).longValueExact();
    } catch (ArithmeticException e) {
      throw new CommandException("invalid " + option + " '" + text + "': too large");
    }
  }
}
