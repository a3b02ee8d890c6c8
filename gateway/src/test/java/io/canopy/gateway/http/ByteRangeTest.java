package io.canopy.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class ByteRangeTest {
  @Test
  void theFormsHttpAllows() throws Exception {
    assertThat(ByteRange.parse("bytes=0-9", 100)).hasValue(new ByteRange(0, 9));
    assertThat(ByteRange.parse("bytes=90-", 100)).hasValue(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=-10", 100)).hasValue(new ByteRange(90, 99));
    assertThat(ByteRange.parse("bytes=-500", 100)).as("a suffix longer than the body is all of it").hasValue(new ByteRange(0, 99));
    assertThat(ByteRange.parse("bytes=50-5000", 100)).as("cut at the end").hasValue(new ByteRange(50, 99));
    assertThat(ByteRange.parse("bytes=99-99", 100).map(ByteRange::length)).hasValue(1L);
    assertThat(new ByteRange(5, 9).contentRange(100)).isEqualTo("bytes 5-9/100");
  }

  @Test
  void ignoredOrUnsatisfiable() throws Exception {
    for (String ignored : new String[] {null, "", "bytes=", "bytes=-", "bytes=5-1", "items=0-1", "bytes=0-1,5-6", "bytes=99999999999999999999-"}) {
      assertThat(ByteRange.parse(ignored, 100)).as(String.valueOf(ignored)).isEqualTo(Optional.empty());
    }
    assertThatThrownBy(() -> ByteRange.parse("bytes=100-", 100)).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThatThrownBy(() -> ByteRange.parse("bytes=200-300", 100)).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThatThrownBy(() -> ByteRange.parse("bytes=-0", 100)).isInstanceOf(ByteRange.Unsatisfiable.class);
    assertThatThrownBy(() -> ByteRange.parse("bytes=0-", 0)).isInstanceOf(ByteRange.Unsatisfiable.class);
  }
}
